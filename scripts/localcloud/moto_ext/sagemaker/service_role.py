"""SageMaker acting for a customer: passing a role to it, and it assuming that role.

* **PassRole.** CreatePipeline, UpdatePipeline, StartPipelineExecution (``RoleArn``),
  CreateProcessingJob and CreateTrainingJob hand SageMaker a role. AWS authorizes the caller for
  ``iam:PassRole`` on that role with the condition key ``iam:PassedToService`` =
  ``sagemaker.amazonaws.com`` and answers ``AccessDeniedException`` ("User: <caller> is not
  authorized to perform: iam:PassRole on resource: <role>") when no identity policy allows it.
  :func:`check_pass_role` does that with IAM enforced, conditions included (moto reads every
  condition of an Allow as met; here an Allow conditioned on another service does not allow).
* **AssumeRole as the service.** A job downloads its inputs and uploads its outputs, and a
  pipeline makes its steps' calls, with the credentials SageMaker gets by assuming the role. The
  role must exist and trust ``sagemaker.amazonaws.com`` (its trust policy's conditions see
  ``aws:SourceAccount`` and ``aws:SourceArn`` = the job or pipeline), else AWS refuses the
  request with ValidationException "Could not assume role <arn>. Please ensure that the role
  exists and allows principal 'sagemaker.amazonaws.com' to assume the role." The session is
  made in moto's STS backend (:func:`assume_for_sagemaker`) and used through boto3 against the
  local cloud itself (:class:`RoleSession`), so every S3, KMS, Logs and SageMaker call it makes
  is authenticated and authorized as that role, as any client's would be.

The endpoint of the local cloud is the one the request that created the job or execution came
to (``Host``); under ``mock_aws`` (an AWS host name) clients use AWS's endpoints, which moto
intercepts in-process.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from moto.sagemaker.exceptions import ValidationError
from moto.utilities.utils import get_partition

from ..auth_errors import JsonAuthError
from ..conditions import Context, conditions_met
from ..state_lock import STATE_LOCK
from ..utils import as_list, iam_enforced

SERVICE_PRINCIPAL = "sagemaker.amazonaws.com"
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})


def could_not_assume(role_arn: str) -> ValidationError:
    return ValidationError(
        f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
        f"'{SERVICE_PRINCIPAL}' to assume the role."
    )


@dataclass(frozen=True)
class RoleSession:
    """Credentials of a role SageMaker assumed, and where to use them."""

    role_arn: str
    session_arn: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    region: str
    endpoint_url: str | None

    def client(self, service: str) -> Any:
        session = boto3.session.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            aws_session_token=self.session_token,
            region_name=self.region,
        )
        return session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)

    def environment(self) -> dict[str, str]:
        """The credentials as a container sees them (and the local cloud's endpoint, when it is
        served over HTTP), so a job's own AWS calls are made as its role."""
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        return env


def endpoint_of(response: Any) -> str | None:
    """The local cloud's URL as the request that reached it names it (None in-process)."""
    host = str(response.headers.get("Host") or urlparse(str(response.uri)).netloc or "")
    if not host or host.split(":")[0].endswith("amazonaws.com"):
        return None
    scheme = urlparse(str(response.uri)).scheme or "http"
    return f"{scheme}://{host}"


def _role(role_arn: str, region: str) -> Any:
    from moto.iam.models import iam_backends

    parts = role_arn.split(":")
    if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    backend = iam_backends[parts[4]][get_partition(region)]
    return next((r for r in list(backend.roles.values()) if r.arn == role_arn), None)


def _trusts_sagemaker(document: dict[str, Any], context: Context) -> bool:
    allowed = False
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        principal = statement.get("Principal")
        services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if principal != "*" and SERVICE_PRINCIPAL not in services:
            continue
        actions = [str(a).lower() for a in as_list(statement.get("Action"))]
        if not any(fnmatch.fnmatchcase("sts:assumerole", a) for a in actions):
            continue
        if not conditions_met(statement, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def assume_for_sagemaker(
    role_arn: str, *, account_id: str, region: str, source_arn: str, endpoint_url: str | None
) -> RoleSession:
    """SageMaker's session as ``role_arn`` for the job or pipeline ``source_arn``; raises the
    ValidationException AWS answers when the role is missing or does not trust SageMaker."""
    from moto.sts.models import sts_backends

    # On a job's or execution's thread too: the IAM and STS backends change under the lock.
    with STATE_LOCK:
        role = _role(role_arn, region)
        if role is None:
            raise could_not_assume(role_arn)
        if iam_enforced():
            context = {"aws:sourceaccount": account_id, "aws:sourcearn": source_arn}
            if not _trusts_sagemaker(json.loads(role.assume_role_policy_document), context):
                raise could_not_assume(role_arn)
        assumed = sts_backends[role_arn.split(":")[4]][get_partition(region)].assume_role(
            region_name=region,
            role_session_name="SageMaker",
            role_arn=role_arn,
            policy="",
            duration=3600,
            external_id="",
        )
    return RoleSession(
        role_arn=role_arn,
        session_arn=assumed.arn,
        access_key_id=assumed.access_key_id,
        secret_access_key=assumed.secret_access_key,
        session_token=assumed.session_token,
        region=region,
        endpoint_url=endpoint_url,
    )


def _statement_applies(statement: dict[str, Any], action: str, resource: str, context: Context) -> bool:
    def matches(element: str, value: str, case: bool) -> bool:
        for name, negated in ((element, False), (f"Not{element}", True)):
            if name in statement:
                patterns = [str(p) for p in as_list(statement[name])]
                if case:
                    hit = any(fnmatch.fnmatchcase(value, p) for p in patterns)
                else:
                    hit = any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)
                return hit != negated
        return False

    return (
        matches("Action", action, case=False)
        and matches("Resource", resource, case=True)
        and conditions_met(statement, context)
    )


def caller_permitted(response: Any, action: str, resource: str, context: Context) -> tuple[bool, str]:
    """(allowed, caller ARN) for the identity that signed ``response``'s request: an explicit
    Deny wins, then any Allow whose conditions hold in ``context``."""
    from moto.iam.access_control import IAMPolicy, IAMRequest

    request = IAMRequest(
        account_id=response.current_account,
        method=response.method,
        path=urlparse(response.uri).path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=action.split(":", 1)[1],
    )
    key = request._access_key
    caller = str(getattr(key, "arn", ""))
    allowed = False
    for policy in key.collect_policies():
        # Inline (text), managed (a Policy) or attached ({"policy_document": ...}): IAMPolicy reads each.
        document = IAMPolicy(policy)._policy_json
        for statement in as_list(document.get("Statement")):
            if not isinstance(statement, dict) or not _statement_applies(
                statement, action, resource, context
            ):
                continue
            if statement.get("Effect") == "Deny":
                return False, caller
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed, caller


def check_pass_role(response: Any, role_arn: str | None) -> None:
    """AWS's ``iam:PassRole`` check of a request that hands ``role_arn`` to SageMaker."""
    if not role_arn or not iam_enforced():
        return
    context = {"iam:passedtoservice": SERVICE_PRINCIPAL, "aws:securetransport": "true"}
    allowed, caller = caller_permitted(response, "iam:PassRole", role_arn, context)
    if not allowed:
        raise JsonAuthError(
            "AccessDeniedException",
            f"User: {caller} is not authorized to perform: iam:PassRole on resource: {role_arn}",
            400,
        )

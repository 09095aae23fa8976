"""SageMaker acting for a customer: passing a role to it, and it assuming that role.

* **PassRole.** CreatePipeline, UpdatePipeline, StartPipelineExecution (``RoleArn``),
  CreateProcessingJob and CreateTrainingJob hand SageMaker a role. AWS authorizes the caller for
  ``iam:PassRole`` on that role with the condition key ``iam:PassedToService`` =
  ``sagemaker.amazonaws.com`` and answers ``AccessDeniedException`` ("User: <caller> is not
  authorized to perform: iam:PassRole on resource: <role>") when no identity policy allows it.
  :func:`check_pass_role` does that with IAM enforced through the one evaluator every request
  goes through (``resource_policies.authorize_on_behalf``, ``core/evaluation.py``), conditions
  included (moto reads every condition of an Allow as met; here an Allow conditioned on another
  service does not allow).
* **A customer key.** SageMaker encrypts with a key the request names by calling KMS as the
  caller (:func:`use_key`: kms:ViaService, through the same evaluator).
* **AssumeRole as the service.** A job downloads its inputs and uploads its outputs, and a
  pipeline makes its steps' calls, with the credentials SageMaker gets by assuming the role. The
  role must exist and trust ``sagemaker.amazonaws.com`` (its trust policy's conditions see
  ``aws:SourceAccount`` and ``aws:SourceArn`` = the job or pipeline; the trust policy is
  evaluated for the service principal by ``core.evaluation.service_grant``), else AWS refuses the
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

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from moto.sagemaker.exceptions import ValidationError
from moto.utilities.utils import get_partition

from ..core.evaluation import Grant, service_grant
from ..core.utils import iam_enforced
from ..state_lock import STATE_LOCK

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


def check_trust(role_arn: str, *, account_id: str, region: str, source_arn: str | None) -> None:
    """Raise the ValidationException AWS answers unless ``role_arn`` exists and its trust policy
    lets ``sagemaker.amazonaws.com`` assume it, its conditions seeing ``aws:SourceAccount`` and
    (when known) ``aws:SourceArn`` (``core.evaluation.service_grant``)."""
    with STATE_LOCK:
        role = _role(role_arn, region)
        if role is None:
            raise could_not_assume(role_arn)
        trust = json.loads(role.assume_role_policy_document)
    context: dict[str, str | list[str]] = {"aws:sourceaccount": account_id}
    if source_arn:
        context["aws:sourcearn"] = source_arn
    if service_grant(trust, SERVICE_PRINCIPAL, "sts:AssumeRole", role_arn, context) is not Grant.DIRECT:
        raise could_not_assume(role_arn)


def assume_for_sagemaker(
    role_arn: str, *, account_id: str, region: str, source_arn: str, endpoint_url: str | None
) -> RoleSession:
    """SageMaker's session as ``role_arn`` for the job or pipeline ``source_arn``; raises the
    ValidationException AWS answers when the role is missing or does not trust SageMaker."""
    from moto.sts.models import sts_backends

    # On a job's or execution's thread too: the IAM and STS backends change under the lock.
    with STATE_LOCK:
        if iam_enforced():
            check_trust(role_arn, account_id=account_id, region=region, source_arn=source_arn)
        elif _role(role_arn, region) is None:
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


def check_pass_role(response: Any, role_arn: str | None) -> None:
    """AWS's ``iam:PassRole`` check of a request that hands ``role_arn`` to SageMaker, with
    ``iam:PassedToService`` = ``sagemaker.amazonaws.com`` (only while IAM is enforced)."""
    from ..resource_policies import authorize_on_behalf

    if role_arn:
        authorize_on_behalf(response, "iam:PassRole", role_arn, {"iam:passedtoservice": SERVICE_PRINCIPAL})


def use_key(response: Any, key_id: str | None, actions: tuple[str, ...]) -> None:
    """SageMaker using a customer key as the caller of ``response`` (a forward access session):
    the caller's identity policy and the key policy must allow each of ``actions`` with
    ``kms:ViaService`` = ``sagemaker.<region>.amazonaws.com`` and ``aws:ViaAWSService`` (and, for
    ``kms:CreateGrant``, ``kms:GrantIsForAWSResource``), as SageMaker's managed policies grant
    them. A key that does not exist is a ValidationException; a refusal is SageMaker's
    AccessDeniedException carrying KMS's message. Only while IAM is enforced (the existence check
    always)."""
    if not key_id:
        return
    from ..kms import existing_key_arn
    from ..resource_policies import authorize_on_behalf

    key_arn = existing_key_arn(response, key_id)
    if key_arn is None:
        raise ValidationError(f"The KMS key {key_id} does not exist or is not accessible to SageMaker.")
    via = {"kms:viaservice": f"sagemaker.{response.region}.amazonaws.com", "aws:viaawsservice": "true"}
    for action in actions:
        keys = {**via, "kms:grantisforawsresource": "true"} if action == "kms:CreateGrant" else via
        authorize_on_behalf(response, action, key_arn, dict(keys))

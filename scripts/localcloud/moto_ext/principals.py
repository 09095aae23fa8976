"""Resource and trust policies may name only principals that exist, as AWS checks on write.

AWS resolves every IAM principal of a policy when the policy is written (it stores the
principal's unique id), so a policy naming a role or user that does not exist is refused:

- KMS CreateKey / PutKeyPolicy: ``MalformedPolicyDocumentException`` "Policy contains a
  statement with one or more invalid principals." (KMS API reference, CreateKey, Errors)
- S3 PutBucketPolicy: ``MalformedPolicy`` "Invalid principal in policy" (S3 API reference,
  error responses)
- IAM CreateRole / UpdateAssumeRolePolicy: ``MalformedPolicyDocument``
  'Invalid principal in policy: "AWS":"<arn>"'
- SageMaker PutModelPackageGroupPolicy: ``ValidationException`` (the wording here is ours; the
  code is the one SageMaker uses for every malformed request)

moto stores any principal, so an apply order that creates a grant before its grantee passed
here and failed on AWS. An account (``123456789012`` or ``arn:aws:iam::123456789012:root``),
``*``, a service, federated or canonical-user principal and an assumed-role session ARN pass; an
IAM role or user ARN must name one that exists in that account (looked up in the account's IAM
backend, wherever the policy lives).

:func:`register` wraps methods of moto's backends, which a type checker refuses
(``type: ignore[method-assign]``).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from typing import Any

from .utils import as_list

_IAM_IDENTITY = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(role|user)/(.+)$")


class InvalidPrincipal(Exception):
    """A principal of a policy names an IAM role or user that does not exist."""

    def __init__(self, principal: str) -> None:
        super().__init__(principal)
        self.principal = principal


def _exists(account: str, kind: str, path_and_name: str) -> bool:
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    name = path_and_name.rsplit("/", 1)[-1]
    arn_suffix = f":{kind}/{path_and_name}"
    if kind == "role":
        role = next((r for r in backend.roles.values() if r.name == name), None)
        return role is not None and role.arn.endswith(arn_suffix)
    user = backend.users.get(name)
    return user is not None and user.arn.endswith(arn_suffix)


def missing_principals(document: dict[str, Any]) -> list[str]:
    """The IAM role and user ARNs of ``document``'s Principal / NotPrincipal that do not exist."""
    missing: list[str] = []
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element)
            if not isinstance(principal, dict):
                continue
            for entry in as_list(principal.get("AWS")):
                match = _IAM_IDENTITY.match(str(entry))
                if match and not _exists(*match.groups()):
                    missing.append(str(entry))
    return missing


def check_principals_exist(policy: str | bytes | dict[str, Any] | None) -> None:
    """Raise :class:`InvalidPrincipal` for the first principal that does not exist.

    A document that is not JSON is left to the caller's own validation."""
    if policy is None:
        return
    if isinstance(policy, dict):
        document = policy
    else:
        try:
            document = json.loads(policy)
        except (TypeError, ValueError):
            return
    if isinstance(document, dict):
        missing = missing_principals(document)
        if missing:
            raise InvalidPrincipal(missing[0])


def _wrap(cls: type, name: str, parameter: str, error: Callable[[str], Exception]) -> None:
    """Check the policy ``cls.name`` receives as ``parameter`` before the method stores it."""
    method = getattr(cls, name)
    if getattr(method, "_principals_checked", False):
        return
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            check_principals_exist(signature.bind_partial(self, *args, **kwargs).arguments.get(parameter))
        except InvalidPrincipal as invalid:
            raise error(invalid.principal) from None
        return method(self, *args, **kwargs)

    wrapper.__dict__["_principals_checked"] = True
    setattr(cls, name, wrapper)


def _kms_error(_: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(
        "MalformedPolicyDocumentException",
        "Policy contains a statement with one or more invalid principals.",
    )


def _s3_error(_: str) -> Exception:
    from moto.s3.exceptions import S3ClientError

    return S3ClientError("MalformedPolicy", "Invalid principal in policy")


def _iam_error(principal: str) -> Exception:
    from moto.iam.exceptions import MalformedPolicyDocument

    return MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{principal}"')


def _sagemaker_error(principal: str) -> Exception:
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError(f"Invalid principal in policy: {principal} does not exist.")


def register() -> None:
    """Refuse policies naming roles or users that do not exist (idempotent)."""
    from moto.iam.models import IAMBackend
    from moto.kms.models import KmsBackend
    from moto.s3.models import S3Backend

    from .sagemaker.models import GovernanceSageMakerBackend

    _wrap(KmsBackend, "create_key", "policy", _kms_error)
    _wrap(KmsBackend, "put_key_policy", "policy", _kms_error)
    _wrap(S3Backend, "put_bucket_policy", "policy", _s3_error)
    _wrap(IAMBackend, "create_role", "assume_role_policy_document", _iam_error)
    _wrap(IAMBackend, "update_assume_role_policy", "policy_document", _iam_error)
    _wrap(GovernanceSageMakerBackend, "put_model_package_group_policy", "resource_policy", _sagemaker_error)

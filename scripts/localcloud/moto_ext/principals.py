"""Resource and trust policies may name only principals that exist, as AWS checks on write.

AWS resolves every IAM principal of a policy when the policy is written (it stores the
principal's unique id, ``core/bindings.py``), so a policy naming a role or user that does not
exist is refused:

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
backend, wherever the policy lives). The policy is stored bound to its principals' unique ids
(``core.bindings.bind``) and read back through ``core.bindings.present``: GetKeyPolicy,
GetBucketPolicy, GetModelPackageGroupPolicy and GetRole show ``"AWS": "AROA..."`` for a
recreated role, as AWS does (AWS re:Post knowledge center "kms-policy-error-invalid-principals":
a key policy showing ``AIDA...`` instead of an ARN names a deleted user).

:func:`register` wraps methods of moto's backends and makes ``Role.assume_role_policy_document``
a property, which a type checker refuses (``type: ignore[method-assign]`` / ``[assignment]``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from .core.bindings import InvalidPrincipal, bind, check_principals_exist, present


def _wrap(cls: type, name: str, parameter: str, error: Callable[[str], Exception]) -> None:
    """Check the policy ``cls.name`` receives as ``parameter`` before the method stores it, and
    hand the method the policy bound to its principals' unique ids."""
    method = getattr(cls, name)
    if getattr(method, "_principals_checked", False):
        return
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind_partial(self, *args, **kwargs)
        policy = arguments.arguments.get(parameter)
        try:
            check_principals_exist(policy)
        except InvalidPrincipal as invalid:
            raise error(invalid.principal) from None
        if isinstance(policy, str):
            arguments.arguments[parameter] = bind(policy)
        else:
            arguments.arguments[parameter] = bind(policy) if isinstance(policy, bytes) else policy
        return method(*arguments.args, **arguments.kwargs)

    wrapper.__dict__["_principals_checked"] = True
    setattr(cls, name, wrapper)


def _present_result(cls: type, name: str) -> None:
    """Make ``cls.name`` return the policy it reads as :func:`present` shows it."""
    method = getattr(cls, name)
    if getattr(method, "_principals_presented", False):
        return

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        if isinstance(result, str):
            return present(result)
        return present(result) if isinstance(result, bytes) else result

    wrapper.__dict__["_principals_presented"] = True
    setattr(cls, name, wrapper)


_TRUST_POLICY = "_mlgov_assume_role_policy_document"


def _get_trust_policy(role: Any) -> Any:
    written = role.__dict__.get(_TRUST_POLICY)
    return present(written) if isinstance(written, str) else written


def _set_trust_policy(role: Any, value: Any) -> None:
    role.__dict__[_TRUST_POLICY] = value


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
    """Refuse policies naming roles or users that do not exist, bind the ones they name to their
    unique ids, and show a deleted or recreated one by its old id (idempotent)."""
    from moto.iam.models import IAMBackend, Role
    from moto.kms.models import KmsBackend
    from moto.s3.models import S3Backend

    from .sagemaker.models import GovernanceSageMakerBackend

    _wrap(KmsBackend, "create_key", "policy", _kms_error)
    _wrap(KmsBackend, "put_key_policy", "policy", _kms_error)
    _wrap(S3Backend, "put_bucket_policy", "policy", _s3_error)
    _wrap(IAMBackend, "create_role", "assume_role_policy_document", _iam_error)
    _wrap(IAMBackend, "update_assume_role_policy", "policy_document", _iam_error)
    _wrap(GovernanceSageMakerBackend, "put_model_package_group_policy", "resource_policy", _sagemaker_error)
    _present_result(KmsBackend, "get_key_policy")
    _present_result(S3Backend, "get_bucket_policy")
    _present_result(GovernanceSageMakerBackend, "get_model_package_group_policy")
    if not isinstance(Role.__dict__.get("assume_role_policy_document"), property):
        # moto renders the Role object itself (GetRole, ListRoles, ...) and evaluates AssumeRole
        # from this attribute, so every read of the trust policy goes through present().
        Role.assume_role_policy_document = property(_get_trust_policy, _set_trust_policy)  # type: ignore[assignment]

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

A role or user principal is also bound to that principal's unique id when the policy is written,
as AWS does (IAM User Guide, "AWS JSON policy elements: Principal", IAM role principals: "the ARN
transforms to the role's unique principal ID when you save the policy ... If you delete the role,
then you break the relationship. The policy no longer applies, even if you recreate the role";
"IAM identifiers", unique ID prefixes ``AROA`` role, ``AIDA`` user; AWS re:Post knowledge center
"kms-policy-error-invalid-principals": a key policy showing ``AIDA...`` instead of an ARN names a
deleted user). The document is stored as the client wrote it (:class:`BoundPolicy`, a ``str`` or
``bytes`` carrying ``{ARN: unique id}``); :func:`present` gives it as the service shows and
evaluates it: the ARN while the principal it was bound to still exists, its old unique id once
that role or user was deleted or recreated (another id). So GetKeyPolicy, GetBucketPolicy,
GetModelPackageGroupPolicy and GetRole show ``"AWS": "AROA..."`` for a recreated role, and the
key, bucket, group and trust policy evaluations (``resource_policies.py``, ``s3_policy.py``,
``sagemaker/policy.py``) do not match the new role: only writing the policy again binds it.

:func:`register` wraps methods of moto's backends and makes ``Role.assume_role_policy_document``
a property, which a type checker refuses (``type: ignore[method-assign]`` / ``[assignment]``).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .utils import as_list

_IAM_IDENTITY = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(role|user)/(.+)$")

_Policy = TypeVar("_Policy", str, bytes)


class InvalidPrincipal(Exception):
    """A principal of a policy names an IAM role or user that does not exist."""

    def __init__(self, principal: str) -> None:
        super().__init__(principal)
        self.principal = principal


class BoundPolicy(str):
    """A policy document as written, with the unique id of each role or user it named then."""

    bindings: dict[str, str]

    def __new__(cls, text: str, bindings: dict[str, str]) -> BoundPolicy:
        bound = super().__new__(cls, text)
        bound.bindings = bindings
        return bound


class BoundPolicyBytes(bytes):
    """:class:`BoundPolicy` for services that keep the document as bytes (S3)."""

    bindings: dict[str, str]

    def __new__(cls, data: bytes, bindings: dict[str, str]) -> BoundPolicyBytes:
        bound = super().__new__(cls, data)
        bound.bindings = bindings
        return bound


def _principal(account: str, kind: str, path_and_name: str) -> Any:
    """The IAM role or user an ARN names (``None`` if there is none)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    name = path_and_name.rsplit("/", 1)[-1]
    arn_suffix = f":{kind}/{path_and_name}"
    found: Any = (
        next((r for r in backend.roles.values() if r.name == name), None)
        if kind == "role"
        else backend.users.get(name)
    )
    return found if found is not None and found.arn.endswith(arn_suffix) else None


def _aws_entries(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    """(principal element, its ``AWS`` entries) of every Principal / NotPrincipal of ``document``."""
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element)
            if isinstance(principal, dict) and "AWS" in principal:
                yield principal, as_list(principal["AWS"])


def missing_principals(document: dict[str, Any]) -> list[str]:
    """The IAM role and user ARNs of ``document``'s Principal / NotPrincipal that do not exist."""
    missing: list[str] = []
    for _, entries in _aws_entries(document):
        for entry in entries:
            match = _IAM_IDENTITY.match(str(entry))
            if match and _principal(*match.groups()) is None:
                missing.append(str(entry))
    return missing


def _document(policy: str | bytes | dict[str, Any] | None) -> dict[str, Any] | None:
    if policy is None or isinstance(policy, dict):
        return policy
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def check_principals_exist(policy: str | bytes | dict[str, Any] | None) -> None:
    """Raise :class:`InvalidPrincipal` for the first principal that does not exist.

    A document that is not JSON is left to the caller's own validation."""
    document = _document(policy)
    if document is not None:
        missing = missing_principals(document)
        if missing:
            raise InvalidPrincipal(missing[0])


def bind(policy: _Policy) -> _Policy:
    """``policy`` unchanged, carrying the unique id of every role and user ARN it names now."""
    document = _document(policy)
    if document is None:
        return policy
    bindings: dict[str, str] = {}
    for _, entries in _aws_entries(document):
        for entry in entries:
            match = _IAM_IDENTITY.match(str(entry))
            found = _principal(*match.groups()) if match else None
            if found is not None:
                bindings[str(entry)] = str(found.id)
    if isinstance(policy, str):
        return BoundPolicy(policy, bindings)
    return BoundPolicyBytes(policy, bindings)


def orphaned(policy: str | bytes | None) -> dict[str, str]:
    """``{ARN: unique id it was bound to}`` of the principals of ``policy`` deleted or recreated
    since it was written."""
    bindings: dict[str, str] = getattr(policy, "bindings", {})
    stale: dict[str, str] = {}
    for arn, unique_id in bindings.items():
        match = _IAM_IDENTITY.match(arn)
        current = _principal(*match.groups()) if match else None
        if current is None or current.id != unique_id:
            stale[arn] = unique_id
    return stale


def present(policy: _Policy) -> _Policy:
    """``policy`` as AWS shows and evaluates it: the unique id in place of each principal that was
    deleted or recreated since the policy was written; the document as written otherwise."""
    stale = orphaned(policy)
    document = _document(policy) if stale else None
    if document is None:
        return policy
    for principal, entries in _aws_entries(document):
        shown = [stale.get(str(entry), entry) for entry in entries]
        principal["AWS"] = shown if isinstance(principal["AWS"], list) else shown[0]
    text = json.dumps(document)
    return text if isinstance(policy, str) else text.encode()


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

"""AWS-managed IAM policies in every account, created the first time a call names one.

On AWS every account sees every AWS-managed policy (``arn:aws:iam::aws:policy/...``): the stacks
attach ``service-role/AmazonDataZoneDomainExecutionRolePolicy``, the bootstrap attaches
``PowerUserAccess`` and ``ReadOnlyAccess``. moto creates them only with
``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, and then all 1,400-odd in every account it creates,
which makes each new account slow. Here an account's IAM backend gets a managed policy from
moto's own data (``moto.iam.aws_managed_policies``, the documents AWS publishes) the first time
a call names its ARN: Attach/Detach{Role,User,Group}Policy, GetPolicy, GetPolicyVersion,
ListPolicyVersions and the other calls that take a ``policy_arn``. ListPolicies with
``Scope`` ``AWS`` or ``All`` creates them all in that account first, so a lookup by name (the
provider's ``aws_iam_policy`` data source) finds them too. An ARN that is not an AWS-managed
policy is left to moto (NoSuchEntity, as on AWS).

:func:`register` wraps methods of moto's ``IAMBackend``, which a type checker refuses
(``type: ignore[method-assign]``).
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
from collections.abc import Callable
from typing import Any

from moto.iam.models import AWSManagedPolicy, IAMBackend

_lock = threading.Lock()
_by_arn: dict[str, tuple[str, dict[str, Any]]] | None = None


def _catalogue() -> dict[str, tuple[str, dict[str, Any]]]:
    """ARN -> (name, data) of every AWS-managed policy moto ships, parsed once per process."""
    global _by_arn
    if _by_arn is None:
        from moto.iam.aws_managed_policies import aws_managed_policies_data

        parsed: dict[str, dict[str, Any]] = json.loads(aws_managed_policies_data)
        _by_arn = {
            f"arn:aws:iam::aws:policy{data.get('Path') or '/'}{name}": (name, data)
            for name, data in parsed.items()
        }
    return _by_arn


def _materialize(backend: IAMBackend, arns: list[str]) -> None:
    with _lock:
        catalogue = _catalogue()
        for arn in arns:
            if arn in backend.managed_policies or arn not in catalogue:
                continue
            name, data = catalogue[arn]
            policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
            backend.aws_managed_policies.append(policy)
            backend.managed_policies[policy.arn] = policy


def ensure_aws_managed_policy(backend: IAMBackend, policy_arn: str) -> None:
    """Create the AWS-managed policy ``policy_arn`` in ``backend``'s account if it is one."""
    if policy_arn.startswith("arn:aws:iam::aws:policy/"):
        _materialize(backend, [policy_arn])


def _taking_policy_arn(method: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        arn = signature.bind_partial(self, *args, **kwargs).arguments.get("policy_arn")
        if isinstance(arn, str):
            ensure_aws_managed_policy(self, arn)
        return method(self, *args, **kwargs)

    wrapper.__dict__["_lazy_managed"] = True
    return wrapper


def _listing(method: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        if signature.bind_partial(self, *args, **kwargs).arguments.get("scope") in ("AWS", "All"):
            _materialize(self, list(_catalogue()))
        return method(self, *args, **kwargs)

    wrapper.__dict__["_lazy_managed"] = True
    return wrapper


def register() -> None:
    """Serve AWS-managed policies on first reference in every account (idempotent)."""
    for name, method in inspect.getmembers(IAMBackend, inspect.isfunction):
        if getattr(method, "_lazy_managed", False):
            continue
        if name == "list_policies":
            setattr(IAMBackend, name, _listing(method))
        elif "policy_arn" in inspect.signature(method).parameters:
            setattr(IAMBackend, name, _taking_policy_arn(method))

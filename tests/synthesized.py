"""Read access to synthesized stacks for the tests: resources by construct path, policies as data.

Resources are found by their construct path (``//.metadata.path``, e.g. ``dev/iam/approver``),
never by the hashed logical id cdktf derives from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Attributes that hold IAM or resource policy documents, by resource type.
POLICY_ATTRIBUTES = {
    "aws_iam_role": "assume_role_policy",
    "aws_iam_role_policy": "policy",
    "aws_kms_key": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sagemaker_model_package_group_policy": "resource_policy",
    "aws_cloudwatch_log_resource_policy": "policy_document",
    "aws_vpc_endpoint": "policy",
}


@dataclass(frozen=True)
class Stack:
    """One synthesized stack (``cdk.tf.json``) and lookups into it."""

    name: str
    path: Path
    text: str
    data: dict[str, Any]

    @classmethod
    def read(cls, stack_dir: Path) -> Stack:
        path = stack_dir / "cdk.tf.json"
        text = path.read_text()
        return cls(stack_dir.name, path, text, json.loads(text))

    def resources(self, rtype: str) -> dict[str, dict[str, Any]]:
        """Resources of a type keyed by construct path below the stack (``iam/approver``)."""
        found = {}
        for config in self.data.get("resource", {}).get(rtype, {}).values():
            full = config["//"]["metadata"]["path"]
            found[full.removeprefix(f"{self.name}/")] = config
        return found

    def resource(self, rtype: str, path: str) -> dict[str, Any]:
        resources = self.resources(rtype)
        if path not in resources:
            raise KeyError(f"{self.name}: no {rtype} at {path!r}; have {sorted(resources)}")
        return resources[path]

    def logical_id(self, rtype: str, path: str) -> str:
        for logical, config in self.data.get("resource", {}).get(rtype, {}).items():
            if config["//"]["metadata"]["path"] == f"{self.name}/{path}":
                return logical
        raise KeyError(f"{self.name}: no {rtype} at {path!r}")

    def ref(self, rtype: str, path: str, attribute: str) -> str:
        """The Terraform reference expression another resource uses to point at this one."""
        return f"${{{rtype}.{self.logical_id(rtype, path)}.{attribute}}}"

    def policy(self, rtype: str, path: str) -> dict[str, Any]:
        """A policy attribute parsed: the synthesized value must be literal JSON."""
        return json.loads(self.resource(rtype, path)[POLICY_ATTRIBUTES[rtype]])

    def policies(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every policy document in the stack as ``(type, path, document)``; a resource whose
        policy is optional and unset (a VPC endpoint without one) yields nothing."""
        for rtype, attribute in POLICY_ATTRIBUTES.items():
            for path, config in self.resources(rtype).items():
                if attribute in config:
                    yield rtype, path, json.loads(config[attribute])


def statements(policy: dict[str, Any], *, effect: str | None = None) -> list[dict[str, Any]]:
    stmts = policy["Statement"]
    stmts = stmts if isinstance(stmts, list) else [stmts]
    return [s for s in stmts if effect is None or s["Effect"] == effect]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_actions(policy: dict[str, Any]) -> set[str]:
    return {a for s in statements(policy, effect="Allow") for a in as_list(s["Action"])}


def denied_actions(policy: dict[str, Any]) -> set[str]:
    return {a for s in statements(policy, effect="Deny") for a in as_list(s["Action"])}


def principals(stmt: dict[str, Any]) -> list[str]:
    principal = stmt.get("Principal", {})
    if principal == "*":
        return ["*"]
    return [p for values in principal.values() for p in as_list(values)]

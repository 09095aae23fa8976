"""The synthesized stacks' policy documents, by what they are attached to, with each Terraform
reference resolved to a plausible value."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments import EnvironmentConfig, PlatformConfig
from scripts.errors import UsageError

from ..targets import STACK_FILE

GITHUB_HOST = "token.actions.githubusercontent.com"

_REF = re.compile(r"(?<!\$)\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}")


@dataclass(frozen=True)
class Document:
    """One policy document and where it comes from (``<stack>/<construct path>``)."""

    label: str
    body: Mapping[str, Any]

    def statements(self) -> list[Mapping[str, Any]]:
        found = self.body.get("Statement", [])
        return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, Mapping)]

    @property
    def version(self) -> str:
        return str(self.body.get("Version") or "2008-10-17")


@dataclass
class RoleDocs:
    arn: str
    account: str
    trust: Document
    identity: list[Document] = field(default_factory=list)


@dataclass
class Stacks:
    """The policies of the synthesized stacks, by what they are attached to."""

    roles: dict[str, RoleDocs] = field(default_factory=dict)
    """Role ARN -> its trust and identity policies."""
    buckets: dict[str, tuple[str, Document | None]] = field(default_factory=dict)
    """Bucket name -> (owning account, bucket policy)."""
    keys: dict[str, tuple[Document, list[str]]] = field(default_factory=dict)
    """Key ARN -> (key policy, aliases)."""
    groups: dict[str, Document] = field(default_factory=dict)
    """Model package group ARN -> group policy."""
    studio_domains: dict[str, str] = field(default_factory=dict)
    """Environment -> its Studio domain id (as resolved)."""

    @classmethod
    def read(cls, platform: PlatformConfig, outdir: Path, managed: Any) -> Stacks:
        """Every stack ``main.py`` wrote into ``outdir/stacks`` for ``platform``."""
        found = cls()
        for env in platform.environments.values():
            for stack_name in (env.name, f"bootstrap-{env.name}"):
                path = outdir / "stacks" / stack_name / STACK_FILE
                if not path.is_file():
                    raise UsageError(f"{path} does not exist: synthesize first (mlgov deploy synth)")
                found._add(stack_name, env, json.loads(path.read_text(encoding="utf-8")), managed)
        return found

    def _add(self, stack_name: str, env: EnvironmentConfig, stack: dict[str, Any], managed: Any) -> None:
        resources = stack.get("resource", {})
        resolve = _Resolver(stack, env)

        def label(config: Mapping[str, Any]) -> str:
            return str(config.get("//", {}).get("metadata", {}).get("path", stack_name))

        def doc(config: Mapping[str, Any], attribute: str) -> Document:
            return Document(label(config), json.loads(resolve(config[attribute])))

        local_policies = {
            resolve(f"${{aws_iam_policy.{logical}.arn}}"): doc(config, "policy")
            for logical, config in resources.get("aws_iam_policy", {}).items()
        }
        by_name: dict[str, RoleDocs] = {}
        for logical, config in resources.get("aws_iam_role", {}).items():
            arn = resolve(f"${{aws_iam_role.{logical}.arn}}")
            by_name[config["name"]] = self.roles[arn] = RoleDocs(
                arn, env.account_id, doc(config, "assume_role_policy")
            )
        for config in resources.get("aws_iam_role_policy", {}).values():
            by_name[resolve(config["role"])].identity.append(doc(config, "policy"))
        for config in resources.get("aws_iam_role_policy_attachment", {}).values():
            policy_arn = resolve(config["policy_arn"])
            body = local_policies.get(policy_arn)
            if body is None:
                document = managed(policy_arn)
                if document is None:
                    raise UsageError(
                        f"{label(config)} attaches {policy_arn}, a policy the local cloud does not know"
                    )
                body = Document(policy_arn, document)
            assert body is not None
            by_name[resolve(config["role"])].identity.append(body)
        policies = {
            resolve(config["bucket"]): doc(config, "policy")
            for config in resources.get("aws_s3_bucket_policy", {}).values()
        }
        for config in resources.get("aws_s3_bucket", {}).values():
            self.buckets[config["bucket"]] = (env.account_id, policies.get(config["bucket"]))
        aliases: dict[str, list[str]] = {}
        for config in resources.get("aws_kms_alias", {}).values():
            aliases.setdefault(resolve(config["target_key_id"]), []).append(config["name"])
        for logical, config in resources.get("aws_kms_key", {}).items():
            arn = resolve(f"${{aws_kms_key.{logical}.arn}}")
            self.keys[arn] = (doc(config, "policy"), aliases.get(logical, []))
        for config in resources.get("aws_sagemaker_model_package_group_policy", {}).values():
            name = resolve(config["model_package_group_name"])
            self.groups[f"arn:aws:sagemaker:{env.region}:{env.account_id}:model-package-group/{name}"] = doc(
                config, "resource_policy"
            )
        for logical in resources.get("aws_sagemaker_domain", {}):
            self.studio_domains[env.name] = resolve(f"${{aws_sagemaker_domain.{logical}.id}}")

    def key_of(self, alias: str, account: str) -> str:
        """The key of ``account`` that ``alias`` names (alias names repeat across accounts)."""
        for arn, (_, aliases) in self.keys.items():
            if alias in aliases and arn.split(":")[4] == account:
                return arn
        raise UsageError(f"no synthesized KMS key of account {account} has the alias {alias}")


class _Resolver:
    """Terraform references (``${aws_kms_key.x.arn}``) in a synthesized stack's strings replaced
    by plausible values, and Terraform's escape ``$${`` by ``${`` (an IAM policy variable)."""

    def __init__(self, stack: dict[str, Any], env: EnvironmentConfig) -> None:
        self.resources = stack.get("resource", {})
        self.env = env

    def __call__(self, text: str) -> str:
        return _REF.sub(self._one, text).replace("$${", "${")

    def _one(self, match: re.Match[str]) -> str:
        rtype, logical, attribute = match.groups()
        config = self.resources.get(rtype, {}).get(logical, {})
        region, account = self.env.region, self.env.account_id
        digest = hashlib.sha256(f"{account}/{logical}".encode()).hexdigest()
        values: dict[tuple[str, str], str] = {
            (
                "aws_kms_key",
                "arn",
            ): f"arn:aws:kms:{region}:{account}:key/{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
            ("aws_kms_key", "key_id"): logical,
            ("aws_kms_key", "id"): logical,
            ("aws_s3_bucket", "arn"): f"arn:aws:s3:::{config.get('bucket')}",
            ("aws_s3_bucket", "id"): str(config.get("bucket")),
            ("aws_s3_bucket", "bucket"): str(config.get("bucket")),
            ("aws_iam_role", "arn"): f"arn:aws:iam::{account}:role/{config.get('name')}",
            ("aws_iam_role", "name"): str(config.get("name")),
            ("aws_iam_role", "id"): str(config.get("name")),
            ("aws_iam_policy", "arn"): f"arn:aws:iam::{account}:policy/{config.get('name')}",
            ("aws_iam_openid_connect_provider", "arn"): f"arn:aws:iam::{account}:oidc-provider/{GITHUB_HOST}",
            ("aws_sagemaker_domain", "id"): f"d-{digest[:12]}",
            ("aws_sagemaker_model_package_group", "model_package_group_name"): str(
                config.get("model_package_group_name")
            ),
            ("aws_cloudwatch_log_group", "name"): str(config.get("name")),
            (
                "aws_cloudwatch_log_group",
                "arn",
            ): f"arn:aws:logs:{region}:{account}:log-group:{config.get('name')}",
        }
        if rtype == "aws_kms_key" and attribute in ("key_id", "id"):
            return logical  # aliases are matched to keys by logical id
        return values.get((rtype, attribute), f"{rtype}.{logical}.{attribute}")

"""The platform roles of one environment and their least-privilege policies.

Separation of duties (docs/THREAT_MODEL.md): in a strict tier (staging, prod) each governance
asset has one writer.

- Only the **promotion** role registers versions (CreateModelPackage) and writes ``models/*``;
  every other role is denied both explicitly (and the group and bucket policies deny every other
  principal, ``modules/registry.py``, ``modules/artifacts.py``).
- Only the **approver** role changes a version's ModelApprovalStatus or its card, and it may
  approve only a version whose gate record (``mlgov-gates``, written at creation by the promotion
  role) says ``passed``.
- No role changes a version's ``mlgov-*`` metadata after creation (the governance metadata guard,
  :func:`governance_metadata_guard`), and only the promotion role may write the keys promotion
  writes at creation.
- Each person-facing role trusts exactly the principals the environment file names
  (``data_scientists``, ``approvers``, ``promotion_operators``; the promotion role also the CI
  promote job's GitHub environment), never the account root, and lets them carry their
  ``sts:SourceIdentity`` in (issue 20: the audit trail names the person).

In dev, versions are born: the data scientist and execution roles register and write artifacts,
and the data scientist approves. No role of a downstream environment may change an upstream
version at all.

Each role is one function of ``modules/roles.py`` returning its trust and permissions (:class:`RoleDocuments`) from
the environment's resource ARNs (:class:`EnvironmentArns`, ``modules/role_basics.py``);
:class:`PlatformRoles` below creates them.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.naming import Names

from .policy import document
from .role_basics import EnvironmentArns, RoleDocuments, governance_metadata_guard, registration_guard
from .roles import (
    approver_role,
    data_scientist_role,
    datazone_project_statements,
    datazone_role,
    execution_role,
    promotion_role,
    studio_statements,
)


class PlatformRoles(Construct):
    """SageMaker execution, data-scientist, model-approver, promotion and DataZone domain
    execution roles, named by ``Names.role_name``; ``self.roles[key]`` holds each. The two guards
    (:func:`governance_metadata_guard`, :func:`registration_guard`) are managed policies,
    ``<base>-governance-metadata-guard`` and ``<base>-registration-guard`` (``self.guards``),
    attached to every role that registers or updates versions."""

    #: Roles the guards are attached to.
    GUARDED = ("execution", "data_scientist", "approver", "promotion")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        upstream: Names | None,
        use_cases: tuple[str, ...],
        data_scientists: tuple[str, ...],
        approvers: tuple[str, ...],
        promotion_operators: tuple[str, ...],
        strict: bool,
        kms_key_arn: str,
        environments: tuple[str, ...],
        promotion_ci_subjects: tuple[str, ...] = (),
    ) -> None:
        """
        :param names: derived names of this environment (role names, bucket, groups, SSM prefix).
        :param upstream: names of the environment this one promotes from, if any; its registry,
            bucket and key are what the promotion role reads.
        :param use_cases: use case slugs; each has a model package group.
        :param data_scientists: principals allowed to assume the data-scientist role.
        :param approvers: principals allowed to assume the model-approver role.
        :param promotion_operators: principals allowed to assume the promotion role besides CI.
        :param strict: staging/prod tier: one writer per governance asset (module docstring).
        :param kms_key_arn: this environment's platform key.
        :param environments: every environment of the platform (the guard's legacy keys).
        :param promotion_ci_subjects: GitHub OIDC subjects of the CI promote job (none: no CI).
        """
        super().__init__(scope, id)
        self._names = names
        self._arns = EnvironmentArns.of(names, use_cases, kms_key_arn)
        arns = self._arns
        documents = {
            "execution": execution_role(arns, strict=strict),
            "data_scientist": data_scientist_role(arns, strict=strict, people=data_scientists),
            "approver": approver_role(arns, approvers=approvers, strict=strict),
            "promotion": promotion_role(
                arns,
                upstream=upstream,
                use_cases=use_cases,
                strict=strict,
                operators=promotion_operators,
                ci_subjects=promotion_ci_subjects,
                oidc_provider_arn=names.github_oidc_provider_arn,
            ),
            "datazone": datazone_role(arns),
        }
        self.roles: dict[str, IamRole] = {key: self._role(key, docs) for key, docs in documents.items()}
        self.guards = {
            "governance-metadata-guard": IamPolicy(
                self,
                "governance-metadata-guard",
                name=f"{names.base}-governance-metadata-guard",
                description=f"{names.base}: no role changes a version's mlgov-* metadata",
                policy=document(*governance_metadata_guard(arns, environments=environments)),
            ),
            "registration-guard": IamPolicy(
                self,
                "registration-guard",
                name=f"{names.base}-registration-guard",
                description=f"{names.base}: only promotion registers a version with promotion's metadata",
                policy=document(*registration_guard(arns)),
            ),
        }
        for key in self.GUARDED:
            self.guard(key, self.roles[key])
        self.studio_policy: IamRolePolicy | None = None
        self.datazone_policy: IamRolePolicy | None = None

    def guard(self, key: str, role: IamRole) -> None:
        """Attach both guards to ``role`` (``key``: its ``Names.role_name`` key): every role that
        registers or updates versions, this construct's and another's (the pipeline role)."""
        for guard_id, guard in self.guards.items():
            IamRolePolicyAttachment(
                self, f"{key.replace('_', '-')}-{guard_id}", role=role.name, policy_arn=guard.arn
            )

    def grant_studio(self, *, domain_id: str) -> IamRolePolicy:
        """The execution role's Studio permissions (``studio_statements``) for the domain
        ``domain_id``, as a second inline policy ``execution-studio-policy``: the domain is created
        after the role (it names the role as its default execution role), so the policy that names
        the domain comes after both."""
        names = self._names
        self.studio_policy = IamRolePolicy(
            self,
            "execution-studio-policy",
            name=f"{names.role_name('execution')}-studio",
            role=self.roles["execution"].id,
            policy=document(
                *studio_statements(self._arns, domain_id=domain_id, role_arn=names.role_arn("execution"))
            ),
        )
        return self.studio_policy

    def grant_datazone_projects(self, *, domain_account: str, region: str) -> IamRolePolicy:
        """The data-scientist role's use of the DataZone domain this account is associated with
        (``datazone_project_statements``), as a second inline policy ``data-scientist-datazone``
        so the role's own policy, and its address, stay as they are."""
        names = self._names
        self.datazone_policy = IamRolePolicy(
            self,
            "data-scientist-datazone-policy",
            name=f"{names.role_name('data_scientist')}-datazone",
            role=self.roles["data_scientist"].id,
            policy=document(*datazone_project_statements(domain_account=domain_account, region=region)),
        )
        return self.datazone_policy

    def _role(self, key: str, documents: RoleDocuments) -> IamRole:
        """The role ``Names.role_name(key)``, its inline policy and its managed policies (construct
        ids ``<key>``, ``<key>-policy`` and ``<key>-<managed policy name>``, key with dashes)."""
        names, slug = self._names, key.replace("_", "-")
        role = IamRole(
            self,
            slug,
            name=names.role_name(key),
            description=f"{names.base}: {key.replace('_', ' ')} role",
            assume_role_policy=document(*documents.trust),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            f"{slug}-policy",
            name=f"{names.role_name(key)}-policy",
            role=role.id,
            policy=document(*documents.permissions),
        )
        for arn in documents.managed_policies:
            IamRolePolicyAttachment(self, f"{slug}-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn)
        return role

"""One function per platform role: its trust and permissions (:class:`RoleDocuments`) from the
environment's resource ARNs (``modules/iam.py`` has the design; ``modules/role_basics.py`` the
statements several roles share). :class:`modules.iam.PlatformRoles` creates them.
"""

from __future__ import annotations

from collections.abc import Sequence

from environments.naming import Names

from .policy import PEOPLE_TRUST_ACTIONS, Statement, people_trust, statement, variable
from .role_basics import (
    APPROVAL_ACTIONS,
    CARD_READ,
    DATAZONE_EXECUTION_POLICY_ARN,
    KEY_USE,
    OBJECT_READ,
    OBJECT_READ_WRITE,
    REGISTRY_READ,
    EnvironmentArns,
    RoleDocuments,
    approval_needs_gate_record,
    model_development,
    platform_basics,
    separation_of_duties,
    service_trust,
    strict_no_registration,
)


# -- one function per role ------------------------------------------------------------------------
def execution_role(arns: EnvironmentArns, *, strict: bool) -> RoleDocuments:
    """SageMaker execution role: Studio apps and jobs of this account only. In IAM-auth Studio it
    is also the identity of the Studio web UI (``studio_statements``); the domain passes the user
    profile's name as the session's source identity (``ExecutionRoleIdentityConfig``,
    ``modules/studio.py``), so its trust lets SageMaker set one."""
    return RoleDocuments(
        trust=[
            service_trust(
                "SageMakerOfThisAccount",
                "sagemaker.amazonaws.com",
                arns.account,
                actions=PEOPLE_TRUST_ACTIONS,
            )
        ],
        permissions=[
            *platform_basics(arns),
            *model_development(arns, strict=strict),
            statement(
                "JobLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [f"arn:aws:logs:{arns.region}:{arns.account}:log-group:/aws/sagemaker/*"],
            ),
            *separation_of_duties(arns, strict=strict),
        ],
    )


def studio_statements(arns: EnvironmentArns, *, domain_id: str, role_arn: str) -> list[Statement]:
    """What the execution role needs for a user to open this Studio domain and run a JupyterLab
    space in it (IAM auth: the Studio UI calls SageMaker with the execution role's credentials),
    and no more: a user manages only their own spaces and apps (``${aws:SourceIdentity}``, the
    user profile name the domain sets), runs apps in shared spaces, and sees the others'.

    Scoped to this domain's ARNs (Service Authorization Reference: ``domain/<id>``,
    ``user-profile/<id>/<name>``, ``space/<id>/<name>``, ``app/<id>/<owner>/<type>/<name>``).
    CreatePresignedDomainUrl is not granted: it is the human's call (data-scientist role), and
    granted to the execution role it would let code in any space mint a login URL for any other
    user profile of the domain.

    :param domain_id: the Studio domain id (a Terraform reference).
    :param role_arn: the execution role itself (PassRole when Studio creates a space or app).
    """

    def this_domain(resource: str) -> str:
        return arns.sagemaker(f"{resource}/{domain_id}")

    user = variable("aws:SourceIdentity")
    own_profile = f"{this_domain('user-profile')}/{user}"

    return [
        statement(
            "OpenStudioDomain",
            ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile"],
            [this_domain("domain"), f"{this_domain('user-profile')}/*"],
        ),
        # Spaces: a user manages their own spaces (private or shared) and nobody else's. The
        # domain makes the user profile's name the session's source identity
        # (ExecutionRoleIdentityConfig USER_PROFILE_NAME), so ${aws:SourceIdentity} is the
        # user; a session without one (not opened from this domain's Studio) matches nothing.
        # The conditions are the Developer Guide's "Give your users access to spaces", with the
        # source identity in place of a per-user role.
        statement(
            "ManageOwnSpaces",
            ["sagemaker:CreateSpace", "sagemaker:DeleteSpace", "sagemaker:UpdateSpace"],
            [f"{this_domain('space')}/*"],
            condition={"ArnEquals": {"sagemaker:OwnerUserProfileArn": own_profile}},
        ),
        statement(
            "AppsInOwnSpaces",
            ["sagemaker:CreateApp", "sagemaker:DeleteApp"],
            [f"{this_domain('app')}/*"],
            condition={"ArnEquals": {"sagemaker:OwnerUserProfileArn": own_profile}},
        ),
        # A shared space is for every user of the domain: anyone may run its apps (not delete
        # or change the space: only its owner, above).
        statement(
            "AppsInSharedSpaces",
            ["sagemaker:CreateApp", "sagemaker:DeleteApp"],
            [f"{this_domain('app')}/*"],
            condition={"StringEquals": {"sagemaker:SpaceSharingType": "Shared"}},
        ),
        statement(
            "SeeSpacesAndApps",
            ["sagemaker:DescribeApp", "sagemaker:DescribeSpace"],
            [f"{this_domain('space')}/*", f"{this_domain('app')}/*"],
        ),
        # The Studio UI tags a space when it creates it (AmazonSageMakerFullAccess grants the
        # same AddTags, limited to sagemaker:TaggingAction CreateSpace).
        statement(
            "TagNewSpaces",
            ["sagemaker:AddTags"],
            [f"{this_domain('space')}/*"],
            condition={"StringEquals": {"sagemaker:TaggingAction": "CreateSpace"}},
        ),
        # The Studio UI lists the domain's user profiles, spaces and apps (the list calls of the
        # Developer Guide's "Give your users access to spaces",
        # https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-jl-admin-guide-permissions.html).
        # List calls support no resource-level permissions (Service Authorization Reference): a
        # resource ARN here would deny them.
        statement(
            "ListStudioResources",
            [
                "sagemaker:ListApps",
                "sagemaker:ListDomains",
                "sagemaker:ListSpaces",
                "sagemaker:ListUserProfiles",
            ],
            ["*"],
        ),
        statement(
            "PassItselfToSageMaker",
            ["iam:PassRole"],
            [role_arn],
            condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        # The domain's volumes are encrypted with the platform key: SageMaker creates grants on
        # it for each app, as the caller.
        statement(
            "GrantDomainKeyToSageMaker",
            ["kms:CreateGrant"],
            [arns.kms_key],
            condition={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def data_scientist_role(arns: EnvironmentArns, *, strict: bool, people: Sequence[str]) -> RoleDocuments:
    """Data scientist: in dev, register versions, edit Draft cards and approve; in strict tiers,
    read (validation). Assumed by exactly ``people`` (``data_scientists`` of the environment)."""
    if strict:
        approval = separation_of_duties(arns, strict=True)
    else:
        approval = [statement("DevSelfApproval", APPROVAL_ACTIONS, [*arns.packages, *arns.cards])]
    lineage = (
        []
        if strict
        else [
            # Registration (seed, register) records dataset -> training -> model -> package
            # lineage (scripts/governance/lineage.py); the List calls take no resource ARN.
            # `mlgov pipeline start` marks the input's dataset artifact with its DataZone asset
            # (UpdateArtifact).
            statement(
                "RecordRegistrationLineage",
                [
                    "sagemaker:AddAssociation",
                    "sagemaker:CreateAction",
                    "sagemaker:CreateArtifact",
                    "sagemaker:UpdateArtifact",
                ],
                [arns.sagemaker("action/*"), arns.sagemaker("artifact/*")],
            )
        ]
    )
    return RoleDocuments(
        trust=people_trust("NamedDataScientists", people),
        permissions=[
            *platform_basics(arns),
            *model_development(arns, strict=strict),
            statement("ReadModelCards", CARD_READ, arns.cards),
            *lineage,
            statement(
                "FindLineage",
                ["sagemaker:ListActions", "sagemaker:ListArtifacts", "sagemaker:ListAssociations"],
                ["*"],
            ),
            statement(
                "OpenStudio",
                ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"],
                [arns.sagemaker("user-profile/*/*")],
            ),
            *approval,
        ],
    )


def approver_role(arns: EnvironmentArns, *, approvers: Sequence[str], strict: bool) -> RoleDocuments:
    """Model approver: the only role that sets approval and card status in strict tiers; assumed
    by exactly the configured principals. In strict tiers it approves only versions whose gate
    record says passed, and never registers one."""
    strict_denies = [approval_needs_gate_record(), strict_no_registration()] if strict else []
    return RoleDocuments(
        trust=people_trust("GovernanceOfficers", approvers),
        permissions=[
            *platform_basics(arns),
            statement(
                "ApproveModelVersions",
                [*APPROVAL_ACTIONS, *REGISTRY_READ, *CARD_READ],
                [*arns.groups, *arns.packages, *arns.cards],
            ),
            statement("ReadAuditRecords", ["s3:GetObject"], [arns.audit_records]),
            # The report finds each version's last audit entry by listing the audit prefix.
            statement(
                "ListAuditRecords",
                ["s3:ListBucket"],
                [arns.bucket],
                condition={"StringLike": {"s3:prefix": [f"{arns.audit_prefix}*"]}},
            ),
            # The report shows a served version's monitor results: it lists the monitoring prefix
            # and reads the violation files only (not the captured data, not the statistics).
            statement(
                "ReadMonitorViolations",
                ["s3:GetObject"],
                [f"{arns.bucket}/{arns.monitoring_prefix}*/constraint_violations.json"],
            ),
            statement(
                "ListMonitorReports",
                ["s3:ListBucket"],
                [arns.bucket],
                condition={"StringLike": {"s3:prefix": [f"{arns.monitoring_prefix}*"]}},
            ),
            # The report reads whole versions 100 at a time (Search) and walks their lineage;
            # Search and the lineage List calls support no resource-level permissions.
            statement(
                "ReportSearchAndLineage",
                ["sagemaker:Search", "sagemaker:ListArtifacts", "sagemaker:ListAssociations"],
                ["*"],
            ),
            statement(
                "ReportDescribeLineage",
                ["sagemaker:DescribeAction", "sagemaker:DescribeArtifact"],
                [arns.sagemaker("action/*"), arns.sagemaker("artifact/*")],
            ),
            # `mlgov stage --status Deployed` records a ModelDeployment action fed by the
            # version's package artifact (scripts/governance/review.py, lineage.record_deployment).
            statement(
                "RecordDeployments",
                ["sagemaker:AddAssociation", "sagemaker:CreateAction", "sagemaker:CreateArtifact"],
                [arns.sagemaker("action/*"), arns.sagemaker("artifact/*")],
            ),
            statement("FindDeployments", ["sagemaker:ListActions"], ["*"]),
            *strict_denies,
        ],
    )


def promotion_role(
    arns: EnvironmentArns,
    *,
    upstream: Names | None,
    use_cases: Sequence[str],
    strict: bool,
    operators: Sequence[str],
    ci_subjects: Sequence[str] = (),
    oidc_provider_arn: str | None = None,
) -> RoleDocuments:
    """Promotion role: pull approved versions from upstream, register them here; in strict tiers
    the one writer of versions and of ``models/*`` (write-once: the bucket policy requires
    ``If-None-Match: *``).

    Assumed by the CI promote job (GitHub OIDC, ``ci_subjects``: the ``<env>-promotion`` GitHub
    environment, whose reviewers approve each run) and by ``operators`` (``promotion_operators``),
    nobody else. It never holds UpdateModelPackage, in any tier: IAM cannot limit that action to
    some of its parameters, so holding it means being able to approve. Registration carries
    everything the target version needs at CreateModelPackage (card, lifecycle, metadata, the
    gate record, lineage source); the upstream version is only read. In strict tiers it is also
    denied approval explicitly, and registering a version already approved.
    """
    permissions = [
        *platform_basics(arns),
        statement("WriteOwnArtifacts", OBJECT_READ_WRITE, [arns.models]),
        statement("ListOwnArtifacts", ["s3:ListBucket"], [arns.bucket]),
        # Promotion lock and record (scripts/governance/promote/): resumable, one target per source.
        statement(
            "PromotionState",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [f"{arns.bucket}/promotions/*"],
        ),
        statement("AbortOwnMultipartCopies", ["s3:AbortMultipartUpload"], [arns.models]),
        statement(
            "RegisterPromotedVersions",
            ["sagemaker:CreateModelPackage", *REGISTRY_READ, *CARD_READ],
            [*arns.groups, *arns.packages, *arns.cards],
        ),
        statement(
            "RecordLineage",
            ["sagemaker:AddAssociation", "sagemaker:CreateAction", "sagemaker:CreateArtifact"],
            [arns.sagemaker("action/*"), arns.sagemaker("artifact/*"), *arns.packages],
        ),
        # List calls of the lineage API support no resource-level permissions.
        statement(
            "ListLineage",
            ["sagemaker:ListActions", "sagemaker:ListArtifacts", "sagemaker:ListAssociations"],
            ["*"],
        ),
    ]
    if upstream is not None:
        permissions += _upstream_reads(upstream, use_cases)
    if strict:
        permissions += [
            statement("SeparationOfDutiesNoApproval", APPROVAL_ACTIONS, ["*"], effect="Deny"),
            statement(
                "SeparationOfDutiesNoApprovedRegistration",
                ["sagemaker:CreateModelPackage"],
                ["*"],
                effect="Deny",
                condition={"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}},
            ),
        ]
    trust = people_trust("PromotionOperators", operators)
    if ci_subjects and oidc_provider_arn:
        trust.insert(0, github_trust("CiPromoteJob", oidc_provider_arn, ci_subjects))
    return RoleDocuments(trust=trust, permissions=permissions)


#: GitHub Actions' OIDC issuer host and the audience its tokens carry for AWS.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"


def github_trust(sid: str, oidc_provider_arn: str, subjects: Sequence[str]) -> Statement:
    """GitHub Actions jobs whose OIDC token's ``sub`` is exactly one of ``subjects`` (and whose
    audience is STS), through the account's GitHub OIDC provider (``oidc_provider_arn``: an ARN or
    a Terraform reference to the provider)."""
    return statement(
        sid,
        ["sts:AssumeRoleWithWebIdentity"],
        principal={"Federated": oidc_provider_arn},
        condition={
            "StringEquals": {
                f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                f"{GITHUB_OIDC_HOST}:sub": list(subjects),
            }
        },
    )


def _upstream_reads(upstream: Names, use_cases: Sequence[str]) -> list[Statement]:
    """Read the upstream registry, its approved artifacts (``models/*`` only: not its audit
    records nor its promotion state) and its key; their resource policies grant the same."""
    up = upstream.env
    models = f"{upstream.artifact_bucket_arn}/models/*"
    return [
        statement(
            "ReadUpstreamRegistry",
            REGISTRY_READ,
            [upstream.model_package_group_arn(u) for u in use_cases]
            + [upstream.model_package_arn_pattern(u) for u in use_cases],
        ),
        statement("ReadUpstreamArtifacts", OBJECT_READ, [models]),
        statement(
            "ListUpstreamArtifacts",
            ["s3:ListBucket"],
            [upstream.artifact_bucket_arn],
            condition={"StringLike": {"s3:prefix": ["models/*"]}},
        ),
        # The upstream key id is random; its alias is a computed name. Only as S3 (the copy's
        # source objects) and SageMaker (the upstream version's card) use it for the caller.
        statement(
            "DecryptUpstreamArtifacts",
            ["kms:Decrypt", "kms:DescribeKey"],
            [f"arn:aws:kms:{up.region}:{up.account_id}:key/*"],
            condition={
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": upstream.kms_alias},
                "StringEquals": {
                    "kms:ViaService": [f"{s}.{up.region}.amazonaws.com" for s in ("s3", "sagemaker")]
                },
            },
        ),
    ]


def datazone_role(arns: EnvironmentArns) -> RoleDocuments:
    """DataZone domain execution role as the DataZone documentation defines it: the service, acting
    for this account only (``aws:SourceAccount``, session tags ``datazone*``), with the AWS managed
    ``AmazonDataZoneDomainExecutionRolePolicy``. The managed policy grants no KMS use; the domain is
    encrypted with the platform key, so the inline policy adds exactly that."""
    return RoleDocuments(
        trust=[
            service_trust(
                "DataZoneOfThisAccount",
                "datazone.amazonaws.com",
                arns.account,
                actions=("sts:AssumeRole", "sts:TagSession"),
                conditions={"ForAllValues:StringLike": {"aws:TagKeys": ["datazone*"]}},
            )
        ],
        # DataZone encrypts the domain with the key as this role: how it calls KMS is not
        # documented per operation, so no kms:ViaService condition here.
        permissions=[statement("UsePlatformKey", KEY_USE, [arns.kms_key])],
        managed_policies=(DATAZONE_EXECUTION_POLICY_ARN,),
    )


def datazone_project_statements(*, domain_account: str, region: str) -> list[Statement]:
    """The data scientist of an account associated with the DataZone domain of ``domain_account``:
    find the domain and create and read projects in it.

    Cross-account DataZone calls need both halves: the RAM share's permission (what the domain's
    account lets associated accounts do, modules/datazone.py) and the caller's own IAM policy
    (DataZone User Guide, "Associated accounts in Amazon DataZone"; Service Authorization
    Reference, "Actions defined by Amazon DataZone": GetDomain takes the ``domain`` resource, whose
    id is generated, so the statement names the domain account's domains; CreateProject,
    GetProject and ListProjects take no resource type, hence ``*``).
    """
    return [
        statement(
            "FindAssociatedDomain",
            ["datazone:GetDomain"],
            [f"arn:aws:datazone:{region}:{domain_account}:domain/*"],
        ),
        # The Service Authorization Reference lists no resource type for these actions: a
        # resource ARN would never match, so they take "*" (the domain's RAM share and DataZone's
        # own project membership are what limit them).
        statement(
            "ProjectsInAssociatedDomain",
            ["datazone:CreateProject", "datazone:GetProject", "datazone:ListProjects"],
            ["*"],
        ),
    ]

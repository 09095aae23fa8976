"""The data flow of the platform: who publishes training data to the DataZone catalog, who may
subscribe to it, and the one role that turns an approved subscription into read access.

DataZone manages no access for S3 assets (DataZone User Guide, "Publish data": only Glue and
Redshift assets get managed access), so the grant is the kit's: when the data owner approves a
subscription, ``mlgov data approve-subscription`` (scripts/datazone/) assumes the data-grant role
and puts an inline policy ``<prefix>-datazone-<subscription id>`` on the use case's roles, read on
exactly the dataset's prefix; revoking the subscription deletes it.

Three parts, each only where it belongs:

- where training data lives (the environments where versions are born, ``promotes_from`` unset):
  the **data-engineer** role (a person: publishes datasets under ``datasets/`` of the artifact
  bucket and into the producer project, decides subscriptions, revokes them) and the
  **data-grant** role (assumable by the data engineer only; ``iam:PutRolePolicy`` and
  ``iam:DeleteRolePolicy`` on the grantee roles only);
- in the DataZone home environment: the **producer project**, one shared by every use case
  (datasets belong to the data team, not to a model: one asset per dataset, subscribed by every
  use case that needs it, each subscription decided on its own), and the data scientist's
  catalog permissions (request subscriptions, publish model assets in its use case's project).

Project membership is DataZone's, not IAM's: ``mlgov data setup`` (run as the deploy role, the
projects' creator) makes the data engineer an owner of the producer project and the data
scientist a contributor of each use case's project.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.datazone_project import DatazoneProject
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environments.naming import DATA_GRANTEE_ROLES, Names

from .policy import PEOPLE_TRUST_ACTIONS, Statement, document, people_trust, statement

#: Roles of the environment the data-grant role may put read grants on (the scripts grant the
#: same list).
GRANTEE_ROLES = DATA_GRANTEE_ROLES

#: DataZone actions the Service Authorization Reference lists with no resource type: a resource
#: ARN would never match, so they take "*"; DataZone's project membership limits them.
_CATALOG_READ = (
    "datazone:GetAsset",
    "datazone:GetAssetType",
    "datazone:GetFormType",
    "datazone:GetListing",
    "datazone:GetProject",
    "datazone:GetSubscription",
    "datazone:GetSubscriptionRequestDetails",
    "datazone:GetUserProfile",
    "datazone:ListAssetRevisions",
    "datazone:ListProjects",
    "datazone:ListSubscriptionRequests",
    "datazone:ListSubscriptions",
    "datazone:Search",
    "datazone:SearchListings",
    "datazone:SearchTypes",
)
_CATALOG_PUBLISH = (
    "datazone:CreateAsset",
    "datazone:CreateAssetRevision",
    "datazone:CreateListingChangeSet",
)


def _basics(names: Names, kms_key_arn: str) -> list[Statement]:
    """Discover ids, write audit records and their events, use the platform key."""
    env = names.env
    bucket = names.artifact_bucket_arn
    return [
        statement(
            "ReadPlatformParameters",
            ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            [f"arn:aws:ssm:{env.region}:{env.account_id}:parameter{names.ssm_prefix}/*"],
        ),
        statement("WriteAuditRecords", ["s3:PutObject"], [f"{bucket}/{names.audit_prefix}*"]),
        statement(
            "PublishAuditEvents",
            ["events:PutEvents"],
            [f"arn:aws:events:{env.region}:{env.account_id}:event-bus/default"],
        ),
        # The key only as S3 uses it for the caller (the datasets are SSE-KMS objects).
        statement(
            "UsePlatformKeyThroughS3",
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            [kms_key_arn],
            condition={"StringEquals": {"kms:ViaService": f"s3.{env.region}.amazonaws.com"}},
        ),
    ]


def _find_domain(names: Names, home: Names) -> Statement:
    return statement(
        "FindDomain",
        ["datazone:GetDomain"],
        [f"arn:aws:datazone:{home.env.region}:{home.env.account_id}:domain/*"],
    )


def data_engineer_statements(names: Names, *, home: Names, kms_key_arn: str) -> list[Statement]:
    """Publish datasets (objects under ``datasets/`` and catalog assets), decide and revoke
    subscriptions, and hand the grant to the data-grant role."""
    bucket, datasets = names.artifact_bucket_arn, names.datasets_prefix
    return [
        *_basics(names, kms_key_arn),
        statement("WriteDatasets", ["s3:GetObject", "s3:PutObject"], [f"{bucket}/{datasets}*"]),
        statement(
            "ListDatasets",
            ["s3:ListBucket"],
            [bucket],
            condition={"StringLike": {"s3:prefix": [f"{datasets}*"]}},
        ),
        _find_domain(names, home),
        statement(
            "PublishAndDecideSubscriptions",
            [
                *_CATALOG_READ,
                *_CATALOG_PUBLISH,
                "datazone:AcceptSubscriptionRequest",
                "datazone:RejectSubscriptionRequest",
                "datazone:RevokeSubscription",
            ],
            ["*"],
        ),
        statement("GrantThroughTheGrantRole", ["sts:AssumeRole"], [names.role_arn("data_grant")]),
    ]


def data_grant_statements(names: Names, kms_key_arn: str) -> list[Statement]:
    """Put and delete inline policies on the grantee roles, nothing else in IAM. IAM has no
    condition key for an inline policy's name, so the ``<prefix>-datazone-`` prefix is the code's
    (scripts/datazone/grants.py); the role list is IAM's."""
    return [
        *_basics(names, kms_key_arn),
        statement(
            "GrantSubscribedData",
            ["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:PutRolePolicy"],
            [names.role_arn(key) for key in GRANTEE_ROLES],
        ),
    ]


def consumer_statements(names: Names, home: Names) -> list[Statement]:
    """The data scientist of the home environment: request subscriptions for its use case's
    project, publish model assets there (``mlgov data subscribe``, ``publish-model``)."""
    return [
        _find_domain(names, home),
        statement(
            "SubscribeAndPublishModels",
            [
                *_CATALOG_READ,
                *_CATALOG_PUBLISH,
                "datazone:CancelSubscription",
                "datazone:CreateSubscriptionRequest",
            ],
            ["*"],
        ),
    ]


class DataFlow(Construct):
    """The data-engineer and data-grant roles (where data lives), the shared producer project and
    the data scientist's catalog policy (DataZone home)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        home: Names,
        kms_key_arn: str,
        data_lives_here: bool,
        domain_id: str | None,
        data_scientist: IamRole,
        depends_on_roles: Sequence[IamRole] = (),
    ) -> None:
        """
        :param names: derived names of this environment.
        :param home: derived names of the DataZone home environment (where the domain is).
        :param kms_key_arn: this environment's platform key.
        :param data_lives_here: create the data-engineer and data-grant roles (environments where
            versions are born: the data they are trained on is published there).
        :param domain_id: the DataZone domain (home environment only): create the producer project
            and the data scientist's catalog policy.
        :param data_scientist: the environment's data-scientist role (person-facing).
        :param depends_on_roles: the grantee roles: the grant role's policy names them, so they
            exist first.
        """
        super().__init__(scope, id)
        env = names.env
        self.roles: dict[str, IamRole] = {}
        if data_lives_here:
            # A person-facing role: exactly the environment file's data_engineers.
            engineer = self._role(
                names,
                "data_engineer",
                document(*people_trust("DataEngineers", env.data_engineers)),
                data_engineer_statements(names, home=home, kms_key_arn=kms_key_arn),
            )
            # Only the data engineer: the grant follows the owner's decision on a subscription.
            # The engineer's session carries the person (sts:SetSourceIdentity), as every kit
            # session does.
            grant_trust = statement(
                "DataEngineerDecides",
                PEOPLE_TRUST_ACTIONS,
                principal={"AWS": names.role_arn("data_engineer")},
            )
            grant = self._role(
                names,
                "data_grant",
                document(grant_trust),
                data_grant_statements(names, kms_key_arn),
                depends_on=[engineer, *depends_on_roles],
            )
            self.roles = {"data_engineer": engineer, "data_grant": grant}
        self.producer_project: DatazoneProject | None = None
        if domain_id is not None:
            self.producer_project = DatazoneProject(
                self,
                "producer-project",
                domain_identifier=domain_id,
                name=names.datazone_producer_project,
                description="Training datasets published by the data engineers, subscribed by the use cases",
                skip_deletion_check=True,
            )
            IamRolePolicy(
                self,
                "data-scientist-catalog-policy",
                name=f"{names.role_name('data_scientist')}-catalog",
                role=data_scientist.id,
                policy=document(*consumer_statements(names, home)),
            )

    def _role(
        self,
        names: Names,
        key: str,
        trust: str,
        permissions: list[Statement],
        *,
        depends_on: Sequence[IamRole] = (),
    ) -> IamRole:
        slug = key.replace("_", "-")
        role = IamRole(
            self,
            slug,
            name=names.role_name(key),
            description=f"{names.base}: {key.replace('_', ' ')} role",
            assume_role_policy=trust,
            max_session_duration=3600,
            depends_on=list(depends_on) or None,
        )
        IamRolePolicy(
            self,
            f"{slug}-policy",
            name=f"{names.role_name(key)}-policy",
            role=role.id,
            policy=document(*permissions),
        )
        return role

"""What each role of an environment is (its session), and the governance actions of an
environment as the requests they take."""

from __future__ import annotations

from typing import Any

from environments import EnvironmentConfig, PlatformConfig
from environments.naming import Names
from scripts.errors import UsageError

from .decide import PERSON, Action, Caller, Request
from .stacks import Stacks

#: Roles of an environment, in the matrix's column order: the platform stack's, then the bootstrap's.
ROLES = (
    "execution",
    "data_scientist",
    "approver",
    "promotion",
    "datazone",
    "pipeline",
    "model_deploy",
    "data_engineer",
    "data_grant",
    "deploy",
    "plan",
)
#: A Studio user whose spaces the execution role tries to touch (another user of the domain).
OTHER_USER = "another-user"


def role_arn(platform: PlatformConfig, env: EnvironmentConfig, key: str) -> str:
    names = Names.of(platform, env)
    return {"deploy": env.deploy_role_arn, "plan": names.plan_role_arn}.get(key) or names.role_arn(key)


def roles_of(platform: PlatformConfig, stacks: Stacks, env: EnvironmentConfig) -> tuple[str, ...]:
    """The roles of :data:`ROLES` that ``env``'s stacks create (the data roles only where data
    lives), in column order."""
    return tuple(k for k in ROLES if role_arn(platform, env, k) in stacks.roles)


def role_caller(platform: PlatformConfig, stacks: Stacks, env: EnvironmentConfig, key: str) -> Caller:
    """The session of role ``key`` of ``env`` (a Studio user's for the execution role)."""
    arn = role_arn(platform, env, key)
    role = stacks.roles[arn]
    person = env.studio.user_profiles[0] if key == "execution" and env.studio.user_profiles else PERSON
    return Caller(key, env.account_id, arn, tuple(role.identity), person=person)


def actions(platform: PlatformConfig, stacks: Stacks, env: EnvironmentConfig) -> list[Action]:
    """The governance actions of ``env`` (module docstring), as requests on its resources."""
    names = Names.of(platform, env)
    region, account = env.region, env.account_id
    use_case = env.use_cases[0].name
    group = names.model_package_group(use_case)
    version = f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/1"
    new_version = f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/2"
    bucket = names.artifact_bucket_arn
    key = stacks.key_of(names.kms_alias, account)
    via_sagemaker = {"kms:viaservice": f"sagemaker.{region}.amazonaws.com", "aws:viaawsservice": "true"}
    via_s3 = {"kms:viaservice": f"s3.{region}.amazonaws.com", "aws:viaawsservice": "true"}

    def registry_key(*kms: str) -> list[Request]:
        return [
            Request(
                a,
                key,
                {**via_sagemaker, "kms:grantisforawsresource": "true"}
                if a == "kms:CreateGrant"
                else via_sagemaker,
            )
            for a in kms
        ]

    def update(**keys: Any) -> tuple[Request, ...]:
        current = {"sagemaker:currentcustomermetadataproperties/mlgov-gates": "passed"}
        return (
            Request("sagemaker:UpdateModelPackage", version, {**current, **keys}),
            *registry_key("kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"),
        )

    def put(path: str, **keys: Any) -> tuple[Request, ...]:
        return (
            Request("s3:PutObject", f"{bucket}/{path}", {"s3:objectcreationoperation": "true", **keys}),
            Request("kms:GenerateDataKey", key, via_s3),
        )

    def read(bucket_arn: str, key_arn: str, path: str) -> tuple[Request, ...]:
        return (Request("s3:GetObject", f"{bucket_arn}/{path}"), Request("kms:Decrypt", key_arn, via_s3))

    guarded = [
        *(k for k in _guard_keys(stacks, names)),
    ]
    created = {"sagemaker:modelapprovalstatus": "PendingManualApproval"}
    found = [
        Action(
            "register",
            "register a version",
            (
                (
                    Request(
                        "sagemaker:CreateModelPackage",
                        new_version,
                        {
                            **created,
                            "sagemaker:customermetadataproperties/mlgov-model-sha256": "0" * 64,
                            "sagemaker:customermetadataproperties/mlgov-idempotency-key": "k",
                        },
                    ),
                    *registry_key("kms:DescribeKey", "kms:GenerateDataKey", "kms:CreateGrant"),
                ),
            ),
        ),
        Action(
            "register_promoted",
            "register with source and gate metadata",
            # one request carrying every key, as a promotion registers
            (
                (
                    Request(
                        "sagemaker:CreateModelPackage",
                        new_version,
                        {
                            **created,
                            **{
                                f"sagemaker:customermetadataproperties/{k}": "v"
                                for k in _promotion_keys(stacks, names)
                            },
                        },
                    ),
                    *registry_key("kms:DescribeKey", "kms:GenerateDataKey", "kms:CreateGrant"),
                ),
            ),
        ),
        Action(
            "register_approved",
            "register a version already approved",
            (
                (
                    Request(
                        "sagemaker:CreateModelPackage",
                        new_version,
                        {"sagemaker:modelapprovalstatus": "Approved"},
                    ),
                    *registry_key("kms:DescribeKey", "kms:GenerateDataKey", "kms:CreateGrant"),
                ),
            ),
        ),
        Action(
            "approve",
            "approve a version (gate record passed)",
            (update(**{"sagemaker:modelapprovalstatus": "Approved"}),),
        ),
        Action(
            "approve_ungated",
            "approve a version without a gate record",
            (
                (
                    Request(
                        "sagemaker:UpdateModelPackage", version, {"sagemaker:modelapprovalstatus": "Approved"}
                    ),
                    *registry_key("kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"),
                ),
            ),
        ),
        Action(
            "reject_ungated",
            "reject a version without a gate record",
            (
                (
                    Request(
                        "sagemaker:UpdateModelPackage", version, {"sagemaker:modelapprovalstatus": "Rejected"}
                    ),
                    *registry_key("kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"),
                ),
            ),
        ),
        Action("card", "change card status", (update(),)),
        Action(
            "set_metadata",
            "set an mlgov-* metadata key",
            tuple(update(**{f"sagemaker:customermetadataproperties/{k}": "forged"}) for k in guarded),
        ),
        Action(
            "remove_metadata",
            "remove an mlgov-* metadata key",
            (update(**{"sagemaker:customermetadatapropertiestoremove": ["mlgov-gates"]}),),
        ),
        Action("delete_version", "delete a version", ((Request("sagemaker:DeleteModelPackage", version),),)),
        Action(
            "write_models",
            "write models/* (new key, If-None-Match)",
            (put("models/new/model.tar.gz", **{"s3:if-none-match": "*"}),),
        ),
        Action(
            "write_models_multipart",
            "write models/* by multipart upload",
            (
                (
                    # CreateMultipartUpload and UploadPart: no conditional header
                    Request(
                        "s3:PutObject",
                        f"{bucket}/models/new/model.tar.gz",
                        {"s3:objectcreationoperation": "false"},
                    ),
                    *put("models/new/model.tar.gz", **{"s3:if-none-match": "*"}),
                ),
            ),
        ),
        Action(
            "overwrite_models",
            "overwrite an approved artifact",
            (put("models/v1/model.tar.gz"), put("models/v1/model.tar.gz", **{"s3:if-match": '"etag"'})),
        ),
        Action(
            "overwrite_pipeline_models",
            "overwrite a pipeline-built version's archive",
            (
                put(
                    f"{names.pipeline_models_prefix(env.use_cases[0].name)}pipelines-x-Train-y/output/model.tar.gz"
                ),
            ),
        ),
        Action(
            "delete_models",
            "delete an approved artifact",
            (
                (Request("s3:DeleteObject", f"{bucket}/models/v1/model.tar.gz"),),
                (Request("s3:DeleteObjectVersion", f"{bucket}/models/v1/model.tar.gz"),),
            ),
        ),
        Action(
            "assume_approver",
            "assume the approver role",
            (
                (
                    Request("sts:AssumeRole", names.role_arn("approver")),
                    Request("sts:SetSourceIdentity", names.role_arn("approver")),
                ),
            ),
        ),
        Action(
            "assume_promotion",
            "assume the promotion role",
            (
                (
                    Request("sts:AssumeRole", names.role_arn("promotion")),
                    Request("sts:SetSourceIdentity", names.role_arn("promotion")),
                ),
            ),
        ),
    ]
    found.append(
        Action(
            "pass_role_elsewhere",
            "pass a kit role to a service other than SageMaker",
            tuple(
                (Request("iam:PassRole", names.role_arn(k), {"iam:passedtoservice": "ec2.amazonaws.com"}),)
                for k in ("execution", "pipeline")
            ),
        )
    )
    state_bucket, state_key = _state(stacks, names)
    found.append(
        Action(
            "read_state",
            "read the Terraform state",
            (
                (
                    Request("s3:GetObject", f"arn:aws:s3:::{state_bucket}/{names.state_key}"),
                    Request("kms:Decrypt", state_key, via_s3),
                ),
            ),
        )
    )
    found.append(
        Action(
            "read_data",
            f"read {env.name} data (objects, log events)",
            (
                read(bucket, key, "models/v1/model.tar.gz"),
                read(bucket, key, f"{names.audit_prefix}{group}/v000001/record.json"),
                (
                    Request(
                        "logs:GetLogEvents",
                        f"arn:aws:logs:{region}:{account}:log-group:{names.governance_log_group}",
                    ),
                ),
            ),
        )
    )
    found.append(
        Action(
            "use_key_directly",
            "use a platform key outside S3 and SageMaker",
            (
                (Request("kms:Decrypt", key),),
                (Request("kms:CreateGrant", key, {"kms:grantisforawsresource": "false"}),),
                # a grant for another service's resource (an EBS volume)
                (
                    Request(
                        "kms:CreateGrant",
                        key,
                        {
                            "kms:viaservice": f"ec2.{region}.amazonaws.com",
                            "aws:viaawsservice": "true",
                            "kms:grantisforawsresource": "true",
                        },
                    ),
                ),
                *(
                    ((Request("kms:Decrypt", _upstream_key(platform, stacks, env)),),)
                    if env.promotes_from
                    else ()
                ),
            ),
        )
    )
    if env.promotes_from:
        up = Names.of(platform, env.promotes_from)
        up_key = _upstream_key(platform, stacks, env)
        up_version = (
            f"arn:aws:sagemaker:{up.env.region}:{up.env.account_id}:model-package/"
            f"{up.model_package_group(use_case)}/1"
        )
        found.append(
            Action(
                "read_upstream_models",
                "read upstream models/*",
                # what a promotion reads upstream: the archive, the models/ listing and the
                # version (its content decrypted through SageMaker), each granted to the
                # downstream promotion role only (modules/policy.py roles_by_arn)
                (
                    (
                        *read(up.artifact_bucket_arn, up_key, "models/v1/model.tar.gz"),
                        Request("s3:ListBucket", up.artifact_bucket_arn, {"s3:prefix": "models/"}),
                        Request("sagemaker:DescribeModelPackage", up_version),
                        Request("kms:Decrypt", up_key, via_sagemaker),
                    ),
                ),
            )
        )
        up_state_key = stacks.key_of(up.state_kms_alias, up.env.account_id)
        found.append(
            Action(
                "read_upstream_state",
                "read the upstream Terraform state",
                (
                    (
                        Request("s3:GetObject", f"arn:aws:s3:::{up.state_bucket}/{up.state_key}"),
                        Request("kms:Decrypt", up_state_key, via_s3),
                    ),
                ),
            )
        )
        found.append(
            Action(
                "read_upstream_other",
                "read upstream audit/* or promotions/*",
                (
                    read(up.artifact_bucket_arn, up_key, f"{up.audit_prefix}{group}/v000001/record.json"),
                    read(up.artifact_bucket_arn, up_key, "promotions/token.json"),
                    (Request("s3:ListBucket", up.artifact_bucket_arn, {"s3:prefix": up.audit_prefix}),),
                ),
            )
        )
    domain = stacks.studio_domains.get(env.name)
    if domain is not None:
        own = env.studio.user_profiles[0] if env.studio.user_profiles else PERSON

        def space(owner: str, sharing: str, app: bool = False) -> Request:
            keys = {
                "sagemaker:owneruserprofilearn": f"arn:aws:sagemaker:{region}:{account}:user-profile/{domain}/{owner}",
                "sagemaker:spacesharingtype": sharing,
            }
            if app:
                return Request(
                    "sagemaker:CreateApp",
                    f"arn:aws:sagemaker:{region}:{account}:app/{domain}/{owner}-lab/JupyterLab/default",
                    keys,
                )
            return Request(
                "sagemaker:DeleteSpace",
                f"arn:aws:sagemaker:{region}:{account}:space/{domain}/{owner}-lab",
                keys,
            )

        found.append(
            Action(
                "own_space",
                "delete own private space, run apps in a shared one",
                ((space(own, "Private"), space(OTHER_USER, "Shared", app=True)),),
            )
        )
        found.append(
            Action(
                "others_space",
                "delete another user's private space or run an app in it",
                (
                    (space(OTHER_USER, "Private"),),
                    (space(OTHER_USER, "Private", app=True),),
                    (space(OTHER_USER, "Shared"),),
                ),
            )
        )
    return found


def _guard_keys(stacks: Stacks, names: Names) -> list[str]:
    """The keys the governance metadata guard of ``names.env`` names (the matrix tries each)."""
    for role in stacks.roles.values():
        for doc in role.identity:
            if doc.label.endswith(f"{names.env.name}/iam/governance-metadata-guard"):
                return sorted(
                    k.split("/", 1)[1]
                    for s in doc.statements()
                    for k in (s.get("Condition", {}).get("Null") or {})
                )
    return []


def _promotion_keys(stacks: Stacks, names: Names) -> list[str]:
    for role in stacks.roles.values():
        for doc in role.identity:
            if doc.label.endswith(f"{names.env.name}/iam/registration-guard"):
                return sorted(
                    k.split("/", 1)[1]
                    for s in doc.statements()
                    for k in (s.get("Condition", {}).get("Null") or {})
                )
    return ["mlgov-source-arn", "mlgov-gates"]


def _state(stacks: Stacks, names: Names) -> tuple[str, str]:
    bucket = names.state_bucket
    if bucket not in stacks.buckets:
        raise UsageError(f"the bootstrap stack of {names.env.name} creates no state bucket {bucket}")
    return bucket, stacks.key_of(names.state_kms_alias, names.env.account_id)


def _upstream_key(platform: PlatformConfig, stacks: Stacks, env: EnvironmentConfig) -> str:
    assert env.promotes_from is not None
    up = Names.of(platform, env.promotes_from)
    return stacks.key_of(up.kms_alias, up.env.account_id)

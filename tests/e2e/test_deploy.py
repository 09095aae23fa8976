"""Every environment applied into its own emulated account, idempotent, and destroyed cleanly.

The ``deployed_cloud`` fixture (conftest.py) plans and applies dev, staging and prod once per
session with the deploy runner. These tests check the result by LISTING from each account
(assuming that environment's deploy role), never by reading Terraform state:

- dev applied alone first into the empty accounts fails as AWS fails (its key, bucket and group
  policies name staging's promotion role, which does not exist), and the kit's deploy then
  succeeds from the state that failure left;
- every named resource of an environment's stack is in that environment's account and in no
  other account;
- a second ``plan -detailed-exitcode`` is clean for every environment;
- the destroy test (ordered last in the session) leaves nothing of any stack behind.

Expected names come from two independent places: ``environments.naming.Names`` (the contract
the scripts use) and the synthesized stack JSON (what Terraform was told to create).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from environments import ROLE_SUFFIXES, EnvironmentConfig, Names, load_platform
from scripts.deploy import runner
from scripts.localcloud.accounts import ORGANIZATION_ACCESS_ROLE
from tests.e2e.deployed import Account, DeployedCloud, assume

pytestmark = pytest.mark.e2e

ENVS = ("dev", "staging", "prod")
#: Apply order: downstream first (PlatformConfig.apply_order); destroy runs the other way.
APPLY_ORDER = ("prod", "staging", "dev")


# -- what each stack should have created --------------------------------------------------------
def _literal(value: Any) -> str | None:
    """A literal string attribute (references like ``${aws_x.y.id}`` are resolved only at apply)."""
    return value if isinstance(value, str) and "${" not in value else None


def stack_names(target: DeployedCloud, env: str) -> dict[str, set[str]]:
    """Names of the stack's resources by kind, read from the synthesized JSON."""
    doc = json.loads((target.outdir / "stacks" / env / "cdk.tf.json").read_text())
    res = doc.get("resource", {})

    def names(rtype: str, attr: str) -> set[str]:
        return {n for r in res.get(rtype, {}).values() if (n := _literal(r.get(attr)))}

    return {
        "buckets": names("aws_s3_bucket", "bucket"),
        "roles": names("aws_iam_role", "name"),
        "kms_aliases": names("aws_kms_alias", "name"),
        "ssm_parameters": names("aws_ssm_parameter", "name"),
        "log_groups": names("aws_cloudwatch_log_group", "name"),
        "event_rules": names("aws_cloudwatch_event_rule", "name"),
        "groups": names("aws_sagemaker_model_package_group", "model_package_group_name"),
        "studio_domains": names("aws_sagemaker_domain", "domain_name"),
        "user_profiles": names("aws_sagemaker_user_profile", "user_profile_name"),
        "datazone_domains": names("aws_datazone_domain", "name"),
        "datazone_projects": names("aws_datazone_project", "name"),
        "vpc_cidrs": names("aws_vpc", "cidr_block"),
    }


def contract_names(names: Names) -> dict[str, set[str]]:
    """The names the scripts rely on (environments/naming.py), by the same kinds."""
    env = names.env
    ssm = {
        names.ssm_artifact_bucket,
        names.ssm_kms_key_arn,
        names.ssm_lifecycle_stage,
        names.ssm_studio_domain_id,
        names.ssm_governance_log_group,
        *(names.ssm_role_arn(k) for k in ROLE_SUFFIXES),
        *(p for uc in env.use_cases for p in (names.ssm_group_name(uc.name), names.ssm_group_arn(uc.name))),
    }
    if env.datazone_home:
        ssm |= {
            names.ssm_datazone_domain_id,
            *(names.ssm_datazone_project_id(uc.name) for uc in env.use_cases),
        }
    return {
        "buckets": {names.artifact_bucket, names.access_log_bucket},
        "roles": {names.role_name(k) for k in ROLE_SUFFIXES},
        "kms_aliases": {names.kms_alias},
        "ssm_parameters": ssm,
        "log_groups": {names.governance_log_group, names.flow_log_group},
        "groups": {names.model_package_group(uc.name) for uc in env.use_cases},
        "studio_domains": {names.studio_domain},
        "user_profiles": set(env.studio.user_profiles),
        "datazone_domains": {names.datazone_domain} if env.datazone_home else set(),
        "datazone_projects": {names.datazone_project(uc.name) for uc in env.use_cases}
        if env.datazone_home
        else set(),
        "vpc_cidrs": {env.network.cidr},
    }


# -- what an account actually holds (listing with paginators) -----------------------------------
def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    out: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def listed(target: DeployedCloud, env: EnvironmentConfig, prefix: str) -> dict[str, Any]:
    """Everything the checks need from one account, listed through that account's deploy role."""
    acct = target.account(env)
    s3, iam, kms, ssm = (acct.client(s) for s in ("s3", "iam", "kms", "ssm"))
    logs, events, sm, ec2 = (acct.client(s) for s in ("logs", "events", "sagemaker", "ec2"))
    dz = acct.client("datazone")
    studio = _pages(sm, "list_domains", "Domains")
    groups = _pages(sm, "list_model_package_groups", "ModelPackageGroupSummaryList")
    profiles = {
        p["UserProfileName"]
        for d in studio
        for p in _pages(sm, "list_user_profiles", "UserProfiles", DomainIdEquals=d["DomainId"])
    }
    dz_domains = _pages(dz, "list_domains", "items")
    dz_projects = {
        p["name"] for d in dz_domains for p in _pages(dz, "list_projects", "items", domainIdentifier=d["id"])
    }
    vpcs = _pages(ec2, "describe_vpcs", "Vpcs")
    return {
        "buckets": {b["Name"] for b in s3.list_buckets()["Buckets"]},
        "roles": {r["RoleName"] for r in _pages(iam, "list_roles", "Roles")},
        "kms_aliases": {a["AliasName"] for a in _pages(kms, "list_aliases", "Aliases")},
        "ssm_parameters": {
            p["Name"]
            for p in _pages(ssm, "get_parameters_by_path", "Parameters", Path=prefix, Recursive=True)
        },
        "log_groups": {
            g["logGroupName"]
            for g in _pages(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)
        },
        "event_rules": {r["Name"] for r in events.list_rules()["Rules"]},
        "groups": {g["ModelPackageGroupName"] for g in groups},
        "group_arns": {g["ModelPackageGroupArn"] for g in groups},
        "studio_domains": {d["DomainName"] for d in studio},
        "user_profiles": profiles,
        "datazone_domains": {d["name"] for d in dz_domains},
        "datazone_projects": dz_projects,
        "vpc_cidrs": {v["CidrBlock"] for v in vpcs},
        "vpcs": vpcs,
    }


@pytest.fixture(scope="module")
def listings(deployed_cloud: DeployedCloud) -> dict[str, dict[str, Any]]:
    platform = deployed_cloud.platform
    return {e: listed(deployed_cloud, platform.env(e), f"/{platform.name_prefix}/") for e in ENVS}


# -- lifecycle: plan shows changes, apply (roles other environments name first, then all at once) --
def test_plan_before_apply_showed_changes_in_every_environment(deployed_cloud):
    plans = [r for r in deployed_cloud.plan_before_apply if r.step == "plan"]
    assert sorted(r.env for r in plans) == sorted(APPLY_ORDER)  # concurrent: any order
    assert all(r.returncode == 2 and r.changes for r in plans), [(r.env, r.returncode) for r in plans]


def test_apply_planned_applied_and_refreshed_each_environment_with_a_log_per_step(deployed_cloud):
    """Every environment at once: plan, apply, refresh; then the accounts the DataZone domain is
    shared with accept the share (``associate``). No targeted apply creates any role first."""
    platform = deployed_cloud.platform
    steps = [(r.env, r.step) for r in deployed_cloud.apply if r.step != "init"]
    home = next(e.name for e in platform.environments.values() if e.datazone_home)
    for env in ENVS:
        associate = [] if env == home else ["associate"]
        assert [step for e, step in steps if e == env] == ["plan", "apply", "refresh", *associate]
    last_refresh = max(i for i, (_, step) in enumerate(steps) if step == "refresh")
    assert all(step == "associate" for _, step in steps[last_refresh + 1 :]), (
        "associate comes after every apply"
    )
    for r in deployed_cloud.apply:
        log = Path(r.log)
        assert r.ok and log == deployed_cloud.work_root / "local" / "logs" / f"{r.env}-{r.step}.log"
        assert log.read_text().rstrip().splitlines()[-1].startswith(f"# exit {r.returncode} after ")
    for r in deployed_cloud.apply:
        if r.step == "apply":
            assert "Apply complete!" in Path(r.log).read_text()
    # The working directories hold the override; the synthesized folder stays clean.
    for env in ENVS:
        assert (deployed_cloud.work_root / "local" / env / runner.OVERRIDE_FILE).exists()
        assert not (deployed_cloud.outdir / "stacks" / env / ".terraform").exists()


# -- every resource in the right account, and only there ----------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_every_resource_is_in_its_own_account(deployed_cloud, listings, env):
    platform = deployed_cloud.platform
    names = Names.of(platform, env)
    expected_stack = stack_names(deployed_cloud, env)
    expected_contract = contract_names(names)
    have = listings[env]
    missing = {}
    for kind in expected_contract:
        want = expected_stack[kind] | expected_contract[kind]
        if want - have[kind]:
            missing[kind] = sorted(want - have[kind])
    assert not missing, f"{env} account ({names.env.account_id}) lacks {missing}"
    # The same group name exists in every account; this one must be this account's.
    for uc in names.env.use_cases:
        assert names.model_package_group_arn(uc.name) in have["group_arns"]
    # The VPC has one private subnet per configured availability zone.
    vpc = next(v for v in have["vpcs"] if v["CidrBlock"] == names.env.network.cidr)
    subnets = target_subnets(deployed_cloud, env, vpc["VpcId"])
    assert len(subnets) == names.env.network.az_count


def target_subnets(target: DeployedCloud, env: str, vpc_id: str) -> list[dict[str, Any]]:
    ec2 = target.account(env).client("ec2")
    return _pages(ec2, "describe_subnets", "Subnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])


@pytest.mark.parametrize("env", ENVS)
def test_no_resource_of_an_environment_is_in_another_account(deployed_cloud, listings, env):
    expected = stack_names(deployed_cloud, env)
    for other in ENVS:
        if other == env:
            continue
        have = listings[other]
        # Group names are shared by design (the account id tells them apart); compare ARNs.
        leaked = {
            kind: sorted(expected[kind] & have[kind])
            for kind in expected
            if kind not in ("groups", "user_profiles", "datazone_projects") and expected[kind] & have[kind]
        }
        assert not leaked, f"resources of {env} found in the {other} account: {leaked}"
        names = Names.of(deployed_cloud.platform, env)
        assert not {names.model_package_group_arn(uc.name) for uc in names.env.use_cases} & have["group_arns"]


def test_datazone_domain_only_in_the_home_account(deployed_cloud, listings):
    platform = deployed_cloud.platform
    home = platform.datazone_home.name
    domain = Names.of(platform, home).datazone_domain
    assert [e for e in ENVS if domain in listings[e]["datazone_domains"]] == [home]


def test_ssm_parameters_hold_the_names_the_scripts_expect(deployed_cloud):
    for env in ENVS:
        names = Names.of(deployed_cloud.platform, env)
        ssm = deployed_cloud.account(env).client("ssm")
        uc = names.env.use_cases[0].name
        values = {
            names.ssm_artifact_bucket: names.artifact_bucket,
            names.ssm_group_name(uc): names.model_package_group(uc),
            names.ssm_group_arn(uc): names.model_package_group_arn(uc),
            names.ssm_role_arn("promotion"): names.role_arn("promotion"),
            names.ssm_lifecycle_stage: names.env.lifecycle_stage,
        }
        got = {p["Name"]: p["Value"] for p in ssm.get_parameters(Names=list(values))["Parameters"]}
        assert got == values, env
        key_arn = ssm.get_parameter(Name=names.ssm_kms_key_arn)["Parameter"]["Value"]
        assert key_arn.startswith(f"arn:aws:kms:{names.env.region}:{names.env.account_id}:key/")


# -- idempotent ---------------------------------------------------------------------------------
def test_plan_after_apply_is_clean_in_every_environment(deployed_cloud):
    plans = [r for r in deployed_cloud.run("plan", parallel=True) if r.step == "plan"]
    assert sorted(r.env for r in plans) == sorted(APPLY_ORDER)  # concurrent: any order
    dirty = {r.env: r.log for r in plans if r.returncode != 0}
    assert not dirty, f"plan -detailed-exitcode not clean after apply (see logs): {dirty}"


def test_drift_check_is_clean_after_apply_and_catches_an_out_of_band_change(deployed_cloud):
    drift = [r for r in deployed_cloud.run("drift", ["dev"]) if r.step == "drift"]
    # Exit 0, or exit 2 with nothing drifted (terraform#36403); the runner reports no drift.
    assert [(r.env, r.changes, r.drifted or []) for r in drift] == [("dev", False, [])], drift[0].log
    # Someone tags the flow-log group by hand (harmless to the other e2e tests).
    names = Names.of(deployed_cloud.platform, "dev")
    logs = deployed_cloud.account("dev").client("logs")
    logs.tag_log_group(logGroupName=names.flow_log_group, tags={"changed-by-hand": "yes"})
    try:
        drift = [r for r in deployed_cloud.run("drift", ["dev"]) if r.step == "drift"]
    finally:
        logs.untag_log_group(logGroupName=names.flow_log_group, tags=["changed-by-hand"])
    doc = json.loads((deployed_cloud.outdir / "stacks" / "dev" / "cdk.tf.json").read_text())
    address = next(
        f"aws_cloudwatch_log_group.{logical}"
        for logical, r in doc["resource"]["aws_cloudwatch_log_group"].items()
        if r["name"] == names.flow_log_group
    )
    assert [(r.returncode, r.changes, r.drifted) for r in drift] == [(2, True, [address])]
    assert f"{address} has changed" in Path(drift[0].log).read_text()


# -- a failure names environment, resource and log -----------------------------------------------
def test_a_failing_apply_names_environment_resource_and_log(local_cloud, tmp_path):
    """A stack whose role policy targets a role that does not exist fails at apply time."""
    platform = load_platform()
    dev = platform.env("dev")
    stack = {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": "~> 5.99"}},
            "backend": {"local": {"path": "terraform.dev.tfstate"}},
        },
        "provider": {"aws": [{"region": dev.region, "assume_role": [{"role_arn": dev.deploy_role_arn}]}]},
        "resource": {
            "aws_iam_role_policy": {
                "orphan": {
                    "name": "orphan",
                    "role": "mlgov-no-such-role",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::x"}
                            ],
                        }
                    ),
                }
            }
        },
    }
    (tmp_path / "out" / "stacks" / "dev").mkdir(parents=True)
    (tmp_path / "out" / "stacks" / "dev" / "cdk.tf.json").write_text(json.dumps(stack))
    with pytest.raises(runner.DeployError) as info:
        runner.deploy(
            "apply",
            ["dev"],
            cloud=local_cloud,
            platform=platform,
            work_root=tmp_path / "work",
            outdir=tmp_path / "out",
            synthesize=False,
        )
    err = info.value
    assert (err.env, err.step, err.resource) == ("dev", "apply", "aws_iam_role_policy.orphan")
    assert err.log == str(tmp_path / "work" / "local" / "logs" / "dev-apply.log")
    assert "mlgov-no-such-role" in Path(err.log).read_text()
    assert "dev" in str(err) and "aws_iam_role_policy.orphan" in str(err) and err.log in str(err)


# -- destroy (runs last in the session: other e2e tests use the deployed state) ------------------
def _remove_data_before_destroy(target: DeployedCloud, env: str) -> None:
    """What an operator removes before destroying an environment: data, not stack resources.

    The account's administrator does it (``OrganizationAccountAccessRole``), not the deploy role:
    the deploy role is denied every model governance write, deleting versions included.

    - In a strict tier the group and artifact bucket policies deny everyone deleting a version
      or an approved artifact (versions are kept): decommissioning starts by deleting those
      policies (destroy's refresh then finds them gone).
    - Model versions registered by the governance workflow: SageMaker refuses to delete a group
      that still has versions, on AWS as here.
    - Objects in buckets that keep ``force_destroy`` off (prod keeps its data unless someone
      empties it on purpose). Access logging is switched off first: the emulator, like S3,
      writes an access log object for every request to the logged bucket, including the
      requests that empty it.
    """
    config = target.platform.env(env)
    admin = assume(
        target.cloud, f"arn:aws:iam::{config.account_id}:role/{ORGANIZATION_ACCESS_ROLE}", config.region
    )
    acct = Account(config, admin, target.cloud.url)
    names = Names.of(target.platform, env)
    sm, s3 = acct.client("sagemaker"), acct.client("s3")
    if config.tier.strict:
        for uc in config.use_cases:
            sm.delete_model_package_group_policy(ModelPackageGroupName=names.model_package_group(uc.name))
        s3.delete_bucket_policy(Bucket=names.artifact_bucket)
    for group in _pages(sm, "list_model_package_groups", "ModelPackageGroupSummaryList"):
        for pkg in _pages(
            sm,
            "list_model_packages",
            "ModelPackageSummaryList",
            ModelPackageGroupName=group["ModelPackageGroupName"],
        ):
            sm.delete_model_package(ModelPackageName=pkg["ModelPackageArn"])
    buckets = sorted(stack_names(target, env)["buckets"])
    for bucket in buckets:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    for bucket in buckets:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})


@pytest.mark.e2e_destroy
def test_destroy_leaves_nothing_of_any_stack(deployed_cloud):
    for env in ENVS:
        _remove_data_before_destroy(deployed_cloud, env)
    destroys = [r for r in deployed_cloud.run("destroy", parallel=True) if r.step == "destroy"]
    deployed_cloud.destroyed = True
    assert [r.env for r in destroys] == list(ENVS), "destroy reports upstream first"
    prefix = f"/{deployed_cloud.platform.name_prefix}/"
    for env in ENVS:
        have = listed(deployed_cloud, deployed_cloud.platform.env(env), prefix)
        for owner in ENVS:
            expected = stack_names(deployed_cloud, owner)
            left = {
                kind: sorted(expected[kind] & have[kind]) for kind in expected if expected[kind] & have[kind]
            }
            assert not left, f"after destroy the {env} account still holds {owner}'s {left}"
        # KMS keys cannot be deleted at once on AWS: they must at least be scheduled for deletion.
        kms = deployed_cloud.account(env).client("kms")
        for key in _pages(kms, "list_keys", "Keys"):
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta.get("KeyManager") == "CUSTOMER":
                assert meta["KeyState"] in ("PendingDeletion", "Disabled"), (
                    env,
                    meta["KeyId"],
                    meta["KeyState"],
                )

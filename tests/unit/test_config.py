"""Configuration loading and validation (environments/).

Every bad configuration is a copy of the shipped files with one change; each test asserts the
file, the field and the expectation named in the error.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import (
    DEFAULT_DIR,
    KNOWN_REGIONS,
    TIER_DEFAULTS,
    ConfigError,
    Names,
    RetentionConfig,
    Tier,
    UnknownEnvironmentError,
    load_platform,
)


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped environments/*.yaml."""
    target = tmp_path / "environments"
    target.mkdir()
    for path in DEFAULT_DIR.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def edit(env_dir: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = env_dir / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


# -- the shipped configuration ----------------------------------------------------------------


def test_shipped_configuration_loads_as_a_dev_staging_prod_chain() -> None:
    platform = load_platform()
    assert [e.name for e in platform.promotion_order()] == ["dev", "staging", "prod"]
    assert platform.env("prod").tier is Tier.PROD and platform.env("prod").tier.strict
    assert not platform.env("dev").tier.strict
    assert platform.datazone_home.name == "dev"
    assert [e.name for e in platform.downstream_of("dev")] == ["staging"]
    assert platform.downstream_of("prod") == ()
    assert platform.env("staging").governance.metric_minimums["roc_auc"] == 0.78


def test_shipped_bias_and_explainability_gates() -> None:
    """Staging tolerates the sample forest's bias, prod does not (the demo's bias refusal)."""
    platform = load_platform()
    staging, prod = platform.env("staging").governance, platform.env("prod").governance
    assert staging.bias_limits is not None and prod.bias_limits is not None
    assert (staging.bias_limits.max_abs_dppl, staging.bias_limits.disparate_impact) == (0.25, (0.5, 2.0))
    assert (prod.bias_limits.max_abs_dppl, prod.bias_limits.disparate_impact) == (0.1, (0.8, 1.25))
    assert staging.require_explainability and prod.require_explainability
    assert platform.env("dev").governance.bias_limits is None


def test_bias_limits_are_optional_field_by_field(env_dir: Path) -> None:
    edit(env_dir, "prod", lambda d: d["governance"].update(bias_limits={"disparate_impact": [0.8, 1.25]}))
    limits = load_platform(env_dir).env("prod").governance.bias_limits
    assert limits is not None and (limits.max_abs_dppl, limits.disparate_impact) == (None, (0.8, 1.25))


def test_configuration_objects_are_frozen() -> None:
    platform = load_platform()
    with pytest.raises(dataclasses.FrozenInstanceError):
        platform.env("dev").account_id = "999999999999"  # type: ignore[misc]
    with pytest.raises(TypeError):
        platform.environments["qa"] = platform.env("dev")  # type: ignore[index]


def test_retention_defaults_come_from_the_tier() -> None:
    platform = load_platform()
    # today's values, so a change to TIER_DEFAULTS is a visible decision
    assert TIER_DEFAULTS[Tier.PROD] == RetentionConfig(
        kms_deletion_window_days=30,
        noncurrent_version_days=365,
        flow_log_retention_days=365,
        governance_log_retention_days=2557,
        force_destroy_buckets=False,
        retain_studio_home_efs=True,
    )
    lenient = RetentionConfig(
        kms_deletion_window_days=7,
        noncurrent_version_days=90,
        flow_log_retention_days=365,
        governance_log_retention_days=365,
        force_destroy_buckets=True,
        retain_studio_home_efs=False,
    )
    assert TIER_DEFAULTS[Tier.DEV] == TIER_DEFAULTS[Tier.STAGING] == lenient
    for env in platform.environments.values():
        assert env.retention == TIER_DEFAULTS[env.tier], env.name


def test_retention_follows_the_tier_not_the_name(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d.update(tier="prod"))
    assert load_platform(env_dir).env("dev").retention == TIER_DEFAULTS[Tier.PROD]


def test_retention_overrides_only_the_fields_given(env_dir: Path) -> None:
    edit(
        env_dir,
        "staging",
        lambda d: d.update(retention={"governance_log_retention_days": 731, "force_destroy_buckets": False}),
    )
    platform = load_platform(env_dir)
    assert platform.env("staging").retention == dataclasses.replace(
        TIER_DEFAULTS[Tier.STAGING], governance_log_retention_days=731, force_destroy_buckets=False
    )
    assert platform.env("dev").retention == TIER_DEFAULTS[Tier.DEV]


def test_unknown_environment_names_the_known_ones() -> None:
    with pytest.raises(
        UnknownEnvironmentError, match=r"unknown environment 'qa': known environments are dev, prod, staging"
    ):
        load_platform().env("qa")


def test_derived_names_fit_aws_limits_for_every_shipped_environment() -> None:
    platform = load_platform()
    for env in platform.environments.values():
        names = Names.of(platform, env)
        assert all(
            len(names.role_name(k)) <= 64
            for k in ("execution", "data_scientist", "approver", "promotion", "datazone")
        )
        assert (
            3 <= len(names.artifact_bucket) <= 63 and names.artifact_bucket == names.artifact_bucket.lower()
        )
        assert names.ssm_group_name("credit-risk") == f"/mlgov/{env.name}/registry/credit-risk/group_name"


def test_a_new_environment_file_is_a_new_environment(env_dir: Path) -> None:
    qa = yaml.safe_load((env_dir / "staging.yaml").read_text())
    qa.update(name="qa", account_id="444444444444", promotes_from="dev")
    qa["network"]["cidr"] = "10.40.0.0/16"
    (env_dir / "qa.yaml").write_text(yaml.safe_dump(qa))
    platform = load_platform(env_dir)
    assert sorted(platform.environments) == ["dev", "prod", "qa", "staging"]
    assert [e.name for e in platform.downstream_of("dev")] == ["qa", "staging"]


# -- bad configurations: each names file, field and expectation --------------------------------

BAD_CONFIGS: list[tuple[str, str, Callable[[dict[str, Any]], None], str]] = [
    (
        "short-account-id",
        "dev",
        lambda d: d.update(account_id="1234"),
        r"dev\.yaml: account_id: expected a 12-digit AWS account id, got '1234'",
    ),
    (
        "unquoted-account-id",
        "dev",
        lambda d: d.update(account_id=11111111111),
        r"dev\.yaml: account_id: expected a 12-digit account id as a quoted string",
    ),
    (
        "unknown-region",
        "staging",
        lambda d: d.update(region="us-moon-1"),
        r"staging\.yaml: region: expected a known AWS region .* got 'us-moon-1'",
    ),
    (
        "invalid-cidr",
        "dev",
        lambda d: d["network"].update(cidr="10.10.0.0/33"),
        r"dev\.yaml: network\.cidr: expected an IPv4 CIDR block like 10\.10\.0\.0/16, got '10\.10\.0\.0/33'",
    ),
    (
        "cidr-with-host-bits",
        "dev",
        lambda d: d["network"].update(cidr="10.10.0.1/16"),
        r"dev\.yaml: network\.cidr: expected an IPv4 CIDR block",
    ),
    (
        "az-count-one",
        "prod",
        lambda d: d["network"].update(az_count=1),
        r"prod\.yaml: network\.az_count: expected 2 to 6 availability zones, got 1",
    ),
    (
        "unknown-tier",
        "prod",
        lambda d: d.update(tier="production"),
        r"prod\.yaml: tier: expected one of dev, staging, prod, got 'production'",
    ),
    (
        "name-not-file-name",
        "dev",
        lambda d: d.update(name="development"),
        r"dev\.yaml: name: expected 'dev' \(the file name without \.yaml\), got 'development'",
    ),
    (
        "unknown-key",
        "staging",
        lambda d: d.update(acount_id="222222222222"),
        r"staging\.yaml: acount_id: unknown key; allowed keys are",
    ),
    (
        "missing-required",
        "staging",
        lambda d: d.pop("lifecycle_stage"),
        r"staging\.yaml: lifecycle_stage: is required",
    ),
    (
        "wildcard-approver",
        "prod",
        lambda d: d.update(approvers=["*"]),
        r"prod\.yaml: approvers\[0\]: expected an IAM role or user ARN .* got '\*': a wildcard "
        r"principal would let anyone assume the role",
    ),
    (
        "account-root-approver",
        "prod",
        lambda d: d.update(approvers=["arn:aws:iam::333333333333:root"]),
        r"prod\.yaml: approvers\[0\]: expected an IAM role or user ARN .* got the account root "
        r"'arn:aws:iam::333333333333:root': it would let every principal of the account",
    ),
    (
        "bare-account-approver",
        "prod",
        lambda d: d.update(approvers=["333333333333"]),
        r"prod\.yaml: approvers\[0\]: .* got the account root '333333333333'",
    ),
    (
        "any-account-pattern",
        "prod",
        lambda d: d.update(approvers=["arn:aws:iam::*:role/Approver"]),
        r"prod\.yaml: approvers\[0\]: .* a wildcard principal would let anyone assume the role",
    ),
    (
        "pattern-matching-every-role",
        "prod",
        lambda d: d.update(approvers=["arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/*"]),
        r"prod\.yaml: approvers\[0\]: expected a role pattern that keeps the role's name",
    ),
    (
        "user-pattern",
        "prod",
        lambda d: d.update(approvers=["arn:aws:iam::333333333333:user/approver-*"]),
        r"prod\.yaml: approvers\[0\]: expected an IAM role or user ARN",
    ),
    (
        "session-approver",
        "prod",
        lambda d: d.update(approvers=["arn:aws:sts::333333333333:assumed-role/Approver/alice"]),
        r"prod\.yaml: approvers\[0\]: .* got the session .*: name the role, not one session of it",
    ),
    (
        "no-approvers",
        "prod",
        lambda d: d.update(approvers=[]),
        r"prod\.yaml: approvers: expected at least one IAM principal allowed to approve models",
    ),
    (
        "root-promotion-operator",
        "staging",
        lambda d: d.update(promotion_operators=["arn:aws:iam::222222222222:root"]),
        r"staging\.yaml: promotion_operators\[0\]: .* got the account root",
    ),
    (
        "no-data-scientists",
        "dev",
        lambda d: d.update(data_scientists=[]),
        r"dev\.yaml: data_scientists: expected at least one IAM principal",
    ),
    (
        "no-data-engineers-where-data-lives",
        "dev",
        lambda d: d.pop("data_engineers"),
        r"dev\.yaml: data_engineers: expected at least one IAM principal allowed to act as a data "
        r"engineer where data lives",
    ),
    (
        "data-scientist-decides-own-data",
        "dev",
        lambda d: d.update(data_engineers=list(d["data_scientists"])),
        r"dev\.yaml: data_engineers\[0\]: .* is also in data_scientists: a data scientist would "
        r"decide their own access to data",
    ),
    (
        "approver-also-promotes",
        "prod",
        lambda d: d.update(promotion_operators=list(d["approvers"])),
        r"prod\.yaml: promotion_operators\[0\]: .* is also in approvers: in a prod tier the principal "
        r"that promotes a version must not be the one that approves it",
    ),
    (
        "approver-also-builds",
        "staging",
        lambda d: d.update(data_scientists=list(d["approvers"])),
        r"staging\.yaml: data_scientists\[0\]: .* is also in approvers",
    ),
    (
        "uppercase-use-case",
        "dev",
        lambda d: d["use_cases"][0].update(name="Credit_Risk"),
        r"dev\.yaml: use_cases\[0\]\.name: expected 2-40 lowercase letters, digits or hyphens, got 'Credit_Risk'",
    ),
    (
        "duplicate-use-case",
        "dev",
        lambda d: d["use_cases"].append(dict(d["use_cases"][0])),
        r"dev\.yaml: use_cases: expected unique use case names",
    ),
    (
        "unknown-card-section",
        "prod",
        lambda d: d["governance"].update(required_card_sections=["model_overview", "ethics"]),
        r"prod\.yaml: governance\.required_card_sections\[1\]: expected one of model_overview, .* got 'ethics'",
    ),
    (
        "non-numeric-metric-minimum",
        "prod",
        lambda d: d["governance"]["metric_minimums"].update(accuracy="high"),
        r"prod\.yaml: governance\.metric_minimums\.accuracy: expected a number, got 'high'",
    ),
    (
        "bias-dppl-limit-above-one",
        "prod",
        lambda d: d["governance"]["bias_limits"].update(max_abs_dppl=1.5),
        r"prod\.yaml: governance\.bias_limits\.max_abs_dppl: expected a number from 0 to 1 "
        r"\(\|DPPL\| is at most 1\), got 1\.5",
    ),
    (
        "bias-dppl-limit-not-a-number",
        "staging",
        lambda d: d["governance"]["bias_limits"].update(max_abs_dppl="low"),
        r"staging\.yaml: governance\.bias_limits\.max_abs_dppl: expected a number, got 'low'",
    ),
    (
        "disparate-impact-reversed",
        "prod",
        lambda d: d["governance"]["bias_limits"].update(disparate_impact=[1.25, 0.8]),
        r"prod\.yaml: governance\.bias_limits\.disparate_impact: expected \[low, high\] with "
        r"0 <= low <= 1 <= high \(disparate impact 1 is parity\), got \[1\.25, 0\.8\]",
    ),
    (
        "disparate-impact-excluding-parity",
        "staging",
        lambda d: d["governance"]["bias_limits"].update(disparate_impact=[1.1, 1.5]),
        r"staging\.yaml: governance\.bias_limits\.disparate_impact: expected \[low, high\] .* "
        r"got \[1\.1, 1\.5\]",
    ),
    (
        "disparate-impact-one-number",
        "prod",
        lambda d: d["governance"]["bias_limits"].update(disparate_impact=0.8),
        r"prod\.yaml: governance\.bias_limits\.disparate_impact: expected \[low, high\] .* got 0\.8$",
    ),
    (
        "disparate-impact-not-numbers",
        "prod",
        lambda d: d["governance"]["bias_limits"].update(disparate_impact=["0.8", True]),
        r"prod\.yaml: governance\.bias_limits\.disparate_impact: expected a number, got '0\.8'",
    ),
    (
        "bias-limits-unknown-key",
        "prod",
        lambda d: d["governance"]["bias_limits"].update(max_dppl=0.1),
        r"prod\.yaml: governance\.bias_limits\.max_dppl: unknown key; allowed keys are "
        r"disparate_impact, max_abs_dppl$",
    ),
    (
        "require-explainability-as-string",
        "staging",
        lambda d: d["governance"].update(require_explainability="yes"),
        r"staging\.yaml: governance\.require_explainability: expected true or false, got str 'yes'",
    ),
    (
        "bad-profile-name",
        "dev",
        lambda d: d["studio"].update(user_profiles=["alice smith"]),
        r"dev\.yaml: studio\.user_profiles\[0\]: expected a SageMaker user profile name",
    ),
    (
        "string-instead-of-bool",
        "dev",
        lambda d: d.update(datazone_home="yes"),
        r"dev\.yaml: datazone_home: expected true or false, got str 'yes'",
    ),
    (
        "bad-remote-state-bucket",
        "prod",
        lambda d: d.update(remote_state={"bucket": "Bad_Bucket"}),
        r"prod\.yaml: remote_state\.bucket: expected an S3 bucket name",
    ),
    (
        "aws-tag-key",
        "dev",
        lambda d: d["tags"].update({"aws:owner": "x"}),
        r"dev\.yaml: tags\.aws:owner: expected a tag key of 1-128 characters not starting with aws:",
    ),
    (
        "retention-unknown-key",
        "prod",
        lambda d: d.update(retention={"kms_deletion_days": 30}),
        r"prod\.yaml: retention\.kms_deletion_days: unknown key; allowed keys are flow_log_retention_days, "
        r"force_destroy_buckets, governance_log_retention_days, kms_deletion_window_days, "
        r"noncurrent_version_days, retain_studio_home_efs$",
    ),
    (
        "retention-kms-window-below-7",
        "dev",
        lambda d: d.update(retention={"kms_deletion_window_days": 6}),
        r"dev\.yaml: retention\.kms_deletion_window_days: expected 7 to 30 days \(the KMS deletion window\), got 6",
    ),
    (
        "retention-kms-window-above-30",
        "prod",
        lambda d: d.update(retention={"kms_deletion_window_days": 31}),
        r"prod\.yaml: retention\.kms_deletion_window_days: expected 7 to 30 days \(the KMS deletion window\), got 31",
    ),
    (
        "retention-noncurrent-zero",
        "staging",
        lambda d: d.update(retention={"noncurrent_version_days": 0}),
        r"staging\.yaml: retention\.noncurrent_version_days: expected at least 1 day, got 0",
    ),
    (
        "retention-flow-log-days-cloudwatch-refuses",
        "dev",
        lambda d: d.update(retention={"flow_log_retention_days": 100}),
        r"dev\.yaml: retention\.flow_log_retention_days: expected a retention in days CloudWatch Logs "
        r"accepts \(1, 3, 5, .*, 3653\), got 100",
    ),
    (
        "retention-governance-log-days-cloudwatch-refuses",
        "prod",
        lambda d: d.update(retention={"governance_log_retention_days": 2555}),
        r"prod\.yaml: retention\.governance_log_retention_days: expected a retention in days CloudWatch "
        r"Logs accepts .* got 2555",
    ),
    (
        "retention-days-as-boolean",
        "dev",
        lambda d: d.update(retention={"kms_deletion_window_days": True}),
        r"dev\.yaml: retention\.kms_deletion_window_days: expected an integer, got a boolean",
    ),
    (
        "retention-switch-as-string",
        "prod",
        lambda d: d.update(retention={"force_destroy_buckets": "no"}),
        r"prod\.yaml: retention\.force_destroy_buckets: expected true or false, got str 'no'",
    ),
    (
        "retention-not-a-mapping",
        "staging",
        lambda d: d.update(retention=[30]),
        r"staging\.yaml: retention: expected a mapping, got list",
    ),
]


@pytest.mark.parametrize(
    ("file", "change", "message"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_environment_file_is_rejected_with_file_field_and_expectation(
    env_dir: Path, file: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    edit(env_dir, file, change)
    with pytest.raises(ConfigError, match=message):
        load_platform(env_dir)


def test_duplicate_account_names_both_environments(env_dir: Path) -> None:
    edit(env_dir, "prod", lambda d: d.update(account_id="222222222222"))
    with pytest.raises(
        ConfigError,
        match=r"staging\.yaml: account_id: expected an account of its own, but 222222222222 is already used by 'prod' in .*prod\.yaml",
    ):
        load_platform(env_dir)


def test_overlapping_cidrs_are_rejected(env_dir: Path) -> None:
    edit(env_dir, "staging", lambda d: d["network"].update(cidr="10.10.128.0/20"))
    with pytest.raises(
        ConfigError,
        match=r"staging\.yaml: network\.cidr: expected a block not overlapping dev's 10\.10\.0\.0/16, got 10\.10\.128\.0/20",
    ):
        load_platform(env_dir)


def test_downstream_cidr_containing_the_upstream_one_is_rejected(env_dir: Path) -> None:
    # The other direction of the check above: staging's block holds all of dev's.
    edit(env_dir, "dev", lambda d: d["network"].update(cidr="10.10.0.0/24"))
    edit(env_dir, "staging", lambda d: d["network"].update(cidr="10.10.0.0/16"))
    with pytest.raises(
        ConfigError,
        match=r"staging\.yaml: network\.cidr: expected a block not overlapping dev's 10\.10\.0\.0/24, got 10\.10\.0\.0/16",
    ):
        load_platform(env_dir)


def test_promotion_from_an_unknown_environment(env_dir: Path) -> None:
    edit(env_dir, "staging", lambda d: d.update(promotes_from="develop"))
    with pytest.raises(
        ConfigError,
        match=r"staging\.yaml: promotes_from: expected one of dev, prod, staging or null, got 'develop'",
    ):
        load_platform(env_dir)


def test_promotion_cycle_is_rejected(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d.update(promotes_from="prod"))
    with pytest.raises(ConfigError, match=r"promotes_from: promotion chain has a cycle: .*dev -> .*prod"):
        load_platform(env_dir)


def test_self_promotion_is_rejected(env_dir: Path) -> None:
    edit(env_dir, "staging", lambda d: d.update(promotes_from="staging"))
    with pytest.raises(
        ConfigError, match=r"staging\.yaml: promotes_from: an environment cannot promote from itself"
    ):
        load_platform(env_dir)


def test_two_datazone_homes_are_rejected(env_dir: Path) -> None:
    edit(env_dir, "prod", lambda d: d.update(datazone_home=True))
    with pytest.raises(
        ConfigError,
        match=r"datazone_home: expected exactly one environment with datazone_home: true, found dev, prod",
    ):
        load_platform(env_dir)


def test_no_datazone_home_is_rejected(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d.update(datazone_home=False))
    with pytest.raises(ConfigError, match=r"found none"):
        load_platform(env_dir)


def test_downstream_use_case_must_exist_upstream(env_dir: Path) -> None:
    edit(env_dir, "staging", lambda d: d["use_cases"].append({"name": "churn", "description": "x"}))
    with pytest.raises(ConfigError, match=r"staging\.yaml: use_cases: churn not defined upstream in dev"):
        load_platform(env_dir)


def test_derived_bucket_name_over_63_characters(env_dir: Path) -> None:
    long_name = "development-sandbox-ml-team"
    edit(env_dir, "platform", lambda d: d.update(name_prefix="mlgovernance"))
    (env_dir / "dev.yaml").rename(env_dir / f"{long_name}.yaml")
    edit(env_dir, long_name, lambda d: d.update(name=long_name))
    edit(env_dir, "staging", lambda d: d.update(promotes_from=long_name))
    with pytest.raises(
        ConfigError,
        match=rf"{long_name}\.yaml: name: derived bucket name mlgovernance-{long_name}-access-logs-111111111111 exceeds 63 characters",
    ):
        load_platform(env_dir)


def test_bad_platform_prefix_and_organization(env_dir: Path) -> None:
    edit(env_dir, "platform", lambda d: d.update(name_prefix="ML_Gov"))
    with pytest.raises(ConfigError, match=r"platform\.yaml: name_prefix: expected 2-12 lowercase letters"):
        load_platform(env_dir)
    edit(env_dir, "platform", lambda d: d.update(name_prefix="mlgov", organization_id="org-1"))
    with pytest.raises(
        ConfigError,
        match=r"platform\.yaml: organization_id: expected an AWS Organization id like o-a1b2c3d4e5, got 'org-1'",
    ):
        load_platform(env_dir)


def test_yaml_syntax_error_names_the_file(env_dir: Path) -> None:
    (env_dir / "dev.yaml").write_text("name: dev\nnetwork: [unclosed\n")
    with pytest.raises(ConfigError, match=r"dev\.yaml: not valid YAML"):
        load_platform(env_dir)


def test_empty_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no environment files"):
        load_platform(tmp_path)


def test_apply_order_puts_every_downstream_before_its_upstream(env_dir: Path) -> None:
    # a tree: dev feeds staging and qa; staging feeds prod
    qa = yaml.safe_load((env_dir / "staging.yaml").read_text())
    qa.update(name="qa", account_id="444444444444", promotes_from="dev")
    qa["network"]["cidr"] = "10.40.0.0/16"
    (env_dir / "qa.yaml").write_text(yaml.safe_dump(qa))
    platform = load_platform(env_dir)
    order = [e.name for e in platform.apply_order()]
    for env in platform.environments.values():
        if env.promotes_from:
            assert order.index(env.name) < order.index(env.promotes_from), order
    assert [e.name for e in platform.promotion_order()] == ["dev", "qa", "staging", "prod"]


# -- every problem of a run, not only the first --------------------------------------------------


def test_every_problem_in_every_file_is_shown_each_naming_file_field_and_expectation(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d.update(account_id="1234", region="mars-1"))
    edit(env_dir, "staging", lambda d: (d.update(colour="blue"), d["network"].update(az_count=9)))
    # A bad tier leaves no retention defaults: the tier is reported, not what follows from it.
    edit(env_dir, "prod", lambda d: d.update(tier="production", retention={"kms_deletion_window_days": 3}))
    edit(env_dir, "platform", lambda d: d.update(name_prefix="ML_Gov"))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    dev, staging, prod = (env_dir / f"{n}.yaml" for n in ("dev", "staging", "prod"))
    assert str(err.value).splitlines() == [
        f"{dev}: account_id: expected a 12-digit AWS account id, got '1234'",
        f"{dev}: region: expected a known AWS region ({', '.join(sorted(KNOWN_REGIONS))}), got 'mars-1'",
        f"{prod}: tier: expected one of dev, staging, prod, got 'production'",
        f"{prod}: retention.kms_deletion_window_days: expected 7 to 30 days (the KMS deletion window), got 3",
        f"{staging}: colour: unknown key; allowed keys are account_id, approvers, data_engineers, "
        "data_scientists, datazone_home, deploy_role_name, governance, lifecycle_stage, "
        "model_deployers, name, network, promotes_from, promotion_operators, region, remote_state, "
        "retention, studio, tags, tier, use_cases",
        f"{staging}: network.az_count: expected 2 to 6 availability zones, got 9",
        f"{env_dir / 'platform.yaml'}: name_prefix: expected 2-12 lowercase letters, digits or hyphens "
        "starting with a letter, got 'ML_Gov'",
    ]
    assert err.value.problems == tuple(str(err.value).splitlines())


def test_every_rule_between_files_that_fails_is_shown(env_dir: Path) -> None:
    edit(env_dir, "staging", lambda d: d["network"].update(cidr="10.10.128.0/20"))
    edit(env_dir, "prod", lambda d: d.update(account_id="222222222222", datazone_home=True))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert err.value.problems == (
        f"{env_dir / 'staging.yaml'}: account_id: expected an account of its own, but 222222222222 is "
        f"already used by 'prod' in {env_dir / 'prod.yaml'} (one AWS account per environment)",
        f"{env_dir / 'staging.yaml'}: network.cidr: expected a block not overlapping dev's 10.10.0.0/16, "
        "got 10.10.128.0/20",
        f"{env_dir}: datazone_home: expected exactly one environment with datazone_home: true, found dev, prod",
    )


def test_several_unknown_keys_and_a_bad_field_of_one_section_are_all_shown(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d["network"].update(cidr="10.0.0.0/8", zones=2, subnets=4))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    dev = env_dir / "dev.yaml"
    assert err.value.problems == (
        f"{dev}: network.subnets: unknown key; allowed keys are az_count, cidr",
        f"{dev}: network.zones: unknown key; allowed keys are az_count, cidr",
        f"{dev}: network.cidr: expected an IPv4 block between /16 and /24, got '10.0.0.0/8'",
    )


def test_one_problem_is_one_line_as_before(env_dir: Path) -> None:
    edit(env_dir, "staging", lambda d: d["network"].update(cidr="10.10.128.0/20"))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert str(err.value) == (
        f"{env_dir / 'staging.yaml'}: network.cidr: expected a block not overlapping dev's 10.10.0.0/16, "
        "got 10.10.128.0/20"
    )
    assert err.value.problems == (str(err.value),)


def test_rules_between_files_wait_until_every_file_is_valid(env_dir: Path) -> None:
    # dev is refused on its own; judged without it, staging's upstream and the DataZone home
    # would look missing, which only follows from dev's problem.
    edit(env_dir, "dev", lambda d: d.update(account_id="1234"))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert err.value.problems == (
        f"{env_dir / 'dev.yaml'}: account_id: expected a 12-digit AWS account id, got '1234'",
    )

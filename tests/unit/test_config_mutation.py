"""Rules of environments/schema.py, fields.py and rules.py that tests/unit/test_config.py let a
mutant through (docs/mutation.md). Like test_config.py, each bad configuration is a copy of the shipped files
with one change, and the error must name the file, the field and the expectation."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from environments import DEFAULT_DIR, ConfigError, load_platform
from environments.schema import BiasLimits


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
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


def rename(env_dir: Path, old: str, new: str) -> None:
    path = env_dir / f"{old}.yaml"
    data = yaml.safe_load(path.read_text())
    data["name"] = new
    path.unlink()
    (env_dir / f"{new}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_use_case_whose_group_name_breaks_sagemakers_pattern_names_its_index(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d["use_cases"].append({"name": "churn-", "description": "x"}))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert str(err.value) == (
        f"{env_dir / 'dev.yaml'}: use_cases[1].name: model package group name 'mlgov-churn-' "
        "breaks SageMaker's pattern"
    )


def test_the_longest_derived_bucket_name_that_fits_is_accepted(env_dir: Path) -> None:
    # mlgov-<32 characters>-access-logs-<12 digits> is exactly 63 characters: allowed.
    name = "p" * 32
    rename(env_dir, "prod", name)
    assert len(f"mlgov-{name}-access-logs-333333333333") == 63
    assert load_platform(env_dir).env(name).name == name
    edit(env_dir, "platform", lambda d: d.update(name_prefix="mlgovx"))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert str(err.value) == (
        f"{env_dir / (name + '.yaml')}: name: derived bucket name mlgovx-{name}-access-logs-333333333333 "
        "exceeds 63 characters; shorten name_prefix or name"
    )


def test_the_longest_names_allowed_fail_on_the_bucket_name_first(env_dir: Path) -> None:
    # A 12-character prefix and a 32-character name make a 64-character role name, which IAM
    # accepts; the bucket name (70 characters) is what is refused.
    name = "p" * 32
    rename(env_dir, "prod", name)
    edit(env_dir, "platform", lambda d: d.update(name_prefix="m" * 12))
    with pytest.raises(
        ConfigError, match=rf"{name}\.yaml: name: derived bucket name m{{12}}-{name}-access-logs-"
    ):
        load_platform(env_dir)


def test_overlap_is_checked_between_every_pair_not_only_some(env_dir: Path) -> None:
    # prod and staging are neighbours in file order (dev, prod, staging); dev is not involved.
    edit(env_dir, "staging", lambda d: d["network"].update(cidr="10.30.0.0/16"))
    with pytest.raises(
        ConfigError,
        match=r"staging\.yaml: network\.cidr: expected a block not overlapping prod's 10\.30\.0\.0/16, got 10\.30\.0\.0/16",
    ):
        load_platform(env_dir)


def test_every_use_case_missing_upstream_is_listed(env_dir: Path) -> None:
    def add(d: dict[str, Any]) -> None:
        d["use_cases"] += [{"name": "fraud", "description": "x"}, {"name": "churn", "description": "x"}]

    edit(env_dir, "staging", add)
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert str(err.value) == (
        f"{env_dir / 'staging.yaml'}: use_cases: churn, fraud not defined upstream in dev; "
        "a use case must exist where its versions are promoted from"
    )


def test_a_cycle_blames_the_file_where_the_walk_started(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d.update(promotes_from="prod"))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert str(err.value) == (
        f"{env_dir / 'dev.yaml'}: promotes_from: promotion chain has a cycle: dev -> prod -> staging -> dev"
    )


def test_unknown_use_case_raises_key_error_naming_it() -> None:
    with pytest.raises(KeyError) as err:
        load_platform().env("dev").use_case("fraud")
    assert err.value.args == ("fraud",)


def test_promotion_order_sorts_several_roots_by_name_whatever_the_mapping_order() -> None:
    platform = load_platform()
    account = platform.env("staging").account_id
    staging = dataclasses.replace(
        platform.env("staging"),
        promotes_from=None,  # where data lives: someone decides who reads it
        data_engineers=(f"arn:aws:iam::{account}:role/data-engineer",),
    )
    reordered = dataclasses.replace(
        platform, environments={"staging": staging, "prod": platform.env("prod"), "dev": platform.env("dev")}
    )
    assert [e.name for e in reordered.promotion_order()] == ["dev", "staging", "prod"]
    assert [e.name for e in reordered.apply_order()] == ["prod", "staging", "dev"]


def test_a_refusal_outside_the_loader_still_states_the_expectation() -> None:
    # Code that validates a section itself (TypeAdapter, dataclasses.replace) sees pydantic's
    # message, which must be the expectation, not a template.
    with pytest.raises(ValidationError) as err:
        TypeAdapter(BiasLimits).validate_python({"max_abs_dppl": 2})
    (error,) = err.value.errors()
    assert error["type"] == "mlgov_config"
    assert error["msg"] == error["ctx"]["expected"]
    assert "got 2" in error["msg"]


def test_the_smallest_noncurrent_version_retention_is_one_day(env_dir: Path) -> None:
    # The lower limits are inclusive: S3 accepts NoncurrentDays of 1 and KMS a 7 to 30 day window.
    edit(
        env_dir,
        "staging",
        lambda d: d.update(retention={"noncurrent_version_days": 1, "kms_deletion_window_days": 30}),
    )
    retention = load_platform(env_dir).env("staging").retention
    assert (retention.noncurrent_version_days, retention.kms_deletion_window_days) == (1, 30)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_abs_dppl": 0, "disparate_impact": [0, 1.5]}, None),
        ({"max_abs_dppl": 1, "disparate_impact": [1, 2]}, None),
        ({"disparate_impact": [0.5, 1]}, None),
        ({"disparate_impact": [1, 1]}, "disparate_impact"),
        ({"max_abs_dppl": 1.01}, "max_abs_dppl"),
    ],
)
def test_bias_limits_are_inclusive_and_di_must_contain_parity(
    env_dir: Path, change: dict[str, Any], message: str | None
) -> None:
    edit(env_dir, "prod", lambda d: d["governance"]["bias_limits"].update(change))
    if message is None:
        limits = load_platform(env_dir).env("prod").governance.bias_limits
        assert limits is not None
        for key, value in change.items():
            assert getattr(limits, key) == (tuple(value) if isinstance(value, list) else value)
    else:
        with pytest.raises(ConfigError, match=rf"prod\.yaml: governance\.bias_limits\.{message}: expected"):
            load_platform(env_dir)


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("10.40.0.1/16", "expected an IPv4 CIDR block like 10.10.0.0/16, got '10.40.0.1/16'"),
        ("10.40.0.0/25", "expected an IPv4 block between /16 and /24, got '10.40.0.0/25'"),
        ("fd00::/16", "expected an IPv4 block between /16 and /24, got 'fd00::/16'"),
    ],
)
def test_cidr_must_be_a_network_address_ipv4_and_16_to_24(env_dir: Path, cidr: str, message: str) -> None:
    edit(env_dir, "prod", lambda d: d["network"].update(cidr=cidr))
    with pytest.raises(ConfigError) as err:
        load_platform(env_dir)
    assert str(err.value).startswith(f"{env_dir / 'prod.yaml'}: network.cidr: {message}")


def test_a_24_block_is_the_smallest_accepted(env_dir: Path) -> None:
    edit(env_dir, "prod", lambda d: d["network"].update(cidr="10.40.0.0/24"))
    assert load_platform(env_dir).env("prod").network.cidr == "10.40.0.0/24"


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"bad*key": "x"}, "expected a tag key of 1-128 characters not starting with aws:"),
        ({"owner": "v" * 257}, "expected a string value of at most 256 characters, got 'vvv"),
        ({"owner": True}, "expected a string value of at most 256 characters, got True"),
        ({"owner": ["a"]}, "expected a string value of at most 256 characters, got ['a']"),
    ],
)
def test_bad_tags_are_refused(env_dir: Path, tags: dict[str, Any], message: str) -> None:
    edit(env_dir, "dev", lambda d: d.update(tags=tags))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_platform(env_dir)


def test_tag_values_up_to_256_characters_and_numbers_are_kept_as_strings(env_dir: Path) -> None:
    edit(env_dir, "dev", lambda d: d.update(tags={"owner": "v" * 256, "cost-center": 1234}))
    tags = load_platform(env_dir).env("dev").tags
    assert dict(tags) == {"owner": "v" * 256, "cost-center": "1234"}


def test_omitted_tags_and_metric_floors_are_empty_and_read_only(env_dir: Path) -> None:
    def drop(d: dict[str, Any]) -> None:
        d.pop("tags", None)
        d["governance"].pop("metric_minimums", None)

    edit(env_dir, "dev", drop)
    dev = load_platform(env_dir).env("dev")
    assert dict(dev.tags) == {} and dict(dev.governance.metric_minimums) == {}
    with pytest.raises(TypeError):
        dev.tags["owner"] = "x"


def test_remote_state_defaults_to_the_environments_region_and_its_own_key(env_dir: Path) -> None:
    edit(env_dir, "prod", lambda d: d.update(remote_state={"bucket": "mlgov-tfstate-333333333333"}))
    prod = load_platform(env_dir).env("prod")
    assert prod.remote_state is not None
    assert (prod.remote_state.bucket, prod.remote_state.region, prod.remote_state.key) == (
        "mlgov-tfstate-333333333333",
        prod.region,
        "platform/prod.tfstate",
    )
    edit(
        env_dir,
        "prod",
        lambda d: d.update(remote_state={"bucket": "b-333", "region": "eu-west-1", "key": "k"}),
    )
    state = load_platform(env_dir).env("prod").remote_state
    assert state is not None and (state.region, state.key) == ("eu-west-1", "k")


def test_ci_subjects_dev_tier_branches_apply_strict_tiers_need_their_environment() -> None:
    platform = load_platform()
    ci = platform.ci
    assert ci is not None
    repo = f"repo:{ci.github_repository}"
    branches = tuple(f"{repo}:ref:refs/heads/{b}" for b in ci.branches)
    assert branches
    assert ci.deploy_subjects(platform.env("dev")) == (f"{repo}:environment:dev", *branches)
    assert ci.deploy_subjects(platform.env("prod")) == (f"{repo}:environment:prod",)
    for env in ("dev", "staging"):
        assert ci.plan_subjects(platform.env(env)) == (*branches, f"{repo}:pull_request")
        assert (
            dataclasses.replace(ci, plan_on_pull_request=False).plan_subjects(platform.env(env)) == branches
        )
    # A pull request runs its own code with the plan role's credentials: prod's never trusts one.
    assert ci.plan_subjects(platform.env("prod")) == branches
    # Promotion: the <env>-promotion GitHub environment only, never a branch or a pull request.
    assert ci.promotion_subjects(platform.env("prod")) == (f"{repo}:environment:prod-promotion",)
    assert ci.promotion_subjects(platform.env("staging")) == (f"{repo}:environment:staging-promotion",)

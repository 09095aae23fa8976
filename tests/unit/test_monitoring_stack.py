"""The scheduled data-quality monitor a use case's ``data_quality_schedule`` asks the stack for:
Model Monitor's job definition and schedule of the use case's endpoint, against the baseline
``mlgov serve`` publishes, encrypted, isolated, run as the execution role; nothing at all when
the option is off; and the option's validation in the environment files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from cdktf_cdktf_provider_aws.sagemaker_data_quality_job_definition import SagemakerDataQualityJobDefinition
from cdktf_cdktf_provider_aws.sagemaker_monitoring_schedule import SagemakerMonitoringSchedule

from environments import DEFAULT_DIR, ConfigError, Names, load_platform

ENVS = ("dev", "staging", "prod")
DEFINITION = SagemakerDataQualityJobDefinition.TF_RESOURCE_TYPE
SCHEDULE = SagemakerMonitoringSchedule.TF_RESOURCE_TYPE


@pytest.mark.parametrize("env", ENVS)
def test_the_job_definition_watches_the_endpoint_against_the_served_baseline(monitored_synth, env):
    stack = monitored_synth[env]
    n = Names.of(monitored_synth.platform, env)
    definition = stack.resource(DEFINITION, "monitoring/credit-risk-job-definition")
    key = stack.ref("aws_kms_key", "encryption/key", "arn")
    assert definition["name"] == n.data_quality_monitor("credit-risk") == "mlgov-credit-risk-data-quality"
    assert definition["role_arn"] == stack.ref("aws_iam_role", "iam/execution", "arn")
    assert definition["data_quality_app_specification"] == {
        "image_uri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    }
    baseline = f"s3://{n.artifact_bucket}/serving/baseline/mlgov-credit-risk/"
    assert definition["data_quality_baseline_config"] == {
        "constraints_resource": {"s3_uri": f"{baseline}constraints.json"},
        "statistics_resource": {"s3_uri": f"{baseline}statistics.json"},
    }
    assert definition["data_quality_job_input"]["endpoint_input"]["endpoint_name"] == n.endpoint_name(
        "credit-risk"
    )
    output = definition["data_quality_job_output_config"]
    assert output["kms_key_id"] == key
    assert output["monitoring_outputs"]["s3_output"]["s3_uri"] == f"s3://{n.artifact_bucket}/monitoring"
    assert definition["job_resources"]["cluster_config"]["volume_kms_key_id"] == key
    assert definition["network_config"] == {
        "enable_inter_container_traffic_encryption": True,
        "enable_network_isolation": True,
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_schedule_runs_the_job_definition_on_the_configured_cron(monitored_synth, env):
    stack = monitored_synth[env]
    schedule = stack.resource(SCHEDULE, "monitoring/credit-risk-schedule")
    assert schedule["name"] == "mlgov-credit-risk-data-quality"
    assert schedule["monitoring_schedule_config"] == {
        "monitoring_job_definition_name": stack.ref(
            DEFINITION, "monitoring/credit-risk-job-definition", "name"
        ),
        "monitoring_type": "DataQuality",
        "schedule_config": {"schedule_expression": "cron(0 * ? * * *)"},
    }


@pytest.mark.parametrize("env", ENVS)
def test_with_the_option_off_the_stack_is_the_same_but_for_the_monitor(synth, monitored_synth, env):
    """The shipped files set no schedule: their stacks hold no monitor, and the monitored variant
    is the shipped stack plus exactly its two resources."""
    shipped = synth[env].data
    assert DEFINITION not in shipped.get("resource", {}) and SCHEDULE not in shipped.get("resource", {})
    monitored = copy.deepcopy(monitored_synth[env].data)
    added = {kind: monitored["resource"].pop(kind) for kind in (DEFINITION, SCHEDULE)}
    assert [len(v) for v in added.values()] == [1, 1]
    assert json.dumps(monitored, sort_keys=True) == json.dumps(shipped, sort_keys=True)


def test_the_model_deploy_role_cannot_touch_the_scheduled_monitor(monitored_synth):
    """mlgov monitor's one-time monitors are <endpoint>-v<n>-...; the stack's is only Terraform's."""
    import fnmatch

    from tests.synthesized import statements

    stack = monitored_synth["prod"]
    policy = stack.policy("aws_iam_role_policy", "serving/model-deploy-policy")
    arn = "arn:aws:sagemaker:us-east-1:333333333333"
    granted = [
        pattern
        for s in statements(policy, effect="Allow")
        if "sagemaker:DeleteMonitoringSchedule" in s["Action"]
        for pattern in s["Resource"]
    ]
    assert any(
        fnmatch.fnmatchcase(f"{arn}:monitoring-schedule/mlgov-credit-risk-v3-monitor-1", p) for p in granted
    )
    assert not any(
        fnmatch.fnmatchcase(f"{arn}:monitoring-schedule/mlgov-credit-risk-data-quality", p) for p in granted
    )


def _config_with(tmp_path: Path, schedule: object) -> Path:
    config = tmp_path / "environments"
    config.mkdir()
    for path in DEFAULT_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        if path.name == "prod.yaml":
            data["use_cases"][0]["data_quality_schedule"] = schedule
        (config / path.name).write_text(yaml.safe_dump(data, sort_keys=False))
    return config


@pytest.mark.parametrize(
    ("given", "expression"),
    [
        ("hourly", "cron(0 * ? * * *)"),
        ("daily", "cron(0 0 ? * * *)"),
        ("cron(0 12 ? * * *)", "cron(0 12 ? * * *)"),
        ("cron(0 17/12 ? * * *)", "cron(0 17/12 ? * * *)"),
    ],
)
def test_a_schedule_is_a_word_or_a_cron_expression_model_monitor_accepts(tmp_path, given, expression):
    platform = load_platform(_config_with(tmp_path, given))
    assert platform.env("prod").use_cases[0].data_quality_schedule == expression


@pytest.mark.parametrize(
    "given", ["weekly", "cron(15 * ? * * *)", "cron(0 24 ? * * *)", "cron(0 0/25 ? * * *)", "rate(1 hour)", 1]
)
def test_a_schedule_model_monitor_refuses_is_refused_naming_the_field(tmp_path, given):
    with pytest.raises(ConfigError) as refused:
        load_platform(_config_with(tmp_path, given))
    text = str(refused.value)
    assert "prod.yaml" in text and "use_cases" in text and "data_quality_schedule" in text


def test_the_readmes_sample_environment_file_loads_with_its_schedule(tmp_path):
    """README, "Configure an environment": its sample file (staging's) loads beside the shipped
    ones, the use case's data_quality_schedule included."""
    import re
    import shutil

    section = (DEFAULT_DIR.parent / "README.md").read_text().split("## Configure an environment", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match is not None
    for path in DEFAULT_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "staging.yaml").write_text(match.group(1))
    (use_case,) = load_platform(tmp_path).env("staging").use_cases
    assert use_case.data_quality_schedule == "cron(0 * ? * * *)"

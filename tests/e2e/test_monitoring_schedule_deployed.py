"""``data_quality_schedule`` as a team enables it: dev's stack re-synthesized with the option on and
applied with the deploy runner into the session's deployed accounts, IAM enforced.

Before the use case's endpoint exists the apply fails at the schedule, as SageMaker refuses a
schedule of an endpoint that does not exist; once ``mlgov serve`` has created it, the apply
creates the job definition and the schedule (Scheduled, what the provider waits for), a plan
afterwards is clean (the local cloud answers what the provider reads back), and the served
version's baseline is where the job definition reads it. Applying the shipped stack again
removes both, so the other tests find dev as deployed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import Names, load_platform
from scripts.deploy import DeployError, deploy
from scripts.serving import deploy as serving
from tests.e2e.deployed import DeployedCloud, run_deploy
from tests.e2e.test_batch_deployed import _approved_v1

REPO = Path(__file__).resolve().parents[2]

# It re-applies dev with another configuration and puts it back (after every other test of the
# deployed cloud, before the destroy).
pytestmark = [pytest.mark.e2e, pytest.mark.e2e_out_of_band]


@pytest.fixture
def jobs_env(deployed_cloud: DeployedCloud, monkeypatch: pytest.MonkeyPatch) -> DeployedCloud:
    for key, value in deployed_cloud.cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return deployed_cloud


def _monitored_config(root: Path) -> Path:
    config = root / "environments"
    config.mkdir()
    for path in (REPO / "environments").glob("*.yaml"):
        shutil.copy(path, config / path.name)
    dev = yaml.safe_load((config / "dev.yaml").read_text())
    dev["use_cases"] = [{**uc, "data_quality_schedule": "hourly"} for uc in dev["use_cases"]]
    (config / "dev.yaml").write_text(yaml.safe_dump(dev, sort_keys=False))
    return config


def _apply(jobs_env: DeployedCloud, config: Path, outdir: Path, action: str = "apply") -> list[Any]:
    return deploy(
        action,
        ["dev"],
        target="local",
        cloud=jobs_env.cloud,
        platform=load_platform(config),
        work_root=jobs_env.work_root,
        outdir=outdir,
        config_dir=config,
        parallel=False,
    )


def test_a_team_enables_the_scheduled_monitor_after_the_first_serve(
    jobs_env: DeployedCloud, tmp_path: Path
) -> None:
    platform = jobs_env.platform
    names = Names.of(platform, "dev")
    sm = jobs_env.account("dev").client("sagemaker")
    config = _monitored_config(tmp_path)
    outdir = tmp_path / "cdktf.out"
    monitor = names.data_quality_monitor("credit-risk")
    try:
        # no endpoint yet: SageMaker refuses the schedule, Terraform says so
        serving.undeploy(platform, "dev", "e2e: start without an endpoint")
        with pytest.raises(DeployError) as refused:
            _apply(jobs_env, config, outdir)
        log = Path(refused.value.log).read_text(errors="replace")
        assert "ValidationException" in log and names.endpoint_name("credit-risk") in log, log[-3000:]

        # after the first mlgov serve: the schedule, Scheduled, and a clean plan after it
        _approved_v1(jobs_env)
        served = serving.serve(platform, "dev", "1", "e2e: serve, then schedule the monitor")
        _apply(jobs_env, config, outdir)
        schedule = sm.describe_monitoring_schedule(MonitoringScheduleName=monitor)
        assert schedule["MonitoringScheduleStatus"] == "Scheduled"
        assert schedule["EndpointName"] == names.endpoint_name("credit-risk")
        assert schedule["MonitoringScheduleConfig"]["ScheduleConfig"] == {
            "ScheduleExpression": "cron(0 * ? * * *)"
        }
        definition = sm.describe_data_quality_job_definition(JobDefinitionName=monitor)
        assert definition["RoleArn"] == names.role_arn("execution")
        baseline = definition["DataQualityBaselineConfig"]["StatisticsResource"]["S3Uri"]
        assert baseline == f"{served['monitoring_baseline']}statistics.json"
        (plan,) = [r for r in _apply(jobs_env, config, outdir, "plan") if r.step == "plan"]
        assert plan.changes is False, Path(plan.log).read_text(errors="replace")[-3000:]
    finally:
        # the shipped stack again: the monitor goes, dev is as deployed
        run_deploy("apply", jobs_env, ["dev"], parallel=False)
        serving.undeploy(platform, "dev", "e2e: done")
    gone = sm.list_monitoring_schedules(NameContains=monitor)["MonitoringScheduleSummaries"]
    assert gone == []
    assert sm.list_data_quality_job_definitions(NameContains=monitor)["JobDefinitionSummaries"] == []

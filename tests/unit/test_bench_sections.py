"""The bookkeeping of the bench's ``pipeline`` and ``use-cases`` sections, and how a run of some
sections writes its results: the configuration with N use cases, resources per stack, policy
sizes against IAM's quota, seconds per pipeline step, and a ``--only`` run that keeps every
other figure. (The measurements themselves run in ``make bench``, not here.)"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from environments import load_platform
from scripts.bench import core, usecases
from scripts.bench.pipeline import covered_seconds, step_timings

KIT_ENVIRONMENTS = Path(__file__).resolve().parents[2] / "environments"


# -- the configuration with N use cases ---------------------------------------------------------
@pytest.mark.parametrize("n", [1, 10, 30])
def test_the_generated_configuration_has_n_use_cases_everywhere_and_nothing_else_changed(tmp_path, n):
    names = usecases.write_config(KIT_ENVIRONMENTS, tmp_path, n)
    kit, scaled = load_platform(KIT_ENVIRONMENTS), load_platform(tmp_path)
    assert len(names) == len(set(names)) == n
    assert names[0] == "credit-risk"  # the kit's own use case first: the sample pipeline's
    assert sorted(scaled.environments) == sorted(kit.environments)
    for name, env in scaled.environments.items():
        assert [u.name for u in env.use_cases] == names
        before = kit.environments[name]
        same = {f.name for f in dataclasses.fields(env)} - {"use_cases", "source"}
        assert {f: getattr(env, f) for f in same} == {f: getattr(before, f) for f in same}
    assert scaled.name_prefix == kit.name_prefix


def test_scaled_use_cases_keep_the_existing_ones_and_skip_a_taken_name():
    existing = [{"name": "credit-risk", "description": "d"}, {"name": "use-case-03"}]
    assert [u["name"] for u in usecases.scaled_use_cases(existing, 4)] == [
        "credit-risk",
        "use-case-03",
        "use-case-04",  # not a second use-case-03
        "use-case-05",
    ]
    assert [u["name"] for u in usecases.scaled_use_cases(existing, 1)] == ["credit-risk"]
    with pytest.raises(ValueError, match="at least one use case"):
        usecases.scaled_use_cases(existing, 0)


def test_resources_are_counted_per_stack(tmp_path):
    for stack, resources in {
        "dev": {"aws_s3_bucket": {"a": {}, "b": {}}, "aws_iam_role": {"r": {}}},
        "bootstrap-dev": {"aws_s3_bucket": {"state": {}}},
        "empty": {},
    }.items():
        (tmp_path / "stacks" / stack).mkdir(parents=True)
        doc = {"resource": resources} if resources else {"terraform": {}}
        (tmp_path / "stacks" / stack / "cdk.tf.json").write_text(json.dumps(doc))
    assert usecases.resource_counts(tmp_path) == {"bootstrap-dev": 1, "dev": 3, "empty": 0}


def test_growth_is_the_slope_between_the_smallest_and_the_largest_size():
    sizes = {
        1: {"synth_s": 10.0, "plan_s": 20.0, "largest_role_policy_chars": 5000, "resources": {"dev": 116}},
        10: {"synth_s": 12.0, "plan_s": 29.0, "largest_role_policy_chars": 9000, "resources": {"dev": 170}},
        30: {"synth_s": 16.0, "plan_s": 49.0, "largest_role_policy_chars": 21000, "resources": {"dev": 290}},
    }
    got = usecases.growth(sizes)
    assert got["synth_s_per_use_case"] == pytest.approx(6 / 29, abs=1e-3)
    assert got["plan_s_per_use_case"] == 1.0
    assert got["apply_s_per_use_case"] is None  # not measured: no slope rather than a wrong one
    assert got["largest_role_policy_chars_per_use_case"] == pytest.approx(16000 / 29, abs=1e-3)
    assert got["resources_per_use_case"] == {"dev": 6.0}
    assert usecases.per_use_case({1: 3.0}) is None


# -- IAM's quota on a role's inline policies ----------------------------------------------------
def test_policy_size_is_counted_as_iam_counts_it_without_white_space():
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
    compact = json.dumps(document, separators=(",", ":"))
    assert usecases.policy_chars(json.dumps(document, indent=4)) == len(compact)
    assert usecases.policy_chars(document) == len(compact)
    assert usecases.policy_chars("a b\n\tc") == 3


def test_roles_over_the_quota_are_the_ones_above_it_largest_first():
    sizes = {"small": 100, "at": core.ROLE_POLICY_QUOTA, "big": 20_000, "bigger": 23_000}
    assert list(usecases.over_quota(sizes)) == ["bigger", "big"]
    assert usecases.over_quota(sizes, quota=50) == {
        "bigger": 23_000,
        "big": 20_000,
        "at": 10_240,
        "small": 100,
    }


def test_inline_policies_are_summed_per_role_of_the_prefix(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})

    def policy(actions: list[str]) -> str:
        return json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]},
            indent=2,
        )

    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        docs = {"a": policy(["s3:GetObject"]), "b": policy(["s3:PutObject", "kms:Decrypt"])}
        for role in ("mlgov-dev-approver", "mlgov-dev-promotion", "someone-else"):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        for name, doc in docs.items():
            iam.put_role_policy(RoleName="mlgov-dev-approver", PolicyName=name, PolicyDocument=doc)
        iam.put_role_policy(RoleName="someone-else", PolicyName="a", PolicyDocument=docs["a"])
        sizes = usecases.inline_policy_chars(iam, "mlgov-dev-")
    assert sizes == {
        "mlgov-dev-approver": usecases.policy_chars(docs["a"]) + usecases.policy_chars(docs["b"]),
        "mlgov-dev-promotion": 0,
    }


# -- seconds per pipeline step ------------------------------------------------------------------
T0 = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _step(name: str, start: float | None, end: float | None, status: str = "Succeeded") -> dict[str, Any]:
    step: dict[str, Any] = {"StepName": name, "StepStatus": status}
    if start is not None:
        step["StartTime"] = _at(start)
    if end is not None:
        step["EndTime"] = _at(end)
    return step


def test_step_seconds_come_from_each_step_s_start_and_end_and_the_gaps_are_what_no_step_covers():
    # ListPipelineExecutionSteps answers newest first unless asked otherwise: order is by start.
    steps = [
        _step("Register", 30.0, 31.5),
        _step("CheckQuality", 28.0, 28.25),
        _step("Evaluate", 20.0, 27.0),
        _step("Train", 9.0, 19.0),
        _step("Preprocess", 1.0, 8.0),
    ]
    execution = {"CreationTime": T0, "LastModifiedTime": _at(32.0), "PipelineExecutionStatus": "Succeeded"}
    got = step_timings(steps, execution)
    assert [r["step"] for r in got["steps"]] == [
        "Preprocess",
        "Train",
        "Evaluate",
        "CheckQuality",
        "Register",
    ]
    assert got["seconds_by_step"] == {
        "Preprocess": 7.0,
        "Train": 10.0,
        "Evaluate": 7.0,
        "CheckQuality": 0.25,
        "Register": 1.5,
    }
    assert [r["started_after_s"] for r in got["steps"]] == [1.0, 9.0, 20.0, 28.0, 30.0]
    assert (got["execution_s"], got["in_steps_s"], got["between_steps_s"]) == (32.0, 25.75, 6.25)
    assert got["status"] == "Succeeded"


def test_a_step_still_running_or_never_started_has_no_seconds():
    steps = [_step("Preprocess", 0.0, 5.0), _step("Train", 6.0, None, "Executing"), _step("Late", None, None)]
    execution = {"CreationTime": T0, "LastModifiedTime": _at(10.0), "PipelineExecutionStatus": "Executing"}
    got = step_timings(steps, execution)
    assert got["seconds_by_step"] == {"Preprocess": 5.0, "Train": None, "Late": None}
    assert {r["step"]: r["started_after_s"] for r in got["steps"]} == {
        "Preprocess": 0.0,
        "Train": 6.0,
        "Late": None,
    }
    assert got["in_steps_s"] == 5.0


def test_steps_that_ran_at_the_same_time_are_covered_once():
    assert (
        covered_seconds([(_at(0), _at(10)), (_at(2), _at(5)), (_at(8), _at(12)), (_at(20), _at(21))]) == 13.0
    )
    assert covered_seconds([]) == 0.0


# -- a run of some sections keeps the others ----------------------------------------------------
EARLIER = {
    "started_at": "2026-11-29T16:00:43Z",
    "machine": {"cpus": 2},
    "sections": {
        "demo": {"wall_s": 118.18, "seconds": {"setup": 12.76}},
        "pipeline": {"upsert_s": 9.0},
    },
    "ok": True,
}


def test_merged_results_replace_the_sections_run_and_keep_the_others_with_their_date():
    doc = {"started_at": "2026-12-06T15:00:00Z", "sections": {"pipeline": {"upsert_s": 7.5}}, "ok": False}
    merged = core.merge_results(doc, EARLIER)
    assert merged["sections"] == {"demo": EARLIER["sections"]["demo"], "pipeline": {"upsert_s": 7.5}}
    assert merged["measured_at"] == {"demo": "2026-11-29T16:00:43Z", "pipeline": "2026-12-06T15:00:00Z"}
    assert merged["ok"] is False  # this run's outcome, not the kept sections'
    # a kept section keeps the date it was measured, not the date of the file it was kept in
    later = {"started_at": "2026-12-07T09:00:00Z", "sections": {"pipeline": {"upsert_s": 7.0}}, "ok": True}
    assert core.merge_results(later, merged)["measured_at"]["demo"] == "2026-11-29T16:00:43Z"
    assert core.merge_results(doc, None)["sections"] == doc["sections"]


def _fake_section(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(ctx: core.BenchContext) -> dict[str, Any]:
        return {"upsert_s": 7.5}

    monkeypatch.setattr(core, "load_section_modules", lambda: None)
    monkeypatch.setattr(core, "SECTIONS", {"pipeline": core.Section("pipeline", fake, 40, "fake")})


def test_an_only_run_blanks_no_other_figure_and_keeps_the_notes(tmp_path, monkeypatch, capsys):
    _fake_section(monkeypatch)
    out = tmp_path / "bench.json"
    out.write_text(json.dumps(EARLIER))
    notes = "## Installs, measured apart\n\nwritten by hand\n"
    (tmp_path / "summary.md").write_text("# Bench summary\n\n| old table |\n\n" + notes)

    assert core.main(["--only", "pipeline", "--out", str(out)]) == 0

    written = json.loads(out.read_text())
    assert written["sections"]["demo"] == EARLIER["sections"]["demo"]
    assert written["sections"]["pipeline"]["upsert_s"] == 7.5
    summary = (tmp_path / "summary.md").read_text()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in summary.splitlines() if line.startswith("| ")}
    demo = rows["demo: `python -m scripts.demo` end to end"]
    # the kept figure, its date, and no "previous" figure to compare it with
    assert demo.startswith("| demo: `python -m scripts.demo` end to end | 118.18 s | 2026-11-29 |")
    assert demo.endswith("| yes | — |")
    upsert = rows["pipeline: `mlgov pipeline upsert` (creates it)"]
    assert "| 7.50 s |" in upsert and upsert.endswith("| 9.00 s |")
    assert "figures of demo are kept" in summary
    assert summary.endswith(notes) and "| old table |" not in summary


def test_a_full_run_replaces_the_results(tmp_path, monkeypatch):
    _fake_section(monkeypatch)
    out = tmp_path / "bench.json"
    out.write_text(json.dumps(EARLIER))
    assert core.main(["--out", str(out)]) == 0
    assert set(json.loads(out.read_text())["sections"]) == {"pipeline"}


def test_results_written_elsewhere_get_a_table_of_their_own(tmp_path, monkeypatch):
    _fake_section(monkeypatch)
    (tmp_path / "summary.md").write_text("the main table\n")
    assert core.main(["--only", "pipeline", "--out", str(tmp_path / "install.json")]) == 0
    assert (tmp_path / "summary.md").read_text() == "the main table\n"
    assert "pipeline: `mlgov pipeline upsert`" in (tmp_path / "install-summary.md").read_text()
    assert core.summary_path(Path("r/bench.json")) == Path("r/summary.md")


def test_notes_follow_the_table_only_when_there_are_some():
    assert core.with_notes("| t |\n", None) == "| t |\n"
    assert core.with_notes("| t |\n", "# Bench summary\n| old |\n") == "| t |\n"
    assert (
        core.with_notes("| t |\n", "| old |\n## Notes\ntext\n\n## More\n")
        == "| t |\n\n## Notes\ntext\n\n## More\n"
    )


def test_each_section_records_how_busy_the_machine_was(tmp_path, monkeypatch):
    _fake_section(monkeypatch)
    loads = iter([(3.5, 3.0, 2.5), (6.25, 4.0, 3.0)])
    monkeypatch.setattr(core.os, "getloadavg", lambda: next(loads))
    out = tmp_path / "bench.json"
    assert core.main(["--out", str(out)]) == 0
    section = json.loads(out.read_text())["sections"]["pipeline"]
    assert section["load_average"] == {"start": [3.5, 3.0, 2.5], "end": [6.25, 4.0, 3.0]}
    assert "pipeline 3.5 → 6.2" in (tmp_path / "summary.md").read_text()


# -- CPU seconds beside wall seconds ------------------------------------------------------------
def test_a_process_s_cpu_seconds_are_its_user_and_system_ticks():
    # proc(5): the command name (field 2) may hold spaces and parentheses; fields 14, 15 count.
    stat = "4242 (python (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 11 12 20 0 1 0 99 0 0"
    assert usecases.process_cpu_s(stat, 100) == 3.0


def test_cpu_seconds_count_ended_children_and_the_server_process():
    import os
    import subprocess
    import sys

    assert usecases.cpu_seconds(2**22 + 7) is None  # no such process: no figure rather than a wrong one
    before = usecases.cpu_seconds()
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    after = usecases.cpu_seconds()
    assert before is not None and after is not None and after - before > 0.05
    own = os.times()
    with_self = usecases.cpu_seconds(os.getpid())
    assert with_self is not None
    assert with_self - after == pytest.approx(own.user + own.system, abs=0.1)

"""The access matrix (scripts/deploy/access.py) over the session's synthesized stacks: what it says
the threat model says (docs/THREAT_MODEL.md), the controls of issue 16 hold cell by cell, and
every deny statement and condition of the synthesized policies matters: removing any one of them
changes the matrix (so a test fails), unless it is listed below with the reason it does not
show in a governance matrix.

How "removing it changes the matrix" is checked:

- a Deny statement: its ``<policy>#<Sid>`` is among the statements that denied some cell (a cell
  records every Deny that applied to any request of any of its ways), so without it that cell's
  record differs;
- a condition operator of any statement (Allow or Deny): the statement without it is evaluated
  again, for the environment whose stack holds it and the environments that read that stack's
  resources (a promotion reads its upstream), and some cell's verdict or record differs. A
  cell's record names every statement that applied to one of its requests
  (``Verdict.matched``), so a condition counts when some request of the matrix lies outside it,
  even where a second policy refuses that request as well (a cross-account read needs both the
  identity policy and the bucket or key policy: each lock is checked on its own).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from scripts.deploy import access
from scripts.deploy.runner import policy_evaluator

REPO = Path(__file__).resolve().parents[2]
THREAT_MODEL = REPO / "docs" / "THREAT_MODEL.md"
ENVS = ("dev", "staging", "prod")

#: Deny statements that no governance action of the matrix meets, and why that is right.
DENIES_OUTSIDE_THE_MATRIX = {
    "DenyInsecureTransport": "the TLS-only deny of every bucket: the matrix's requests come over TLS "
    "(tests/unit/test_constructs.py checks the statement on every bucket)",
    "ProtectCiRoles": "the deploy role's IAM on the CI roles themselves (iam:*Role* actions, not a "
    "governance change; tests/deploy/test_synth.py checks it)",
}
#: Conditions that no governance action of the matrix depends on, and why that is right
#: (``Sid``: every condition of the statement; ``Sid Operator``: that one).
CONDITIONS_OUTSIDE_THE_MATRIX = {
    **dict.fromkeys(
        (
            "ListUseCasePrefixes StringLike",
            "ListCapturedData StringLike",
            "ListCaptureAndMonitoring StringLike",
            "ListDatasets StringLike",
            "ListBatchData StringLike",
            "ListBatchTransformInput StringLike",
            "ListModelArtifacts StringLike",
        ),
        "s3:prefix on a ListBucket of the role's own prefixes (pipelines/, capture/, monitoring/, "
        "datasets/, batch/, models/): a listing names keys and reads no object, and reading data is the matrix's "
        "object reads (tests/unit/test_pipeline_role.py, test_serving_role.py, test_data_flow.py "
        "check the prefixes)",
    ),
    "RegistryKeyGrantsThroughSageMaker Bool": "kms:GrantIsForAWSResource beside kms:ViaService = "
    "SageMaker, as AWS's AmazonSageMakerModelRegistryFullAccess writes it: every grant SageMaker "
    "creates is for its resource, so no request lies inside the ViaService condition and outside "
    "this one",
    **dict.fromkeys(
        ("JobKeyGrantsThroughSageMaker Bool", "KeyGrantsThroughSageMaker Bool"),
        "kms:GrantIsForAWSResource beside kms:ViaService = SageMaker (the pipeline and model-deploy "
        "roles' grants, written as RegistryKeyGrantsThroughSageMaker): every grant SageMaker creates "
        "is for its resource",
    ),
    "DenyInsecureTransport": "aws:SecureTransport: the matrix's requests come over TLS",
    "CloudWatchLogsOfThisAccount": "the key policy's grant to the CloudWatch Logs service (a service principal, not a caller of the matrix)",
    "DataZoneAssociatedAccountsUse": "the DataZone home key's grant to associated accounts, through DataZone",
    "DataZoneAssociatedAccountsGrants": "the same, for grants",
    "DataZoneOfThisAccount": "the DataZone service's trust of its execution role",
    "S3ServerAccessLogDelivery": "the access-log buckets' grant to S3 log delivery",
    "SageMakerOfThisAccount": "SageMaker's trust of the execution role (a service, not a caller of the matrix)",
    "VpcFlowLogsOfThisAccount": "the VPC flow log service's trust",
    "ServiceLinkedRoles": "the deploy role creating SageMaker's, DataZone's and RAM's service-linked roles",
    "PassItselfToSageMaker": "the execution role handing itself to SageMaker (Studio's plumbing)",
    "GrantDomainKeyToSageMaker": "SageMaker's grants on the domain key for Studio volumes",
    "TagNewSpaces": "Studio tagging the spaces it creates",
    "ListAuditRecords": "the approver listing audit keys (the report); reading them is in the matrix",
    "ListMonitorReports": "the approver listing the monitor reports (the report finds a served "
    "version's newest violation files; tests/serving/test_bias_drift.py reads them)",
}


@pytest.fixture(scope="module")
def world(synth: Any) -> tuple[Any, Any, Any]:
    evaluator = policy_evaluator()
    stacks = access.Stacks.read(synth.platform, synth.outdir, evaluator.managed_document)
    return synth.platform, stacks, evaluator


def detailed(platform: Any, stacks: Any, evaluator: Any, env: str) -> Any:
    """Every verdict of both tables of ``env``, with the denies behind each."""
    rows = access.matrix(platform, stacks, evaluator, env)
    trust = access.who_may_assume(platform, stacks, evaluator, env)
    return (
        [
            (
                r.action.key,
                sorted((k, v.allowed, sorted(v.denied_by), sorted(v.matched)) for k, v in r.verdicts.items()),
            )
            for r in rows
        ],
        {
            t: {
                k: (None if v is None else (v.allowed, sorted(v.denied_by), sorted(v.matched)))
                for k, v in row.items()
            }
            for t, row in trust.items()
        },
    )


def cell(rows: list[Any], key: str) -> dict[str, bool]:
    (row,) = [r for r in rows if r.action.key == key]
    # a role the environment has not (the data roles outside dev) is allowed nothing
    return {role: role in row.verdicts and row.verdicts[role].allowed for role in access.ROLES}


def only(*roles: str) -> dict[str, bool]:
    return {role: role in roles for role in access.ROLES}


# -- the threat model shows what the policies say ---------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_the_threat_model_shows_the_computed_tables(world, env):
    """docs/THREAT_MODEL.md carries, per environment, the two tables `mlgov deploy access-matrix`
    prints; a policy change that changes who can do what fails here until the threat model says so."""
    platform, stacks, evaluator = world
    text = THREAT_MODEL.read_text(encoding="utf-8")
    rows = access.matrix(platform, stacks, evaluator, env)
    trust = access.who_may_assume(platform, stacks, evaluator, env)
    for marker, table in (
        (f"access-matrix:{env}", access.render_markdown(rows)),
        (f"who-may-assume:{env}", access.render_trust(trust)),
    ):
        found = re.search(rf"<!-- {marker} -->\n(.*?)\n<!-- /{marker} -->", text, re.S)
        assert found, f"docs/THREAT_MODEL.md has no <!-- {marker} --> section"
        assert found.group(1).strip() == table, (
            f"docs/THREAT_MODEL.md's {marker} table differs from the synthesized policies; "
            f"`mlgov deploy access-matrix --env {env}` prints the table"
        )


# -- the controls, cell by cell ---------------------------------------------------------------------
@pytest.mark.parametrize("env", ("staging", "prod"))
def test_strict_tiers_have_one_writer_per_asset(world, env):
    platform, stacks, evaluator = world
    rows = access.matrix(platform, stacks, evaluator, env)
    assert cell(rows, "register") == only("promotion")
    assert cell(rows, "register_promoted") == only("promotion")
    assert cell(rows, "write_models") == only("promotion")
    assert cell(rows, "write_models_multipart") == only("promotion")
    assert cell(rows, "reject_ungated") == only("approver")
    assert cell(rows, "approve") == only("approver")
    assert cell(rows, "card") == only("approver")
    for nobody in (
        "register_approved",
        "approve_ungated",
        "set_metadata",
        "remove_metadata",
        "delete_version",
        "overwrite_models",
        "delete_models",
        "assume_approver",
        "assume_promotion",
        "read_upstream_other",
        "read_upstream_state",
        "others_space",
    ):
        assert cell(rows, nobody) == only(), nobody
    assert cell(rows, "read_upstream_models") == only("promotion")
    assert cell(rows, "read_state") == only("deploy", "plan")
    data = cell(rows, "read_data")
    assert not data["plan"] and not data["deploy"] and not data["datazone"]


def test_pull_requests_and_the_deploy_role_take_no_governance_role(world):
    platform, stacks, evaluator = world
    for env in ENVS:
        trust = access.who_may_assume(platform, stacks, evaluator, env)
        for taker in ("deploy role", "other principal of the account", "CI main branch", "CI apply job"):
            for role in ("data_scientist", "approver", "promotion"):
                assert trust[taker][role] is not None and not trust[taker][role].allowed, (env, taker, role)
        pull = trust["CI pull request"]
        assert [r for r in access.TAKEN if pull[r] is not None and pull[r].allowed] == (
            [] if env == "prod" else ["plan"]
        ), env
        assert (
            trust["CI promote job"]["promotion"].allowed
            and trust["promotion operator"]["approver"] is not True
        )


# -- every deny and condition matters ----------------------------------------------------------------
def _documents(stacks: Any) -> list[Any]:
    found: dict[int, Any] = {}
    for role in stacks.roles.values():
        found[id(role.trust)] = role.trust
        for doc in role.identity:
            found[id(doc)] = doc
    for _, doc in stacks.buckets.values():
        if doc is not None:
            found[id(doc)] = doc
    for doc, _ in stacks.keys.values():
        found[id(doc)] = doc
    for doc in stacks.groups.values():
        found[id(doc)] = doc
    return list(found.values())


def _kit_documents(stacks: Any) -> list[Any]:
    """The kit's own documents (AWS-managed ones are labelled by their ARN)."""
    return [d for d in _documents(stacks) if not d.label.startswith("arn:aws:iam::aws:policy/")]


def test_every_deny_decides_some_cell(world):
    platform, stacks, evaluator = world
    met: set[str] = set()
    for env in ENVS:
        for row in access.matrix(platform, stacks, evaluator, env):
            for verdict in row.verdicts.values():
                met |= verdict.denied_by
        for row in access.who_may_assume(platform, stacks, evaluator, env).values():
            for verdict in row.values():
                if verdict is not None:
                    met |= verdict.denied_by
    unmet = sorted(
        f"{doc.label}#{s.get('Sid')}"
        for doc in _kit_documents(stacks)
        for s in doc.statements()
        if s.get("Effect") == "Deny"
        and s.get("Sid") not in DENIES_OUTSIDE_THE_MATRIX
        and f"{doc.label}#{s.get('Sid')}" not in met
    )
    assert unmet == [], (
        "these deny statements decide no cell of the access matrix: removing one would go unnoticed. "
        "Add the governance action they stop to scripts/deploy/access.py, or list them in "
        f"DENIES_OUTSIDE_THE_MATRIX with the reason: {unmet}"
    )


def _condition_mutations(stacks: Any) -> list[tuple[str, int, str]]:
    return [
        (doc.label, i, op)
        for doc in _kit_documents(stacks)
        for i, s in enumerate(doc.statements())
        for op in s.get("Condition", {})
        if s.get("Sid") not in CONDITIONS_OUTSIDE_THE_MATRIX
        and f"{s.get('Sid')} {op}" not in CONDITIONS_OUTSIDE_THE_MATRIX
    ]


def _affected(platform: Any, label: str) -> list[str]:
    """The environment whose stack holds ``label`` and those that read that stack's resources."""
    stack = label.split("/", 1)[0].removeprefix("bootstrap-")
    return [stack, *(e.name for e in platform.downstream_of(stack))]


def _without(stacks: Any, label: str, index: int, op: str) -> Any:
    mutated = copy.copy(stacks)
    mutated.roles = {arn: copy.copy(r) for arn, r in stacks.roles.items()}

    def drop(doc: Any) -> Any:
        if doc is None or doc.label != label:
            return doc
        body = copy.deepcopy(dict(doc.body))
        statements = body["Statement"] if isinstance(body["Statement"], list) else [body["Statement"]]
        del statements[index]["Condition"][op]
        if not statements[index]["Condition"]:
            del statements[index]["Condition"]
        return access.Document(doc.label, body)

    for role in mutated.roles.values():
        role.trust = drop(role.trust)
        role.identity = [drop(d) for d in role.identity]
    mutated.buckets = {b: (o, drop(d)) for b, (o, d) in stacks.buckets.items()}
    mutated.keys = {k: (drop(d), a) for k, (d, a) in stacks.keys.items()}
    mutated.groups = {g: drop(d) for g, d in stacks.groups.items()}
    return mutated


def test_every_condition_changes_some_cell_when_removed(world):
    platform, stacks, evaluator = world
    baseline = {env: detailed(platform, stacks, evaluator, env) for env in ENVS}
    mutations = _condition_mutations(stacks)
    assert len(mutations) > 50  # the check sees the kit's conditions
    survivors = []
    for label, index, op in mutations:
        mutated = _without(stacks, label, index, op)
        if all(
            detailed(platform, mutated, evaluator, env) == baseline[env] for env in _affected(platform, label)
        ):
            sid = next(d for d in _kit_documents(stacks) if d.label == label).statements()[index].get("Sid")
            survivors.append(f"{label}#{sid} {op}")
    assert survivors == [], (
        "without these conditions the access matrix is the same: removing one would go unnoticed. "
        f"Add a governance action that needs them, or list them with the reason: {survivors}"
    )


def test_the_mutation_check_sees_a_removed_deny_and_a_removed_condition(world):
    """The two checks above can fail: prod's approver without the gate record deny may approve an
    ungated version; the bucket policy's write-once deny without its If-None-Match condition
    refuses the promotion role's own write."""
    platform, stacks, evaluator = world
    rows = access.matrix(platform, stacks, evaluator, "prod")
    assert not cell(rows, "approve_ungated")["approver"]
    label = next(d.label for d in _kit_documents(stacks) if d.label.endswith("prod/artifacts/policy"))
    index = next(
        i
        for i, s in enumerate(next(d for d in _kit_documents(stacks) if d.label == label).statements())
        if s.get("Sid") == "ModelsWriteOnce"
    )
    mutated = _without(stacks, label, index, "StringNotEquals")
    assert not cell(access.matrix(platform, mutated, evaluator, "prod"), "write_models")["promotion"]


# -- the command ------------------------------------------------------------------------------------
def test_the_command_prints_the_tables_and_json(synth, capsys, monkeypatch):
    from scripts.deploy import synthesis
    from scripts.deploy.cli import main

    synthesis.record(synth.outdir, synthesis.synth_key(None))  # the session's stacks are current
    assert main(["access-matrix", "--env", "prod", "--outdir", str(synth.outdir)]) == 0
    out = capsys.readouterr().out
    assert "| register a version | denied | denied | denied | allowed |" in out
    assert "| CI promote job | denied | n/a | denied | allowed | denied | denied | denied |" in out
    assert main(["access-matrix", "--env", "prod", "--outdir", str(synth.outdir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    overwrite = next(a for a in data["actions"] if a["key"] == "overwrite_models")
    assert "prod/artifacts/policy#ModelsWriteOnce" in overwrite["cells"]["promotion"]["denied_by"]
    assert main(["access-matrix", "--env", "qa", "--outdir", str(synth.outdir)]) == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err

"""main.py and cdktf.json: the app entry the deploy runner and the cdktf CLI run.

The variant configuration (a new ``qa.yaml``, remote state for prod, an organization id) is
synthesized once through ``main.main()`` itself, in-process, exactly as ``python main.py`` would.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import main as app_main
from environments import DEFAULT_DIR, Names, load_platform
from tests.synthesized import Stack, as_list, principals, statements

#: The qa account's IAM Identity Center permission set roles (the shipped files' pattern).
SSO_444 = "arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_"

ROOT = Path(__file__).resolve().parents[2]
ORG = "o-a1b2c3d4e5"


def _copy_config(target: Path) -> Path:
    target.mkdir(parents=True)
    for path in DEFAULT_DIR.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def _edit(path: Path, **changes) -> None:
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory):
    """qa.yaml added (promotes from staging), prod on the S3 backend, organization id set;
    synthesized by ``main.main()`` with ``MLGOV_ENVIRONMENTS_DIR`` and ``CDKTF_OUTDIR``."""
    root = tmp_path_factory.mktemp("variant")
    config = _copy_config(root / "environments")
    qa = yaml.safe_load((config / "staging.yaml").read_text())
    qa.update(
        name="qa",
        account_id="444444444444",
        promotes_from="staging",
        lifecycle_stage="QA",
        network={"cidr": "10.40.0.0/16", "az_count": 2},
        studio={"user_profiles": ["tester-1"]},
        data_scientists=[f"{SSO_444}MLGovDataScientist_*"],
        approvers=[f"{SSO_444}MLGovApprover_*"],
        promotion_operators=[f"{SSO_444}MLGovReleaseManager_*"],
    )
    (config / "qa.yaml").write_text(yaml.safe_dump(qa, sort_keys=False))
    _edit(
        config / "prod.yaml",
        remote_state={
            "bucket": "mlgov-tfstate-333333333333",
            "key": "platform/prod.tfstate",
            "region": "us-east-1",
            "kms_key_id": "alias/mlgov-tfstate",
        },
    )
    _edit(config / "platform.yaml", organization_id=ORG)
    outdir = root / "cdktf.out"
    saved = {k: os.environ.get(k) for k in ("MLGOV_ENVIRONMENTS_DIR", "CDKTF_OUTDIR")}
    os.environ["MLGOV_ENVIRONMENTS_DIR"] = str(config)
    os.environ["CDKTF_OUTDIR"] = str(outdir)
    try:
        code = app_main.main([])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert code == 0
    platform = load_platform(config)
    stacks = {p.name: Stack.read(p) for p in (outdir / "stacks").iterdir()}
    return platform, stacks


def test_a_new_environment_file_yields_a_new_stack(variant):
    platform, stacks = variant
    assert {"dev", "staging", "prod", "qa"} <= set(stacks)
    qa = stacks["qa"]
    (provider,) = qa.data["provider"]["aws"]
    assert provider["allowed_account_ids"] == ["444444444444"]
    assert qa.resource("aws_sagemaker_domain", "studio/domain")["app_network_access_type"] == "VpcOnly"
    # still exactly one DataZone home, and it now shares the domain with qa's account too
    homes = [n for n, s in stacks.items() if s.resources("aws_datazone_domain")]
    assert homes == ["dev"]
    shared = {a["principal"] for a in stacks["dev"].resources("aws_ram_principal_association").values()}
    assert "444444444444" in shared
    # staging now has two downstreams: both promotion roles and nobody else get the group grant
    # (their accounts as principals, the roles by aws:PrincipalArn: modules/policy.py roles_by_arn)
    (stmt,) = statements(
        stacks["staging"].policy(
            "aws_sagemaker_model_package_group_policy", "registry/group-credit-risk-policy"
        ),
        effect="Allow",
    )
    assert sorted(principals(stmt)) == ["arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:root"]
    assert stmt["Condition"]["ArnEquals"]["aws:PrincipalArn"] == sorted(
        Names.of(platform, e).role_arn("promotion") for e in ("prod", "qa")
    )
    # qa's promotion role reads staging, not dev
    promo = {s["Sid"]: s for s in statements(qa.policy("aws_iam_role_policy", "iam/promotion-policy"))}
    assert promo["ReadUpstreamArtifacts"]["Resource"] == [
        f"{Names.of(platform, 'staging').artifact_bucket_arn}/models/*"
    ]


def test_remote_state_uses_the_s3_backend_with_lockfile(variant):
    _, stacks = variant
    backend = stacks["prod"].data["terraform"]["backend"]
    assert backend == {
        "s3": {
            "bucket": "mlgov-tfstate-333333333333",
            "key": "platform/prod.tfstate",
            "region": "us-east-1",
            "encrypt": True,
            "kms_key_id": "alias/mlgov-tfstate",
            "use_lockfile": True,
        }
    }
    assert "local" in stacks["staging"].data["terraform"]["backend"]


def test_organization_id_conditions_every_cross_account_grant(variant):
    _, stacks = variant
    checked = 0
    for name in ("dev", "staging"):
        stack = stacks[name]
        own = stack.data["provider"]["aws"][0]["allowed_account_ids"][0]
        for rtype, path, policy in stack.policies():
            for stmt in statements(policy, effect="Allow"):
                foreign = [p for p in principals(stmt) if p.startswith("arn:aws:iam::") and own not in p]
                if rtype == "aws_iam_role" or not foreign:
                    continue
                assert stmt["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == ORG, (name, path)
                checked += 1
    # key, bucket (objects + list) and group policy in each of the two upstream environments (8),
    # and the DataZone home's key: use and grants for the associated accounts (2)
    assert checked == 8 + 2


#: Each upstream's grants to its downstream promotion roles, by construct path: (Sid, extra
#: conditions besides the organization and the roles).
DOWNSTREAM_GRANTS = {
    ("aws_kms_key", "encryption/key"): {"DownstreamPromotionRead": ("kms:ViaService",)},
    ("aws_s3_bucket_policy", "artifacts/policy"): {
        "DownstreamPromotionReadModels": (),
        "DownstreamPromotionListModels": ("s3:prefix",),
    },
    ("aws_sagemaker_model_package_group_policy", "registry/group-credit-risk-policy"): {
        "DownstreamPromotion": ()
    },
}


def _grant(stmt: dict, action: str, resource: str, arn: str, org: str) -> Any:
    """The local cloud's evaluator on one statement: how it grants ``arn`` of organization ``org``
    (a request through S3 on models/, what a promotion does)."""
    from scripts.localcloud.moto_ext.core import evaluation as ev

    account = arn.split(":")[4]
    context = {
        "aws:principalarn": arn,
        "aws:principalaccount": account,
        "aws:principalorgid": org,
        "kms:viaservice": "s3.us-east-1.amazonaws.com",
        "s3:prefix": "models/",
    }
    caller = ev.Caller(account, arn, f"{arn}/session")
    return ev.resource_policy_grant({"Statement": [stmt]}, caller, action, resource, context)


@pytest.mark.parametrize("upstream", ["dev", "staging"])
def test_organization_and_promotion_role_conditions_hold_together(variant, upstream):
    """With an organization, every downstream grant requires both the organization
    (``StringEquals`` ``aws:PrincipalOrgID``) and exactly the downstream promotion roles
    (``ArnEquals`` ``aws:PrincipalArn``) in one statement (conditions of a statement are ANDed;
    neither merge overwrote the other), and the key's still only through S3 and SageMaker. The
    local cloud's evaluator on the synthesized statement: a promotion role outside the
    organization, or another role inside it, is not granted."""
    from scripts.localcloud.moto_ext.core import evaluation as ev

    platform, stacks = variant
    downstream = sorted(
        Names.of(platform, e.name).role_arn("promotion") for e in platform.downstream_of(upstream)
    )
    via = ["s3.us-east-1.amazonaws.com", "sagemaker.us-east-1.amazonaws.com"]
    for (rtype, path), sids in DOWNSTREAM_GRANTS.items():
        policy = stacks[upstream].policy(rtype, path)
        by_sid = {s["Sid"]: s for s in statements(policy, effect="Allow")}
        for sid, extra in sids.items():
            stmt = by_sid[sid]
            condition = stmt["Condition"]
            assert condition["ArnEquals"] == {"aws:PrincipalArn": downstream}, (upstream, sid)
            assert condition["StringEquals"]["aws:PrincipalOrgID"] == ORG, (upstream, sid)
            assert sorted(principals(stmt)) == sorted(
                {f"arn:aws:iam::{a.split(':')[4]}:root" for a in downstream}
            )
            if "kms:ViaService" in extra:
                assert condition["StringEquals"] == {"aws:PrincipalOrgID": ORG, "kms:ViaService": via}
            if "s3:prefix" in extra:
                assert condition["StringLike"] == {"s3:prefix": ["models/*"]}
            assert set(condition) == {
                "ArnEquals",
                "StringEquals",
                *(["StringLike"] if "s3:prefix" in extra else []),
            }

            action, resource = as_list(stmt["Action"])[0], as_list(stmt["Resource"])[0]
            for role_arn in downstream:
                granted = _grant(stmt, action, resource, role_arn, ORG)
                assert granted is ev.Grant.THROUGH_ACCOUNT, (upstream, sid, role_arn)
                outside = _grant(stmt, action, resource, role_arn, "o-zzzzzzzzzz")
                assert outside is ev.Grant.NONE, (upstream, sid, role_arn)
                other = role_arn.replace("-promotion", "-data-scientist")
                assert _grant(stmt, action, resource, other, ORG) is ev.Grant.NONE, (upstream, sid, other)


def test_organization_id_opens_the_vpc_endpoints_to_the_organization(variant):
    """With an organization, endpoint policies admit its principals (aws:PrincipalOrgID) instead
    of the account's alone; the Studio endpoint stays limited to this account's resources."""
    _, stacks = variant
    checked = 0
    for stack in stacks.values():
        for path, endpoint in stack.resources("aws_vpc_endpoint").items():
            if endpoint["service_name"].endswith(".studio"):
                continue
            scoped = [
                s
                for s in statements(json.loads(endpoint["policy"]))
                if s["Sid"] == "PrincipalsOfThisPlatform"
            ]
            assert [s["Condition"] for s in scoped] == [{"StringEquals": {"aws:PrincipalOrgID": ORG}}], path
            checked += 1
    assert checked == 4 * 10  # dev, staging, prod, qa: nine interface endpoints and the S3 gateway


def test_config_error_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    config = _copy_config(tmp_path / "environments")
    _edit(config / "staging.yaml", account_id="12345")
    monkeypatch.setenv("MLGOV_ENVIRONMENTS_DIR", str(config))
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert app_main.main([]) == 2
    err = capsys.readouterr().err
    assert "staging.yaml" in err and "account_id" in err
    assert not (tmp_path / "cdktf.out").exists()


def test_every_config_error_is_a_line_in_the_readme_s_format(tmp_path, monkeypatch, capsys):
    config = _copy_config(tmp_path / "environments")
    _edit(config / "staging.yaml", account_id="12345")
    _edit(config / "prod.yaml", region="mars-1")
    monkeypatch.setenv("MLGOV_ENVIRONMENTS_DIR", str(config))
    monkeypatch.chdir(tmp_path)
    assert app_main.main([]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[:3] for line in lines] == [
        ["configuration error", "environments/prod.yaml", "region"],
        ["configuration error", "environments/staging.yaml", "account_id"],
    ]


def test_cdktf_json_runs_this_app_with_the_prebuilt_provider():
    cfg = json.loads((ROOT / "cdktf.json").read_text())
    assert cfg["language"] == "python"
    interpreter, script = cfg["app"].split()
    assert script == "main.py" and (ROOT / script).is_file()
    assert interpreter == ".venv/bin/python"  # the venv `make install` creates
    # The provider comes as prebuilt bindings pinned in pyproject.toml; a provider listed here
    # would make `cdktf synth` demand `cdktf get` (code generation) first.
    assert as_list(cfg["terraformProviders"]) == []

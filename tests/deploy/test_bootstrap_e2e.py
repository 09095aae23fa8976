"""On the local cloud, through the kit's own commands: bootstrap an account, apply its environment
with local state, then move that deployed environment to remote state, as docs/OPERATOR_GUIDE.md
says (Bootstrap; Move a deployed environment to remote state):

1. the shipped ``platform.yaml`` as a new user has it: ``ci.admin_principals`` is empty, which
   AWS would refuse; on the local cloud the principal that deploys from this machine is known
   (its admin user), and the local target adds it to the deploy role's trust;
2. ``mlgov deploy bootstrap --env dev``: state bucket, OIDC provider, deploy and plan roles; its
   state in ``.terraform-work/local/bootstrap-dev/``, none in the synthesized output; the deploy
   role trusts GitHub, itself and the local cloud's admin;
3. ``mlgov deploy apply --env dev``: the platform stack with local state;
4. ``remote_state`` (the block the bootstrap printed) into ``environments/dev.yaml``: a plain
   apply is refused naming ``--migrate-state``; ``apply --migrate-state`` copies the state into
   the bucket, and a re-plan is clean.

The Python functions behind the commands (``scripts.deploy.bootstrap.bootstrap``,
``scripts.deploy.deploy``) are called with the test's own output and work folders, so the
repository's ``cdktf.out`` and ``.terraform-work`` are never touched. The configuration is dev
alone (a copy of the kit's dev.yaml): one account is what the steps need, and it keeps the test
to one stack.

What stands in for the real world: the local cloud's admin (its management account's admin user)
is the operator; AWS Organizations' ``OrganizationAccountAccessRole`` in the member account is
its way in, created here when the local cloud does not provide it.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import load_platform
from environments.naming import Names
from scripts.deploy import DeployError, deploy
from scripts.deploy import bootstrap as kit_bootstrap
from tests.e2e.deployed import assume

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bootstrap-environments")
    shutil.copy(REPO / "environments" / "dev.yaml", folder / "dev.yaml")
    # Step 1: the shipped platform.yaml, unchanged (no admin principal listed).
    shutil.copy(REPO / "environments" / "platform.yaml", folder / "platform.yaml")
    assert yaml.safe_load((folder / "platform.yaml").read_text())["ci"]["admin_principals"] == []
    return folder


@pytest.fixture(scope="module")
def cloud(config: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from scripts.localcloud import LocalCloud

    instance = LocalCloud(state_dir=tmp_path_factory.mktemp("localcloud"), environments_dir=config)
    instance.start(reuse=False)
    try:
        yield instance
    finally:
        instance.stop()


def _admin_role_in(cloud: Any, account_id: str, region: str) -> None:
    """The account's OrganizationAccountAccessRole (as AWS Organizations creates it: trusted by the
    management account, administrator), made through the stand-in deploy role if missing."""
    session = assume(cloud, f"arn:aws:iam::{account_id}:role/mlgov-deploy", region)
    iam = session.client("iam", endpoint_url=cloud.url)
    name = kit_bootstrap.LOCAL_ADMIN_ROLE
    try:
        iam.get_role(RoleName=name)
        return
    except iam.exceptions.NoSuchEntityException:
        pass
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="AdministratorAccess", PolicyDocument=json.dumps(admin))


def _explain(exc: DeployError) -> str:
    tail = "\n".join(Path(exc.log).read_text(errors="replace").splitlines()[-60:])
    return f"{exc}\n--- {exc.log} ---\n{tail}"


def test_bootstrap_then_move_the_deployed_environment_to_remote_state(
    cloud: Any, config: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    started = time.monotonic()
    work = tmp_path_factory.mktemp("tf-work")
    out = tmp_path_factory.mktemp("cdktf-out")
    platform = load_platform(config)
    dev = platform.env("dev")
    names = Names.of(platform, dev)
    _admin_role_in(cloud, dev.account_id, dev.region)
    common: dict[str, Any] = {"cloud": cloud, "work_root": work, "outdir": out, "config_dir": config}

    # 2. mlgov deploy bootstrap --env dev
    try:
        run = kit_bootstrap.bootstrap(["dev"], "local", **common)
    except DeployError as exc:
        pytest.fail(_explain(exc), pytrace=False)
    state = work / "local" / "bootstrap-dev" / "terraform.bootstrap-dev.tfstate"
    assert state.exists()
    assert not list(out.rglob("*.tfstate")), "no state in the synthesized output (make clean deletes it)"
    admin = assume(cloud, f"arn:aws:iam::{dev.account_id}:role/{kit_bootstrap.LOCAL_ADMIN_ROLE}", dev.region)
    s3 = admin.client("s3", endpoint_url=cloud.url)
    assert s3.get_bucket_versioning(Bucket=names.state_bucket)["Status"] == "Enabled"
    # The local cloud's stand-in deploy role was adopted: its trust is now the bootstrap's.
    iam = admin.client("iam", endpoint_url=cloud.url)
    trust = iam.get_role(RoleName=dev.deploy_role_name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    by_sid = {s.get("Sid"): s for s in trust["Statement"]}
    assert set(by_sid) == {"GitHubActionsDeploy", "AssumeItself", "LocalCloudAdmin"}, by_sid
    assert by_sid["LocalCloudAdmin"]["Principal"] == {"AWS": kit_bootstrap.LOCAL_ADMIN_PRINCIPAL}
    remote_state = run.remote_state(dev)
    assert remote_state is not None and remote_state["bucket"] == names.state_bucket

    # 3. mlgov deploy apply --env dev: local state in the runner's working directory.
    try:
        deploy("apply", ["dev"], "local", **common)
    except DeployError as exc:
        pytest.fail(_explain(exc), pytrace=False)
    local_state = work / "local" / "dev" / "terraform.dev.tfstate"
    resources = json.loads(local_state.read_text())["resources"]
    assert len(resources) > 20

    # 4. remote_state as the bootstrap printed it, into environments/dev.yaml.
    doc = yaml.safe_load((config / "dev.yaml").read_text())
    doc["remote_state"] = remote_state
    (config / "dev.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(DeployError, match="--migrate-state") as refused:
        deploy("apply", ["dev"], "local", **common)
    assert refused.value.step == "init"
    try:
        migrated = deploy("apply", ["dev"], "local", migrate_state=True, **common)
    except DeployError as exc:
        pytest.fail(_explain(exc), pytrace=False)
    assert [r.changes for r in migrated if r.step == "plan"] == [False], "same resources, same addresses"
    obj = s3.get_object(Bucket=names.state_bucket, Key=names.state_key)
    assert obj["ServerSideEncryption"] == "aws:kms"
    moved = json.loads(obj["Body"].read())
    assert {r["type"] for r in moved["resources"]} == {r["type"] for r in resources}
    assert len(moved["resources"]) == len(resources)

    replan = deploy("plan", ["dev"], "local", **common)
    assert [r.changes for r in replan if r.step == "plan"] == [False]
    print(f"bootstrap + apply + migrate: {time.monotonic() - started:.0f}s")

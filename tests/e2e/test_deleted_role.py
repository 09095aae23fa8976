"""A role deleted out of band, repaired by following ``mlgov deploy principals`` to the letter.

Someone deletes prod's promotion role in prod's account, outside Terraform (prod's state still
lists it). AWS rewrites every resource policy that named it to the role's unique id (IAM User
Guide, Principal element, IAM roles), so staging's key, bucket and model package group policies
now grant nothing, and a role created again under the same name would not be granted either.
``mlgov deploy principals`` reports those policies and prints the command that repairs them; this
test runs that exact string in a shell, as an operator pastes it, and then finds the environment
whole: the role exists again, the policies name it by ARN, and ``mlgov deploy principals`` is clean.

It uses the session's deployed cloud through the command line, which finds it as an operator's
shell would: the running local cloud by ``MLGOV_LOCALCLOUD_DIR`` and the runner's working
directories (the state of the session's deploy) by ``MLGOV_DEPLOY_WORK_DIR``; ``PYTHONPATH`` names
this checkout, so ``mlgov`` runs this code whatever the virtual environment's editable install
points at. The command synthesizes into the checkout's ``cdktf.out`` (skipped when up to date), as
``mlgov deploy`` always does. Marked ``e2e_out_of_band``: it runs after every other test of the
deployed cloud, so none of them sees the accounts between the damage and the repair.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from environments import Names
from tests.e2e.deployed import DeployedCloud

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_out_of_band]

REPO = Path(__file__).resolve().parents[2]
ADVICE = re.compile(r"run `(mlgov [^`]+)`")


def _shell(deployed: DeployedCloud, command: str) -> subprocess.CompletedProcess[str]:
    """``command`` run by a shell in the checkout, pointed at the session's cloud and state."""
    env = dict(os.environ)
    env.pop("MLGOV_ENVIRONMENTS_DIR", None)  # the session deployed the kit's environments/
    env.update(
        MLGOV_LOCALCLOUD_DIR=str(deployed.cloud.state_dir),
        MLGOV_DEPLOY_WORK_DIR=str(deployed.work_root),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return subprocess.run(
        command, shell=True, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200, check=False
    )


def _key_policy(deployed: DeployedCloud, env: str) -> str:
    names = Names.of(deployed.platform, deployed.platform.env(env))
    kms = deployed.account(env).client("kms")
    key_id = kms.describe_key(KeyId=names.kms_alias)["KeyMetadata"]["KeyId"]
    return str(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])


def test_a_deleted_promotion_role_is_back_after_the_printed_advice(deployed_cloud: DeployedCloud) -> None:
    platform = deployed_cloud.platform
    prod = platform.env("prod")
    role_name = Names.of(platform, prod).role_name("promotion")
    role_arn = Names.of(platform, prod).role_arn("promotion")
    clean = _shell(deployed_cloud, "mlgov deploy principals")
    assert clean.returncode == 0, clean.stderr

    # Out of band, in prod's account: the role's policies, then the role (DeleteRole refuses a
    # role that still has policies: DeleteConflict).
    iam = deployed_cloud.account(prod).client("iam")
    old_id = iam.get_role(RoleName=role_name)["Role"]["RoleId"]
    for policy in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role_name, PolicyName=policy)
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=role_name, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=role_name)
    assert old_id in _key_policy(deployed_cloud, "staging"), "the upstream key policy shows the old id"

    found = _shell(deployed_cloud, "mlgov deploy principals")
    assert found.returncode == 1, found.stderr
    advice = set(ADVICE.findall(found.stderr))
    assert len(advice) == 1, found.stderr
    (command,) = advice
    assert old_id in found.stderr

    started = time.monotonic()
    repair = _shell(deployed_cloud, command)
    seconds = time.monotonic() - started
    tail = "\n".join(repair.stderr.splitlines()[-40:])
    assert repair.returncode == 0, f"`{command}` exited {repair.returncode} after {seconds:.0f}s:\n{tail}"
    print(f"\n`{command}`: {seconds:.0f}s\n{repair.stderr}")

    after = _shell(deployed_cloud, "mlgov deploy principals")
    assert after.returncode == 0, after.stderr
    new_id = iam.get_role(RoleName=role_name)["Role"]["RoleId"]
    assert new_id != old_id
    policy = json.loads(_key_policy(deployed_cloud, "staging"))
    named = json.dumps([s.get("Principal") for s in policy["Statement"]])
    assert role_arn in named and old_id not in named
    # What phase 1 said about the role it found in state but not in the account.
    assert re.search(rf"prod\s+identities\s+ok\s.*re-created.*{role_name}", repair.stderr), repair.stderr

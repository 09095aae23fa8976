"""A downstream promotion role deleted out of band: the upstream grants survive, and one apply of
its environment brings it back, granted as before.

Someone deletes prod's promotion role in prod's account, outside Terraform (prod's state still
lists it). Had staging's key, bucket and model package group policies named that role as their
principal, AWS would have rewritten them to the role's unique id, and a role created again under
the same name would not be granted (IAM User Guide, Principal element, IAM roles). They name prod's
account as principal and the role in an ``aws:PrincipalArn`` condition (modules/policy.py
``roles_by_arn``), which AWS leaves as written: ``mlgov deploy principals`` finds nothing to
repair, ``mlgov deploy apply --env prod`` creates the role again, and the new role reads staging's
models at once.

It uses the session's deployed cloud through the command line, which finds it as an operator's
shell would: the running local cloud by ``MLGOV_LOCALCLOUD_DIR`` and the runner's working
directories (the state of the session's deploy) by ``MLGOV_DEPLOY_WORK_DIR``; ``PYTHONPATH`` names
this checkout, so ``mlgov`` runs this code whatever the virtual environment's editable install
points at. The command synthesizes into the checkout's ``cdktf.out`` (skipped when up to date), as
``mlgov deploy`` always does. Marked ``e2e_out_of_band``: it runs after every other test of the
deployed cloud, so none of them sees the accounts between the damage and the repair.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from environments import Names
from tests.e2e.deployed import DeployedCloud, as_person

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


def _key_arn(deployed: DeployedCloud, env: str) -> str:
    names = Names.of(deployed.platform, deployed.platform.env(env))
    kms = deployed.account(env).client("kms")
    return str(kms.describe_key(KeyId=names.kms_alias)["KeyMetadata"]["Arn"])


def _key_policy(deployed: DeployedCloud, env: str) -> str:
    names = Names.of(deployed.platform, deployed.platform.env(env))
    kms = deployed.account(env).client("kms")
    key_id = kms.describe_key(KeyId=names.kms_alias)["KeyMetadata"]["KeyId"]
    return str(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])


def test_a_deleted_promotion_role_comes_back_with_one_apply_granted_as_before(
    deployed_cloud: DeployedCloud,
) -> None:
    platform = deployed_cloud.platform
    prod, staging = platform.env("prod"), platform.env("staging")
    role_name = Names.of(platform, prod).role_name("promotion")
    role_arn = Names.of(platform, prod).role_arn("promotion")
    clean = _shell(deployed_cloud, "mlgov deploy principals")
    assert clean.returncode == 0, clean.stderr
    before = _key_policy(deployed_cloud, "staging")

    # Out of band, in prod's account: the role's policies, then the role (DeleteRole refuses a
    # role that still has policies: DeleteConflict).
    iam = deployed_cloud.account(prod).client("iam")
    old_id = iam.get_role(RoleName=role_name)["Role"]["RoleId"]
    for policy in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role_name, PolicyName=policy)
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=role_name, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=role_name)

    # staging's grant is written as it was: the role by ARN in a condition, no unique id
    assert _key_policy(deployed_cloud, "staging") == before
    assert old_id not in before and role_arn in before
    still = _shell(deployed_cloud, "mlgov deploy principals")
    assert still.returncode == 0, still.stderr

    command = "mlgov deploy apply --env prod"
    started = time.monotonic()
    repair = _shell(deployed_cloud, command)
    seconds = time.monotonic() - started
    tail = "\n".join(repair.stderr.splitlines()[-40:])
    assert repair.returncode == 0, f"`{command}` exited {repair.returncode} after {seconds:.0f}s:\n{tail}"
    print(f"\n`{command}`: {seconds:.0f}s\n{repair.stderr}")
    assert re.search(r"prod\s+plan\s+changes", repair.stderr), repair.stderr
    new_id = iam.get_role(RoleName=role_name)["Role"]["RoleId"]
    assert new_id != old_id

    # The new role, as a promotion operator takes it, reads staging's models and their key.
    session = as_person(deployed_cloud.cloud, prod.promotion_operators, role_arn, prod.region, "omar")
    staging_names = Names.of(platform, staging)
    s3 = session.client("s3", endpoint_url=deployed_cloud.cloud.url, region_name=staging.region)
    listed = s3.list_objects_v2(Bucket=staging_names.artifact_bucket, Prefix="models/")
    assert listed["ResponseMetadata"]["HTTPStatusCode"] == 200
    kms = session.client("kms", endpoint_url=deployed_cloud.cloud.url, region_name=staging.region)
    with pytest.raises(ClientError) as direct:
        # a direct Decrypt is refused (the grant is through S3 and SageMaker only) ...
        kms.decrypt(CiphertextBlob=b"x" * 64, KeyId=_key_arn(deployed_cloud, "staging"))
    assert direct.value.response["Error"]["Code"] == "AccessDeniedException"
    assert _shell(deployed_cloud, "mlgov deploy principals").returncode == 0

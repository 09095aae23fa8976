"""Reading an apply's progress against its plan (scripts/deploy/terraform.py): what the deploy
runner's ``on_ready`` fires on."""

from __future__ import annotations

from scripts.deploy import terraform as tf

PLAN = """\
Terraform will perform the following actions:

  # aws_iam_role.r will be created
  + resource "aws_iam_role" "r" {
      # (3 unchanged attributes hidden)
    }

  # aws_s3_bucket.b will be updated in-place
  # aws_kms_key.k must be replaced
  # aws_ssm_parameter.old will be destroyed
  # aws_s3_bucket_lifecycle_configuration.l will be created
  # module.m.aws_s3_bucket_policy.p["x"] will be created
  # data.aws_iam_policy_document.d will be read during apply
  # aws_iam_role.gone (deposed object 1a2b3c4d) will be destroyed

Plan: 5 to add, 1 to change, 2 to destroy.
"""


def test_planned_changes_are_each_change_and_the_line_that_completes_it():
    assert tf.planned_changes(PLAN) == {
        "aws_iam_role.r": "Creation",
        "aws_s3_bucket.b": "Modifications",
        "aws_kms_key.k": "Creation",
        "aws_ssm_parameter.old": "Destruction",
        "aws_s3_bucket_lifecycle_configuration.l": "Creation",
        'module.m.aws_s3_bucket_policy.p["x"]': "Creation",
    }


def test_resource_type_of_plain_module_and_keyed_addresses():
    assert tf.resource_type("aws_s3_bucket.b") == "aws_s3_bucket"
    assert tf.resource_type('module.m.aws_s3_bucket_policy.p["a.b"]') == "aws_s3_bucket_policy"


def test_ready_once_everything_but_the_deferred_types_completed():
    fired: list[int] = []
    progress = tf.ApplyProgress(
        tf.planned_changes(PLAN),
        lambda: fired.append(1),
        frozenset({"aws_s3_bucket_lifecycle_configuration"}),
    )
    lines = [
        "aws_ssm_parameter.old: Destroying... [id=/x]",
        "aws_ssm_parameter.old: Destruction complete after 0s",
        "aws_iam_role.r: Creation complete after 1s [id=r]",
        # a replacement's destroy half is not its completion
        "aws_kms_key.k: Destruction complete after 0s",
        "aws_s3_bucket.b: Modifications complete after 2s [id=b]",
        'module.m.aws_s3_bucket_policy.p["x"]: Creation complete after 0s [id=b]',
    ]
    for line in lines:
        progress.on_line(line)
    assert fired == [] and set(progress.pending) == {"aws_kms_key.k"}
    progress.on_line("aws_kms_key.k: Creation complete after 13s [id=k]")
    assert fired == [1]
    progress.on_line("aws_s3_bucket_lifecycle_configuration.l: Creation complete after 55s [id=b]")
    progress.on_line("aws_iam_role.r: Creation complete after 1s [id=r]")
    assert fired == [1], "ready fires once"


def test_ready_at_once_when_only_deferred_changes_are_planned():
    fired: list[int] = []
    tf.ApplyProgress(
        {"aws_s3_bucket_lifecycle_configuration.l": "Creation"},
        lambda: fired.append(1),
        frozenset({"aws_s3_bucket_lifecycle_configuration"}),
    )
    assert fired == [1]


def test_an_apply_that_stops_short_is_never_ready():
    fired: list[int] = []
    progress = tf.ApplyProgress(tf.planned_changes(PLAN), lambda: fired.append(1), frozenset())
    for line in ("aws_iam_role.r: Creation complete after 1s", "Error: creating KMS Key: AccessDenied"):
        progress.on_line(line)
    assert fired == [] and progress.ready is False

"""The names the kit writes into a model version: the ``mlgov-*`` keys of its
CustomerMetadataProperties, the ModelLifeCycle stage statuses, and the names inside its card
(card statuses, the evaluation entries, the DataZone project key).

Seed writes the identity of a training run; promote writes, on the version it creates, where that
version came from. Report and the bench read them back, so each key is spelled once, here. This
module imports nothing: the jobs that only read a version (report, review) do not load the
SageMaker SDK's card shapes (:mod:`.cards`) to know these names.
"""

from __future__ import annotations

# Written by registration (register, and seed through it) on every version it creates.
#: Deterministic key of the version: everything that makes it distinct (use case, group, artifact
#: SHA-256, image, metrics, card, reports, dataset); also the ClientToken of the registration.
META_KEY = "mlgov-idempotency-key"
#: Seed only: key of the training run and what seed registers with it (use case, group, spec, data
#: hash, image, card), known before training, so a rerun finds the version without training.
META_RUN_KEY = "mlgov-run-key"
#: Human label of the version, e.g. ``v1-logreg``.
META_LABEL = "mlgov-version-label"
#: SHA-256 of the training data, or ``unknown`` when registration could not hash it.
META_DATA_HASH = "mlgov-data-sha256"
#: SHA-256 of the uploaded ``model.tar.gz`` and evaluation report.
META_MODEL_SHA256 = "mlgov-model-sha256"
META_REPORT_SHA256 = "mlgov-report-sha256"

# Written by promote on the target version.
META_SOURCE_ARN = "mlgov-source-arn"
META_SOURCE_ACCOUNT = "mlgov-source-account"
META_SOURCE_ENV = "mlgov-source-env"
META_SOURCE_VERSION = "mlgov-source-version"
#: The promotion's idempotency token (finds a target whose registration was not recorded).
META_TOKEN = "mlgov-promotion-token"
#: The promotion gates of the target environment: :data:`GATES_PASSED` on every version a
#: promotion registers (a refused promotion registers nothing). Approval in a strict tier refuses
#: a version without it (:mod:`.review`, and IAM: modules/iam.py and the group policy); no role
#: can set or remove it, or :data:`META_GATE_RESULTS`, after creation.
META_GATES = "mlgov-gates"
GATES_PASSED = "passed"
#: Each gate's value and limit at promotion time, compact (a metadata value holds at most 256
#: characters of letters, digits, spaces and ``_.:/=+-@``): :func:`.promote.gates.gate_record`
#: writes it, :func:`.promote.gates.parse_gate_record` reads it; the promotion's audit record
#: holds the whole list.
META_GATE_RESULTS = "mlgov-gate-results"

# Written on the source version by promote in earlier releases, one key per downstream
# environment. Promote no longer writes them: the promotion role may not update an upstream
# version (separation of duties), so where a version went is read from the downstream versions'
# META_SOURCE_ARN. Kept so that report can still read versions promoted before.
META_PROMOTED_TO_PREFIX = "mlgov-promoted-to-"


def promoted_to_key(env: str) -> str:
    """The source-version key naming the target ARN in environment ``env``."""
    return f"{META_PROMOTED_TO_PREFIX}{env}"


def promoted_to(meta: dict[str, str]) -> dict[str, str]:
    """Environment -> target ARN, from a version's metadata (sorted by environment)."""
    return {
        key[len(META_PROMOTED_TO_PREFIX) :]: value
        for key, value in sorted(meta.items())
        if key.startswith(META_PROMOTED_TO_PREFIX)
    }


# The card.
#: Card statuses of a model package card (botocore ``ModelPackageModelCard.ModelCardStatus``).
CARD_STATUSES = ("Draft", "PendingReview", "Approved", "Archived")
#: custom_details key carrying the DataZone project of the use case.
DATAZONE_PROJECT_KEY = "datazone_project_id"
#: custom_details keys naming the training dataset by its DataZone asset: its id and the revision
#: the version was trained on (the subscribed listing's, docs/DATA.md).
DATASET_ASSET_KEY = "dataset_asset_id"
DATASET_REVISION_KEY = "dataset_asset_revision"
#: custom_details keys naming the version's own DataZone asset once an approval in its environment
#: published it to the catalog (scripts/datazone/models.py): the model asset's id and the revision
#: that lists this version. Written by that environment's approver after the publish; a promotion
#: does not carry them (the copy gets its own environment's asset when approved there).
MODEL_ASSET_KEY = "model_asset_id"
MODEL_ASSET_REVISION_KEY = "model_asset_revision"
#: Names of the card's evaluation_details entries the kit writes and the gates read.
EVAL_PRE_BIAS = "pre-training-bias"
EVAL_POST_BIAS = "post-training-bias"
EVAL_EXPLAINABILITY = "explainability"


# ModelLifeCycle StageStatus: one vocabulary (SageMaker accepts any name; a typo would become the
# record). Its words follow the stage-construct examples of the SageMaker Model Registry guide
# (InProgress, OnHold, Retired) plus the kit's own.
#: Set at registration (seed, register, promote): the version exists at its environment's stage.
STAGE_REGISTERED = "Registered"
#: Set by ``mlgov stage --status Deployed``, which also records a deployment in lineage.
STAGE_DEPLOYED = "Deployed"
#: Set by ``mlgov stage --status Deployed`` on the version that was Deployed before in the same
#: use case and environment: one version serves in an environment at a time.
STAGE_SUPERSEDED = "Superseded"
#: Every status a version's stage may have, in the order a version usually goes through them.
STAGE_STATUSES = (
    STAGE_REGISTERED,  # registered, nothing done with it here yet
    "InProgress",  # being validated or rolled out in this environment
    "OnHold",  # validation or rollout paused
    STAGE_DEPLOYED,  # serving in this environment
    STAGE_SUPERSEDED,  # was deployed, replaced by a newer Deployed version of the use case
    "RolledBack",  # was deployed, taken back out after a problem
    "Retired",  # out of service for good
)

"""The ``mlgov-*`` keys the kit writes into a model version's CustomerMetadataProperties.

Seed writes the identity of a training run; promote writes where a version came from (on the
target) and where it went (on the source). Report and the bench read them back, so each key is
spelled once, here.
"""

from __future__ import annotations

# Written by seed on every version it registers.
#: Deterministic key of the training run (algorithm + hyperparameters + data hash); also the
#: ClientToken of the registration.
META_KEY = "mlgov-idempotency-key"
#: Human label of the training run, e.g. ``v1-logreg``.
META_LABEL = "mlgov-version-label"
#: SHA-256 of the training data.
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

# Written by promote on the source version: one key per downstream environment.
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

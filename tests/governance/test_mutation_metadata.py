"""Where a version went, read from the ``mlgov-promoted-to-*`` keys older releases wrote on the
source version (report still reads them; docs/mutation.md)."""

from __future__ import annotations

from scripts.governance import metadata


def test_promoted_to_reads_only_its_own_keys_sorted_by_environment() -> None:
    meta = {
        metadata.promoted_to_key("staging"): "arn:staging",
        metadata.META_LABEL: "v1-logreg",
        metadata.promoted_to_key("prod"): "arn:prod",
        "promoted-to-qa": "not the kit's key",
    }
    assert list(metadata.promoted_to(meta).items()) == [("prod", "arn:prod"), ("staging", "arn:staging")]
    assert metadata.promoted_to({metadata.META_SOURCE_ENV: "dev"}) == {}

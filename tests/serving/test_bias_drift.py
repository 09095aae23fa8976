"""``mlgov monitor --check bias-drift``: staging serves a version whose card records the
post-training bias of its predictions for the facet ``age_group=under_25`` (the values measured
here, independently, on applicants the test sends later). Traffic named by column carries the
facet beside the model's features (the endpoint hands the model only its features). Undrifted
traffic gives no violation; traffic where the young applicants' finances worsen, so the model
approves them less often, gives a ``bias_drift_check`` violation naming DPPL, written as Model
Monitor's bias-drift job writes it, and the report shows it for the served version."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
from smclarify.bias.metrics import posttraining

from scripts.governance import credit_data
from scripts.governance.errors import GovernanceError
from scripts.governance.report import collect, render_html
from scripts.serving import deploy, runtime
from tests.emulator.serving_kit import FEATURES
from tests.serving.conftest import Account, ServingWorld

pytestmark = pytest.mark.xdist_group("serving-jobs")

FACET, YOUNG = credit_data.FACET, credit_data.FACET_SENSITIVE_VALUE


def _applicants(start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    data = credit_data.generate()
    return data.features(FEATURES)[start : start + count], data.facet[start : start + count]


def _card(model: Any) -> dict[str, Any]:
    """The card's post-training bias as registration writes it (evaluation.card_evaluations),
    with the model's DPPL and DI on the undrifted applicants, measured here with smclarify."""
    x, facet = _applicants(2000, 400)
    sensitive = pd.Series(facet == YOUNG)
    positive = pd.Series(model.predict(x) == 1)
    feature = pd.Series(facet)
    values = {m: float(getattr(posttraining, m)(feature, sensitive, positive)) for m in ("DPPL", "DI")}
    return {
        "evaluation_details": [
            {
                "name": "post-training-bias",
                "metadata": {"label": "good_credit", "positive_label": "1", "facets": FACET},
                "metric_groups": [
                    {
                        "name": f"post_training_bias - facet {FACET}={YOUNG}",
                        "metric_data": [
                            {"name": "DPPL", "type": "number", "value": values["DPPL"]},
                            {"name": "DI", "type": "number", "value": values["DI"]},
                            {"name": "AD", "type": "number", "value": 0.02},
                        ],
                    }
                ],
            }
        ]
    }


def _body(x: np.ndarray, facet: np.ndarray) -> str:
    rows = [
        {**dict(zip(FEATURES, map(float, r), strict=True)), FACET: str(g)}
        for r, g in zip(x, facet, strict=True)
    ]
    return json.dumps({"instances": rows})


def _send(world: ServingWorld, x: np.ndarray, facet: np.ndarray) -> None:
    for start in range(0, len(x), 50):
        runtime.invoke(
            world.platform,
            "staging",
            _body(x[start : start + 50], facet[start : start + 50]),
            content_type=runtime.JSON,
        )


def _check(world: ServingWorld, since: float, rows: int) -> dict[str, Any]:
    """The bias-drift check over the traffic sent since ``since`` (time.time()), repeated until
    all ``rows`` are captured (the capture flushes every 0.3 s here), never slept through."""
    deadline = time.monotonic() + 60
    while True:
        window = time.time() - since + 1.0
        try:
            result = runtime.monitor(world.platform, "staging", checks=("bias-drift",), window_s=window)
        except GovernanceError as err:  # nothing captured yet
            if "no captured traffic" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.3)
            continue
        if result["bias_drift"]["rows"] >= rows or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def test_bias_drift_flags_diverging_facet_outcomes_and_the_report_shows_it(world: ServingWorld) -> None:
    staging = world.accounts["staging"]
    model = world.models["logistic"]
    arn = staging.register("biased", world.archives["logistic"], card_content=_card(model))
    deploy.serve(world.platform, "staging", arn, "watch its bias")
    try:
        _watched(world, staging, arn)
    finally:  # staging's other tests expect no endpoint and no model of the use case there
        deploy.undeploy(world.platform, "staging", "bias test done")


def _watched(world: ServingWorld, staging: Account, arn: str) -> None:
    # Undrifted: the applicants the card's values were measured on.
    since = time.time()
    x, facet = _applicants(2000, 400)
    _send(world, x, facet)
    calm = _check(world, since, 400)
    drift = calm["bias_drift"]
    assert drift["rows"] == 400 and drift["skipped_records"] == 0
    assert calm["violations"] == [] and drift["violations"] == []
    assert drift["facets"][0]["not_computed"] == {
        "AD": "needs ground-truth labels, which captured traffic does not carry"
    }

    # Drifted: the young applicants now come with a third of the income and far more debt.
    # Capture times are to the second and the window starts a second before `since`: once more
    # than a second has passed, no undrifted record is in the drifted window.
    time.sleep(1.1)
    since = time.time()
    x, facet = _applicants(2400, 400)
    young = facet == YOUNG
    x = x.copy()
    x[young, FEATURES.index("income_k")] /= 3
    x[young, FEATURES.index("debt_to_income")] += 0.3
    _send(world, x, facet)
    drifted = _check(world, since, 400)
    found = drifted["bias_drift"]["violations"]
    assert {v["metric_name"] for v in found} >= {"DPPL"}
    for v in found:
        assert v["constraint_check_type"] == "bias_drift_check"
        assert (v["facet"], v["facet_value"]) == (FACET, YOUNG)
        assert v["description"].startswith("Value ")
    # Written where and as Model Monitor's bias-drift job writes it.
    s3, bucket = staging.client("s3"), staging.names.artifact_bucket
    report = drifted["bias_drift"]["report_uri"].removeprefix(f"s3://{bucket}/")
    assert report.startswith(f"monitoring/{staging.names.endpoint_name('credit-risk')}/bias-drift/v")
    written = json.loads(
        s3.get_object(Bucket=bucket, Key=f"{report}/constraint_violations.json")["Body"].read()
    )
    assert written == {"version": "1.0", "violations": found}
    assert "DPPL" in runtime.render_monitor(drifted)

    # The report shows the served version's latest monitor results.
    rows = collect(world.platform, envs=["staging"], details=True)
    served = next(r for r in rows.versions if r.arn == arn)
    assert served.monitoring is not None
    shown = served.to_dict()["monitoring"]
    assert shown["bias_drift"]["violations"] == found
    assert shown["bias_drift"]["uri"] == f"s3://{bucket}/{report}/constraint_violations.json"
    page = render_html(rows)
    assert "bias_drift_check" in page and "DPPL" in page

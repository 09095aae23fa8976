"""The monitor results of a served version, for the report: the newest ``constraint_violations.json``
of each check ``mlgov monitor`` ran on its endpoint for that version.

Where they are (scripts/serving/runtime.py writes or names them): under the monitoring prefix of
the artifact bucket, ``monitoring/<endpoint>/<endpoint>-v<n>-monitor-<stamp>/<yyyy/mm/dd/hh>/``
(Model Monitor's data-quality execution, its schedule named with the version) and
``monitoring/<endpoint>/bias-drift/v<n>/<stamp>/`` (the kit's bias-drift check). One listing of
the endpoint's prefix and at most two GetObject calls per served version. The report's role may
list ``monitoring/`` and read only the violation files there (modules/roles.py, approver role):
where it cannot, the row says so instead of showing nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import ClientError

from scripts.aws import error_code

from ..context import EnvContext

VIOLATIONS = "constraint_violations.json"


def monitor_results(ctx: EnvContext, use_case: str, version: int) -> dict[str, Any]:
    """``{"data_quality": {...} | None, "bias_drift": {...} | None}`` for the version, each the
    newest run's ``uri``, ``run`` (its stamp) and ``violations``; ``error`` when unreadable."""
    endpoint = ctx.names.endpoint_name(use_case)
    prefix = f"{ctx.names.monitoring_prefix}{endpoint}/"
    patterns = {
        "data_quality": re.compile(rf"^{re.escape(endpoint)}-v{version}-monitor-(\d{{14}})/.*{VIOLATIONS}$"),
        "bias_drift": re.compile(rf"^bias-drift/v{version}/(\d{{14}})/{VIOLATIONS}$"),
    }
    s3, bucket = ctx.client("s3"), ctx.artifact_bucket
    newest: dict[str, tuple[str, str]] = {}
    out: dict[str, Any] = {**dict.fromkeys(patterns), "error": None}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents") or []:
                rest = item["Key"][len(prefix) :]
                for check, pattern in patterns.items():
                    match = pattern.match(rest)
                    if match and (check not in newest or match.group(1) > newest[check][0]):
                        newest[check] = (match.group(1), item["Key"])
        for check, (stamp, key) in newest.items():
            body = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            out[check] = {
                "run": stamp,
                "uri": f"s3://{bucket}/{key}",
                "violations": list(body.get("violations") or []),
            }
    except ClientError as err:
        return {
            **out,
            "error": f"the monitor results under s3://{bucket}/{prefix} could not be read as the "
            f"report's role ({error_code(err)})",
        }
    return out

"""Which container images the local cloud runs: SageMaker's scikit-learn framework image.

An image is run when it is exactly one of the SageMaker scikit-learn framework images AWS
publishes for the job's region: ``<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-scikit-learn:
<version>-cpu-py3``, with the account and versions of the region as the SageMaker Python SDK's
image table lists them (``sagemaker.core`` ``image_uri_config/sklearn.json``, the table
``image_uris.retrieve("sklearn", ...)`` reads). Any other image (another framework, a custom
image, a version or region that does not exist) is refused: the local cloud cannot pull and run
an image, it runs the job with its own interpreter, which is what that image provides (Python 3,
scikit-learn, pandas, numpy). The image's version is checked, not honoured: every version runs
with the local cloud's scikit-learn.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path

#: What the local cloud runs, in the words of its refusals.
FRAMEWORK = "the SageMaker scikit-learn framework image (sagemaker-scikit-learn:<version>-cpu-py3)"

_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/sagemaker-scikit-learn:(?P<version>[0-9][0-9a-z.\-]*?)-cpu-py3$"
)


@cache
def _table() -> tuple[dict[str, str], frozenset[str]]:
    """(region -> registry account, versions) of the scikit-learn image, over every scope."""
    # Found on disk, not imported: importing sagemaker.core takes seconds.
    spec = importlib.util.find_spec("sagemaker")
    locations = list(spec.submodule_search_locations or []) if spec else []
    tables = [Path(d, "core", "image_uri_config", "sklearn.json") for d in locations]
    raw = next(path for path in tables if path.is_file()).read_text(encoding="utf-8")
    registries: dict[str, str] = {}
    versions: set[str] = set()
    for scope in json.loads(raw).values():
        for version, spec in scope["versions"].items():
            if spec.get("repository") != "sagemaker-scikit-learn":
                continue
            versions.add(version)
            registries.update(spec.get("registries", {}))
    return registries, frozenset(versions)


def image_problem(image: str, region: str) -> str | None:
    """None when the local cloud runs ``image`` for a job in ``region``; else why not, naming
    the image and what the local cloud runs."""
    registries, versions = _table()
    match = _IMAGE.match(image or "")
    expected = registries.get(region)
    refused = f"The local cloud cannot run image '{image}'. It runs only {FRAMEWORK}"
    if match is None:
        return f"{refused}, e.g. {expected or '<account>'}.dkr.ecr.{region}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3."
    if match["region"] != region:
        return f"{refused} of the job's region {region}, not of {match['region']}."
    if match["account"] != expected:
        return f"{refused} from its registry account in {region} ({expected}), not {match['account']}."
    if match["version"] not in versions:
        return f"{refused} in a version SageMaker publishes ({', '.join(sorted(versions))}), not {match['version']}."
    return None

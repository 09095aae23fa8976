"""The ``ci:`` section of platform.yaml: loaded into a frozen CiConfig, bad input named by file,
field and expectation (the loader's error style)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from environments import ConfigError, load_platform

from .conftest import ENV_DIR


def _with_ci(tmp_path: Path, ci: object) -> Path:
    for path in ENV_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    data = yaml.safe_load((tmp_path / "platform.yaml").read_text())
    data["ci"] = ci
    (tmp_path / "platform.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def test_shipped_ci_section_loads() -> None:
    ci = load_platform().ci
    assert ci is not None and ci.github_repository == "example-org/mlgov-platform"
    assert ci.branches == ("main",) and ci.plan_on_pull_request and ci.create_oidc_provider
    with pytest.raises(AttributeError):
        ci.branches = ("dev",)  # type: ignore[misc]


def test_defaults_and_no_section(tmp_path: Path) -> None:
    ci = load_platform(_with_ci(tmp_path, {"github_repository": "acme/ml-platform"})).ci
    assert ci is not None and ci.branches == ("main",) and ci.admin_principals == ()
    data = yaml.safe_load((tmp_path / "platform.yaml").read_text())
    del data["ci"]
    (tmp_path / "platform.yaml").write_text(yaml.safe_dump(data))
    assert load_platform(tmp_path).ci is None


@pytest.mark.parametrize(
    ("ci", "field", "expected"),
    [
        ({"github_repository": "acme"}, "ci.github_repository", "owner/name"),
        ({"github_repository": "acme/*"}, "ci.github_repository", "owner/name"),
        ({"github_repository": "acme/ml", "branches": ["release/*"]}, "ci.branches[0]", "no wildcards"),
        ({"github_repository": "acme/ml", "branches": ["main", "main"]}, "ci.branches", "unique"),
        ({"github_repository": "acme/ml", "branches": "main"}, "ci.branches", "expected a list"),
        (
            {"github_repository": "acme/ml", "admin_principals": ["*"]},
            "ci.admin_principals[0]",
            "IAM principal ARN",
        ),
        (
            {"github_repository": "acme/ml", "plan_on_pull_request": "yes"},
            "ci.plan_on_pull_request",
            "true or false",
        ),
        ({"github_repository": "acme/ml", "environments": ["prod"]}, "ci.environments", "unknown key"),
        ({"branches": ["main"]}, "ci.github_repository", "is required"),
        ("acme/ml", "ci", "expected a mapping"),
    ],
)
def test_bad_ci_section_names_file_field_and_expectation(
    tmp_path: Path, ci: object, field: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_platform(_with_ci(tmp_path, ci))
    message = str(err.value)
    assert message.split(": ")[0].endswith("platform.yaml"), message
    assert f": {field}: " in message and expected in message, message

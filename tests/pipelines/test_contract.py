"""The use-case pipeline contract (no SageMaker SDK needed): how the kit finds a use case's
pipeline module and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.pipelines import contract


def _context(use_case: str) -> contract.PipelineContext:
    return contract.PipelineContext(
        use_case=use_case,
        pipeline_name=f"mlgov-dev-{use_case}",
        role_arn="arn:aws:iam::111111111111:role/pipeline",
        bucket="bucket",
        output_uri="s3://bucket/pipelines/x",
        models_uri="s3://bucket/models/x/pipelines",
        input_data_uri="s3://bucket/data/x.csv",
        model_package_group=f"mlgov-dev-{use_case}",
        region="us-east-1",
        session=None,
    )


def test_the_sample_use_case_has_a_pipeline_module():
    assert contract.module_path("credit-risk") == contract.USE_CASES_DIR / "credit-risk" / "pipeline.py"
    assert contract.module_path("credit-risk").is_file()


def test_a_use_case_without_a_module_or_without_build_is_refused_naming_the_file(tmp_path: Path):
    with pytest.raises(contract.PipelineModuleError, match=r"no pipeline: expected .*fraud/pipeline.py"):
        contract.load("fraud", tmp_path)
    (tmp_path / "fraud").mkdir()
    (tmp_path / "fraud" / "pipeline.py").write_text("BUILD = None\n")
    with pytest.raises(contract.PipelineModuleError, match=r"must define build\(context"):
        contract.load("fraud", tmp_path)


def test_build_must_return_the_pipeline_the_context_names(tmp_path: Path):
    (tmp_path / "fraud").mkdir()
    module = tmp_path / "fraud" / "pipeline.py"
    module.write_text(
        "from types import SimpleNamespace\n"
        "def build(context):\n"
        "    return SimpleNamespace(name=NAME, definition=lambda: '{}')\n"
        "NAME = 'mlgov-dev-fraud'\n"
    )
    built = contract.build(_context("fraud"), tmp_path)
    assert built.name == "mlgov-dev-fraud" and built.definition() == "{}"
    module.write_text(module.read_text().replace("'mlgov-dev-fraud'", "'something-else'"))
    with pytest.raises(contract.PipelineModuleError, match="must return a Pipeline named 'mlgov-dev-fraud'"):
        contract.build(_context("fraud"), tmp_path)

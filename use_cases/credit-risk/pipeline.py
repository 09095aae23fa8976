"""The credit-risk use case's SageMaker Pipeline, written with the SageMaker Python SDK v3 as a data
scientist writes one: preprocess -> train -> evaluate -> quality condition -> register (or fail).

    Preprocess   FrameworkProcessor (scikit-learn image), steps/preprocess.py: stratified split,
                 the protected facet age_group kept
    Train        ModelTrainer (scikit-learn image), steps/train.py: logistic regression on the
                 financial columns -> model.tar.gz
    Evaluate     FrameworkProcessor, evaluation/evaluate.py (+ the kit's evaluation.py, metadata.py):
                 quality, Clarify pre- and post-training bias, SHAP explainability, the card
    CheckQuality ConditionStep: JsonGet(evaluation.json, metrics.roc_auc) >= MinRocAuc
      if         Register: ModelStep(ModelBuilder.register) into the use case's group, card
                 PendingReview (the content Evaluate wrote), approval PendingManualApproval,
                 model metrics pointing at the three reports, and the SHA-256 of the model
                 archive and of the evaluation report Evaluate computed (checksums.json) as
                 the mlgov-model-sha256 / mlgov-report-sha256 metadata promotion verifies
      else       QualityTooLow: FailStep naming the threshold

Parameters (set per execution): InputData (the credit table on S3), DatasetAssetId and
DatasetRevision (the DataZone asset InputData is, and its revision: ``mlgov pipeline start`` sets
all three from the use case's approved subscription; ``unset`` when the input is no catalog
asset), MinRocAuc (the quality floor), DataZoneProjectId (the use case's DataZone project; its
default is the project id the kit found in SSM when it built the pipeline). The project and the
dataset asset are recorded in the card's custom details. Everything else comes from the
:class:`scripts.pipelines.contract.PipelineContext` the kit passes to :func:`build`: the role
every step runs as, where outputs go, the KMS key, the group.

Only the SDK is needed to build it (the ``pipeline`` extra); the steps run the local cloud's or
SageMaker's scikit-learn image. The evaluation step's ``requirements.txt`` (smclarify, shap,
sagemaker-core at the kit's pins) is installed by SageMaker before it runs; the local cloud
checks its interpreter has them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sagemaker.core import image_uris
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.processing import FrameworkProcessor
from sagemaker.core.s3 import S3Uploader
from sagemaker.core.shapes import (
    ModelLifeCycle,
    ModelPackageModelCard,
    ProcessingInput,
    ProcessingOutput,
    ProcessingS3Input,
    ProcessingS3Output,
)
from sagemaker.core.shapes.model_card_shapes import (
    AdditionalInformation,
    BusinessDetails,
    IntendedUses,
    ModelCardContent,
    RiskRating,
    TrainingDetails,
)
from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train import ModelTrainer
from sagemaker.train.configs import Compute, InputData, OutputDataConfig, SourceCode

from scripts.governance.metadata import META_MODEL_SHA256, META_REPORT_SHA256

HERE = Path(__file__).resolve().parent
STEPS = HERE / "steps"
#: The evaluation step's own source directory: its script and requirements.txt.
EVALUATION = HERE / "evaluation"
#: The kit's evaluation computations (Clarify bias, SHAP), shipped with the evaluation step, and
#: the names of the card entries it writes (evaluation.py imports them from metadata.py).
EVALUATION_MODULES = tuple(
    HERE.parents[1] / "scripts" / "governance" / name
    for name in ("evaluation.py", "metadata.py", "baseline.py")
)
SKLEARN_VERSION = "1.2-1"
INSTANCE_TYPE = "ml.m5.large"
FINANCIAL_FEATURES = (
    "income_k",
    "debt_to_income",
    "credit_history_years",
    "late_payments_2y",
    "loan_amount_k",
    "employment_years",
)
HYPERPARAMETERS = {
    "algorithm": "logistic_regression",
    "C": 1.0,
    "max_iter": 500,
    "features": ",".join(FINANCIAL_FEATURES),
}


def card_sections(use_case: str) -> dict[str, Any]:
    """What the data scientist writes about the model (the evaluation step adds the rest)."""
    problem = "Probability of default for retail credit applications."
    content = ModelCardContent(
        intended_uses=IntendedUses(
            purpose_of_model=problem,
            intended_uses=f"Decision support for the {use_case} use case; a person reviews every adverse decision.",
            factors_affecting_model_efficiency="Distribution shift between the training sample and the scored population.",
            risk_rating=RiskRating.HIGH,
            explanations_for_risk_rating="Outputs inform decisions about people.",
        ),
        business_details=BusinessDetails(
            business_problem=problem,
            business_stakeholders="Credit risk office; model risk management",
            line_of_business="Retail lending",
        ),
        training_details=TrainingDetails(
            training_observations="Logistic regression on the financial columns of the credit applications "
            "(age and the age facet are not features)."
        ),
        additional_information=AdditionalInformation(
            caveats_and_recommendations="Labels carry a known historical bias against applicants under 25: "
            "read the pre-training bias entry before approving."
        ),
    )
    return content.model_dump(mode="json", exclude_none=True)


def _upload_card_sections(context: Any) -> str:
    """The card sections as an input of the evaluation step (content-addressed, so a rebuild with
    the same sections points at the same object)."""
    body = json.dumps(card_sections(context.use_case), indent=2, sort_keys=True)
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    uri = f"{context.output_uri.rstrip('/')}/card/{digest}/card_sections.json"
    S3Uploader.upload_string_as_file_body(
        body=body, desired_s3_uri=uri, kms_key=context.kms_key_arn, sagemaker_session=context.session
    )
    return uri


def _output(context: Any, step: str, name: str, *, registered: bool = False) -> Join:
    """s3://<output>/<execution id>/<step>/<name>: each execution writes apart. What the
    registered version references (``registered``) goes under ``context.models_uri`` instead,
    the ``models/`` prefix promotion copies from."""
    root = context.models_uri if registered else context.output_uri
    return Join(on="/", values=[root.rstrip("/"), ExecutionVariables.PIPELINE_EXECUTION_ID, step, name])


def build(context: Any) -> Pipeline:
    """The pipeline for ``context`` (a :class:`scripts.pipelines.contract.PipelineContext`)."""
    session = context.session
    image = image_uris.retrieve("sklearn", region=context.region, version=SKLEARN_VERSION)
    input_data = ParameterString(name="InputData", default_value=context.input_data_uri)
    min_roc_auc = ParameterFloat(name="MinRocAuc", default_value=0.75)
    datazone_project = ParameterString(
        name="DataZoneProjectId", default_value=context.datazone_project_id or "unset"
    )
    dataset_asset = ParameterString(name="DatasetAssetId", default_value="unset")
    dataset_revision = ParameterString(name="DatasetRevision", default_value="unset")

    processor = FrameworkProcessor(
        image_uri=image,
        role=context.role_arn,
        instance_count=1,
        instance_type=INSTANCE_TYPE,
        output_kms_key=context.kms_key_arn,
        code_location=f"{context.output_uri.rstrip('/')}/code",
        base_job_name=f"{context.use_case}-preprocess",
        sagemaker_session=session,
    )
    preprocess = ProcessingStep(
        name="Preprocess",
        step_args=processor.run(
            code="preprocess.py",
            source_dir=str(STEPS),
            inputs=[
                ProcessingInput(
                    input_name="raw",
                    s3_input=ProcessingS3Input(
                        s3_uri=input_data,
                        local_path="/opt/ml/processing/input/raw",
                        s3_data_type="S3Prefix",
                        s3_input_mode="File",
                    ),
                )
            ],
            outputs=[
                ProcessingOutput(
                    output_name=name,
                    s3_output=ProcessingS3Output(
                        s3_uri=_output(context, "preprocess", name),
                        local_path=f"/opt/ml/processing/output/{name}",
                        s3_upload_mode="EndOfJob",
                    ),
                )
                for name in ("train", "test")
            ],
            arguments=["--holdout", "0.25", "--seed", "0"],
        ),
    )
    train_data = preprocess.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri
    test_data = preprocess.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri

    trainer = ModelTrainer(
        training_image=image,
        role=context.role_arn,
        compute=Compute(instance_type=INSTANCE_TYPE, instance_count=1),
        source_code=SourceCode(source_dir=str(STEPS), entry_script="train.py"),
        hyperparameters=HYPERPARAMETERS,
        input_data_config=[InputData(channel_name="train", data_source=train_data, content_type="text/csv")],
        output_data_config=OutputDataConfig(
            s3_output_path=context.models_uri.rstrip("/"), kms_key_id=context.kms_key_arn
        ),
        base_job_name=f"{context.use_case}-train",
        sagemaker_session=session,
    )
    train = TrainingStep(name="Train", step_args=trainer.train())
    model_artifact = train.properties.ModelArtifacts.S3ModelArtifacts

    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    checksums = PropertyFile(name="Checksums", output_name="checksums", path="checksums.json")
    outputs = {
        name: _output(context, "evaluate", name, registered=name != "checksums")
        for name in ("evaluation", "bias", "explainability", "checksums")
    }
    # The data-quality baseline goes where `mlgov monitor` and promotion look for a version's:
    # baseline/ beside its archive (<models_uri>/<training job>/output/model.tar.gz).
    outputs["baseline"] = Join(
        on="/",
        values=[context.models_uri.rstrip("/"), train.properties.TrainingJobName, "output", "baseline"],
    )
    evaluation_inputs = (
        ("model", model_artifact),
        ("train", train_data),
        ("test", test_data),
        ("card", _upload_card_sections(context)),
    )
    evaluation_args = processor.run(
        code="evaluate.py",
        source_dir=str(EVALUATION),
        dependencies=[str(module) for module in EVALUATION_MODULES],
        inputs=[
            ProcessingInput(
                input_name=name,
                s3_input=ProcessingS3Input(
                    s3_uri=uri,
                    local_path=f"/opt/ml/processing/{name}",
                    s3_data_type="S3Prefix",
                    s3_input_mode="File",
                ),
            )
            for name, uri in evaluation_inputs
        ],
        outputs=[
            ProcessingOutput(
                output_name=name,
                s3_output=ProcessingS3Output(
                    s3_uri=uri, local_path=f"/opt/ml/processing/output/{name}", s3_upload_mode="EndOfJob"
                ),
            )
            for name, uri in outputs.items()
        ],
        arguments=[
            "--use-case",
            context.use_case,
            "--datazone-project-id",
            datazone_project,
            "--dataset-asset-id",
            dataset_asset,
            "--dataset-revision",
            dataset_revision,
            "--model-artifact",
            model_artifact,
            "--model-creator",
            context.pipeline_name,
            "--training-job-arn",
            train.properties.TrainingJobArn,
            "--training-data-uri",
            train_data,
            "--report-uri",
            outputs["evaluation"],
            "--bias-uri",
            outputs["bias"],
            "--explainability-uri",
            outputs["explainability"],
        ],
    )
    evaluate = ProcessingStep(name="Evaluate", step_args=evaluation_args, property_files=[report, checksums])

    def checksum(key: str) -> JsonGet:
        """The SHA-256 Evaluate recorded under the version metadata key ``key``."""
        return JsonGet(
            step_name=evaluate.name,
            property_file=checksums,
            json_path=f"customer_metadata_properties['{key}']",
        )

    def report_of(name: str, filename: str) -> Join:
        uri = evaluate.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri
        return Join(on="/", values=[uri, filename])

    builder = ModelBuilder(
        s3_model_data_url=model_artifact,
        image_uri=image,
        role_arn=context.role_arn,
        sagemaker_session=session,
    )
    register = ModelStep(
        name="Register",
        step_args=builder.register(
            model_package_group_name=context.model_package_group,
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=[INSTANCE_TYPE],
            transform_instances=[INSTANCE_TYPE],
            approval_status="PendingManualApproval",
            model_metrics=ModelMetrics(
                model_statistics=MetricsSource(
                    "application/json", report_of("evaluation", "evaluation.json")
                ),
                bias_pre_training=MetricsSource("application/json", report_of("bias", "analysis.json")),
                bias_post_training=MetricsSource("application/json", report_of("bias", "analysis.json")),
                explainability=MetricsSource(
                    "application/json", report_of("explainability", "analysis.json")
                ),
                # The data-quality baseline: what `mlgov monitor` compares traffic with, and what
                # promotion copies with the archive.
                model_data_statistics=MetricsSource(
                    "application/json", report_of("baseline", "statistics.json")
                ),
                model_data_constraints=MetricsSource(
                    "application/json", report_of("baseline", "constraints.json")
                ),
            ),
            # What promotion verifies the copies against: the archive Evaluate read, the report
            # it wrote.
            customer_metadata_properties={
                "use_case": context.use_case,
                META_MODEL_SHA256: checksum(META_MODEL_SHA256),
                META_REPORT_SHA256: checksum(META_REPORT_SHA256),
            },
            # At the environment's stage, Registered, as `mlgov register` registers a version.
            model_life_cycle=(
                ModelLifeCycle(
                    stage=context.lifecycle_stage,
                    stage_status="Registered",
                    stage_description=f"registered by pipeline {context.pipeline_name}",
                )
                if context.lifecycle_stage
                else None
            ),
            model_card=ModelPackageModelCard(
                model_card_content=JsonGet(
                    step_name=evaluate.name, property_file=report, json_path="model_card_content"
                ),
                model_card_status="PendingReview",
            ),
        ),
    )
    too_weak = FailStep(
        name="QualityTooLow",
        error_message=Join(
            on=" ", values=["ROC AUC on the held-out rows is below the floor MinRocAuc =", min_roc_auc]
        ),
    )
    check = ConditionStep(
        name="CheckQuality",
        conditions=[
            ConditionGreaterThanOrEqualTo(
                left=JsonGet(step_name=evaluate.name, property_file=report, json_path="metrics.roc_auc"),
                right=min_roc_auc,
            )
        ],
        if_steps=[register],
        else_steps=[too_weak],
    )
    return Pipeline(
        name=context.pipeline_name,
        parameters=[input_data, dataset_asset, dataset_revision, min_roc_auc, datazone_project],
        steps=[preprocess, train, evaluate, check],
        sagemaker_session=session,
    )

"""Per-use-case SageMaker Pipelines: the contract between the kit and a use case's pipeline module.

A use case's pipeline is a module ``use_cases/<use case>/pipeline.py`` exposing
``build(context: PipelineContext) -> Pipeline`` (a SageMaker Python SDK v3
``sagemaker.mlops.workflow.pipeline.Pipeline``); :mod:`.contract` loads it and hands it the
context. The SDK (the ``pipeline`` extra) is imported only by the use case's module, when a
pipeline is built. See ``use_cases/README.md``.
"""

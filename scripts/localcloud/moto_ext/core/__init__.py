"""The floor every extension stands on: policy documents, their conditions and principals, and
small shared helpers. Nothing here imports another part of ``moto_ext``, so a service package
(``sagemaker/``, ``ram/``, ...) and the IAM patches above it use these without an import cycle."""

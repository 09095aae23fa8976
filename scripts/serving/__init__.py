"""Serving the kit's model versions on SageMaker: what goes into a model archive beside the
trained model so the SageMaker scikit-learn container can serve it (``inference.py``)."""

"""Stand-ins for the SageMaker containers the local cloud runs: the scikit-learn serving
container's model server (``sklearn_serving.py``) and the Model Monitor analyzer
(``model_monitor.py``), each started as a process with its ``/opt/ml`` layout by ``runner.py``.

They are the local cloud's, not AWS's images: each module's docstring says which container it
stands in for, what of its contract it reproduces and what not (docs/emulator-gaps.md too).
"""

"""The benchmarks behind ``make bench`` (``python -m scripts.bench`` or ``mlgov bench``)."""

from .core import BenchContext, main, section

__all__ = ["BenchContext", "main", "section"]

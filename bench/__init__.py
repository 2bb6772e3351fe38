"""Benchmarks of papo side by side with the systems users would pick instead.

Run ``python -m bench`` (or ``python -m bench --quick``) from the repository root; see
``bench/README.md``.
"""

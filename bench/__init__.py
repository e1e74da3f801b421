"""Benchmarks: `make bench` (or `python -m bench`). Each prints ratios against a baseline
measured in the same run, because these machines are too noisy for absolute targets."""

"""Benchmarks of the regulation library (``make bench-regulations``): indexing throughput per
format, search latency on 5,000 passages, recall@5 on the question set."""

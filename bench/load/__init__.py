"""The load test: Locust against the running system, on loopback only (`make load`, `make soak`).

`python -m bench.load` starts the embedded default (or `--emulated`, the emulator stack) on a
free 127.0.0.1 port with a fresh data folder, creates the tenants, runs Locust headless with
strict bounds (``locustfile.py``: the Revit add-in's traffic), and reports per route, per event
handler and per store operation, against the targets of issue 18.
"""

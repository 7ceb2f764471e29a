"""Grading: everything that touches learner code.

isolation.py  how learner code is confined (bubblewrap when present, else limits only)
sandbox.py    run a child under limits and classify how it ended
remote.py     the trusted side of the learner proxy (JSON + .npy, never pickle)
worker.py     the untrusted side: imports the learner's module, serves calls
plugin.py     the pytest plugin every DoD suite runs under
checking.py   assertions with numeric failure messages, for DoD checks
checks.py     run_checks(): the grading pytest, results to the store
runs.py       `harness run` / `reproduce`; run_child.py is its sandboxed child
"""

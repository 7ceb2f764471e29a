"""harness.cohort.views and .records are data-layer modules: they never import textual."""

import json
import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["harness.cohort.views", "harness.cohort.records"])
def test_mentor_and_records_never_import_textual(module):
    code = f"import {module}, json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "textual" not in set(json.loads(out.stdout))

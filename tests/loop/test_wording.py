"""Bug 5 and the stub-run friction: messages said twice, tracebacks as the only message."""

from __future__ import annotations

from harness.wording import HarnessFrames, clean_message, failure_summary

TRACEBACK = (
    "the run the process exited with code 1: Traceback (most recent call last):\n"
    '  File "learners/ana/extension-X2/lab-00/tiny_vit.py", line 170, in train\n'
    "    raise NotImplementedError\n"
    "NotImplementedError\n"
)


def test_glued_phrasings_are_said_once():
    assert clean_message("the check run the process was cancelled") == (
        "the check run was cancelled"
    )
    assert clean_message("the run the process was cancelled:") == "the run was cancelled"
    assert clean_message("the check run was stopped after 900 s") == (
        "the check run was stopped after 900 s"
    )


def test_a_stub_run_is_one_line_that_says_what_is_missing():
    assert failure_summary(TRACEBACK) == (
        "a function of your file is not implemented yet (NotImplementedError)"
    )


def test_other_exceptions_keep_their_last_line():
    message = (
        "the run exited with code 1: Traceback (most recent call last):\n"
        '  File "x.py", line 3, in train\nValueError: shapes (4,8) and (9,8) not aligned'
    )
    assert failure_summary(message) == (
        "the run exited with code 1: ValueError: shapes (4,8) and (9,8) not aligned"
    )


PYTEST_OUTPUT = """\
____________________________ test_layernorm_forward ____________________________
/work/main/labs/x2_multimodal/lab00/checks/test_lab00_dod.py:133: in test_layernorm_forward
    y, _ = impl.layernorm(x, g, b)
           ^^^^^^^^^^^^^^^^^^^^^^^
/work/main/harness/grading/diagnosis.py:64: in <lambda>
    return lambda *a, **k: self._record(name, a, k, None)
/work/main/harness/grading/remote.py:443: in call
    raise LearnerError(kind, message, printable(str(err.get("traceback", ""))))
E   harness.grading.remote.LearnerError: tiny_vit.py.layernorm() is not implemented yet
1 failed in 0.4s"""


def test_the_graders_own_frames_leave_the_output():
    """Friction: the pytest pane was mostly harness internals."""
    frames = HarnessFrames()
    kept = [line for line in PYTEST_OUTPUT.splitlines() if frames.keep(line)]
    assert kept == [
        PYTEST_OUTPUT.splitlines()[0],
        "/work/main/labs/x2_multimodal/lab00/checks/test_lab00_dod.py:133: in "
        "test_layernorm_forward",
        "    y, _ = impl.layernorm(x, g, b)",
        "           ^^^^^^^^^^^^^^^^^^^^^^^",
        "E   harness.grading.remote.LearnerError: tiny_vit.py.layernorm() is not implemented yet",
        "1 failed in 0.4s",
    ]
    assert frames.hidden == 2

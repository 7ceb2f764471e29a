"""The sandbox and the learner proxy on their own: limits, output caps, whole-tree kills."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from harness.grading.remote import LearnerError, RemoteModule
from harness.grading.sandbox import run_sandboxed

LEARNER_FILES = Path(__file__).with_name("learner_files")


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_50_mb_of_output_is_drained_and_capped():
    result = run_sandboxed(
        python("""
        import sys
        for _ in range(50):
            sys.stdout.write(("y" * 1023 + "\\n") * 1024)
        print("the end")
    """),
        timeout_s=30,
    )
    assert result.status == "ok"
    assert result.output_bytes > 50 * 1024**2
    assert len(result.output) < 200_000 and "bytes of output cut" in result.output
    assert result.tail.endswith("the end")


def test_a_timeout_ends_children_that_left_the_process_group(tmp_path, pid_alive):
    pidfile = tmp_path / "escaped.pid"
    started = time.monotonic()
    result = run_sandboxed(
        python(f"""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                 start_new_session=True)  # like the check worker
        open({str(pidfile)!r}, "w").write(str(child.pid))
        time.sleep(600)
    """),
        timeout_s=1.5,
    )
    assert result.status == "timeout" and time.monotonic() - started < 10
    assert "time limit" in result.describe()
    escaped = int(pidfile.read_text())
    assert not pid_alive(escaped)


def test_a_10_gb_allocation_hits_the_memory_cap():
    result = run_sandboxed(
        python("import numpy; numpy.ones(10 * 1024**3 // 8)"),
        timeout_s=30,
        memory_bytes=2 * 1024**3,
    )
    assert result.status == "memory" and "MemoryError" in result.output


def test_a_segfault_is_a_crash_named_by_its_signal():
    result = run_sandboxed(python("import ctypes; ctypes.string_at(0)"), timeout_s=30)
    assert result.status == "crashed" and "SIGSEGV" in result.describe()


def test_the_proxy_caps_what_learner_code_prints_and_recovers_after_a_crash(tmp_path):
    target = tmp_path / "toy.py"
    target.write_text(
        (LEARNER_FILES / "print_50mb.py").read_text()
        + "\n\ndef die():\n    import os\n    os._exit(7)\n"
    )
    remote = RemoteModule(path=target, call_timeout_s=20)
    try:
        x = np.arange(4.0)
        assert np.array_equal(remote.square(x), x * x)
        remote.close()  # the output is complete once the worker is gone
        assert len(remote.output) < 200_000 and "bytes of output cut" in remote.output
        assert "the last line of a very long story" in remote.output
        with pytest.raises(LearnerError, match="exited with code 7") as info:
            remote.die()
        assert info.value.kind == "crashed"
        assert np.array_equal(remote.square(x), x * x)  # a fresh worker after each
    finally:
        remote.close()


def test_a_daemon_that_escaped_and_keeps_the_output_pipe_neither_hangs_nor_survives(
    tmp_path, pid_alive
):
    pidfile = tmp_path / "daemon.pid"
    started = time.monotonic()
    result = run_sandboxed(
        python(f"""
        import os, time
        if os.fork() == 0:
            os.setsid()  # leaves the sandbox's process group
            if os.fork() == 0:  # and its tree: reparented once the middle one exits
                open({str(pidfile)!r}, "w").write(str(os.getpid()))
                time.sleep(600)
            os._exit(0)
        time.sleep(0.5)
        print("parent done")
    """),
        timeout_s=20,
    )
    assert result.status == "ok" and "parent done" in result.output
    assert time.monotonic() - started < 10, "the output pipe held open did not hang us"
    assert not pid_alive(int(pidfile.read_text()))


def test_a_handle_from_a_replaced_worker_is_a_clean_failure(tmp_path):
    from harness.grading.remote import Handle

    target = tmp_path / "toy.py"
    target.write_text("def make():\n    return object()\n\ndef use(h):\n    return 1\n")
    remote = RemoteModule(path=target, call_timeout_s=20)
    try:
        handle = remote.make()
        assert isinstance(handle, Handle) and remote.use(handle) == 1
        remote.close()  # the next call starts a new worker that never saw this handle
        with pytest.raises(LearnerError, match="unknown handle") as info:
            remote.use(handle)
        assert info.value.kind == "raised"
    finally:
        remote.close()


def test_runs_in_parallel_threads_never_kill_each_other():
    """A child another thread has just forked holds our pipes until it execs: ending the
    holders of a finished run's pipe must not end that sibling (it did, as SIGKILL)."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from harness.grading.sandbox import run_sandboxed

    def one(_):
        return run_sandboxed([sys.executable, "-c", "pass"], timeout_s=60).status

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(one, range(60)))
    assert statuses == ["ok"] * 60, sorted(set(statuses))

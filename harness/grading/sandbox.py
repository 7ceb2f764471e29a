"""Run untrusted work in a child process that cannot take the harness down.

The child gets its own process group (so a fork that outlives it is ended too), an address-
space cap (RLIMIT_AS), no core dumps, and a wall-clock limit. Its output is drained by a
thread into a bounded buffer (the first and last `keep` bytes), so a child that prints
megabytes neither blocks nor fills memory. Every outcome is classified for the record:

    ok       exited 0                     failed   exited non-zero
    timeout  hit the wall-clock limit     memory   ran out of its memory cap
    crashed  killed by a signal (segfault, abort, …)   cancelled  stopped by the user
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DEFAULT_MEMORY_BYTES = 8 * 1024**3
DEFAULT_KEEP_BYTES = 64 * 1024
MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc")


def limit_child(memory_bytes: int | None) -> Callable[[], None]:
    """A preexec_fn that caps the child's address space and disables core dumps.

    Only plain system calls here: between fork and exec of a process with other threads,
    anything that takes a lock (an import, a dlopen) can deadlock; PR_SET_PDEATHSIG goes
    through a libc handle loaded before the fork (isolation.pdeathsig_in_child)."""

    from harness.grading.isolation import pdeathsig_in_child

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        pdeathsig_in_child()

    return apply


def kill_group(pid: int) -> None:
    """SIGKILL the whole process group led by `pid`; quiet if it is already gone."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, pgid) of every living descendant of `pid`, read from /proc (Linux); [] elsewhere.

    A child that started its own session (the check worker does) is not in `pid`'s process
    group, so killing that group alone would leave it running.
    """
    parent_of: dict[int, tuple[int, int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parent_of[int(entry)] = (int(fields[1]), int(fields[2]))  # ppid, pgrp
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child, (ppid, pgid) in parent_of.items():
            if ppid == current:
                found.append((child, pgid))
                frontier.append(child)
    return found


def pipe_holders(fd: int) -> list[int]:
    """Pids (other than ours) with the other end of pipe `fd` open, read from /proc (Linux).

    Finds a process that left our process tree (setsid, double fork) but still holds the
    child's output pipe, so it can be ended too.
    """
    try:
        target = f"pipe:[{os.fstat(fd).st_ino}]"
        entries = os.listdir("/proc")
    except OSError:
        return []
    me, found = os.getpid(), []
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
            if any(os.readlink(f"/proc/{entry}/fd/{n}") == target for n in fds):
                found.append(int(entry))
        except OSError:
            continue
    return found


def kill_pipe_holders(fd: int) -> None:
    """End the processes that escaped a child's tree but still hold its output pipe.

    Our own direct children are skipped: one that another thread has just forked holds every
    fd of ours until it execs, and it belongs to that thread's run, not to this one."""
    ours, me = os.getpgrp(), os.getpid()
    for holder in pipe_holders(fd):
        if _parent_of(holder) == me:
            continue
        try:
            if os.getpgid(holder) == holder != ours:
                kill_group(holder)
            os.kill(holder, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def kill_tree(pid: int) -> None:
    """SIGKILL `pid`'s group and the group of every descendant (never our own group)."""
    ours = os.getpgrp()
    for _ in range(2):  # a second pass catches what forked while the first one ran
        tree = descendants(pid)
        for gid in {pid} | {pgid for _, pgid in tree}:
            if gid != ours:
                kill_group(gid)
        for child, pgid in tree:
            if pgid == ours:
                try:
                    os.kill(child, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


class OutputCapture:
    """Drains a pipe on a thread, keeping the head and tail and counting every byte."""

    def __init__(
        self, stream, keep: int = DEFAULT_KEEP_BYTES, on_line: Callable[[str], None] | None = None
    ):
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._on_line = on_line
        self._partial = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream) -> None:
        fd = stream.fileno()
        while True:
            try:
                # select first, so that stop() ends the thread even when a process that
                # escaped every kill still holds the pipe's write end open
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    if self._stop.is_set():
                        break
                    continue
                chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            self.total += len(chunk)
            if len(self.head) < self.keep:
                self.head += chunk[: self.keep - len(self.head)]
            self.tail += chunk
            if len(self.tail) > self.keep:
                del self.tail[: len(self.tail) - self.keep]
            if self._on_line:
                self._emit_lines(chunk)

    def _emit_lines(self, chunk: bytes) -> None:
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        if len(self._partial) > 4096:  # a giant line without newlines: show it in pieces
            lines.append(self._partial)
            self._partial = b""
        for line in lines[-200:]:  # never flood a UI with more than this per chunk
            try:
                self._on_line(line.decode("utf-8", "replace"))
            except Exception:  # a UI callback must not stop the drain
                pass

    def join(self, timeout: float = 5.0) -> None:
        """Wait up to `timeout` for end-of-file, then stop draining whatever is left."""
        self._thread.join(timeout)
        self._stop.set()
        self._thread.join(1.0)

    def text(self) -> str:
        """Everything if it fit, else head + a note of what was cut + tail."""
        if self.total <= 2 * self.keep and self.total == len(self.tail):
            return self.tail.decode("utf-8", "replace")
        cut = self.total - len(self.head) - len(self.tail)
        if cut <= 0:
            return self.tail.decode("utf-8", "replace")
        return (
            self.head.decode("utf-8", "replace")
            + f"\n[… {cut:,} bytes of output cut …]\n"
            + self.tail.decode("utf-8", "replace")
        )


@dataclass(frozen=True)
class SandboxResult:
    status: str  # ok | failed | timeout | memory | crashed | cancelled
    returncode: int | None
    output: str  # head + tail of stdout and stderr, interleaved
    output_bytes: int
    duration_s: float

    @property
    def tail(self) -> str:
        return "\n".join(self.output.splitlines()[-20:])

    @property
    def ended(self) -> str:
        """How it ended, as a verb phrase: 'exited with code 1', 'was cancelled', …"""
        return {
            "ok": "finished",
            "failed": f"exited with code {self.returncode}",
            "timeout": f"was stopped after {self.duration_s:.0f} s (time limit)",
            "memory": "ran out of memory (its memory cap)",
            "crashed": f"crashed ({_signal_name(self.returncode)})",
            "cancelled": "was cancelled",
        }[self.status]

    def describe(self) -> str:
        return f"the process {self.ended}"


def _signal_name(returncode: int | None) -> str:
    if returncode is None or returncode >= 0:
        return f"exit code {returncode}"
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def run_sandboxed(
    cmd: Sequence[str],
    *,
    timeout_s: float,
    memory_bytes: int | None = DEFAULT_MEMORY_BYTES,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    keep_bytes: int = DEFAULT_KEEP_BYTES,
    on_line: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    pass_fds: Sequence[int] = (),
    preexec_fn: Callable[[], None] | None = None,
) -> SandboxResult:
    """Run `cmd` to completion under the limits and classify how it ended."""
    start = time.monotonic()
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=preexec_fn or limit_child(memory_bytes),
        pass_fds=tuple(pass_fds),
    )
    for fd in pass_fds:  # the child has its copy; ours would keep the pipe open forever
        os.close(fd)
    capture = OutputCapture(proc.stdout, keep_bytes, on_line)
    deadline = start + timeout_s
    status = None
    while proc.poll() is None:
        if time.monotonic() > deadline:
            status = "timeout"
        elif cancel is not None and cancel.is_set():
            status = "cancelled"
        if status:
            kill_tree(proc.pid)
            break
        time.sleep(0.05)
    from harness.grading.isolation import unwrap_returncode

    returncode = unwrap_returncode(proc.wait(), cmd)
    kill_group(proc.pid)  # whatever it forked and left behind goes too
    kill_pipe_holders(proc.stdout.fileno())  # and what escaped the group but writes to us
    capture.join()
    proc.stdout.close()
    output = capture.text()
    if status is None:
        if returncode == 0:
            status = "ok"
        elif any(m in capture.tail.decode("utf-8", "replace") for m in MEMORY_MARKERS):
            status = "memory"
        elif returncode < 0:
            status = "crashed"
        else:
            status = "failed"
    return SandboxResult(status, returncode, output, capture.total, time.monotonic() - start)

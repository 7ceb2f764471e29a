"""Call a learner's functions from trusted code without importing them.

`RemoteModule` starts `python -m harness.grading.worker` with the entry module, then forwards each
attribute call over a private pipe. Values cross as a JSON tree plus `.npy` blobs loaded with
`allow_pickle=False`, so nothing the learner returns can run code in the caller. What cannot be
encoded (a cache, a model object) stays in the worker and comes back as a `Handle`.

A call that raises, hangs past its time limit, exhausts memory or kills the worker becomes a
`LearnerError` whose `kind` says which; the next call starts a fresh worker.
"""

from __future__ import annotations

import io
import json
import math
import os
import select
import signal
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.grading import isolation
from harness.grading.sandbox import (
    DEFAULT_MEMORY_BYTES,
    OutputCapture,
    kill_group,
    kill_pipe_holders,
)
from harness.grading.sanitize import printable

DEFAULT_CALL_TIMEOUT_S = 60.0
MAX_FRAME_BYTES = 4 * 1024**3  # a length prefix above this is garbage, not data
# The most a learner's reply may hold. The grading process keeps what it receives, so this is
# what stops a worker from filling the grader's memory (lab replies are a few MB at most).
MAX_REPLY_BYTES = 256 * 1024**2
_LEN = struct.Struct("!Q")


# --- the value codec --------------------------------------------------------------------------


@dataclass(frozen=True)
class Handle:
    """An object that lives in the worker; pass it back to the same implementation."""

    id: int
    type_name: str

    def __repr__(self) -> str:
        return f"<handle {self.id}: {self.type_name}>"


class CodecError(TypeError):
    pass


def encode(value: Any, make_handle=None) -> bytes:
    """Serialise `value`; objects with no encoding become handles (worker side only)."""
    arrays: list[np.ndarray] = []

    def walk(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            if v.dtype.hasobject:
                raise CodecError("object arrays cannot be passed; use a numeric dtype")
            arrays.append(v)
            return {"__nd__": len(arrays) - 1}
        if isinstance(v, Handle):
            return {"__handle__": v.id, "type": v.type_name}
        if isinstance(v, (list, tuple)):
            items = [walk(x) for x in v]
            return {"__tuple__": items} if isinstance(v, tuple) else items
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise CodecError("dict keys must be strings")
            if any(k.startswith("__") and k.endswith("__") for k in v):
                raise CodecError("dict keys may not look like __dunder__")
            return {k: walk(x) for k, x in v.items()}
        if make_handle is not None:
            return {"__handle__": make_handle(v), "type": type(v).__name__}
        raise CodecError(f"cannot pass a {type(v).__name__} to learner code")

    tree = json.dumps(walk(value)).encode("utf-8")
    out = io.BytesIO()
    out.write(_LEN.pack(len(tree)))
    out.write(tree)
    for arr in arrays:
        buf = io.BytesIO()
        # not ascontiguousarray: it turns a 0-d array into shape (1,)
        np.save(buf, np.asarray(arr, order="C"), allow_pickle=False)
        out.write(_LEN.pack(buf.tell()))
        out.write(buf.getvalue())
    return out.getvalue()


def decode(data: bytes, resolve_handle=None) -> Any:
    """Inverse of `encode`; anything malformed raises CodecError, never another exception."""
    try:
        return _decode(bytes(data), resolve_handle)
    except CodecError:
        raise
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        struct.error,
        RecursionError,
        EOFError,
        OverflowError,
        MemoryError,
    ) as exc:
        raise CodecError(f"malformed message ({type(exc).__name__}: {exc})"[:300]) from None


def _load_npy(blob: bytes) -> np.ndarray:
    """An `.npy` blob as an array, refusing pickles and headers that lie about the size."""
    buf = io.BytesIO(blob)
    version = np.lib.format.read_magic(buf)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    if dtype.hasobject:
        raise ValueError("object arrays are not accepted")
    count = math.prod(shape)
    body = memoryview(blob)[buf.tell() :]
    if count * dtype.itemsize != len(body):
        raise ValueError(f"array header says {shape} {dtype}, but {len(body)} bytes follow")
    arr = np.frombuffer(body, dtype=dtype, count=count).copy()
    return arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)


def _decode(data: bytes, resolve_handle) -> Any:
    view = memoryview(data)
    if len(view) < 8:
        raise ValueError(f"{len(view)} bytes is too short for a message")
    (n,) = _LEN.unpack(view[:8])
    if 8 + n > len(view):
        raise ValueError(f"the message says {n} bytes of tree, {len(view) - 8} follow")
    tree = json.loads(bytes(view[8 : 8 + n]).decode("utf-8"))
    pos = 8 + n
    arrays = []
    while pos < len(view):
        if pos + 8 > len(view):
            raise ValueError("a truncated array length")
        (m,) = _LEN.unpack(view[pos : pos + 8])
        if pos + 8 + m > len(view):
            raise ValueError(f"an array of {m} bytes, but only {len(view) - pos - 8} follow")
        arrays.append(_load_npy(bytes(view[pos + 8 : pos + 8 + m])))
        pos += 8 + m

    def walk(v: Any) -> Any:
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            if "__nd__" in v:
                index = v["__nd__"]
                if (
                    not isinstance(index, int)
                    or isinstance(index, bool)
                    or not (0 <= index < len(arrays))
                ):
                    raise ValueError(f"no array number {index!r}")
                return arrays[index]
            if "__tuple__" in v:
                if not isinstance(v["__tuple__"], list):
                    raise ValueError("a tuple must hold a list")
                return tuple(walk(x) for x in v["__tuple__"])
            if "__handle__" in v:
                handle = Handle(int(v["__handle__"]), str(v.get("type", "object")))
                return resolve_handle(handle) if resolve_handle else handle
            return {k: walk(x) for k, x in v.items()}
        return v

    return walk(tree)


def send_frame(fd: int, payload: bytes) -> None:
    data = _LEN.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(
    fd: int, n: int, deadline: float | None = None, alive: Callable[[], bool] | None = None
) -> bytes:
    """Read `n` bytes; TimeoutError after `deadline`, EOFError when the writer is gone.

    `alive` covers a writer that died while something it forked still holds the pipe open
    (so no end-of-file ever comes): once it returns False and no data is waiting, that is EOF.
    """
    chunks = bytearray()
    while len(chunks) < n:
        if deadline is not None or alive is not None:
            left = 0.2 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], min(left, 0.2))
            if not ready:
                if alive is not None and not alive():
                    raise EOFError
                continue
        chunk = os.read(fd, min(n - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError
        chunks += chunk
    return bytes(chunks)


def recv_frame(
    fd: int,
    deadline: float | None = None,
    alive: Callable[[], bool] | None = None,
    limit: int = MAX_FRAME_BYTES,
) -> bytes:
    (n,) = _LEN.unpack(read_exact(fd, 8, deadline, alive))
    if n > limit:
        raise CodecError(f"a reply of {n:,} bytes is over the {limit:,} byte limit")
    return read_exact(fd, n, deadline, alive)


# --- the proxy --------------------------------------------------------------------------------


class LearnerError(AssertionError):
    """A learner's function did not return: it raised, hung, ran out of memory or died.

    An AssertionError so that pytest reports it as a failed check, not a harness error.
    kind: raised | not_implemented | timeout | memory | crashed | import
    """

    def __init__(self, kind: str, message: str, output: str = ""):
        super().__init__(message)
        self.kind = kind
        self.output = output


class RemoteModule:
    """A stand-in for the entry module, whose functions run in a worker subprocess."""

    def __init__(
        self,
        *,
        module: str | None = None,
        path: Path | str | None = None,
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
        memory_bytes: int | None = DEFAULT_MEMORY_BYTES,
        label: str | None = None,
        confinement: isolation.Confinement | None = None,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ):
        if (module is None) == (path is None):
            raise ValueError("give exactly one of module= or path=")
        self._module = module
        self._path = Path(path).resolve() if path is not None else None
        self._timeout = call_timeout_s
        self._memory = memory_bytes
        self._label = label or (module or self._path.name)
        self._confinement = confinement or isolation.Confinement(
            lab_dir=self._path.parent if self._path else None
        )
        self._max_reply = max_reply_bytes
        self._proc: subprocess.Popen | None = None
        self._cleanup: Callable[[], None] = lambda: None
        self._scratch: tempfile.TemporaryDirectory | None = None
        self._capture: OutputCapture | None = None
        self._to_worker = self._from_worker = -1

    @property
    def default_timeout(self) -> float:
        """Seconds a call may take unless `with_timeout` says otherwise."""
        return self._timeout

    @default_timeout.setter
    def default_timeout(self, seconds: float) -> None:
        self._timeout = float(seconds)

    # `impl.with_timeout(300).train(...)`
    def with_timeout(self, seconds: float) -> _Timed:
        return _Timed(self, seconds)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, args, kwargs)

    @property
    def output(self) -> str:
        """What the learner's code printed in the current worker (head and tail).

        Drained on a thread, so it may lag a call that just returned; complete after close().
        """
        return printable(self._capture.text()) if self._capture else ""

    def _start(self) -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        target = ["--path", str(self._path)] if self._path else ["--module", self._module]
        c = self._confinement
        env = isolation.child_env()
        if isolation.detect().sandboxed:
            scratch = "/tmp"  # a private tmpfs inside the sandbox
        else:  # a private folder of its own, the only place the audit hook lets it write
            self._scratch = tempfile.TemporaryDirectory(prefix="x2-worker-")
            scratch = self._scratch.name
            env.update(HOME=scratch, TMPDIR=scratch, MPLCONFIGDIR=f"{scratch}/matplotlib")
        visible = [str(c.lab_dir)] if c.lab_dir is not None else []
        guard = [
            *("--hidden", json.dumps(c.hidden_paths())),
            *("--writable", json.dumps([scratch])),
            *("--visible", json.dumps(visible)),
        ]
        args = ["--in-fd", str(req_r), "--out-fd", str(resp_w), *target, *guard]
        cmd, self._cleanup = isolation.wrap(
            isolation.python_command("harness.grading.worker", args), c
        )
        cwd = c.lab_dir if c.lab_dir is not None else Path(scratch)
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(req_r, resp_w),
            cwd=str(cwd),
            env=env,
            start_new_session=True,
            preexec_fn=isolation.limit_learner(
                self._memory, cpu_seconds=c.cpu_seconds, file_bytes=c.file_bytes
            ),
        )
        os.close(req_r)
        os.close(resp_w)
        self._to_worker, self._from_worker = req_w, resp_r
        self._capture = OutputCapture(self._proc.stdout)

    def close(self) -> None:
        if self._proc is not None:
            kill_group(self._proc.pid)
            self._proc.wait()
            kill_pipe_holders(self._proc.stdout.fileno())  # forks that left the group
            for fd in (self._to_worker, self._from_worker):
                try:
                    os.close(fd)
                except OSError:
                    pass
            if self._capture:
                self._capture.join(1)
            self._proc.stdout.close()
            self._proc = None
            self._cleanup()
            if self._scratch is not None:
                self._scratch.cleanup()
                self._scratch = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def call(
        self,
        name: str,
        args: tuple = (),
        kwargs: dict | None = None,
        timeout_s: float | None = None,
    ) -> Any:
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._start()
        timeout_s = timeout_s or self._timeout
        what = f"{self._label}.{name}()"
        try:
            payload = encode({"fn": name, "args": list(args), "kwargs": kwargs or {}})
        except CodecError as exc:
            raise TypeError(f"{what}: {exc}") from None
        proc = self._proc
        try:
            send_frame(self._to_worker, payload)
            frame = recv_frame(
                self._from_worker,
                time.monotonic() + timeout_s,
                alive=lambda: proc.poll() is None,
                limit=self._max_reply,
            )
            reply = decode(frame)
        except TimeoutError:
            self.close()  # first: closing drains the rest of the output
            out = self.output
            raise LearnerError(
                "timeout",
                f"{what} timed out: no answer within "
                f"{timeout_s:g} s (an endless loop, or too slow)" + _last_lines(out),
                out,
            ) from None
        except (EOFError, OSError):  # OSError covers BrokenPipeError
            code = self._exit_code()
            self.close()
            out = self.output
            if any(m in out for m in ("MemoryError", "Cannot allocate memory")):
                raise LearnerError(
                    "memory", f"{what} ran out of memory{self._cap()}" + _last_lines(out), out
                ) from None
            raise LearnerError(
                "crashed",
                f"{what} crashed: the learner's process {_how_it_ended(code)}" + _last_lines(out),
                out,
            ) from None
        except CodecError as exc:
            self.close()
            out = self.output
            raise LearnerError(
                "crashed",
                f"{what} crashed: its process sent a reply the harness cannot read ({exc})",
                out,
            ) from None
        if not isinstance(reply, dict) or not ({"value", "error"} & set(reply)):
            self.close()
            raise LearnerError("crashed", f"{what} crashed: its process sent a malformed reply")
        if "error" in reply:
            err = reply["error"] if isinstance(reply["error"], dict) else {}
            kind = str(err.get("kind", "raised"))
            message = f"{what} {printable(str(err.get('message', 'failed')))}"
            if kind == "memory":
                message += self._cap()
            raise LearnerError(kind, message, printable(str(err.get("traceback", ""))))
        return reply["value"]

    def _exit_code(self) -> int | None:
        """The worker's exit code; a worker that closed its pipe but lives on is ended."""
        try:
            code = self._proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            kill_group(self._proc.pid)
            code = self._proc.wait()
        return isolation.unwrap_returncode(code, self._proc.args)

    def _cap(self) -> str:
        return f" (its memory cap is {self._memory / 1024**3:g} GiB)" if self._memory else ""


def _how_it_ended(code: int | None) -> str:
    if code is None:
        return "ended"
    if code >= 0:
        return f"exited with code {code} (os._exit or sys.exit in learner code)"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    why = {
        "SIGSEGV": "a segmentation fault: bad memory access, often from ctypes or a C extension",
        "SIGKILL": "killed from outside, or out of memory",
        "SIGABRT": "aborted by a C library",
    }.get(name, "killed by a signal")
    return f"was killed by {name} ({why})"


def _last_lines(output: str, n: int = 5) -> str:
    lines = [line for line in output.splitlines() if line.strip()][-n:]
    return ("\nlast output:\n" + "\n".join(line[:200] for line in lines)) if lines else ""


class _Timed:
    def __init__(self, remote: RemoteModule, seconds: float):
        self._remote, self._seconds = remote, seconds

    def __getattr__(self, name: str):
        return lambda *a, **k: self._remote.call(name, a, k, timeout_s=self._seconds)

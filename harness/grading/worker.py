"""The child side of `harness.grading.remote.RemoteModule`: import one entry module, serve calls.

Runs confined (isolation.py: bubblewrap when present) in its own process group with rlimits.
Requests arrive on --in-fd, replies leave on --out-fd; the learner's prints go to stdout,
which the parent drains and caps.

Before the learner's module is imported, an audit hook (PEP 578; it cannot be removed) refuses
what learner code has no business doing while it is graded: opening or listing the hidden
paths (--hidden: the reference solution, the checks, the records) and starting or signalling
other processes. Under bubblewrap that is a second wall; without it, it is the main one
against Python code (not against ctypes or a C extension: docs/RELIABILITY.md).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from harness.grading.isolation import die_with_parent
from harness.grading.remote import CodecError, decode, encode, recv_frame, send_frame


def _load(args: argparse.Namespace):
    if args.module:
        return importlib.import_module(args.module)
    path = Path(args.path)
    sys.path.insert(0, str(path.parent))  # the learner's own helper modules import normally
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _die_with_parent() -> None:
    """End this worker's whole process group once the process that started it is gone.

    The worker leads its own session, so a grader that is killed (by a time limit, or by
    learner code sending it a signal) would otherwise leave it, and anything it forked,
    running. Bound before the learner's module is imported, so patching `os` cannot stop it.
    """
    parent, getppid, killpg, sleep = os.getppid(), os.getppid, os.killpg, time.sleep

    def watch() -> None:
        while getppid() == parent:
            sleep(0.25)
        killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="harness-watchdog", daemon=True).start()


_PROCESS_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "pty.spawn",
        "os.startfile",
    }
)


# Events that change the filesystem at their first argument's path.
_WRITE_EVENTS = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.rename",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.utime",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.move",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _guard(hidden: list[str], writable: list[str], visible: list[str]) -> None:
    """Install the audit hook that keeps learner code away from `hidden` (except what lies in
    `visible`: its own folder), from writing outside `writable`, from databases and from
    other processes."""
    realpath, fspath, getpid = os.path.realpath, os.fspath, os.getpid
    roots = tuple(realpath(h) for h in hidden)
    own = tuple(realpath(v) for v in visible)
    scratch = tuple(realpath(w) for w in writable)
    busy = threading.local()

    def resolve(path) -> str | None:
        if isinstance(path, int) or path is None:
            return None
        try:
            p = fspath(path)
            return realpath(p.decode() if isinstance(p, bytes) else p)
        except (TypeError, ValueError, OSError):
            return None

    def under(p: str | None, dirs: tuple[str, ...]) -> bool:
        return p is not None and any(p == d or p.startswith(d + os.sep) for d in dirs)

    def writes(event: str, args: tuple) -> bool:
        if event == "open":
            mode, flags = (args[1] if len(args) > 1 else "r"), (args[2] if len(args) > 2 else 0)
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                return True
            return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
        return event in _WRITE_EVENTS

    def hook(event: str, args: tuple) -> None:
        if getattr(busy, "on", False):
            return
        busy.on = True
        try:
            if event in ("open", "os.listdir", "os.scandir") or event in _WRITE_EVENTS:
                path = resolve(args[0]) if args else None
                if under(path, roots) and not under(path, own):
                    raise PermissionError(
                        f"{args[0]} is hidden while your code is graded (the reference "
                        "solution, the checks and the records are not yours to read)"
                    )
                if path is not None and writes(event, args) and not under(path, scratch):
                    raise PermissionError(
                        f"{event} {args[0]}: while graded, learner code may write only in "
                        f"its scratch folder ({', '.join(scratch) or 'none'})"
                    )
            if event == "sqlite3.connect":
                raise PermissionError("learner code may not open databases while it is graded")
            if event in _PROCESS_EVENTS:
                raise PermissionError(
                    f"{event}: learner code may not start processes while it is graded"
                )
            if event in ("os.kill", "os.killpg") and args and args[0] not in (0, getpid()):
                raise PermissionError(f"{event}: learner code may signal only itself")
        finally:
            busy.on = False

    sys.addaudithook(hook)


def _defined_elsewhere(fn: object, path: str) -> str | None:
    """Why a learner's task function does not count as theirs, or None if it does.

    A task checked through the proxy must be a function written in the learner's own file;
    `from labs... import *` (re-exporting the reference) would otherwise pass every check.
    A thin wrapper around the reference still passes: that is left to the honour system.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return f"it is a {type(fn).__name__}, not a function defined in {Path(path).name}"
    if Path(code.co_filename).resolve() != Path(path).resolve():
        where = getattr(fn, "__module__", None) or code.co_filename
        return f"it is imported from {where}; write it in {Path(path).name}"
    return None


def _short_traceback(exc: BaseException) -> str:
    lines = traceback.format_exception(exc)
    return "".join(lines[-12:])


def _error(kind: str, message: str, exc: BaseException | None = None) -> bytes:
    tb = _short_traceback(exc) if exc else ""
    return encode({"error": {"kind": kind, "message": message, "traceback": tb}})


def serve(args: argparse.Namespace) -> None:
    in_fd, out_fd = args.in_fd, args.out_fd
    handles: dict[int, object] = {}

    def make_handle(obj: object) -> int:
        handles[id(obj)] = obj
        return id(obj)

    def resolve(handle):
        if handle.id not in handles:
            raise KeyError(f"unknown handle {handle.id}")
        return handles[handle.id]

    module, import_error = None, None
    try:
        module = _load(args)
    except BaseException as exc:  # SyntaxError, ImportError, SystemExit at import time …
        import_error = exc

    while True:
        try:
            frame = recv_frame(in_fd)
        except EOFError:
            return
        try:
            request = decode(frame, resolve)
        except CodecError as exc:  # e.g. a handle from a worker that has since been replaced
            send_frame(out_fd, _error("raised", f"cannot take these arguments: {exc}"))
            continue
        name = request["fn"]
        if import_error is not None:
            exc = import_error
            reply = _error(
                "import", f"could not import the module: {type(exc).__name__}: {exc}", exc
            )
        elif not callable(getattr(module, name, None)):
            reply = _error("raised", f"is missing: the module defines no function '{name}'")
        elif args.path and (borrowed := _defined_elsewhere(getattr(module, name), args.path)):
            reply = _error("raised", f"is not written in your file: {borrowed}")
        else:
            try:
                value = getattr(module, name)(*request["args"], **request["kwargs"])
                reply = encode({"value": value}, make_handle)
            except NotImplementedError as exc:
                detail = f": {exc}" if str(exc) else ""
                reply = _error(
                    "not_implemented",
                    f"is not implemented yet (raise NotImplementedError{detail})",
                    exc,
                )
            except MemoryError as exc:
                reply = _error("memory", "ran out of memory", exc)
            except SystemExit as exc:
                reply = _error("raised", f"called sys.exit({exc.code!r}) instead of returning", exc)
            except BaseException as exc:
                reply = _error("raised", f"raised {type(exc).__name__}: {exc}", exc)
        sys.stdout.flush()
        send_frame(out_fd, reply)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--in-fd", type=int, required=True)
    parser.add_argument("--out-fd", type=int, required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--module")
    group.add_argument("--path")
    parser.add_argument("--hidden", default="[]", help="JSON list of paths to refuse")
    parser.add_argument("--writable", default="[]", help="JSON list of scratch folders")
    parser.add_argument("--visible", default="[]", help="JSON list of folders it may read")
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    die_with_parent()  # the kernel's way; the watchdog below also covers a killed grader
    _die_with_parent()
    _guard(*([str(p) for p in json.loads(v)] for v in (args.hidden, args.writable, args.visible)))
    serve(args)


if __name__ == "__main__":
    main()

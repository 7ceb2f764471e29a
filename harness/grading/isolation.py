"""How learner code is confined: bubblewrap when it works here, process limits otherwise.

With `bwrap` on PATH (Debian/Ubuntu: `apt-get install bubblewrap`; it is what Flatpak uses)
every learner process runs in its own mount, PID, network, IPC and UTS namespaces:

- the whole filesystem read-only, a private size-capped tmpfs for /tmp, no network;
- the project hidden except the harness code, the lab packages and the learner's own lab
  folder: no progress database, no other learners, no runs, no DoD checks' source, and (when
  grading) no reference solution: its modules are replaced by files that raise ImportError;
- its own PID namespace, so it sees and can signal only itself, and `--die-with-parent`,
  so nothing it starts outlives the check;
- a cleared environment holding only what the worker needs.

Without bwrap (or where it cannot create namespaces, e.g. an unprivileged container) the
same command runs with the limits only: rlimits, a process group that is killed as a whole,
and the worker's audit hook (worker.py), which refuses the hidden paths and new processes
from Python code. That is recorded as `isolation: none`; docs/RELIABILITY.md says what it
leaves possible. `HARNESS_ISOLATION=none` forces the fallback (tests, benchmarks).
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.paths import (
    REPO_ROOT,
    chapter_file,
    default_db_path,
    experiments_dir,
    learners_dir,
)

TMP_BYTES = 256 * 1024**2
FILE_BYTES = 64 * 1024**2
NPROC_HEADROOM = 1024
# Variables a learner process may see, copied from ours when set. OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE keep older OpenBLAS builds from computing wrong results on some CPUs.
PASSED_ENV = ("LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "X2_CACHE_DIR")
WORKER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONNOUSERSITE": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    # Two BLAS threads on a busy 2-core machine stall NumPy by 10x or more; learner code is
    # judged on one thread, the same everywhere.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
HIDDEN_SOLUTION = (
    "raise ImportError(\n"
    "    {module!r} ' is the reference solution of {lab}; it is hidden while learner code is '\n"
    "    'graded. Write the task in your own file; import only what the lab gives: {given}'\n"
    ")\n"
)


@dataclass(frozen=True)
class Isolation:
    kind: str  # "bwrap" | "none"
    detail: str  # the bwrap version, or why there is none and how to get it

    @property
    def sandboxed(self) -> bool:
        return self.kind == "bwrap"


@functools.cache
def detect() -> Isolation:
    """Which isolation learner code gets on this machine (probed once per process)."""
    if os.environ.get("HARNESS_ISOLATION", "").lower() == "none":
        return Isolation("none", "HARNESS_ISOLATION=none is set")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Isolation(
            "none",
            "bubblewrap is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap; "
            "Fedora: sudo dnf install bubblewrap); learner code runs with process limits only",
        )
    probe = [bwrap, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        proc = subprocess.run(probe, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Isolation("none", f"bwrap could not run here ({exc})")
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return Isolation(
            "none",
            f"bwrap is installed but cannot create namespaces here ({why}); enable "
            "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run "
            "outside a container",
        )
    version = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout
    return Isolation("bwrap", version.strip() or "bwrap")


def _namespace_args() -> list[str]:
    return ["--unshare-all", "--die-with-parent", "--new-session"]


@dataclass
class Confinement:
    """What one learner process may see and write."""

    lab_dir: Path | None = None  # the learner's lab folder, read-only
    packages: list[Path] = field(default_factory=list)  # code it imports (the labs' root)
    records: list[Path] = field(default_factory=list)  # database files, always hidden
    readable: list[Path] = field(default_factory=list)  # files it reads (the chapter manifest)
    writable: list[Path] = field(default_factory=list)  # e.g. a run's output folder
    hidden_files: dict[Path, str] = field(default_factory=dict)  # path -> replacement text
    hidden_dirs: list[Path] = field(default_factory=list)
    cpu_seconds: int | None = None
    file_bytes: int = FILE_BYTES

    def hidden_paths(self) -> list[str]:
        """Every path the worker's audit hook refuses (the fallback's view of the same)."""
        return [str(p) for p in [*self.hidden_files, *self.hidden_dirs, *self.records]]


def _package_root(lab) -> Path:
    """The folder of the lab's top-level package (`labs/` for labs.x2_multimodal.lab00)."""
    depth = len(lab.package.split("."))
    return lab.package_dir if depth == 1 else lab.package_dir.parents[depth - 2]


def _base(lab, lab_dir: Path | None, db: Path | str | None, **kw) -> Confinement:
    records = [Path(db)] if db and str(db) != ":memory:" else []
    records.append(default_db_path())
    return Confinement(lab_dir=lab_dir, packages=[_package_root(lab)], records=records, **kw)


def grading_confinement(
    lab, lab_dir: Path | None, *, hide_solution: bool, db: Path | str | None = None
) -> Confinement:
    """The view a graded learner worker gets: its folder, no checks, no solution, no records."""
    c = _base(lab, lab_dir, db, cpu_seconds=max(60, 2 * lab.time_limit_s))
    c.hidden_dirs += _record_dirs(lab_dir, c.records)
    c.hidden_dirs += _checks_dirs(lab)
    if hide_solution:
        # the solution's compiled copies and the repository's history hold it too
        extra = [lab.package_dir / "__pycache__", REPO_ROOT / ".git"]
        c.hidden_dirs += [d for d in extra if d.is_dir()]
        given = ", ".join(f"{lab.package}.{m}" for m in lab.given) or "nothing"
        for module, path in zip(lab.solution, lab.solution_paths, strict=True):
            c.hidden_files[path] = HIDDEN_SOLUTION.format(
                module=f"{lab.package}.{module}", lab=lab.id, given=given
            )
    return c


def run_confinement(
    lab, lab_dir: Path | None, out_dir: Path, *, db: Path | str | None = None
) -> Confinement:
    """The view of `harness run`'s child: like grading, but it writes its run folder."""
    c = _base(lab, lab_dir, db, writable=[out_dir], file_bytes=1024**3)
    c.readable.append(chapter_file().resolve().parent)  # the manifest and its pages
    c.hidden_dirs += _record_dirs(lab_dir, c.records, keep=[out_dir])
    c.hidden_dirs += _checks_dirs(lab)
    return c


def _checks_dirs(lab) -> list[Path]:
    """Every lab's DoD checks and its catalogue of mistakes (which holds correct code too)."""
    labs_root = lab.package_dir.parent
    found = [*labs_root.glob("lab*/checks"), *labs_root.glob("lab*/mistakes")]
    return sorted(p for p in found if p.is_dir())


def _record_dirs(
    lab_dir: Path | None, records: Iterable[Path], keep: Iterable[Path] = ()
) -> list[Path]:
    """Learners' folders, runs and the database's folder: never visible to learner code."""
    dirs = [learners_dir(), experiments_dir(), *(Path(r).parent for r in records)]
    needed = [REPO_ROOT, Path(sys.prefix), *keep] + ([lab_dir] if lab_dir else [])
    out = []
    for d in dirs:
        d = d.resolve()
        if d == Path("/") or any(_is_relative_to(n.resolve(), d) for n in needed if n != lab_dir):
            continue  # would hide what the process needs; its own entries are masked below
        out.append(d)
    return sorted(set(out))


def _is_relative_to(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def child_env() -> dict[str, str]:
    """A cleared environment: only what a learner process needs, nothing it could abuse."""
    env = dict(WORKER_ENV)
    for name in PASSED_ENV:
        if name in os.environ:
            env[name] = os.environ[name]
    env.setdefault("LANG", "C.UTF-8")
    # Lab 02's converted Whisper weights: readable where the harness keeps them; a process
    # that would have to convert them first does so in its own /tmp, never in the shared cache.
    cache = Path(env.get("X2_CACHE_DIR") or Path.home() / ".cache" / "x2-harness")
    env["X2_CACHE_DIR"] = str(cache) if any(cache.glob("*.safetensors")) else "/tmp/x2-cache"
    return env


def python_command(module: str, args: Sequence[str]) -> list[str]:
    """`python -I -S` running `module` with our import path spelled out.

    -I ignores PYTHON* variables and the user site; -S skips `site`, so no `.pth` file and
    no `sitecustomize` anywhere on the path runs before the harness's own code.
    """
    path = [os.path.abspath(p) for p in sys.path if p and Path(p).exists()]
    boot = (
        "import sys, runpy; sys.path[:0] = "
        + json.dumps(path)
        + f"; sys.argv[0] = {module!r}; runpy.run_module({module!r}, run_name='__main__')"
    )
    return [sys.executable, "-I", "-S", "-B", "-u", "-c", boot, *args]


def wrap(
    cmd: Sequence[str], confinement: Confinement, *, cwd: Path | None = None
) -> tuple[list[str], Callable[[], None]]:
    """The command that runs `cmd` confined, and a cleanup to call once it has ended.

    With bwrap the namespaces and mounts do the confining; without it `cmd` is returned as
    it is and the caller's rlimits and the worker's audit hook are all there is.
    """
    iso = detect()
    if not iso.sandboxed:
        return list(cmd), lambda: None
    stubs = tempfile.TemporaryDirectory(prefix="x2-hidden-")
    args = [shutil.which("bwrap") or "bwrap", *_namespace_args()]
    args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    args += ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    args += ["--size", str(TMP_BYTES), "--tmpfs", "/dev/shm"]
    # Hide the project, then bring back only what the process needs, read-only.
    inside = [
        d
        for d in confinement.hidden_dirs
        if any(_is_relative_to(d, p) for p in confinement.packages)
    ]
    outside = [d for d in confinement.hidden_dirs if d not in inside]
    masked = sorted({REPO_ROOT.resolve(), *outside}, key=lambda p: len(p.parts))
    for d in masked:
        if d.is_dir():
            args += ["--tmpfs", str(d)]
    for d in _needed(confinement, masked):
        args += ["--ro-bind", str(d), str(d)]
    # The checks sit inside the lab packages, which were just brought back: hide them again.
    for d in inside:
        if d.is_dir():
            args += ["--tmpfs", str(d)]
    for f in confinement.readable:
        f = Path(f).resolve()
        if f.exists():
            args += ["--ro-bind", str(f), str(f)]
    if confinement.lab_dir is not None:
        lab_dir = confinement.lab_dir.resolve()
        args += ["--ro-bind", str(lab_dir), str(lab_dir)]
    for d in confinement.writable:
        d = d.resolve()
        d.mkdir(parents=True, exist_ok=True)
        args += ["--bind", str(d), str(d)]
    for i, (path, text) in enumerate(confinement.hidden_files.items()):
        stub = Path(stubs.name) / f"{i}.py"
        stub.write_text(text, encoding="utf-8")
        args += ["--ro-bind", str(stub), str(path)]
    for db_file in _db_files(confinement.records):
        args += ["--ro-bind", "/dev/null", str(db_file)]
    args += ["--chdir", str((cwd or confinement.lab_dir or Path("/tmp")).resolve())]
    args += ["--clearenv"]
    for name, value in child_env().items():
        args += ["--setenv", name, value]
    return [*args, "--", *cmd], stubs.cleanup


def _needed(confinement: Confinement, masked: list[Path]) -> list[Path]:
    """What a masked folder holds that the process needs: the interpreter, the import path
    (a venv inside the project), the harness and the lab packages; never a folder that would
    bring a masked one back whole."""
    wanted = [Path(sys.executable).parent, REPO_ROOT / "harness", *confinement.packages]
    wanted += [Path(p) for p in sys.path if p]
    out: list[Path] = []
    for d in wanted:
        d = Path(os.path.abspath(d))
        if not d.is_dir() or not any(_is_relative_to(d, m) for m in masked):
            continue
        if any(_is_relative_to(m, d) for m in masked):
            continue  # REPO_ROOT itself is on the path (editable install): not that
        if not any(_is_relative_to(d, o) for o in out):
            out.append(d)
    return out


def unwrap_returncode(code: int | None, cmd: Sequence[str]) -> int | None:
    """bwrap reports a child killed by signal N as exit code 128 + N; give back -N, the way
    subprocess reports a signal, so a segfault reads as one."""
    wrapped = bool(cmd) and Path(cmd[0]).name == "bwrap"
    if wrapped and code is not None and 128 < code < 128 + 65:
        return -(code - 128)
    return code


def _db_files(records: Iterable[Path]) -> list[Path]:
    out = []
    for db in records:
        db = Path(db).resolve()
        out += [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.is_file()]
    return sorted(set(out))


def limit_learner(
    memory_bytes: int | None, *, cpu_seconds: int | None = None, file_bytes: int | None = None
) -> Callable[[], None]:
    """A preexec_fn for a learner process: address space, CPU, file size, processes, no core.

    Only system calls (see sandbox.limit_child), PR_SET_PDEATHSIG among them: a harness
    killed outright leaves no worker or run behind.
    """
    nproc = _user_tasks() + NPROC_HEADROOM

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        if cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        if file_bytes:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        if nproc:
            soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
            cap = nproc if hard == resource.RLIM_INFINITY else min(nproc, hard)
            resource.setrlimit(resource.RLIMIT_NPROC, (cap, hard))
        pdeathsig_in_child()

    return apply


def _load_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # loaded now, so that a forked child never has to dlopen


def pdeathsig_in_child() -> None:
    """PR_SET_PDEATHSIG(SIGKILL) from a preexec_fn: one call through a handle loaded before
    the fork, so a harness killed outright leaves no child behind, even one just started."""
    if _PRCTL is not None:
        _PRCTL(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL


def die_with_parent() -> None:
    """PR_SET_PDEATHSIG(SIGKILL) for the calling process (Linux; a no-op elsewhere): the
    kernel ends it when the thread that started it dies, so a harness killed outright
    (SIGKILL) leaves no grader, worker or run behind. Called by each child first thing; a
    parent already gone by then is noticed at once."""
    try:
        import ctypes
        import signal

        parent = os.getppid()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the request was in place
            os._exit(1)
    except (OSError, AttributeError):
        pass


def not_dumpable() -> None:
    """PR_SET_DUMPABLE(0): other processes of the same user cannot read our /proc fds/memory."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass


def _user_tasks() -> int:
    """How many tasks (threads count) this user runs now; 0 when it cannot be told (root
    is not limited by RLIMIT_NPROC anyway)."""
    if os.getuid() == 0:
        return 0
    uid, count = os.getuid(), 0
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry}/task"))
                except OSError:
                    continue
    except OSError:
        return 0
    return count


def unowned_startup_files() -> list[Path]:
    """`sitecustomize`/`usercustomize` modules and `.pth` files in our site-packages that no
    installed package lists in its RECORD: code someone added to run at every start."""
    import site

    found = []
    for folder in {Path(p) for p in [*site.getsitepackages(), site.getusersitepackages()]}:
        if not folder.is_dir():
            continue
        startup = [*folder.glob("*.pth"), *folder.glob("sitecustomize.py")]
        startup += list(folder.glob("usercustomize.py"))
        if not startup:
            continue
        records = "\n".join(
            r.read_text(encoding="utf-8", errors="replace")
            for r in folder.glob("*.dist-info/RECORD")
        )
        owned = {line.split(",", 1)[0] for line in records.splitlines()}
        found += [f for f in startup if f.name not in owned]
    return sorted(found)

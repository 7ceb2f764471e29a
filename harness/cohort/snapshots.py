"""The lab files a check run graded, kept so a mentor can regrade exactly that code.

A snapshot is the lab folder's `*.py` files (top level, regular files, not symlinks) read
just before grading and stored once the run is recorded: each file's bytes in `blobs` under
their sha256 (so a file that did not change between runs is stored once, however many runs
graded it), and one `snapshot_files` row per (run, file name). A snapshot's own id is the
sha256 of its sorted (name, file digest) list, so two runs of the same code share it.
Bundles carry the rows and the blobs (`records.py`). Knows nothing of the screen.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.store import Store

MAX_FILE_BYTES = 1_000_000  # a lab file larger than this is not code a learner wrote
MAX_FILES = 50


def capture(folder: Path) -> dict[str, bytes]:
    """{file name: bytes} of the lab folder's Python files, as they are now."""
    files: dict[str, bytes] = {}
    folder = Path(folder)
    if not folder.is_dir():
        return files
    for path in sorted(folder.glob("*.py"))[:MAX_FILES]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if len(data) <= MAX_FILE_BYTES:
            files[path.name] = data
    return files


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot_id(files: dict[str, str]) -> str:
    """The snapshot's content address from {file name: file sha256}."""
    listing = json.dumps(sorted(files.items()), separators=(",", ":"))
    return hashlib.sha256(listing.encode("ascii")).hexdigest()


def record(store: Store, run_id: int, files: dict[str, bytes]) -> str | None:
    """Keep `files` as what run `run_id` graded; return the snapshot id (None: no files)."""
    if not files:
        return None
    digests = {name: digest(data) for name, data in files.items()}
    with store._transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?,?,?)",
            [(digests[name], len(data), data) for name, data in files.items()],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO snapshot_files (run_id, path, sha256) VALUES (?,?,?)",
            [(run_id, name, d) for name, d in digests.items()],
        )
    return snapshot_id(digests)


def listing(store: Store, run_id: int) -> dict[str, str]:
    """{file name: sha256} of what run `run_id` graded ({} if nothing was kept)."""
    with store._lock:
        rows = store.conn.execute(
            "SELECT path, sha256 FROM snapshot_files WHERE run_id = ? ORDER BY path", (run_id,)
        ).fetchall()
    return dict(rows)


def files(store: Store, run_id: int) -> dict[str, bytes]:
    """{file name: bytes} of what run `run_id` graded."""
    with store._lock:
        rows = store.conn.execute(
            "SELECT f.path, b.data FROM snapshot_files f JOIN blobs b ON b.sha256 = f.sha256 "
            "WHERE f.run_id = ? ORDER BY f.path",
            (run_id,),
        ).fetchall()
    return {path: bytes(data) for path, data in rows}


def extract(snapshot: dict[str, bytes], folder: Path) -> Path:
    """Write a snapshot's files into `folder` (names were checked on import: plain names)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in snapshot.items():
        if "/" in name or name.startswith(".") or "\x00" in name:
            raise ValueError(f"snapshot file name {name!r} is not a plain file name")
        (folder / name).write_bytes(data)
    return folder

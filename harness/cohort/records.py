"""A learner's records as one portable, tamper-evident file (`harness export` / `import`).

The bundle is one JSON document:

    format, version, schema, chapter, learner, exported_at
    records   every row of every table that belongs to the learner (learners, page_events,
              check_runs + their check_results, quiz_attempts + their quiz_answers,
              reflections, runs, feedback), in id order, with the source database's ids
    files     reflections.md from learners/NAME/extension-X2/ if present, and the
              manifest.yaml of every run the learner's `runs` rows name
    events    the learner's event log, oldest first, each row with prev_hash and hash
              (`harness.store.event_hash`); the last one is the `records.exported` event
              that exporting appended to the learner's own chain

What tamper-evident means here. There is no secret key: anyone can read a bundle, and this
does not prove who wrote it. What it does is detect a change made after export. Each event's
hash covers the previous hash and the event's fields, so an edited event no longer matches
its hash; every event must link to one that comes earlier in the file, so a reordered or
cut-out event breaks a link. The final `records.exported` event holds the sha256 of the
canonical header-records-and-files section (`SECTION_KEYS`) and of the ordered list of every
earlier event hash, and is itself a link in the chain, so editing, adding or dropping any
row or file, dropping events from the end, or swapping events is refused, with a message that
says where it broke (a test changes and removes every value of a bundle in turn). The one
thing not covered is each event's `id`: the exporting database's row number, shown in
messages and ignored by import. A forger who rewrites the records *and* rebuilds the whole
chain from the genesis hash is out of scope; for that, export and import with the same
`--key-file`, which adds an HMAC-SHA256 over the whole bundle (a secret shared by the
learner's machine and the mentor's).

Chains may fork: after a mentor imports a bundle and adds feedback, the learner's next
events and the mentor's feedback both link to the same export event. So a link must point
to *some* earlier event in the file (one genesis), not necessarily the one just before; the
export event's digest over the ordered hashes still pins the exact sequence.

Importing merges idempotently: events are matched by hash, rows by their natural key (e.g.
a check run by learner, lab, impl, task and start time), so importing the same bundle twice
adds nothing. Files are written only under learners/NAME/ of the importing machine and never
overwrite a different file (a differing copy is written next to it). Knows nothing of the
screen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from harness.chapter import Chapter
from harness.learners import chapter_dir, validate_name
from harness.paths import REPO_ROOT, experiments_dir, learners_dir
from harness.store import GENESIS, SCHEMA_VERSION, Store, event_hash

FORMAT = "x2-harness-records"
FORMAT_VERSION = 1
EXPORT_KIND = "records.exported"
IMPORTED_RUNS = "runs"  # learners/NAME/extension-X2/runs/<slug>/<lab>/<run>/manifest.yaml

# (table, parent table, parent id column, natural key columns). Parents come first.
TABLES: tuple[tuple[str, str | None, str | None, tuple[str, ...]], ...] = (
    ("learners", None, None, ("name",)),
    ("page_events", None, None, ("learner", "item_id", "event", "at")),
    ("check_runs", None, None, ("learner", "lab_id", "impl", "task", "started_at")),
    ("check_results", "check_runs", "run_id", ("run_id", "name", "task")),
    ("quiz_attempts", None, None, ("learner", "quiz_id", "seed", "started_at")),
    ("quiz_answers", "quiz_attempts", "attempt_id", ("attempt_id", "question_id", "position")),
    ("reflections", None, None, ("learner", "prompt_id", "version")),
    ("runs", None, None, ("learner", "lab_id", "run_dir", "started_at")),
    ("feedback", None, None, ("learner", "mentor", "target", "at")),
)
# An attempt exported while open may arrive later finished: these fields may move forward.
ATTEMPT_PROGRESS = ("status", "finished_at", "score", "passed")


class BundleError(ValueError):
    """A bundle cannot be imported; the message says what is wrong and where."""


def canonical(obj: Any) -> bytes:
    """The one byte form every digest is taken over (sorted keys, no spaces, UTF-8)."""
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- export ---------------------------------------------------------------------------------


def learner_records(store: Store, learner: str) -> dict[str, list[dict]]:
    """Every row of every table that belongs to `learner`, in id order."""
    records: dict[str, list[dict]] = {}
    for table, parent, parent_col, _key in TABLES:
        if table == "learners":
            sql, args = "SELECT * FROM learners WHERE name = ?", [learner]
        elif parent:
            sql = (
                f"SELECT * FROM {table} WHERE {parent_col} IN "
                f"(SELECT id FROM {parent} WHERE learner = ?) ORDER BY id"
            )
            args = [learner]
        else:
            sql, args = f"SELECT * FROM {table} WHERE learner = ? ORDER BY id", [learner]
        records[table] = list(store.db.query(sql, args))
    return records


def _manifest_path(run_dir: str) -> tuple[Path, str]:
    """Where a run's manifest is on this machine, and the relative path it travels under."""
    path = Path(run_dir)
    path = path if path.is_absolute() else REPO_ROOT / path
    for root in (experiments_dir(), REPO_ROOT):
        try:
            rel = path.resolve().relative_to(root.resolve())
            break
        except ValueError:
            continue
    else:
        rel = Path(*path.parts[-3:])  # experiments/<slug>/<lab>/<run> keeps its last three
    return path / "manifest.yaml", (PurePosixPath(*rel.parts) / "manifest.yaml").as_posix()


def learner_files(
    records: dict[str, list[dict]],
    learner: str,
    chapter: Chapter,
    learners_root: Path | None = None,
) -> dict[str, Any]:
    folder = chapter_dir(learner, chapter, learners_root)
    reflections = folder / chapter.reflections_file
    manifests = []
    for run_dir in dict.fromkeys(r["run_dir"] for r in records["runs"]):
        path, rel = _manifest_path(run_dir)
        if not path.is_file():  # a run imported from another machine keeps its copy here
            path = folder / IMPORTED_RUNS / rel
        if path.is_file():
            manifests.append(
                {"run_dir": run_dir, "path": rel, "text": path.read_text(encoding="utf-8")}
            )
    return {
        "reflections_md": reflections.read_text(encoding="utf-8")
        if reflections.is_file()
        else None,
        "manifests": manifests,
    }


# What the export event's records_sha256 covers: everything but the events themselves (the
# chain covers those) and exported_at (the export event's own `at`).
SECTION_KEYS = ("format", "version", "schema", "chapter", "learner", "records", "files")


def _section(bundle: dict) -> dict:
    return {k: bundle.get(k) for k in SECTION_KEYS}


def _events_digest(events: list[dict]) -> str:
    return sha256("\n".join(e["hash"] for e in events).encode("ascii"))


def export_bundle(
    store: Store,
    chapter: Chapter,
    learner: str,
    *,
    learners_root: Path | None = None,
    key: bytes | None = None,
) -> dict:
    """Append a `records.exported` event to the learner's chain and return the bundle."""
    with store._transaction():
        store._require_learner(learner)
        records = learner_records(store, learner)
        bundle: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "schema": SCHEMA_VERSION,
            "chapter": chapter.id,
            "learner": learner,
            "records": records,
            "files": learner_files(records, learner, chapter, learners_root),
        }
        prior = store.events(learner)
        payload = {
            "records_sha256": sha256(canonical(_section(bundle))),
            "events_sha256": _events_digest(prior),
            "events": len(prior),
            "rows": {table: len(rows) for table, rows in records.items()},
            "format": FORMAT_VERSION,
        }
        store._log(learner, EXPORT_KIND, payload)
        events = store.events(learner)
    bundle["exported_at"] = events[-1]["at"]
    bundle["events"] = events
    if key is not None:
        bundle["hmac_sha256"] = _mac(bundle, key)
    return bundle


def write_bundle(bundle: dict, out: Path) -> Path:
    """Write atomically: a half-written bundle never sits under the final name."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


def _mac(bundle: dict, key: bytes) -> str:
    body = {k: v for k, v in bundle.items() if k != "hmac_sha256"}
    return hmac.new(key, canonical(body), hashlib.sha256).hexdigest()


# --- verification ---------------------------------------------------------------------------


def read_bundle(path: Path) -> dict:
    try:
        bundle = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BundleError(
            f"{path}: not a records bundle (invalid JSON at line {exc.lineno}: {exc.msg})"
        ) from None
    except UnicodeDecodeError as exc:
        raise BundleError(
            f"{path}: not a records bundle (not UTF-8 text: {exc.reason} at byte {exc.start})"
        ) from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleError(
            f'{path}: not a records bundle (no "format": "{FORMAT}"); '
            "make one with `harness export --learner NAME --out FILE`"
        )
    return bundle


def _short(digest: object) -> str:
    return str(digest)[:16] + "…" if isinstance(digest, str) and len(digest) > 16 else repr(digest)


def verify_chain(events: list[dict], learner: str) -> None:
    """Raise BundleError at the first event whose hash or link does not hold."""
    seen: set[str] = set()
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            raise BundleError(
                f"chain broken at event {i}: expected an object, got {type(ev).__name__}"
            )
        where = f"event {i} (id {ev.get('id')}, {ev.get('kind')!r})"
        if ev.get("learner") != learner:
            raise BundleError(
                f"chain broken at {where}: it belongs to {ev.get('learner')!r}, "
                f"not the bundle's learner {learner!r}"
            )
        fields = [ev.get(k) for k in ("prev_hash", "at", "kind", "payload", "hash")]
        if not all(isinstance(f, str) for f in fields):
            raise BundleError(
                f"chain broken at {where}: prev_hash, at, kind, payload and hash "
                "must all be strings"
            )
        prev, at, kind, payload, found = fields
        expected = event_hash(prev, learner, at, kind, payload)
        if found != expected:
            raise BundleError(
                f"chain broken at {where}: its fields hash to {expected}, but the "
                f"bundle says {found} (the event was edited)"
            )
        if i == 0 and prev != GENESIS:
            raise BundleError(
                f"chain broken at {where}: the first event must link to the "
                f"genesis hash {_short(GENESIS)}, found prev_hash {prev} "
                "(events are missing from the start)"
            )
        if i > 0 and prev not in seen:
            before = events[i - 1].get("hash")
            raise BundleError(
                f"chain broken at {where}: prev_hash {prev} is not the hash of any "
                f"earlier event; expected e.g. {before} (the event before it); "
                "events were removed or reordered"
            )
        if found in seen:
            raise BundleError(f"chain broken at {where}: hash {found} appears twice")
        seen.add(found)


def verify_bundle(bundle: dict, *, chapter_id: str | None = None, key: bytes | None = None) -> None:
    """Check format, names, chain, and that the export event covers records and events."""
    for field_name, want in (("format", FORMAT), ("version", FORMAT_VERSION)):
        if bundle.get(field_name) != want:
            raise BundleError(
                f"bundle {field_name} is {bundle.get(field_name)!r}; this harness reads {want!r}"
            )
    if chapter_id is not None and bundle.get("chapter") != chapter_id:
        raise BundleError(
            f"the bundle holds chapter {bundle.get('chapter')!r} records; this "
            f"harness is chapter {chapter_id!r}"
        )
    if not isinstance(bundle.get("schema"), int) or bundle["schema"] > SCHEMA_VERSION:
        raise BundleError(
            f"bundle schema {bundle.get('schema')!r} is newer than this harness "
            f"({SCHEMA_VERSION}); upgrade the harness before importing"
        )
    learner = bundle.get("learner")
    try:
        validate_name(learner)
    except ValueError as exc:
        raise BundleError(f"the bundle's learner: {exc}") from None
    if key is not None:
        mac = bundle.get("hmac_sha256")
        if not isinstance(mac, str):
            raise BundleError(
                "a key was given but the bundle carries no HMAC; it was exported without --key-file"
            )
        if not hmac.compare_digest(mac, _mac(bundle, key)):
            raise BundleError(
                "the bundle's HMAC does not match with this key: it was changed, "
                "or exported with a different key"
            )
    records, files, events = bundle.get("records"), bundle.get("files"), bundle.get("events")
    if not isinstance(records, dict) or not isinstance(files, dict) or not isinstance(events, list):
        raise BundleError("bundle lacks its records, files or events section")
    if not events:
        raise BundleError("bundle has no events; the chain cannot be verified")
    verify_chain(events, learner)
    last = events[-1]
    if last["kind"] != EXPORT_KIND:
        raise BundleError(
            f"chain ends at event {len(events) - 1} (id {last.get('id')}, "
            f"{last['kind']!r}) instead of the {EXPORT_KIND!r} event: the bundle "
            "was truncated"
        )
    try:
        payload = json.loads(last["payload"])
    except json.JSONDecodeError:
        raise BundleError("the export event's payload is not JSON") from None
    if not isinstance(payload, dict):
        raise BundleError("the export event's payload is not a JSON object")
    expected = payload.get("events_sha256")
    found = _events_digest(events[:-1])
    if found != expected:
        raise BundleError(
            f"the events before the export event were reordered, added or "
            f"removed: the export event (id {last.get('id')}) expects "
            f"events_sha256 {expected}, found {found}"
        )
    expected = payload.get("records_sha256")
    found = sha256(canonical(_section(bundle)))
    if found != expected:
        raise BundleError(
            f"the records or files were changed after export: the export event "
            f"(id {last.get('id')}) expects records_sha256 {expected}, found {found}"
        )
    if bundle.get("exported_at") != last["at"]:
        raise BundleError(
            f"exported_at {bundle.get('exported_at')!r} is not the export event's "
            f"time {last['at']!r}"
        )
    _verify_rows(records, learner)
    _verify_files(files)


def _verify_rows(records: dict, learner: str) -> None:
    known = {t[0] for t in TABLES}
    unknown = sorted(set(records) - known)
    if unknown:
        raise BundleError(
            f"bundle holds unknown table {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    ids: dict[str, set] = {}
    for table, parent, parent_col, _key in TABLES:
        rows = records.get(table, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BundleError(f"bundle table {table!r} must be a list of rows")
        for i, row in enumerate(rows):
            owner = (
                row.get("name") if table == "learners" else (None if parent else row.get("learner"))
            )
            if parent:
                if row.get(parent_col) not in ids[parent]:
                    raise BundleError(
                        f"{table}[{i}] refers to {parent} id "
                        f"{row.get(parent_col)!r}, which is not in the bundle"
                    )
            elif owner != learner:
                raise BundleError(
                    f"{table}[{i}] belongs to {owner!r}, not the bundle's learner {learner!r}"
                )
        ids[table] = {r.get("id") for r in rows}


def _safe_relpath(rel: object) -> PurePosixPath:
    if not isinstance(rel, str) or not rel:
        raise BundleError(f"bundle manifest path {rel!r} is not a relative path")
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or "\\" in rel or path.name != "manifest.yaml":
        raise BundleError(
            f"bundle manifest path {rel!r} would be written outside the "
            "learner's folder; expected <slug>/<lab>/<run>/manifest.yaml"
        )
    return path


def _verify_files(files: dict) -> None:
    text = files.get("reflections_md")
    if text is not None and not isinstance(text, str):
        raise BundleError("bundle files.reflections_md must be text or null")
    for m in files.get("manifests", []):
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            raise BundleError("bundle files.manifests entries need a path and a text")
        _safe_relpath(m.get("path"))


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    learner: str
    added: dict[str, int] = field(default_factory=dict)  # table (or "events") -> new rows
    matched: dict[str, int] = field(default_factory=dict)  # already present
    updated: dict[str, int] = field(default_factory=dict)  # quiz attempts moved forward
    conflicts: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # what happened to each file

    @property
    def changed(self) -> bool:
        return (
            any(self.added.values())
            or any(self.updated.values())
            or any(not f.startswith("unchanged") for f in self.files)
        )


def import_bundle(
    store: Store,
    chapter: Chapter,
    bundle: dict,
    *,
    learners_root: Path | None = None,
    key: bytes | None = None,
) -> ImportResult:
    """Verify the bundle, then merge it in one transaction; a second import adds nothing."""
    verify_bundle(bundle, chapter_id=chapter.id, key=key)
    learner = bundle["learner"]
    result = ImportResult(learner)
    try:
        _merge(store, bundle, result)
    except sqlite3.Error as exc:  # a crafted row the schema rejects; nothing was kept
        raise BundleError(
            f"the bundle's rows cannot be stored here ({exc}); nothing was imported"
        ) from None
    result.files = _write_files(bundle["files"], learner, chapter, learners_root)
    return result


def _merge(store: Store, bundle: dict, result: ImportResult) -> None:
    """Insert what is new, in one transaction (any error rolls all of it back)."""
    learner, records = bundle["learner"], bundle["records"]
    with store._transaction() as conn:
        id_map: dict[str, dict[int, int]] = {}
        for table, parent, parent_col, key_cols in TABLES:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            id_map[table] = {}
            added = matched = updated = 0
            for row in records.get(table, []):
                extra = sorted(set(row) - set(columns))
                if extra:
                    raise BundleError(f"{table} row has unknown column {extra[0]!r}")
                row = dict(row)
                if parent:
                    row[parent_col] = id_map[parent][row[parent_col]]
                where = " AND ".join(f"{c} IS ?" for c in key_cols)
                found = conn.execute(
                    f"SELECT * FROM {table} WHERE {where}", [row.get(c) for c in key_cols]
                ).fetchone()
                source_id = row.pop("id", None)
                if found is None:
                    cols = [c for c in columns if c != "id" and c in row]
                    cur = conn.execute(
                        f"INSERT INTO {table} ({', '.join(cols)}) "
                        f"VALUES ({', '.join('?' * len(cols))})",
                        [row[c] for c in cols],
                    )
                    local_id, added = cur.lastrowid, added + 1
                else:
                    existing = dict(zip(columns, found, strict=True))
                    local_id, matched = existing.get("id"), matched + 1
                    if table == "quiz_attempts" and _moves_forward(existing, row):
                        conn.execute(
                            "UPDATE quiz_attempts SET status = ?, finished_at = ?, score = ?, "
                            "passed = ? WHERE id = ?",
                            [row[c] for c in ATTEMPT_PROGRESS] + [local_id],
                        )
                        updated += 1
                    elif table == "reflections" and existing["text"] != row["text"]:
                        result.conflicts.append(
                            f"reflection {row['prompt_id']!r} version {row['version']} differs "
                            "here; kept this database's text"
                        )
                if source_id is not None:
                    id_map[table][source_id] = local_id
            result.added[table], result.matched[table] = added, matched
            if updated:
                result.updated[table] = updated
        added = 0
        for ev in bundle["events"]:
            if conn.execute("SELECT 1 FROM events WHERE hash = ?", (ev["hash"],)).fetchone():
                continue
            conn.execute(
                "INSERT INTO events (learner, at, kind, payload, prev_hash, hash) "
                "VALUES (?,?,?,?,?,?)",
                (learner, ev["at"], ev["kind"], ev["payload"], ev["prev_hash"], ev["hash"]),
            )
            added += 1
        result.added["events"] = added
        result.matched["events"] = len(bundle["events"]) - added


def _moves_forward(existing: dict, incoming: dict) -> bool:
    """An open attempt may be finished or abandoned later; never the other way round."""
    return existing["status"] == "in_progress" and incoming.get("status") != "in_progress"


def _write_files(
    files: dict, learner: str, chapter: Chapter, learners_root: Path | None
) -> list[str]:
    folder = chapter_dir(learner, chapter, learners_root or learners_dir())
    done = []
    targets = []
    if files.get("reflections_md") is not None:
        targets.append((folder / chapter.reflections_file, files["reflections_md"]))
    for m in files.get("manifests", []):
        targets.append((folder / IMPORTED_RUNS / _safe_relpath(m["path"]), m["text"]))
    for path, text in targets:
        shown = path.relative_to(folder.parent.parent)
        if path.is_file():
            current = path.read_text(encoding="utf-8")
            if current == text:
                done.append(f"unchanged {shown}")
                continue
            path = path.with_name(f"{path.name}.imported-{sha256(text.encode())[:8]}")
            if path.is_file():
                done.append(f"unchanged {path.relative_to(folder.parent.parent)}")
                continue
            done.append(f"kept {shown} (differs); wrote the bundle's copy as {path.name}")
        else:
            done.append(f"wrote {shown}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return done

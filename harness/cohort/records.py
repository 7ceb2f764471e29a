"""A learner's records as one portable, signed file (`harness export` / `import`).

The bundle is one JSON document:

    format, version, schema, chapter, learner, learner_id, exported_at
    records   every row of every table that belongs to the learner (learners, page_events,
              check_runs + their check_results and snapshot_files, quiz_attempts + their
              quiz_answers, reflections, runs, feedback), in id order, with the source
              database's ids
    files     reflections.md from learners/NAME/extension-X2/ if present, the manifest.yaml
              of every run the learner's `runs` rows name, and `blobs`: the lab files the
              check runs graded (sha256 -> base64), each once
    events    the learner's event log, oldest first, each row with prev_hash and hash
              (`harness.store.event_hash`); the last one is the `records.exported` event
              that exporting appended to the learner's own chain
    signer, public_key, signature
              Ed25519 over the canonical form of everything else (`identity.py`); the signer
              is the learner (their key in learners/NAME/.identity/) or, for records a
              mentor sends back, the mentor

What each layer proves, in the words the views use. The hash chain shows accidental damage:
each event's hash covers the previous hash and the event's fields, and the final
`records.exported` event holds the sha256 of the canonical header-records-and-files section
(`SECTION_KEYS`) and of the ordered list of every earlier event hash, so an edited, added,
dropped or reordered row, file or event is refused with a message that says where it broke.
Anyone can rebuild a chain, though. The signature shows authorship and continuity: a mentor's
store pins a learner's public key at the first import (trust on first use, keyed by the
learner's random id, never by name) and refuses a bundle signed by another key, and one whose
history does not extend the history already imported (a truncation or a rewrite; the message
says which). Neither shows that the learner's machine told the truth: its owner holds the key
and can sign anything. Only a regrade on the mentor's machine (`harness mentor regrade`, of
the lab files the bundle carries) shows the code is right. `--key-file` still adds an
HMAC-SHA256 under a secret shared by both machines.

Chains may fork: after a mentor imports a bundle and adds feedback, the learner's next
events and the mentor's feedback both link to the same export event. So a link must point
to *some* earlier event in the file (one genesis), not necessarily the one just before; the
export event's digest over the ordered hashes still pins the exact sequence.

Importing validates the whole bundle first (every row's columns and types, parent ids, file
paths, blobs against their hashes), then merges idempotently in one transaction: events are
matched by hash, rows by their natural key (e.g. a check run by learner, lab, impl, task and
start time), so importing the same bundle twice adds nothing. A learner is matched by id; one
whose name is taken here by another learner is imported as `name@<first 8 of the id>`, and
the result says so. Files are written only under learners/NAME/ of the importing machine and
never overwrite a different file (a differing copy is written next to it). Knows nothing of
the screen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from harness.chapter import Chapter
from harness.cohort import identity
from harness.learners import LearnerNameError, chapter_dir, validate_name
from harness.paths import REPO_ROOT, experiments_dir, learners_dir
from harness.store import GENESIS, SCHEMA_VERSION, Store, event_hash, now

FORMAT = "x2-harness-records"
FORMAT_VERSION = 2  # 2: learner ids, signatures, code snapshots
EXPORT_KIND = "records.exported"
IMPORTED_RUNS = "runs"  # learners/NAME/extension-X2/runs/<slug>/<lab>/<run>/manifest.yaml

# (table, parent table, parent id column, natural key columns). Parents come first.
TABLES: tuple[tuple[str, str | None, str | None, tuple[str, ...]], ...] = (
    ("learners", None, None, ("name",)),
    ("page_events", None, None, ("learner", "item_id", "event", "at")),
    ("check_runs", None, None, ("learner", "lab_id", "impl", "task", "started_at")),
    ("check_results", "check_runs", "run_id", ("run_id", "name", "task")),
    ("snapshot_files", "check_runs", "run_id", ("run_id", "path")),
    ("quiz_attempts", None, None, ("learner", "quiz_id", "seed", "started_at")),
    ("quiz_answers", "quiz_attempts", "attempt_id", ("attempt_id", "question_id", "position")),
    ("reflections", None, None, ("learner", "prompt_id", "version")),
    ("runs", None, None, ("learner", "lab_id", "run_dir", "started_at")),
    ("feedback", None, None, ("learner", "mentor", "target", "at")),
    # The learner's own activity that mentors read: spaced-review answers (cohort mastery
    # counts them) and revealed hints (the dashboard's "hints used"). Mentors' reflection
    # marks stay out: a learner's bundle is the learner's word, and a mark is a mentor's.
    ("review_log", None, None, ("learner", "card", "source", "at")),
    ("hints_used", None, None, ("learner", "lab_id", "task", "level")),
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
                f"(SELECT id FROM {parent} WHERE learner = ?) ORDER BY rowid"
            )
            args = [learner]
        else:
            sql, args = f"SELECT * FROM {table} WHERE learner = ? ORDER BY rowid", [learner]
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
SECTION_KEYS = (
    "format",
    "version",
    "schema",
    "chapter",
    "learner",
    "learner_id",
    "records",
    "files",
)
SIGNED_OUT = ("signature", "hmac_sha256")  # what the signature does not cover


def _section(bundle: dict) -> dict:
    return {k: bundle.get(k) for k in SECTION_KEYS}


def _events_digest(events: list[dict]) -> str:
    return sha256("\n".join(e["hash"] for e in events).encode("ascii"))


def _chain_name(store: Store, learner: str) -> str:
    """The name `learner`'s own chain was written with (differs after a name clash)."""
    row = store.conn.execute(
        "SELECT chain_name FROM learner_keys WHERE name = ?", (learner,)
    ).fetchone()
    return row[0] if row else learner


def _as_chain_name(records: dict[str, list[dict]], events: list[dict], chain: str) -> None:
    """Rows and events of a learner known here by another name carry their own name."""
    for table, parent, _col, _key in TABLES:
        for row in records[table]:
            if table == "learners":
                row["name"] = chain
            elif not parent:
                row["learner"] = chain
    for ev in events:
        ev["learner"] = chain


def snapshot_blobs(store: Store, records: dict[str, list[dict]]) -> dict[str, str]:
    """sha256 -> base64 of every lab file the learner's check runs graded, each once."""
    digests = sorted({r["sha256"] for r in records["snapshot_files"]})
    blobs = {}
    for digest in digests:
        row = store.conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (digest,)).fetchone()
        if row is not None:
            blobs[digest] = base64.b64encode(row[0]).decode("ascii")
    return blobs


def _signing_key(store: Store, learner: str, learners_root: Path | None):
    """The learner's own key on their machine; a mentor's key for records it sends back."""
    row = store.conn.execute("SELECT own FROM learner_keys WHERE name = ?", (learner,)).fetchone()
    if row is not None and not row[0]:
        return "mentor", identity.load_or_create(identity.mentor_key_path(learners_root))
    return "learner", identity.learner_key(learner, learners_root)


def export_bundle(
    store: Store,
    chapter: Chapter,
    learner: str,
    *,
    learners_root: Path | None = None,
    key: bytes | None = None,
) -> dict:
    """Append a `records.exported` event to the learner's chain and return the signed bundle."""
    with store._transaction():
        store._require_learner(learner)
        signer, signing_key = _signing_key(store, learner, learners_root)
        public_key = identity.public_hex(signing_key)
        learner_id = store.conn.execute(
            "SELECT learner_id FROM learners WHERE name = ?", (learner,)
        ).fetchone()[0]
        if signer == "learner":  # the learner's own key, known to their own store
            store.conn.execute(
                "INSERT INTO learner_keys (learner_id, name, chain_name, public_key, own, "
                "pinned_at) VALUES (?,?,?,?,1,?) ON CONFLICT (learner_id) DO UPDATE SET "
                "public_key = excluded.public_key",
                (learner_id, learner, learner, public_key, now()),
            )
        chain = _chain_name(store, learner)
        records = learner_records(store, learner)
        files = learner_files(records, learner, chapter, learners_root)
        files["blobs"] = snapshot_blobs(store, records)
        bundle: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "schema": SCHEMA_VERSION,
            "chapter": chapter.id,
            "learner": chain,
            "learner_id": learner_id,
            "records": records,
            "files": files,
        }
        _as_chain_name(records, [], chain)
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
    _as_chain_name(records, events, chain)
    bundle["exported_at"] = events[-1]["at"]
    bundle["events"] = events
    bundle["signer"] = signer
    bundle["public_key"] = public_key
    bundle["signature"] = identity.sign(signing_key, _signed_bytes(bundle))
    if key is not None:
        bundle["hmac_sha256"] = _mac(bundle, key)
    return bundle


def _signed_bytes(bundle: dict) -> bytes:
    return canonical({k: v for k, v in bundle.items() if k not in SIGNED_OUT})


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
    except RecursionError:
        raise BundleError(f"{path}: not a records bundle (nested too deeply to read)") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read ({exc.strerror})") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleError(
            f'{path}: not a records bundle (no "format": "{FORMAT}"); '
            "make one with `harness export --learner NAME --out FILE`"
        )
    return bundle


def _short(digest: object) -> str:
    if isinstance(digest, (dict, list)):
        return f"a {type(digest).__name__}"
    if isinstance(digest, str) and len(digest) > 16:
        return repr(digest[:16] + "…")
    return repr(digest)


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
    """Check format, names, signature, chain, that the export event covers records and
    events, and every row, file and blob: a BundleError with one line, or nothing."""
    if not isinstance(bundle, dict):
        raise BundleError(f"a bundle is a JSON object, not {type(bundle).__name__}")
    try:
        _verify_bundle(bundle, chapter_id, key)
    except RecursionError:
        raise BundleError("the bundle is nested too deeply to be a records bundle") from None
    except ValueError as exc:  # canonical(): NaN or infinity, which JSON cannot carry
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"the bundle holds a value JSON cannot carry ({exc})") from None


LEARNER_ID = re.compile(r"^[0-9a-f]{16}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _verify_bundle(bundle: dict, chapter_id: str | None, key: bytes | None) -> None:
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
    learner_id = bundle.get("learner_id")
    if not isinstance(learner_id, str) or not LEARNER_ID.fullmatch(learner_id):
        raise BundleError(
            f"the bundle's learner_id {_short(learner_id)} is not 16 hex digits; "
            "bundles made before learner ids (format 1) cannot be imported: export again"
        )
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
    signer, public_key, signature = (bundle.get(k) for k in ("signer", "public_key", "signature"))
    if signer not in ("learner", "mentor"):
        raise BundleError(f"the bundle's signer is {signer!r}; expected 'learner' or 'mentor'")
    if not isinstance(public_key, str) or not HEX64.fullmatch(public_key):
        raise BundleError("the bundle carries no Ed25519 public key (64 hex digits)")
    if not isinstance(signature, str) or not identity.verify(
        public_key, signature, _signed_bytes(bundle)
    ):
        raise BundleError(
            f"the signature does not match: the bundle was changed after it was signed by "
            f"key {public_key[:16]}… (or signed by another key)"
        )
    _verify_rows(records, learner)
    _verify_files(files, records)
    if records["learners"][0].get("learner_id") != learner_id:
        raise BundleError("the learner row's learner_id is not the bundle's learner_id")


@lru_cache(maxsize=1)
def table_columns() -> dict[str, dict[str, bool]]:
    """{table: {column: NOT NULL}} of this harness's schema, for the bundle's tables."""
    store = Store.memory()
    try:
        return {
            table: {r[1]: bool(r[3]) for r in store.conn.execute(f"PRAGMA table_info({table})")}
            for table, *_ in TABLES
        }
    finally:
        store.close()


def _verify_rows(records: dict, learner: str) -> None:
    known = {t[0] for t in TABLES}
    unknown = sorted(set(records) - known)
    if unknown:
        raise BundleError(
            f"bundle holds unknown table {_short(unknown[0])}; known: {', '.join(sorted(known))}"
        )
    schema = table_columns()
    ids: dict[str, set] = {}
    for table, parent, parent_col, _key in TABLES:
        rows = records.get(table, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BundleError(f"bundle table {table!r} must be a list of rows")
        columns = schema[table]
        for i, row in enumerate(rows):
            for col, value in row.items():
                if col not in columns:
                    raise BundleError(f"{table}[{i}] has unknown column {_short(col)}")
                if value is None and columns[col] and col != "id":
                    raise BundleError(f"{table}[{i}].{col} is null; this column needs a value")
                if not isinstance(value, (str, int, float, type(None))):
                    raise BundleError(
                        f"{table}[{i}].{col} is a {type(value).__name__}; a row holds only "
                        "text, numbers and nulls"
                    )
                if isinstance(value, int) and not -(2**63) <= value < 2**63:
                    raise BundleError(f"{table}[{i}].{col} is {value}, past a 64-bit integer")
                if isinstance(value, float) and not math.isfinite(value):
                    raise BundleError(f"{table}[{i}].{col} is {value}, not a finite number")
            missing = [c for c, required in columns.items() if required and c not in row]
            if missing and missing != ["id"]:
                raise BundleError(f"{table}[{i}] lacks column {missing[0]!r}")
            if not isinstance(row.get("id", 0), int) or isinstance(row.get("id"), bool):
                raise BundleError(f"{table}[{i}].id is {_short(row.get('id'))}, not a number")
            owner = (
                row.get("name") if table == "learners" else (None if parent else row.get("learner"))
            )
            if parent:
                ref = row.get(parent_col)
                if not isinstance(ref, int) or ref not in ids[parent]:
                    raise BundleError(
                        f"{table}[{i}] refers to {parent} id {_short(ref)}, which is not in "
                        "the bundle"
                    )
            elif owner != learner:
                raise BundleError(
                    f"{table}[{i}] belongs to {owner!r}, not the bundle's learner {learner!r}"
                )
        ids[table] = {r.get("id") for r in rows}
    if len(records.get("learners", [])) != 1:
        raise BundleError("the bundle's learners table must hold exactly the bundle's learner")


SNAPSHOT_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


def _safe_relpath(rel: object) -> PurePosixPath:
    if not isinstance(rel, str) or not rel:
        raise BundleError(f"bundle manifest path {_short(rel)} is not a relative path")
    if "\x00" in rel or any(ord(c) < 32 for c in rel):
        raise BundleError(f"bundle manifest path {rel!r} holds a control character or NUL")
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or "\\" in rel or path.name != "manifest.yaml":
        raise BundleError(
            f"bundle manifest path {rel!r} would be written outside the "
            "learner's folder; expected <slug>/<lab>/<run>/manifest.yaml"
        )
    return path


def _verify_files(files: dict, records: dict | None = None) -> None:
    unknown = sorted(set(files) - {"reflections_md", "manifests", "blobs"})
    if unknown:
        raise BundleError(f"bundle files holds unknown entry {_short(unknown[0])}")
    text = files.get("reflections_md")
    if text is not None and not isinstance(text, str):
        raise BundleError("bundle files.reflections_md must be text or null")
    manifests = files.get("manifests", [])
    if not isinstance(manifests, list):
        raise BundleError("bundle files.manifests must be a list")
    for m in manifests:
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            raise BundleError("bundle files.manifests entries need a path and a text")
        _safe_relpath(m.get("path"))
    blobs = files.get("blobs", {})
    if not isinstance(blobs, dict):
        raise BundleError("bundle files.blobs must map sha256 to base64")
    for digest, data in blobs.items():
        try:
            raw = base64.b64decode(data, validate=True) if isinstance(data, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None or sha256(raw) != digest:
            raise BundleError(f"bundle blob {_short(digest)} does not hash to its name")
    for i, row in enumerate((records or {}).get("snapshot_files", [])):
        if not isinstance(row.get("path"), str) or not SNAPSHOT_PATH.fullmatch(row["path"]):
            raise BundleError(
                f"snapshot_files[{i}].path {_short(row.get('path'))} is not a plain file name"
            )
        if row.get("sha256") not in blobs:
            raise BundleError(
                f"snapshot_files[{i}] names blob {_short(row.get('sha256'))}, "
                "which the bundle does not carry"
            )


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    learner: str  # the name here (`ana@1f2e3d4c` after a name clash)
    added: dict[str, int] = field(default_factory=dict)  # table (or "events") -> new rows
    matched: dict[str, int] = field(default_factory=dict)  # already present
    updated: dict[str, int] = field(default_factory=dict)  # quiz attempts moved forward
    conflicts: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # what happened to each file
    notes: list[str] = field(default_factory=list)  # key pinned, name clash resolved

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
    """Verify the whole bundle, then merge it in one transaction; a second import adds
    nothing; a refused bundle changes nothing (rows or files)."""
    verify_bundle(bundle, chapter_id=chapter.id, key=key)
    try:
        with store._transaction():
            result = _merge(store, bundle)
            # Files last, inside the transaction: a file that cannot be written undoes the rows.
            result.files = _write_files(bundle["files"], result.learner, chapter, learners_root)
    except sqlite3.Error as exc:  # a crafted row the schema rejects; nothing was kept
        raise BundleError(
            f"the bundle's rows cannot be stored here ({exc}); nothing was imported"
        ) from None
    except OSError as exc:
        raise BundleError(
            f"a file of the bundle cannot be written ({exc}); nothing was imported"
        ) from None
    return result


def _local_name(conn: sqlite3.Connection, bundle: dict, notes: list[str]) -> str:
    """The learner's name here: found by id; a new learner whose name is taken gets
    `name@<short id>` (learners from different machines never merge by name)."""
    learner, learner_id = bundle["learner"], bundle["learner_id"]
    row = conn.execute("SELECT name FROM learners WHERE learner_id = ?", (learner_id,)).fetchone()
    if row:
        return row[0]
    if not conn.execute("SELECT 1 FROM learners WHERE name = ?", (learner,)).fetchone():
        return learner
    alias = f"{learner.split('@')[0]}@{identity.short_id(learner_id)}"
    try:
        validate_name(alias)
    except LearnerNameError as exc:
        raise BundleError(f"cannot name the imported learner: {exc}") from None
    if conn.execute("SELECT 1 FROM learners WHERE name = ?", (alias,)).fetchone():
        raise BundleError(
            f"learner {learner!r} (id {learner_id}) clashes with two learners here, "
            f"{learner!r} and {alias!r}; nothing was imported"
        )
    notes.append(
        f"name clash: another learner here is called {learner!r}; this one (id "
        f"{learner_id}) is imported as {alias!r}"
    )
    return alias


def _check_identity(conn: sqlite3.Connection, bundle: dict, local: str, notes: list[str]) -> None:
    """Trust on first use, then continuity: same key, and a history that extends the one
    imported before (events are matched by hash, so a fork back from a mentor is fine)."""
    learner_id, public_key = bundle["learner_id"], bundle["public_key"]
    pin = conn.execute(
        "SELECT public_key, own, last_events, last_events_sha256, last_import_at "
        "FROM learner_keys WHERE learner_id = ?",
        (learner_id,),
    ).fetchone()
    events = bundle["events"]
    if bundle["signer"] == "mentor":
        if pin is None or not pin[1]:
            raise BundleError(
                f"signed by a mentor's key ({public_key[:16]}…), not learner {local!r}'s: a "
                "mentor's store takes a learner's records only from the learner; "
                "nothing was imported"
            )
        notes.append(f"records sent back by a mentor (key {public_key[:16]}…)")
        return
    if pin is None:
        conn.execute(
            "INSERT INTO learner_keys (learner_id, name, chain_name, public_key, own, "
            "pinned_at, last_events, last_events_sha256, last_import_at) "
            "VALUES (?,?,?,?,0,?,?,?,?)",
            (
                learner_id,
                local,
                bundle["learner"],
                public_key,
                now(),
                len(events),
                _events_digest(events),
                now(),
            ),
        )
        notes.append(f"pinned {local}'s key {public_key[:16]}… (first import: trust on first use)")
        return
    pinned, own, last_n, last_digest, last_at = pin
    if public_key != pinned:
        raise BundleError(
            f"signed by another key: {local!r} (id {learner_id}) was pinned with key "
            f"{pinned[:16]}…, this bundle is signed by {public_key[:16]}…; nothing was imported "
            "(if the learner really made a new key, ask them why before trusting it)"
        )
    if own:
        return
    known = {h for (h,) in conn.execute("SELECT hash FROM events WHERE learner = ?", (local,))}
    if all(e["hash"] in known for e in events):
        return  # an export imported before (or an older one): it brings nothing new
    if len(events) < last_n:
        raise BundleError(
            f"truncation: the bundle holds {len(events)} events, fewer than the {last_n} "
            f"imported on {str(last_at)[:19]}; events were removed from the history; "
            "nothing was imported"
        )
    if _events_digest(events[:last_n]) != last_digest:
        raise BundleError(
            f"rewrite: the first {last_n} events differ from the history imported on "
            f"{str(last_at)[:19]}; the history was rewritten; nothing was imported"
        )
    conn.execute(
        "UPDATE learner_keys SET last_events = ?, last_events_sha256 = ?, last_import_at = ? "
        "WHERE learner_id = ?",
        (len(events), _events_digest(events), now(), learner_id),
    )


def _merge(store: Store, bundle: dict) -> ImportResult:
    """Insert what is new (call inside a transaction: any error rolls all of it back)."""
    conn = store.conn
    notes: list[str] = []
    learner = _local_name(conn, bundle, notes)
    _check_identity(conn, bundle, learner, notes)
    result = ImportResult(learner, notes=notes)
    records = bundle["records"]
    conn.executemany(
        "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?,?,?)",
        [
            (digest, len(raw), raw)
            for digest, raw in (
                (d, base64.b64decode(b)) for d, b in bundle["files"].get("blobs", {}).items()
            )
        ],
    )
    id_map: dict[str, dict[int, int]] = {}
    for table, parent, parent_col, key_cols in TABLES:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        id_map[table] = {}
        added = matched = updated = 0
        for row in records.get(table, []):
            row = dict(row)
            if table == "learners":
                row["name"] = learner
            elif parent:
                row[parent_col] = id_map[parent][row[parent_col]]
            else:
                row["learner"] = learner
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
                        [row.get(c) for c in ATTEMPT_PROGRESS] + [local_id],
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
            "INSERT INTO events (learner, at, kind, payload, prev_hash, hash) VALUES (?,?,?,?,?,?)",
            (learner, ev["at"], ev["kind"], ev["payload"], ev["prev_hash"], ev["hash"]),
        )
        added += 1
    result.added["events"] = added
    result.matched["events"] = len(bundle["events"]) - added
    return result


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

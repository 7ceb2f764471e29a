"""What kind of wrong a failed check is: known mistakes, first divergence, sanity.

Runs in the trusted grading pytest, after a check failed, on the calls that check made into the
learner's code (recorded by `Recorder`, the `impl` fixture's wrapper):

- *known-mistake signatures*: the calls are replayed on the reference and on every catalogued
  mistake of the task (catalogue.py; our code, so it may run here). A mistake whose outputs
  match the learner's on every replayed call, where the reference's do not, is named with its
  hint: "your attention matches the catalogued mistake 'mask applied after the softmax'".
- *first divergence by substitution* (lab 00's block): the reference block is recomputed with
  one learner component at a time (layernorm, attention) on the reference's own intermediate
  values, and the learner's block runs with parameters that switch off all but one part (the
  attention's residual, the MLP's input, GELU, the MLP's residual); a table gives the
  relative error per stage and names the first that departs. Lab 00's attention and lab 02's
  log-mel compare the learner's optional `*_stages` dict with the reference's. Lab
  01's logits and their backward: the reference with one piece changed at a time (the
  learner's logit_scale, a normalisation left out or over the wrong axis, the scale's chain
  rule), named when the learner's output equals one.
- *sanity*: NaN/inf where the reference is finite (and in which call), a dtype or shape that
  differs from the reference's.

Nothing here may break grading: every step is guarded and bounded (MAX_CALLS replayed per
check, MAX_SECONDS in all); a diagnosis is advice, the check's verdict stands.
"""

from __future__ import annotations

import copy
import importlib
import sys
import time
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.chapter import Lab
from harness.grading.catalogue import Entry, load_catalogue
from harness.grading.remote import Handle, LearnerError

MAX_CALLS = 400
MAX_SECONDS = 8.0  # per failed check
SESSION_SECONDS = 40.0  # per grading run: a diagnosis must not double a run's time
_spent = {"s": 0.0}
RTOL = 1e-6
PROXY_ATTRS = ("default_timeout",)


@dataclass
class Call:
    fn: str
    args: tuple
    kwargs: dict
    value: Any = None
    error: LearnerError | None = None


class Recorder:
    """The `impl` proxy with a memory: every call, its arguments and what came back."""

    def __init__(self, remote):
        object.__setattr__(self, "_remote", remote)
        object.__setattr__(self, "calls", [])

    def __getattr__(self, name: str):
        if name.startswith("_") or name in PROXY_ATTRS or name in ("output", "close", "call"):
            return getattr(self._remote, name)
        if name == "with_timeout":
            return lambda seconds: _TimedRecorder(self, seconds)
        return lambda *a, **k: self._record(name, a, k, None)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._remote, name, value)

    def _record(self, name: str, args: tuple, kwargs: dict, timeout: float | None):
        call = Call(name, args, kwargs)
        if len(self.calls) < 5 * MAX_CALLS:
            # a snapshot: checks perturb their arrays in place after the call (finite
            # differences), and the replay must see what the learner's code saw
            call.args, call.kwargs = _snapshot(args), _snapshot(kwargs)
            self.calls.append(call)
        try:
            if timeout is None:
                call.value = getattr(self._remote, name)(*args, **kwargs)
            else:
                call.value = getattr(self._remote.with_timeout(timeout), name)(*args, **kwargs)
        except LearnerError as exc:
            call.error = exc
            raise
        return call.value

    def take(self) -> list[Call]:
        calls = list(self.calls)
        self.calls.clear()
        return calls


def _snapshot(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_snapshot(v) for v in value)
    if isinstance(value, list):
        return [_snapshot(v) for v in value]
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return value


class _TimedRecorder:
    def __init__(self, recorder: Recorder, seconds: float):
        self._recorder, self._seconds = recorder, seconds

    def __getattr__(self, name: str):
        return lambda *a, **k: self._recorder._record(name, a, k, self._seconds)


# --------------------------------------------------------------------------- replay


@dataclass
class Replay:
    outcomes: list = field(default_factory=list)  # per call: ("value", v) | ("raised", type)
    stopped_at: int | None = None


def _load(entry: Entry, name: str):
    """The entry's whole file (`Entry.source`, its base and its bug) run as a fresh module."""
    if name in sys.modules:
        return sys.modules[name]
    module = types.ModuleType(name)
    module.__file__ = str(entry.path)
    sys.modules[name] = module  # before running it: dataclasses look their module up
    try:
        # a composed file's lines are not the entry file's: its tracebacks name both
        where = f"<{entry.path.name} over {entry.base.name}>" if entry.base else str(entry.path)
        exec(compile(entry.source, where, "exec"), module.__dict__)  # noqa: S102
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _substitute(value, handles: dict):
    if isinstance(value, Handle):
        if value.id not in handles:
            raise KeyError(value.id)
        return handles[value.id]
    if isinstance(value, tuple):
        return tuple(_substitute(v, handles) for v in value)
    if isinstance(value, list):
        return [_substitute(v, handles) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, handles) for k, v in value.items()}
    return copy.deepcopy(value)


def _bind(learner, replayed, handles: dict) -> None:
    """Map the learner's handles to the replayed objects found at the same places."""
    if isinstance(learner, Handle):
        handles[learner.id] = replayed
    elif isinstance(learner, (tuple, list)) and isinstance(replayed, (tuple, list)):
        for a, b in zip(learner, replayed, strict=False):
            _bind(a, b, handles)
    elif isinstance(learner, dict) and isinstance(replayed, dict):
        for k in learner:
            if k in replayed:
                _bind(learner[k], replayed[k], handles)


def replay(module, calls: list[Call], deadline: float) -> Replay:
    out = Replay()
    handles: dict = {}
    for n, call in enumerate(calls):
        fn = getattr(module, call.fn, None)
        if fn is None or time.monotonic() > deadline:
            out.stopped_at = n
            break
        try:
            args = _substitute(call.args, handles)
            kwargs = _substitute(call.kwargs, handles)
        except KeyError:
            out.stopped_at = n
            break
        try:
            with np.errstate(all="ignore"):
                value = fn(*args, **kwargs)
            out.outcomes.append(("value", value))
            if call.error is None:
                _bind(call.value, value, handles)
        except Exception as exc:  # noqa: BLE001 - a mistake may raise anything
            out.outcomes.append(("raised", f"{type(exc).__name__}: {exc}".strip()))
    return out


def same(learner, other) -> bool:
    """Equal within RTOL of the larger magnitude; handles compare equal; NaN equals NaN."""
    if isinstance(learner, Handle):
        return True
    if isinstance(learner, dict):
        return (
            isinstance(other, dict)
            and set(learner) == set(map(str, other))
            and all(same(learner[k], other[k]) for k in learner)
        )
    if isinstance(learner, (list, tuple)) and not _numeric_list(learner):
        return (
            isinstance(other, (list, tuple))
            and len(learner) == len(other)
            and all(same(a, b) for a, b in zip(learner, other, strict=True))
        )
    if learner is None or isinstance(learner, str):
        return learner == other
    if isinstance(learner, np.ndarray) and isinstance(other, np.ndarray):
        kinds = {learner.dtype.kind, other.dtype.kind}
        if kinds == {"f"} and learner.dtype != other.dtype:
            return False  # float32 vs float64 is a difference the checks grade
    try:
        a = np.asarray(learner, dtype=np.float64)
        b = np.asarray(other, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape:
        return False
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(a[~finite & ~np.isnan(a)], b[~finite & ~np.isnan(b)]):
        return False
    if not finite.any():
        return True
    scale = max(float(np.abs(a[finite]).max()), float(np.abs(b[finite]).max()), 1e-12)
    return float(np.abs(a[finite] - b[finite]).max()) <= RTOL * scale + 1e-12


def _numeric_list(value) -> bool:
    return all(isinstance(v, (int, float, bool)) for v in value)


def _agrees(call: Call, outcome) -> bool:
    kind, value = outcome
    if call.error is not None:  # the same exception type *and* message
        return kind == "raised" and f"raised {value}" in " ".join(str(call.error).split())
    return kind == "value" and same(call.value, value)


# --------------------------------------------------------------------------- the three parts


@dataclass
class Diagnosis:
    mistake: Entry | None = None
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


def _reference(lab: Lab):
    return importlib.import_module(f"{lab.package}.{lab.entry}")


def match_mistakes(
    lab: Lab, task: str, calls: list[Call], deadline: float, ref: Replay
) -> list[Entry]:
    """The catalogued mistakes whose replay agrees with every learner call, where the
    reference (`ref`, its replay) disagrees at least once (several when the calls cannot
    tell them apart)."""
    calls = calls[:MAX_CALLS]
    ref_agrees = [_agrees(c, o) for c, o in zip(calls, ref.outcomes, strict=False)]
    if all(ref_agrees) and len(ref_agrees) == len(calls):
        return []  # the learner agrees with the reference on every call: nothing to match
    found = []
    for entry in load_catalogue(lab):
        if entry.kind != "mistake" or entry.task != task or time.monotonic() > deadline:
            continue
        try:
            module = _load(entry, f"_x2_mistake_{lab.number}_{entry.name}")
        except Exception:  # noqa: BLE001, S112 - an entry that cannot load is skipped
            continue
        got = replay(module, calls, deadline)
        n = len(got.outcomes)
        if n == 0:
            continue
        agrees = [_agrees(c, o) for c, o in zip(calls, got.outcomes, strict=False)]
        telling = [not r for r in ref_agrees[:n]]
        if all(agrees) and any(telling):
            found.append(entry)
    return found


def sanity(calls: list[Call], ref: Replay) -> list[str]:
    """NaN/inf where the reference is finite; dtype and shape that differ from it."""
    calls = calls[:MAX_CALLS]
    out: list[str] = []
    for n, (call, (kind, value)) in enumerate(zip(calls, ref.outcomes, strict=False)):
        if call.error is not None or kind != "value":
            continue
        for where, mine, theirs in _arrays(call.value, value, call.fn):
            if mine.shape != theirs.shape:
                out.append(f"call {n + 1}, {where}: shape {mine.shape}, expected {theirs.shape}"
                           f" (inputs {_describe(call.args)})")  # fmt: skip
            elif mine.dtype != theirs.dtype and mine.dtype.kind == theirs.dtype.kind == "f":
                out.append(f"call {n + 1}, {where}: dtype {mine.dtype}, expected {theirs.dtype}"
                           f" (inputs {_describe(call.args)})")  # fmt: skip
            elif mine.dtype.kind == "f" and not np.isfinite(mine).all():
                if np.isfinite(theirs).all():
                    bad = tuple(int(i) for i in np.argwhere(~np.isfinite(mine))[0])
                    big = max((float(np.abs(a).max()) for a in _leaves(call.args)
                               if a.size and a.dtype.kind == "f"), default=0.0)  # fmt: skip
                    out.append(
                        f"call {n + 1}, {where}: first NaN/inf at index {bad} where the "
                        f"reference is finite (inputs {_describe(call.args)}, largest |input| "
                        f"{big:.3g}): an exp or a division overflowing? subtract the max first"
                    )
            if len(out) >= 3:
                return out
    return out


def _arrays(mine, theirs, where: str):
    if isinstance(mine, Handle):
        return
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for k in mine:
            if k in theirs:
                yield from _arrays(mine[k], theirs[k], f"{where}['{k}']")
    elif isinstance(mine, (tuple, list)) and isinstance(theirs, (tuple, list)):
        if _numeric_list(mine):
            return
        for i, (a, b) in enumerate(zip(mine, theirs, strict=False)):
            yield from _arrays(a, b, f"{where}[{i}]")
    elif isinstance(mine, np.ndarray):
        yield where, mine, np.asarray(theirs)


def _leaves(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)


def _describe(args) -> str:
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(f"{tuple(a.shape)} {a.dtype}")
        elif isinstance(a, (int, float, str, type(None))):
            parts.append(repr(a))
        else:
            parts.append(type(a).__name__)
    return ", ".join(parts)


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.abs(b).max()), 1e-12)
    return float(np.abs(a - b).max() / scale)


def _learner(impl):
    """The implementation without the recorder: a diagnosis's own calls are not the next
    check's calls."""
    return impl._remote if isinstance(impl, Recorder) else impl


GELU_LINEAR_SHIFT = 50.0  # GELU(z) == z to float precision for z above ~10 (so does ReLU)
BLOCK_TOL = 1e-6
# what to look at when a stage of the block is the first to depart
BLOCK_ADVICE = {
    "h = x + attention(LN1 x)": "look at the attention's residual add and where LN2 sits "
    "(pre-LN: LN2 feeds the MLP only; h itself is not normalised)",
    "MLP input LN2(h) @ mlp_w1 + mlp_b1": "the MLP reads LN2(h): not h, not x",
    "GELU of the MLP input": "the activation is GELU, tanh approximation (given.gelu_forward)",
    "y = h + MLP(LN2 h)": "look at mlp_w2, mlp_b2 and the MLP's residual add",
}


def block_divergence(lab: Lab, calls: list[Call], impl) -> list[str]:
    """Lab 00: where the learner's block departs, stage by stage.

    The learner's layernorm and attention are swapped into the reference block one at a time,
    on the reference's own intermediate values. The parts the contract has no function for
    (the residual adds, the MLP, GELU) are isolated by running the learner's *block* with
    parameters that switch the other parts off, against the reference block on the same
    parameters: the MLP's output zeroed (mlp_w2 = mlp_b2 = 0: y = h), the attention's
    zeroed (attn_wo = attn_bo = 0: h = x), mlp_w2 reading the first D hidden units (y - x
    is the activation itself) and mlp_b1 shifted by 50 (GELU is then the identity, so
    y - x is the MLP's input)."""
    call = next((c for c in calls if c.fn == "block" and c.error is None), None)
    if call is None or impl is None:
        return []
    ref, learner = _reference(lab), _learner(impl)
    x, p, heads = call.args[0], call.args[1], call.args[2]
    mask = call.args[3] if len(call.args) > 3 else call.kwargs.get("key_mask")
    attn_p = {k: p["attn_" + k] for k in ("wqkv", "bqkv", "wo", "bo")}
    ln1 = ref.layernorm(x, p["ln1_g"], p["ln1_b"])[0]
    att = ref.attention(ln1, attn_p, heads, mask)[0]
    h = x + att
    ln2 = ref.layernorm(h, p["ln2_g"], p["ln2_b"])[0]
    want = ref.block(x, p, heads, mask)[0]

    def probe(**changed):
        q = {**p, **changed}
        return lambda: learner.block(x, q, heads, mask)[0], ref.block(x, q, heads, mask)[0]

    zero = np.zeros_like
    no_attention = {"attn_wo": zero(p["attn_wo"]), "attn_bo": zero(p["attn_bo"])}
    stages = [
        ("layernorm (LN1 of x)", lambda: learner.layernorm(x, p["ln1_g"], p["ln1_b"])[0], ln1),
        ("attention (of the reference LN1)",
         lambda: learner.attention(ln1, attn_p, heads, mask)[0], att),
        ("layernorm (LN2 of the reference h)",
         lambda: learner.layernorm(h, p["ln2_g"], p["ln2_b"])[0], ln2),
        ("h = x + attention(LN1 x)",
         *probe(mlp_w2=zero(p["mlp_w2"]), mlp_b2=zero(p["mlp_b2"]))),
    ]  # fmt: skip
    dim, hidden = p["mlp_w1"].shape  # (D, F)
    if hidden >= dim:  # mlp_w2 can pass D hidden units straight to the output
        pick = {"mlp_w2": np.eye(hidden, dim, dtype=p["mlp_w2"].dtype), "mlp_b2": zero(p["mlp_b2"])}
        shifted = p["mlp_b1"] + GELU_LINEAR_SHIFT
        stages += [
            ("MLP input LN2(h) @ mlp_w1 + mlp_b1", *probe(**no_attention, **pick, mlp_b1=shifted)),
            ("GELU of the MLP input", *probe(**no_attention, **pick)),
        ]
    stages += [
        ("y = h + MLP(LN2 h)", *probe(**no_attention)),
        ("block output", lambda: call.value[0], want),
    ]
    rows = []
    for stage, compute, expected in stages:
        try:
            rows.append((stage, _rel(compute(), expected)))
        except Exception as exc:  # noqa: BLE001 - the learner's component may not exist yet
            rows.append((stage, f"not run ({type(exc).__name__})"))
    table = [
        "stage by stage (relative error): your layernorm and attention on the reference's inputs,",
        "then your block with its other parts switched off by its parameters:",
    ]
    table += [f"  {s:<36} {e:.2e}" if isinstance(e, float) else f"  {s:<36} {e}" for s, e in rows]
    first = next((s for s, e in rows if isinstance(e, float) and not e <= BLOCK_TOL), None)
    if first == "block output":
        return [
            "diagnosis: first divergence: the composition (each part agrees on its own): look "
            "at what each half reads (the MLP half reads h, not x) and the residual adds",
            *table,
        ]
    if first:
        advice = f": {BLOCK_ADVICE[first]}" if first in BLOCK_ADVICE else ""
        return [f"diagnosis: first divergence: {first}{advice}", *table]
    return table


ATTENTION_TOL = {"float64": 1e-6, "float32": 1e-3}
MASKED_BELOW = -1e4  # a masked score must be at least this low (or -inf): exp() is then 0


def _stage_error(got, expected, masked_keys: np.ndarray | None = None) -> float | str:
    """Relative error of one stage; non-finite values where the reference is finite, and a
    masked score that is not far below the rest, are departures of their own."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    keep = np.ones(expected.shape, bool)
    if masked_keys is not None:
        keep = np.broadcast_to(~masked_keys, expected.shape)
        if not np.all(got[~keep] <= MASKED_BELOW):
            return "masked keys not at -inf"
    if not np.isfinite(got[keep]).all() and np.isfinite(expected[keep]).all():
        return "NaN/inf"
    return _rel(got[keep], expected[keep]) if keep.any() else 0.0


def attention_divergence(lab: Lab, calls: list[Call], impl) -> list[str]:
    """Lab 00: the learner's optional `attention_stages` against the reference's, stage by
    stage, on the first attention input the check gave; names the first stage that departs."""
    call = next((c for c in calls if c.fn == "attention"), None)
    ref = _reference(lab)
    if call is None or impl is None or not hasattr(ref, "attention_stages"):
        return []
    try:
        mine = _learner(impl).attention_stages(*call.args, **call.kwargs)
    except LearnerError as exc:
        unwritten = exc.kind == "not_implemented" or "defines no function" in str(exc)
        if unwritten and "attention_stages" in str(exc):  # not a crash inside a written one
            return [
                "(write the optional attention_stages and a failing attention check names "
                "the first stage of your attention that departs from the reference)"
            ]
        return []
    except Exception:  # noqa: BLE001 - a hand-made impl in a test may raise anything
        return []
    if not isinstance(mine, dict):
        return []
    want = ref.attention_stages(*call.args, **call.kwargs)
    args = dict(zip(("x", "params", "n_heads", "key_mask"), call.args, strict=False))
    args.update(call.kwargs)
    key_mask = args.get("key_mask")
    masked_keys = None if key_mask is None else ~np.asarray(key_mask, bool)[:, None, None, :]
    tol = ATTENTION_TOL.get(str(np.asarray(args["x"]).dtype), 1e-6)
    rows = []
    for stage, expected in want.items():
        got = mine.get(stage)
        only = masked_keys if stage == "masked" else None
        rows.append((stage, "missing" if got is None else _stage_error(got, expected, only)))
    table = [f"attention stage by stage on input {_describe(call.args)} (relative error):"]
    table += [f"  {s:<9} {e:.2e}" if isinstance(e, float) else f"  {s:<9} {e}" for s, e in rows]
    first = next((s for s, e in rows if not isinstance(e, float) or e > tol), None)
    return [f"diagnosis: first divergence: {first}", *table] if first else table


LOG_MEL_TOL = 1e-4


def log_mel_divergence(lab: Lab, calls: list[Call], impl) -> list[str]:
    """Lab 02: the learner's optional `log_mel_stages` against the reference's, stage by
    stage, on the first log-mel input the check gave; names the first stage that departs."""
    call = next((c for c in calls if c.fn == "log_mel_spectrogram"), None)
    ref = _reference(lab)
    if call is None or impl is None or not hasattr(ref, "log_mel_stages"):
        return []
    try:
        mine = impl.log_mel_stages(*call.args, **call.kwargs)
    except LearnerError as exc:
        if exc.kind in ("not_implemented", "raised") and "log_mel_stages" in str(exc):
            return ["(write the optional log_mel_stages and a failing log_mel check names the "
                    "first stage of your front end that departs from Whisper's)"]  # fmt: skip
        return []
    if not isinstance(mine, dict):
        return []
    want = ref.log_mel_stages(*call.args, **call.kwargs)
    rows = []
    for stage, expected in want.items():
        got = mine.get(stage)
        rows.append((stage, "missing" if got is None else _rel(got, expected)))
    table = [f"log-mel stage by stage on input {_describe(call.args)} (relative error):"]
    table += [f"  {s:<10} {e:.2e}" if isinstance(e, float) else f"  {s:<10} {e}" for s, e in rows]
    first = next((s for s, e in rows if not isinstance(e, float) or e > LOG_MEL_TOL), None)
    return [f"diagnosis: first divergence: {first}", *table] if first else table


def info_nce_terms(lab: Lab, calls: list[Call]) -> list[str]:
    """Lab 01: the learner's loss against the reference's two InfoNCE terms and their mixes."""
    call = next((c for c in calls if c.fn == "info_nce" and c.error is None), None)
    if call is None:
        return []
    logits = np.asarray(call.args[0], dtype=np.float64)
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1]:
        return []
    try:
        loss = float(call.value[0])
    except (TypeError, ValueError, IndexError):
        return []
    b = len(logits)

    def ce(z):
        top = z.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
        return float(np.mean(lse - np.diag(z)))

    rows, cols = ce(logits), ce(logits.T)
    candidates = {
        "(image->text + text->image) / 2 (the contract)": (rows + cols) / 2,
        "image->text term only": rows,
        "text->image term only": cols,
        "the sum of both terms": rows + cols,
        "the sum over the batch, not the mean": (rows + cols) / 2 * b,
    }
    table = [f"your loss {loss:.6g} on {logits.shape} logits against the InfoNCE terms:"]
    for name, value in candidates.items():
        table.append(f"  {name:<48} {value:.6g}")
    match = [n for n, v in candidates.items() if abs(v - loss) <= 1e-6 * max(1.0, abs(v))]
    if match and match[0].endswith("(the contract)"):
        return []  # the loss is right here; the failure is elsewhere (gradient, errors)
    head = (
        f"diagnosis: your loss equals {match[0]}"
        if match
        else "diagnosis: your loss is none of these mixes of the InfoNCE terms"
    )
    return [head, *table]


LOGITS_TOL = 1e-5  # relative: float32 inputs are graded at 1e-4


def _unit(x: np.ndarray, axis: int = 1) -> np.ndarray:
    return x / np.linalg.norm(x, axis=axis, keepdims=True)


def _call_args(call: Call, names: tuple[str, ...]) -> list | None:
    args = list(call.args) + [call.kwargs[n] for n in names[len(call.args) :] if n in call.kwargs]
    return args if len(args) == len(names) else None


def _candidate_table(what: str, got, candidates: dict) -> tuple[str | None, list[str]]:
    """(the first candidate `got` equals or None, its table rows); candidates that equal the
    contract's value on this input cannot be told apart from it and are left out."""
    contract = next(iter(candidates.values()))
    rows, match = [], None
    for n, (name, value) in enumerate(candidates.items()):
        if n and _rel(value, contract) <= LOGITS_TOL:
            continue
        got_, value_ = np.asarray(got, dtype=np.float64), np.asarray(value, dtype=np.float64)
        err = float("inf")
        if got_.shape == value_.shape:  # relative to the larger, so a zero candidate reads 1
            top = max(float(np.abs(got_).max(initial=0)), float(np.abs(value_).max(initial=0)))
            err = float(np.abs(got_ - value_).max(initial=0) / max(top, 1e-12))
        if match is None and err <= LOGITS_TOL:
            match = name
        rows.append(f"  {what:<17} {name:<52} {err:.2e}")
    return match, rows


def logits_substitution(lab: Lab, calls: list[Call], impl=None) -> list[str]:
    """Lab 01's temperature: on the first call whose output departs from the reference, the
    reference recomputed with one piece changed at a time (the learner's own `logit_scale`,
    the L2 normalisation left out or taken over the wrong axis, the scale's chain rule and
    clamp), a table of relative errors and the piece the learner's output equals."""
    ref = _reference(lab)
    for call in calls[:MAX_CALLS]:
        if call.error is not None:
            continue
        if call.fn == "scaled_cosine_logits":
            lines = _logits_pieces(ref, call, impl)
        elif call.fn == "scaled_cosine_logits_backward":
            lines = _logits_backward_pieces(ref, call)
        else:
            continue
        if lines:
            return lines
    return []


def _logits_pieces(ref, call: Call, impl) -> list[str]:
    args = _call_args(call, ("image_features", "text_features", "log_scale"))
    if args is None or same(call.value, ref.scaled_cosine_logits(*args)):
        return []
    img, txt = (np.asarray(a, dtype=np.float64) for a in args[:2])
    log_scale = float(args[2])
    scale, cos = ref.logit_scale(log_scale), _unit(img) @ _unit(txt).T  # (B, M)
    candidates = {"the contract: scale x cosine of unit rows": scale * cos}
    try:
        yours = float(impl.logit_scale(log_scale)) if impl is not None else scale
    except Exception:  # noqa: BLE001 - the learner's logit_scale may not exist yet
        yours = scale
    if np.isfinite(yours) and abs(yours - scale) > LOGITS_TOL * scale:
        candidates[f"your logit_scale ({yours:.6g}, not {scale:.6g}) x cosine"] = yours * cos
    candidates.update({
        "the text rows not normalised": scale * _unit(img) @ txt.T,
        "the image rows not normalised": scale * img @ _unit(txt).T,
        "neither side normalised (scale x dot products)": scale * img @ txt.T,
        "the norms taken over the batch axis (axis 0)": scale * _unit(img, 0) @ _unit(txt, 0).T,
        "exp(log_scale) as the scale, not clamped at 100": np.exp(log_scale) * cos,
        "log_scale itself as the scale": log_scale * cos,
        "cosines without the scale": cos,
    })  # fmt: skip
    match, rows = _candidate_table("logits", call.value, candidates)
    if match is not None and match.startswith("the contract"):
        return []  # equal in value: the failure is the dtype or the shape (sanity says which)
    if match:
        head = f"diagnosis: your logits equal the reference's with {match}"
    else:
        head = "diagnosis: your logits are none of these: the reference with one piece changed"
    return [head, f"your logits on {_describe(args)} against the reference with one piece "
            "changed (relative error):", *rows]  # fmt: skip


def _logits_backward_pieces(ref, call: Call) -> list[str]:
    args = _call_args(call, ("image_features", "text_features", "log_scale", "d_logits"))
    if args is None or not isinstance(call.value, (tuple, list)) or len(call.value) != 3:
        return []
    want = ref.scaled_cosine_logits_backward(*args)
    if same(call.value, want):
        return []
    img, txt, d = (np.asarray(args[n], dtype=np.float64) for n in (0, 1, 3))
    log_scale = float(args[2])
    scale = ref.logit_scale(log_scale)
    na, nb = np.linalg.norm(img, axis=1, keepdims=True), np.linalg.norm(txt, axis=1, keepdims=True)
    a, b = img / na, txt / nb
    cos = a @ b.T
    d_u = {"d image_features": (scale * d @ b, a, na), "d text_features": (scale * d.T @ a, b, nb)}
    found, rows = [], []
    for n, (what, (du, u, norm)) in enumerate(d_u.items()):
        projected = du - u * (du * u).sum(axis=1, keepdims=True)
        match, table = _candidate_table(what, call.value[n], {
            "the contract": want[n],
            "du / |x|, the projection (du - u <u, du>) left out": du / norm,
            "du - u <u, du>, not divided by |x|": projected,
            "the factor scale left out": projected / norm / scale,
        })  # fmt: skip
        rows += table
        if match != "the contract":
            found.append(f"{what} {'is ' + match if match else 'departs from all of these'}")
    match, table = _candidate_table("d log_scale", call.value[2], {
        "the contract": want[2],
        "sum(d_logits * cos): d scale, not d log_scale": float((d * cos).sum()),
        "scale * sum(d_logits * cos), not 0 above the clamp": float((d * cos).sum() * scale),
        "zero": 0.0,
    })  # fmt: skip
    rows += table
    if match != "the contract":
        found.append(f"d log_scale {'is ' + match if match else 'departs from all of these'}")
    if not found:
        return []
    head = "diagnosis: in your backward, " + "; ".join(found)
    return [head, f"on {_describe(args)}, each output against the reference with one piece "
            "changed (relative error):", *rows]  # fmt: skip


def diagnose(lab: Lab, task: str | None, calls: list[Call], impl=None) -> str:
    """The diagnosis text for a failed check ('' when there is nothing to add)."""
    if not calls or task is None or task == "train" or _spent["s"] > SESSION_SECONDS:
        return ""
    start = time.monotonic()
    try:
        return _diagnose(lab, task, calls, impl, start + MAX_SECONDS)
    finally:
        _spent["s"] += time.monotonic() - start


def _diagnose(lab: Lab, task: str, calls: list[Call], impl, deadline: float) -> str:
    lines: list[str] = []
    ref = replay(_reference(lab), calls[:MAX_CALLS], deadline)
    found = match_mistakes(lab, task, calls, deadline, ref)
    entry = found[0] if found else None
    if entry is not None:
        lines.append(
            f"diagnosis: your {task} matches the catalogued mistake '{entry.title}'. "
            f"Hint: {entry.hint}"
        )
        for other in found[1:3]:
            lines.append(f"  (or, on these inputs alike: '{other.title}'. Hint: {other.hint})")
    if task == "block" and entry is None:
        lines += block_divergence(lab, calls, impl)
    if task == "attention" and entry is None:
        lines += attention_divergence(lab, calls, impl)
    if task == "log_mel" and entry is None:
        lines += log_mel_divergence(lab, calls, impl)
    if task == "info_nce" and entry is None:
        lines += info_nce_terms(lab, calls)
    if task == "temperature" and entry is None:
        lines += logits_substitution(lab, calls, impl)
    if entry is None:
        found_sane = sanity(calls, ref)
        if found_sane and not lines:
            lines.append(f"diagnosis: {found_sane[0]}")
            found_sane = found_sane[1:]
        lines += [f"sanity: {s}" for s in found_sane]
    return "\n".join(lines)

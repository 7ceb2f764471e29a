"""The child process of `harness run`: import the lab's experiment and the entry, run it.

Progress goes to stdout as `@@progress {json}` lines; the result (metrics, config, data-set
hash) goes to `_run_result.json` in the run folder for the parent to fold into the manifest.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import sys
import traceback
from pathlib import Path

from harness.chapter import load_chapter
from harness.grading.isolation import die_with_parent
from harness.grading.runs import ERROR_PREFIX, PROGRESS_PREFIX, RESULT_FILE

NOT_IMPLEMENTED_EXIT = 3


def _entry(args: argparse.Namespace):
    if args.module:
        return importlib.import_module(args.module)
    path = Path(args.path)
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _progress(event: dict) -> None:
    print(PROGRESS_PREFIX + json.dumps(event, default=float), flush=True)


def _not_implemented(exc: NotImplementedError, path: str | None, lab) -> str:
    """'train() is not implemented yet …', naming the function from the traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if path and Path(f.filename).resolve() == Path(path).resolve()]
    name = (ours or frames)[-1].name if frames else "a function"
    where = f" in {path}" if path else ""
    return (
        f"{name}() is not implemented yet{where}: write it (its checks: harness check "
        f"{lab.id}), then run again"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lab", required=True)
    parser.add_argument("--chapter", default=None, help="the chapter manifest")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=None)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--module")
    group.add_argument("--path")
    args = parser.parse_args()
    die_with_parent()
    lab = load_chapter(args.chapter).lab(args.lab)
    experiment = importlib.import_module(f"{lab.package}.experiment")
    entry = _entry(args)
    kwargs = {}
    if args.steps is not None and "steps" in inspect.signature(experiment.run).parameters:
        kwargs["steps"] = args.steps
    try:
        result = experiment.run(Path(args.out), args.seed, entry, _progress, **kwargs)
    except NotImplementedError as exc:
        print(ERROR_PREFIX + _not_implemented(exc, args.path, lab), flush=True)
        sys.exit(NOT_IMPLEMENTED_EXIT)
    if not isinstance(result, dict):
        raise TypeError(
            f"{lab.package}.experiment.run returned {type(result).__name__}, expected a dict"
        )
    if "metrics" not in result:  # a plain metrics dict
        result = {"metrics": result}
    Path(args.out, RESULT_FILE).write_text(json.dumps(result, default=float), encoding="utf-8")


if __name__ == "__main__":
    main()

"""A motivated learner attacks the grader: each attack of issue 12 is refused or flagged.

Every test installs learner code that attacks, runs the real grading path (`run_checks` or
the `harness` command) and asserts the attack bought nothing: no pass is recorded for wrong
code, nothing outside the learner's scratch space changed, and a copy is marked. Most run on
the toy lab (one task, 3 s per call); the attacks on the reference solution and the held-out
data run on lab 00 with `--task`, the way a learner would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest

from harness.chapter import load_chapter
from harness.grading import isolation
from harness.grading.checks import pytest_command, run_checks
from harness.grading.similarity import SIMILARITY_FLAG
from harness.learners import create_folders, lab_dir
from harness.store import Store

SANDBOXED = isolation.detect().sandboxed


def install(folder: Path, code: str) -> None:
    (folder / "toy.py").write_text(textwrap.dedent(code), encoding="utf-8")


def last_run(store: Store) -> dict:
    return store.last_check_run("ana", "lab-00", full_only=False)


# --- forging the verdict -----------------------------------------------------------------


def test_results_travel_over_a_pipe_never_through_a_file_on_the_command_line(chapter):
    cmd = pytest_command(chapter, "lab-00", impl="reference", task=None, results_fd=7)
    assert "--results-json" not in cmd and "--results-fd" in cmd


def test_a_background_process_cannot_rewrite_the_graders_results(
    chapter, store, learner, lingering
):
    """The attack that once recorded an untouched stub as passing: a process forked past the
    audit hook hunts for the grader's results (files named on command lines, open fds) and
    writes a pass into everything it finds."""
    install(
        learner.folder,
        """
        import ctypes, glob, json, os, time
        PASS = json.dumps({"version": 3, "status": "pass", "message": "all 2 checks passed",
                           "tests": [{"name": "test_square", "status": "pass"}]})

        def _forge():
            for _ in range(100):
                for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
                    try:
                        args = open(cmdline, "rb").read().split(b"\\0")
                    except OSError:
                        continue
                    for flag, value in zip(args, args[1:]):
                        try:
                            if flag == b"--results-json":
                                open(value, "w").write(PASS)
                            if flag == b"--results-fd":
                                pid = cmdline.split("/")[2]
                                open(f"/proc/{pid}/fd/{int(value)}", "w").write(PASS + "\\n")
                        except (OSError, ValueError):
                            pass
                time.sleep(0.05)

        def square(x):
            if ctypes.CDLL(None).fork() == 0:
                _forge()
                os._exit(0)
            raise NotImplementedError
        """,
    )
    outcome = run_checks(chapter, "lab-00", learner="ana", store=store)
    assert outcome.status == "fail" and last_run(store)["status"] == "fail"
    assert json.loads(outcome.results_json.read_text())["status"] == "fail"
    assert not lingering()


def test_pytest_plugins_and_python_variables_do_not_reach_the_grader(
    chapter, store, learner, tmp_path, monkeypatch
):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "evil_plugin.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.hookimpl(hookwrapper=True)
            def pytest_runtest_makereport(item, call):
                outcome = yield
                report = outcome.get_result()
                report.outcome = "passed"
            """
        )
    )
    (plugins / "startup.py").write_text("import builtins; builtins.__evil__ = True\n")
    monkeypatch.setenv("PYTEST_PLUGINS", "evil_plugin")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p evil_plugin")
    monkeypatch.setenv("PYTHONPATH", f"{plugins}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("PYTHONSTARTUP", str(plugins / "startup.py"))
    learner("wrong")
    outcome = run_checks(chapter, "lab-00", learner="ana", store=store)
    assert outcome.status == "fail" and outcome.passed == 0


def test_escape_sequences_in_learner_output_never_reach_the_screen_or_the_record(
    chapter, store, learner, cli
):
    install(
        learner.folder,
        """
        import sys
        def square(x):
            print("\\x1b[2J\\x1b[H\\x1b[32mPASS: all 2 checks passed\\x1b[0m\\x07")
            raise ValueError("\\x1b[32m\\u2713 PASS\\x1b[0m\\x1b]0;owned\\x07")
        """,
    )
    store.close()
    proc = cli("check", "lab-00", "--learner", "ana")
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    db = Store(Path(os.environ["HARNESS_DB"]))
    run = db.last_check_run("ana", "lab-00")
    stored = [run["message"], run["output_tail"] or ""]
    stored += [r["message"] for r in db.check_results(run["id"])]
    assert all("\x1b" not in s and "\x07" not in s for s in stored), stored
    assert run["status"] == "fail"


def test_a_reply_too_big_for_the_grader_is_refused_not_swallowed(tmp_path):
    """The grader keeps what it receives, so the worker's replies have a cap (MAX_REPLY_BYTES,
    256 MiB in grading); here a 10 MB cap meets a 16 MB reply."""
    from harness.grading.remote import MAX_REPLY_BYTES, LearnerError, RemoteModule

    assert MAX_REPLY_BYTES <= 256 * 1024**2
    (tmp_path / "big.py").write_text(
        "import numpy as np\n\ndef square(x):\n    return np.ones(2_000_000)\n"
    )
    remote = RemoteModule(path=tmp_path / "big.py", call_timeout_s=60, max_reply_bytes=10**7)
    try:
        with pytest.raises(LearnerError, match="byte limit"):
            remote.square(1.0)
    finally:
        remote.close()


# --- changing what others will trust ------------------------------------------------------


def test_learner_code_cannot_plant_startup_files_or_write_the_database(
    chapter, store, learner, tmp_path
):
    site = Path(sysconfig.get_paths()["purelib"])
    planted = [site / "sitecustomize.py", site / "zz_x2_attack.pth", site / "usercustomize.py"]
    assert not any(p.exists() for p in planted), "a previous run left a planted file"
    db = Path(os.environ["HARNESS_DB"])
    install(
        learner.folder,
        f"""
        import sqlite3
        for path, text in {[(str(p), "import builtins") for p in planted]!r}:
            try:
                open(path, "w").write(text)
            except OSError:
                pass
        try:
            db = sqlite3.connect({str(db)!r})
            db.execute("INSERT INTO check_runs (learner, lab_id, impl, status, passed, failed, "
                       "started_at, duration_s) VALUES ('ana', 'lab-00', 'learner', 'pass', "
                       "2, 0, '2099-01-01', 0)")
            db.commit()
        except Exception:
            pass

        def square(x):
            return x + 1
        """,
    )
    try:
        outcome = run_checks(chapter, "lab-00", learner="ana", store=store)
    finally:
        leftovers = [p for p in planted if p.exists()]
        for p in leftovers:
            p.unlink()
    assert not leftovers, f"learner code wrote {leftovers}"
    assert outcome.status == "fail"
    forged = sqlite3.connect(db).execute(
        "SELECT count(*) FROM check_runs WHERE started_at = '2099-01-01'"
    )
    assert forged.fetchone()[0] == 0


@pytest.mark.skipif(
    not SANDBOXED and not os.environ.get("CI"),
    reason="needs bubblewrap (bwrap) on PATH; on CI (.ci/run installs it) it must run",
)
def test_in_the_sandbox_learner_code_sees_only_its_own_folder(chapter, store, learner, tmp_path):
    assert SANDBOXED, f"no sandbox on CI: {isolation.detect().detail}"
    secret = tmp_path / "learners" / "bea-secret.txt"
    secret.write_text("another learner's notes")
    install(
        learner.folder,
        f"""
        import ctypes, os, socket
        def square(x):
            libc = ctypes.CDLL(None)  # past the audit hook: what the filesystem itself shows
            seen = {{
                "secret": libc.access({str(secret).encode()!r}, os.R_OK) == 0,
                "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
                "env": sorted(os.environ),
            }}
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=1)
                seen["network"] = True
            except OSError:
                seen["network"] = False
            raise ValueError(repr(seen))
        """,
    )
    outcome = run_checks(chapter, "lab-00", learner="ana", store=store)
    message = outcome.results[0].message
    assert "ValueError: " in message, message
    seen = eval(message.split("ValueError: ", 1)[1].split("\n")[0])  # our own repr
    assert seen["secret"] is False, "other learners' files are hidden"
    assert len(seen["pids"]) <= 3, "its own PID namespace"
    assert seen["network"] is False
    assert not {"HARNESS_DB", "HARNESS_LEARNERS", "HARNESS_CHAPTER"} & set(seen["env"])


# --- the whole tree ends with the harness ---------------------------------------------------


def signal_mid_flight(cli, folder: Path, args: list[str], sig: signal.Signals) -> int:
    """Start `harness ARGS`, wait until a process of the learner's runs, send `sig`; return
    the exit code once the harness has ended."""
    proc = subprocess.Popen(
        [cli.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not lingering_now(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lingering_now(folder), "no process of the learner's code ever started"
    time.sleep(0.3)
    proc.send_signal(sig)
    return proc.wait(timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_every_signal_that_ends_harness_check_ends_the_whole_tree(
    cli, learner, store, sig, lingering
):
    learner("loop")
    store.close()
    code = signal_mid_flight(cli, learner.folder, ["check", "lab-00", "--learner", "ana"], sig)
    ended = time.monotonic()
    left = lingering()
    assert not left, f"still running after {sig.name}: {left}"
    assert time.monotonic() - ended < 2.5
    if sig != signal.SIGKILL:
        assert code != 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_signal_that_ends_harness_run_ends_the_experiment_too(
    cli, learner, store, sig, lingering
):
    learner("hang_train")
    store.close()
    signal_mid_flight(cli, learner.folder, ["run", "lab-00", "--learner", "ana"], sig)
    ended = time.monotonic()
    assert not lingering(), f"the experiment outlived {sig.name}"
    assert time.monotonic() - ended < 2.5


def lingering_now(folder: Path) -> bool:
    marker = str(folder).encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker in Path(f"/proc/{entry}/cmdline").read_bytes():
                    return True
            except OSError:
                pass
    return False


# --- lab 00: borrowing the reference, predicting the held-out data --------------------------

LAB00 = load_chapter().lab("lab-00")
NN = LAB00.package_dir / "nn.py"
WRAPPERS = """
def layernorm(x, gamma, beta, eps=1e-5):
    return layernorm_forward(x, gamma, beta, eps)


def layernorm_backward(dy, cache):
    return _layernorm_backward(dy, cache)
"""

BORROWS = {
    "exec_of_the_source": f"""
        src = open({str(NN)!r}).read()
        exec(compile(src, __file__, "exec"), globals())
        _layernorm_backward = layernorm_backward
        """,
    "inspect_getsource": f"""
        import importlib.util, inspect
        spec = importlib.util.spec_from_file_location("nn_copy", {str(NN)!r})
        mod = importlib.util.module_from_spec(spec)
        exec(compile(inspect.getsource(mod), __file__, "exec"), globals())
        _layernorm_backward = layernorm_backward
        """,
    "import_under_another_name": f"""
        import sys
        sys.path.insert(0, {str(NN.parent)!r})
        from nn import layernorm_forward, layernorm_backward as _layernorm_backward
        """,
    "the_compiled_copy": f"""
        import glob, importlib.machinery
        pyc = glob.glob({str(NN.parent / "__pycache__" / "nn.*.pyc")!r})[0]
        nn = importlib.machinery.SourcelessFileLoader("nn", pyc).load_module()
        layernorm_forward, _layernorm_backward = nn.layernorm_forward, nn.layernorm_backward
        """,
}


@pytest.fixture
def lab00(tmp_path, monkeypatch):
    """A learner 'ana' with lab 00's starter, in a temporary learners folder and store."""
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "progress.db"))
    monkeypatch.delenv("HARNESS_CHAPTER", raising=False)
    chapter = load_chapter()
    store = Store(tmp_path / "progress.db")
    store.add_learner("ana")
    create_folders("ana", chapter)
    folder = lab_dir("ana", chapter, "lab-00")
    starter = (folder / "tiny_vit.py").read_text()
    yield chapter, store, folder, starter
    store.close()


@pytest.mark.parametrize("attack", BORROWS, ids=list(BORROWS))
def test_the_reference_solution_cannot_be_borrowed_while_graded(lab00, attack):
    chapter, store, folder, starter = lab00
    if attack == "the_compiled_copy":  # make sure there is a compiled copy to steal
        subprocess.run([sys.executable, "-c", "import labs.x2_multimodal.lab00.nn"], check=True)
    cut = starter.index(
        "# ----------------------------------------------------------------------- task: layernorm"
    )
    body = textwrap.dedent(BORROWS[attack])
    (folder / "tiny_vit.py").write_text(starter[:cut] + body + WRAPPERS, encoding="utf-8")
    outcome = run_checks(chapter, "lab-00", learner="ana", task="layernorm", store=store)
    assert outcome.status == "fail", [r.message for r in outcome.results]
    assert outcome.passed == 0
    # every borrow happens at import: the hidden file, the audit hook or the empty
    # __pycache__ stops it there
    assert all("could not import the module" in r.message for r in outcome.results)


def test_a_symlink_to_the_reference_is_refused(lab00):
    chapter, store, folder, _ = lab00
    (folder / "tiny_vit.py").unlink()
    (folder / "tiny_vit.py").symlink_to(LAB00.reference_path)
    outcome = run_checks(chapter, "lab-00", learner="ana", task="patchify", store=store)
    assert outcome.status == "error" and outcome.passed == 0
    assert "symlink" in outcome.message


def test_a_copy_of_the_reference_passes_but_is_marked(lab00):
    """Copied code is correct code: it passes. It is marked for mentors, not hidden."""
    import ast

    chapter, store, folder, starter = lab00
    source = NN.read_text()
    functions = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    forward = ast.get_source_segment(source, functions["layernorm_forward"])
    backward = ast.get_source_segment(source, functions["layernorm_backward"])
    copied = forward.replace("def layernorm_forward(", "def layernorm(", 1) + "\n\n\n" + backward
    cut = starter.rfind("\n", 0, starter.index("task: layernorm")) + 1
    rest = starter.rfind("\n", 0, starter.index("task: attention")) + 1
    (folder / "tiny_vit.py").write_text(
        starter[:cut] + "\n" + copied + "\n\n\n" + starter[rest:], encoding="utf-8"
    )
    outcome = run_checks(chapter, "lab-00", learner="ana", task="layernorm", store=store)
    assert outcome.status == "pass", [r.message for r in outcome.results]
    assert outcome.similarity["layernorm"] >= SIMILARITY_FLAG
    stored = store.db.query(
        "SELECT similarity FROM check_similarity WHERE run_id = ? AND task = 'layernorm'",
        [outcome.run_id],
    )
    assert next(iter(stored))["similarity"] >= SIMILARITY_FLAG
    assert json.loads(outcome.results_json.read_text())["similarity"]["layernorm"] >= 0.9


def test_predict_cannot_regenerate_the_held_out_icons(lab00):
    """The attack that passed the train check with no model: predict regenerates the checks'
    held-out icons from the seed the checks file used to carry and looks the labels up."""
    chapter, store, folder, starter = lab00
    cut = starter.index("def train(")
    attack = """
def train(config, seed, time_budget_s):
    return {}


def predict(params, images):
    import numpy as np
    from labs.x2_multimodal.lab00.data import HEADS, icon_dataset

    for guess in (20261127, 0, 1, 42):
        known, labels = icon_dataset(len(images), guess, "heldout")
        if np.array_equal(known, images):
            return labels
    return {head: np.zeros(len(images), dtype=np.int64) for head in HEADS}
"""
    (folder / "tiny_vit.py").write_text(starter[:cut] + attack, encoding="utf-8")
    first = run_checks(chapter, "lab-00", learner="ana", task="train", store=store)
    second = run_checks(chapter, "lab-00", learner="ana", task="train", store=store)
    assert first.status == second.status == "fail", [r.message for r in first.results]
    assert any("80" in r.message for r in first.results if r.status == "fail")
    assert first.heldout_seed != second.heldout_seed, "a fresh seed every run"
    assert last_run_seed(store) == second.heldout_seed


def last_run_seed(store: Store) -> int:
    row = store.db.query("SELECT heldout_seed FROM check_runs ORDER BY id DESC LIMIT 1")
    return next(iter(row))["heldout_seed"]

"""`harness run LAB` and `harness reproduce RUN_DIR`."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import main
from harness.cli.common import Context
from harness.wording import failure_summary


def _print_progress(event: dict) -> None:
    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in event.items()]
    click.echo("  " + "  ".join(parts))


@main.command()
@click.argument("lab_id", metavar="LAB")
@click.option("--reference", is_flag=True, help="Run the reference implementation.")
@click.option("--learner", "name", help="Run this learner's code (default: the only one).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--steps", type=int, help="Train for exactly this many steps (no time budget).")
@click.pass_obj
def run(
    ctx: Context, lab_id: str, reference: bool, name: str | None, seed: int, steps: int | None
) -> None:
    """Run LAB's experiment; write manifest.yaml and outputs under experiments/."""
    from harness.grading.runs import run_lab

    lab = ctx.chapter.lab(lab_id)
    learner = None if reference and not name else ctx.learner(name)
    click.echo(f"running {lab.id} ({'reference' if reference else learner}), seed {seed} …")
    outcome = run_lab(
        ctx.chapter,
        lab.id,
        learner=None if reference else learner,
        reference=reference,
        seed=seed,
        steps=steps,
        store=ctx.store,
        on_progress=_print_progress,
        on_output=click.echo,
    )
    click.echo(f"{outcome.status}: {outcome.run_dir} ({outcome.duration_s:.1f} s)")
    for key, value in outcome.metrics.items():
        if isinstance(value, (int, float)):
            click.echo(f"  {key}: {value:.4g}")
    if outcome.status != "ok":
        # The child's output (a traceback included) streamed above; end on the one line
        # that says what went wrong.
        click.echo(f"the run {outcome.status}: {failure_summary(outcome.message)}")
        raise SystemExit(1)


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--tolerance",
    type=float,
    default=0.02,
    show_default=True,
    help="Absolute/relative tolerance for a metric to count as matching.",
)
def reproduce(run_dir: Path, tolerance: float) -> None:
    """Re-run RUN_DIR from its manifest and say whether the metrics match."""
    from harness.grading.runs import reproduce as do_reproduce

    outcome = do_reproduce(run_dir, tolerance=tolerance)
    for c in outcome.comparisons:
        mark = "ok  " if c.ok else "DIFF"
        click.echo(f"  {mark} {c.key}: recorded {c.recorded!r}, reproduced {c.reproduced!r}")
    if outcome.matches:
        click.echo(f"reproduced: metrics match within {tolerance} ({outcome.new_run.run_dir})")
    else:
        click.echo(f"NOT reproduced ({outcome.new_run.status}): see {outcome.new_run.run_dir}")
        raise SystemExit(1)

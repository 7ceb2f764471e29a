"""`harness export` and `harness import`: a learner's records as one verifiable file."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import main
from harness.cli.common import Context

# harness.cohort.records (and the signing library under it) loads inside the two commands:
# the harness package imports every command module at start, `harness tui` included.

_KEY_HELP = (
    "Also add (export) or require (import) an HMAC-SHA256 under the secret in this file. "
    "Every bundle is signed with the learner's own key anyway; this adds a secret shared "
    "by the two machines."
)


def _key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    key = path.read_bytes().strip()
    if not key:
        raise click.BadParameter(f"key file {path} is empty", param_hint="--key-file")
    return key


@main.command("export")
@click.option("--learner", "name", help="Learner (default: the only one, or $HARNESS_LEARNER).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Bundle file to write (default NAME-X2-records.json here).",
)
@click.option(
    "--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help=_KEY_HELP
)
@click.pass_obj
def export_(ctx: Context, name: str | None, out: Path | None, key_file: Path | None) -> None:
    """Write one learner's records, reflections, run manifests and graded code to one
    hash-chained file, signed with the learner's key."""
    if not ctx.store.learners():
        raise click.ClickException(
            f"no learners in {ctx.db_path} to export; add one with `harness learner add NAME`"
        )
    learner = ctx.learner(name, create_default=False)
    from harness.cohort import records

    bundle = records.export_bundle(ctx.store, ctx.chapter, learner, key=_key(key_file))
    out = out or Path(f"{learner}-{ctx.chapter.id}-records.json")
    records.write_bundle(bundle, out)
    rows = sum(len(r) for r in bundle["records"].values())
    click.echo(
        f"exported {learner}: {rows} rows, {len(bundle['events'])} events, "
        f"{len(bundle['files']['manifests'])} manifest(s), "
        f"{len(bundle['files']['blobs'])} code file(s) -> {out}; signed by the "
        f"{bundle['signer']}'s key {bundle['public_key'][:16]}…"
    )


@main.command("import")
@click.argument(
    "bundle_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help=_KEY_HELP
)
@click.pass_obj
def import_(ctx: Context, bundle_file: Path, key_file: Path | None) -> None:
    """Verify FILE (made by `harness export`) and merge it in; importing twice adds nothing."""
    from harness.cohort import records

    bundle = records.read_bundle(bundle_file)
    try:
        result = records.import_bundle(ctx.store, ctx.chapter, bundle, key=_key(key_file))
    except records.BundleError as exc:
        raise click.ClickException(f"{bundle_file}: refused: {exc}") from None
    added = {t: n for t, n in result.added.items() if n}
    for note in result.notes:
        click.echo(f"  {note}")
    if not result.changed:
        click.echo(f"{result.learner}: nothing new in {bundle_file} (already imported)")
    else:
        shown = ", ".join(f"{t} +{n}" for t, n in added.items()) or "no new rows"
        click.echo(f"imported {result.learner} from {bundle_file}: {shown}")
        for table, n in result.updated.items():
            click.echo(f"  {table}: {n} moved forward (finished since the last import)")
    for line in result.files:
        click.echo(f"  {line}")
    for line in result.conflicts:
        click.echo(f"  conflict: {line}")
    from harness.cohort.tamper import findings

    with ctx.store._lock:
        bypassed = [f for f in findings(ctx.store.conn) if f.startswith(f"{result.learner}: ")]
    for line in bypassed:  # signed by the learner, but written around their own event log
        click.echo(f"  TAMPER: {line}")

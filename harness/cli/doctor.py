"""`harness doctor [--backup]`."""

from __future__ import annotations

import click

from harness.cli import main
from harness.cli.common import Context

SECTIONS = ("versions", "paths", "store", "chapter", "model", "isolation")


@main.command()
@click.option("--backup", is_flag=True, help="Also copy the progress database aside first.")
@click.pass_obj
def doctor(ctx: Context, backup: bool) -> None:
    """Check the installation, the database and the chapter; say what to fix."""
    from harness.doctor import backup_database, diagnose

    if backup:
        if ctx.db_path.exists():
            click.echo(f"backed up to {backup_database(ctx.db_path)}")
        else:
            click.echo(f"nothing to back up: {ctx.db_path} does not exist yet")
    report = diagnose(ctx.db_path)
    width = max(len(f.name) for f in report.findings) + 2
    for section in SECTIONS:
        click.echo(section)
        for f in report.section(section):
            mark = "" if f.ok else "PROBLEM: "
            click.echo(f"  {f.name:<{width}}{mark}{f.value}")
    if report.ok:
        click.echo("\nall good")
        return
    click.echo(f"\n{len(report.problems)} problem(s):", err=True)
    for f in report.problems:
        click.echo(f"  {f.section} {f.name}: {f.value}\n    what to do: {f.fix}", err=True)
    raise SystemExit(1)

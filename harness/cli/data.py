"""`harness data icons`: write the grammar-icon data set and a contact sheet."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import main


@main.group()
def data() -> None:
    """Generate the chapter's synthetic data sets."""


@data.command("icons")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("experiments/X2-multimodal/data/icons"),
    show_default=True,
    help="Folder to write the data set and contact sheet into.",
)
@click.option(
    "--n-train",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Training icons.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
def icons(out: Path, n_train: int, seed: int) -> None:
    """Write the grammar-icon data set (npz) and a contact-sheet PNG."""
    from labs.x2_multimodal.icons import write_dataset

    for path in write_dataset(out, n_train=n_train, seed=seed):
        click.echo(path)

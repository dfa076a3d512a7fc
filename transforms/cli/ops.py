"""``hnplus ops``: the operator's runbook commands (docs/operations.md): is what readers see complete, restore an
earlier dataset, remove the leftovers of killed runs, who holds the run lock."""

from __future__ import annotations

import json
import os

import typer

from transforms.cli.output import console
from transforms.core.locks import RunLocked, run_lock
from transforms.core.paths import data_paths
from transforms.publish.integrity import check_published, clean_stale_temp, restore_dataset

app = typer.Typer(help="Operator commands: check, restore, clean-temp, lock (see docs/operations.md).",
                  no_args_is_help=True)


@app.command()
def check() -> None:
    """Is published/latest (and every period link) a complete dataset? Exit 1 if not."""
    paths = data_paths()
    problems = check_published(paths.published)
    if problems:
        typer.echo("\n".join(problems))
        raise typer.Exit(1)
    latest = paths.published / "latest"
    typer.echo(f"ok: {latest} -> {os.readlink(latest)} is complete")


@app.command()
def restore(
    dataset_id: str = typer.Argument(..., help="A dataset id under published/datasets/"),
    keep_warehouse: bool = typer.Option(False, "--keep-warehouse", help="switch the links only"),
) -> None:
    """Point latest (and the period links) back at published/datasets/<dataset_id>, rebuild the warehouse marts."""
    try:
        result = restore_dataset(dataset_id, data_paths(), rebuild_warehouse=not keep_warehouse)
    except (ValueError, RunLocked) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result))


@app.command("clean-temp")
def clean_temp() -> None:
    """Remove the leftovers of killed runs (takes the run lock, so never while a run is live)."""
    for p in clean_stale_temp(data_paths()):
        typer.echo(f"removed {p}")


@app.command()
def lock() -> None:
    """Who holds the run lock; exit 1 while a run holds it."""
    try:
        with run_lock(data_paths(), run_id="lock-probe"):
            typer.echo("free: no run holds the lock")
    except RunLocked as exc:
        typer.echo(str(exc))
        raise typer.Exit(1) from exc

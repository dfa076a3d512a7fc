"""``hnplus``: the command line for operators, analysts and city staff.

``run`` runs the nightly job (``cli.run``), ``league`` and ``diff`` read what is published, ``template`` and
``intake`` serve the cities' reports, ``ops`` holds the runbook commands (``cli.ops``). The demo on synthetic
data is not part of the product: ``python -m tools.demo`` (``make run``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import typer

from transforms.cli import ops
from transforms.cli.airflow import airflow_bin, airflow_env, loopback_env
from transforms.cli.output import console, print_league
from transforms.cli.run import run_job
from transforms.core.paths import data_paths

app = typer.Typer(help="hnplus: Henan Internet+ implementation scores and league tables.", no_args_is_help=True)
app.add_typer(ops.app, name="ops")


@app.command()
def run(
    logical_date: str = typer.Option(None, help="Logical date of the DAG run (default: now, UTC)"),
    no_airflow: bool = typer.Option(False, help="Run the stages in-process instead of through Airflow"),
    period: str = typer.Option(None, help="Reporting period like 2018Q4 (default: from the logical date)"),
    force: bool = typer.Option(False, help="Rebuild and republish even if the inputs are unchanged"),
) -> None:
    """Run the nightly job now on the data directory's inbox and the portal at HNPLUS_PORTAL_URL."""
    run_job(data_paths(), logical_date, no_airflow, period, force)


@app.command()
def league(
    period: str = typer.Option("latest", help="Period like 2018Q4, or 'latest'"),
    scope: str = typer.Option("overall", help="'overall' or an action code such as ecommerce"),
) -> None:
    """Print a league table from the published warehouse."""
    print_league(data_paths(), period, scope)


@app.command()
def explain(
    city: str = typer.Option(..., "--city", help="City code, e.g. 411300"),
    period: str = typer.Option(..., "--period", help="Quarter, e.g. 2019Q1"),
    scope: str = typer.Option("overall", "--scope", help="'overall' or an action code"),
    top: int = typer.Option(8, help="How many indicators to list"),
    dataset: Path = typer.Option(None, help="A published dataset folder (default: published/latest)"),
) -> None:
    """Why a city's score and rank moved since the previous period, indicator by indicator (中文 / English)."""
    from transforms.publish.explain import explain as explain_change
    from transforms.publish.explain import render

    folder = dataset or data_paths().published / "latest"
    try:
        typer.echo(render(explain_change(folder, city, period, scope, top)))
    except (FileNotFoundError, ValueError) as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(2) from exc


@app.command()
def workbook(
    period: str = typer.Option(None, "--period", help="Quarter, e.g. 2019Q1 (default: the latest)"),
    out: Path = typer.Option(Path("league_table.xlsx"), "--out", help="Output .xlsx file"),
    dataset: Path = typer.Option(None, help="A published dataset folder (default: published/latest)"),
) -> None:
    """Write the printable workbook of one quarter (one sheet per scope, history, 说明) from the published data."""
    from transforms.publish.excel import workbook_for

    try:
        console.print(f"wrote {workbook_for(dataset or data_paths().published / 'latest', period, out)}")
    except (FileNotFoundError, ValueError) as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(2) from exc


@app.command()
def template(
    city: str = typer.Option(..., "--city", help="City code or any alias, e.g. 410300 or 洛阳"),
    period: str = typer.Option(..., "--period", help="Quarter, e.g. 2018Q4"),
    out: Path = typer.Option(Path("."), "--out", help="Output file or folder"),
) -> None:
    """Write the HNPLUS-R1 report template (xlsx) for one city and quarter."""
    from transforms.ingest.reports.commands import template_command

    try:
        console.print(f"wrote {template_command(city, period, out)}")
    except ValueError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc


@app.command()
def intake(paths: list[Path] = typer.Argument(None, help="Files or folders (default: the data inbox)")) -> None:
    """Take in city reports and print a receipt per file; exit 1 if a file was rejected whole."""
    from transforms.ingest.reports.commands import intake_command

    raise typer.Exit(intake_command(paths or [data_paths().inbox]))


@app.command()
def diff(
    dataset_a: str = typer.Argument(..., help="Older dataset: an id under published/datasets/, 'latest', or a path"),
    dataset_b: str = typer.Argument("latest", help="Newer dataset (default: latest)"),
    scope: str = typer.Option("overall", help="Scope to list: 'overall', an action code, or 'all'"),
    limit: int = typer.Option(40, help="How many changed rows to list"),
    as_json: bool = typer.Option(False, "--json", help="Print the full comparison as JSON"),
) -> None:
    """Compare two published datasets: score and rank changes per (period, city, scope), and why they changed."""
    from transforms.publish.diff import cli_diff

    try:
        out = cli_diff(dataset_a, dataset_b, data_paths().published, scope=scope, limit=limit, as_json=as_json)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    typer.echo(out, nl=False)


@app.command("airflow-standalone")
def airflow_standalone() -> None:
    """Start ``airflow standalone`` on localhost with the project's DAGs (UI for those who want it). Every
    listener stays on loopback: the API server by ``AIRFLOW__API__HOST``, the log servers (which have no host
    option) by ``tools/airflow/loopback/sitecustomize.py`` (``HNPLUS_LISTEN_HOST`` to choose another address)."""
    env = airflow_env(data_paths().ensure(), loopback_env())
    os.execve(airflow_bin(), [airflow_bin(), "standalone"], env)


@app.command()
def clean() -> None:
    """Remove all generated data (the data directory)."""
    shutil.rmtree(data_paths().root, ignore_errors=True)

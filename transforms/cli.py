"""``hnplus``: the command line for operators, analysts and city staff."""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from transforms.core.paths import data_paths

app = typer.Typer(help="hnplus: Henan Internet+ implementation scores and league tables.", no_args_is_help=True)
console = Console()


def _seed_inbox_with_samples() -> int:
    """Embedded default: when nobody has sent a report, the bundled synthetic sample stands in."""
    from transforms.samples import write_samples

    paths = data_paths().ensure()
    if any(p.is_file() for p in paths.inbox.rglob("*")):
        return 0
    return len(write_samples(paths.inbox))


@app.command()
def samples(out: Path = typer.Option(None, help="Output folder (default: data/samples/reports)")) -> None:
    """Write the deterministic synthetic sample reports."""
    from transforms.samples import write_samples

    out = out or data_paths().samples / "reports"
    n = len(write_samples(out))
    console.print(f"wrote {n} sample report files to {out}")


@app.command()
def run(
    logical_date: str = typer.Option(None, help="Logical date of the DAG run (default: now, UTC)"),
    no_airflow: bool = typer.Option(False, help="Run the stages in-process instead of through Airflow"),
    period: str = typer.Option(None, help="Reporting period like 2018Q4 (default: from the logical date)"),
    force: bool = typer.Option(False, help="Rebuild and republish even if the inputs are unchanged"),
) -> None:
    """Run the nightly job on the embedded defaults: sample reports, local open-data portal, SQLite Airflow DB."""
    from transforms.airflow_env import airflow_env, dags_test
    from transforms.portal import start_portal

    paths = data_paths().ensure()
    before = (paths.published / "latest").resolve() if (paths.published / "latest").exists() else None
    n = _seed_inbox_with_samples()
    if n:
        console.print(f"inbox was empty: placed {n} synthetic sample reports in {paths.inbox}")
    portal = None
    base_url = os.environ.get("HNPLUS_PORTAL_URL")
    if not base_url:
        portal = start_portal()
        base_url = portal.url
        console.print(f"local open-data portal on {base_url}")
    try:
        if no_airflow:
            from transforms.core.locks import RunLocked
            from transforms.pipeline import run_all_exclusive

            try:
                result = run_all_exclusive("cli-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S"), paths, base_url)
            except RunLocked as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(75) from exc
            console.print_json(json.dumps(result, ensure_ascii=False, default=str))
            rc = 0
        else:
            env = airflow_env(paths, {"HNPLUS_PORTAL_URL": base_url})
            date = logical_date or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            conf = {k: v for k, v in {"period": period, "force": force}.items() if v}
            # one Airflow process: `db migrate` only when the metadata DB is not at the installed head, then the
            # whole nightly DAG (`dags test`); with unchanged inputs the DAG's own gate skips the heavy steps
            rc = dags_test("hnplus_nightly", date, env, conf=conf, migrate_first=True)
    finally:
        if portal is not None:
            portal.stop()
    if rc != 0:
        console.print(f"[red]the nightly DAG failed (exit {rc}); see data/runs/ and docs/operations.md[/red]")
        raise typer.Exit(rc)
    latest = paths.published / "latest"
    if not no_airflow and before is not None and latest.resolve() == before:
        console.print("\ninputs unchanged since the last published dataset: nothing rebuilt (use --force to rebuild)")
    console.print(f"\npublished dataset: {latest.resolve()}")
    console.print(f"analysts' DuckDB:  {paths.warehouse}")
    _print_league(None, "overall", top=10)


def _print_league(period: str | None, scope: str, top: int | None = None) -> None:
    paths = data_paths()
    if not paths.warehouse.exists():
        console.print("[red]no published warehouse yet: run `make run` first[/red]")
        raise typer.Exit(1)
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        if period in (None, "latest"):
            period = con.execute("select max(period) from marts.league_table").fetchone()[0]
        rows = con.execute(
            "select rank, city_code, city_name, score, rank_change, coverage from marts.league_table "
            "where period = ? and scope = ? order by rank, city_code",
            [period, scope],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        console.print(f"[red]no league table for period {period} and scope {scope}[/red]")
        raise typer.Exit(1)
    t = Table(title=f"league table {period} · scope {scope}")
    for col in ("rank", "city_code", "city", "score", "Δrank", "coverage"):
        t.add_column(col, justify="right" if col not in ("city",) else "left")
    for r in rows[: top or len(rows)]:
        change = "" if r[4] is None else (f"↑{r[4]}" if r[4] > 0 else (f"↓{-r[4]}" if r[4] < 0 else "="))
        t.add_row(str(r[0]), r[1], r[2], f"{r[3]:.1f}" if r[3] is not None else "—", change,
                  f"{r[5]:.0%}" if r[5] is not None else "—")
    console.print(t)


@app.command()
def league(
    period: str = typer.Option("latest", help="Period like 2018Q4, or 'latest'"),
    scope: str = typer.Option("overall", help="'overall' or an action code such as ecommerce"),
) -> None:
    """Print a league table from the published warehouse."""
    _print_league(period, scope)


@app.command()
def template(
    city: str = typer.Option(..., "--city", help="City code or any alias, e.g. 410300 or 洛阳"),
    period: str = typer.Option(..., "--period", help="Quarter, e.g. 2018Q4"),
    out: Path = typer.Option(Path("."), "--out", help="Output file or folder"),
) -> None:
    """Write the HNPLUS-R1 report template (xlsx) for one city and quarter."""
    from transforms.intake import template_command

    try:
        console.print(f"wrote {template_command(city, period, out)}")
    except ValueError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc


@app.command()
def intake(paths: list[Path] = typer.Argument(None, help="Files or folders (default: the data inbox)")) -> None:
    """Take in city reports and print a receipt per file; exit 1 if a file was rejected whole."""
    from transforms.intake import intake_command

    raise typer.Exit(intake_command(paths or [data_paths().inbox]))


@app.command()
def diff(
    run_a: str = typer.Argument(..., help="Older dataset: an id under data/published/runs/, 'latest', or a path"),
    run_b: str = typer.Argument("latest", help="Newer dataset (default: latest)"),
    scope: str = typer.Option("overall", help="Scope to list: 'overall', an action code, or 'all'"),
    limit: int = typer.Option(40, help="How many changed rows to list"),
    as_json: bool = typer.Option(False, "--json", help="Print the full comparison as JSON"),
) -> None:
    """Compare two published datasets: score and rank changes per (period, city, scope), and why they changed."""
    from transforms.diff import cli_diff

    try:
        out = cli_diff(run_a, run_b, data_paths().published, scope=scope, limit=limit, as_json=as_json)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    typer.echo(out, nl=False)


@app.command("airflow-standalone")
def airflow_standalone() -> None:
    """Start ``airflow standalone`` on localhost with the project's DAGs (UI for those who want it)."""
    from transforms.airflow_env import airflow_bin, airflow_env

    env = airflow_env(data_paths().ensure(), {"AIRFLOW__API__HOST": "127.0.0.1"})
    os.execve(airflow_bin(), [airflow_bin(), "standalone"], env)


@app.command()
def clean() -> None:
    """Remove all generated data (the data directory)."""
    shutil.rmtree(data_paths().root, ignore_errors=True)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

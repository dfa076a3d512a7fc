"""``hnplus run``: the nightly job on the configured inbox and open-data portal, once, now.

Through Airflow by default (one ``airflow dags test`` of the DAG tagged ``nightly``, so the run is what the
scheduler would do), or in-process with ``--no-airflow``. The portal is ``HNPLUS_PORTAL_URL`` (for the DAG:
the Airflow connection ``hnplus_portal`` first); the demo (``python -m tools.demo``, ``make run``) sets it to a
local portal and fills an empty inbox with the synthetic samples before it calls :func:`run_job`.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import typer

from transforms.cli.airflow import NIGHTLY_TAG, airflow_env, dags_test
from transforms.cli.output import console, print_league
from transforms.core.locks import RunLocked
from transforms.core.paths import DataPaths


def _in_process(paths: DataPaths, base_url: str | None) -> int:
    from transforms.pipeline import run_all_exclusive

    try:
        result = run_all_exclusive("cli-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S"), paths, base_url)
    except RunLocked as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(75) from exc
    console.print_json(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _through_airflow(paths: DataPaths, base_url: str | None, logical_date: str | None, period: str | None,
                     force: bool) -> int:
    env = airflow_env(paths, {"HNPLUS_PORTAL_URL": base_url} if base_url else {})
    date = logical_date or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    conf = {k: v for k, v in {"period": period, "force": force}.items() if v}
    # one Airflow process: `db migrate` only when the metadata DB is not at the installed head, then the
    # whole nightly DAG (`dags test`); with unchanged inputs the DAG's own gate skips the heavy steps
    return dags_test(NIGHTLY_TAG, date, env, conf=conf, migrate_first=True)


def run_job(paths: DataPaths, logical_date: str | None = None, no_airflow: bool = False, period: str | None = None,
            force: bool = False) -> None:
    """Run the nightly job once and print where the dataset is and the top of the league table."""
    paths = paths.ensure()
    latest = paths.published / "latest"
    before = latest.resolve() if latest.exists() else None
    base_url = os.environ.get("HNPLUS_PORTAL_URL")
    if no_airflow:
        rc = _in_process(paths, base_url)
    else:
        rc = _through_airflow(paths, base_url, logical_date, period, force)
    if rc != 0:
        console.print(f"[red]the nightly DAG failed (exit {rc}); see data/runs/ and docs/operations.md[/red]")
        raise typer.Exit(rc)
    if not no_airflow and before is not None and latest.resolve() == before:
        console.print("\ninputs unchanged since the last published dataset: nothing rebuilt (use --force to rebuild)")
    console.print(f"\npublished dataset: {latest.resolve()}")
    console.print(f"analysts' DuckDB:  {paths.warehouse}")
    print_league(paths, None, "overall", top=10)

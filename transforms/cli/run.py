"""``hnplus run``: the nightly job on the configured inbox and open-data portal, once, now.

Through Airflow by default (one ``airflow dags test`` of the DAG tagged ``nightly``, so the run is what the
scheduler would do), or in-process with ``--no-airflow``. The portal is ``HNPLUS_PORTAL_URL`` (for the DAG:
the Airflow connection ``hnplus_portal`` first); the demo (``python -m tools.demo``, ``make run``) sets it to a
local portal and fills an empty inbox with the synthetic samples before it calls :func:`run_job`.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import typer

from transforms.cli.airflow import NIGHTLY_TAG, airflow_env, dags_test
from transforms.cli.output import console, print_league
from transforms.core.locks import RunLocked
from transforms.core.paths import DataPaths


def _published_state(latest: Path) -> tuple[str, int, int] | None:
    """Which dataset ``latest`` points at and which copy of it (a rebuild of the same dataset id replaces the
    folder: a new inode), so the run can say truthfully whether it rebuilt."""
    if not latest.exists():
        return None
    target = latest.resolve()
    st = target.stat()
    return str(target), st.st_ino, st.st_mtime_ns


def _outcome(before: tuple[str, int, int] | None, after: tuple[str, int, int] | None, force: bool) -> str:
    """What the run did to the published dataset, in words."""
    if after is None:
        return "nothing published yet"
    if before is None or before[0] != after[0]:
        return "a new dataset was built and published"
    if before != after:
        return ("the inputs are unchanged: the same dataset was rebuilt and published again"
                + (" (--force)" if force else ""))
    return "inputs unchanged since the last published dataset: nothing rebuilt (use --force to rebuild)"


def _in_process(paths: DataPaths, base_url: str | None) -> int:
    from transforms.pipeline import run_all_exclusive

    try:
        with console.status("running the nightly job in-process (intake, feeds, validation, build, publish)…",
                            spinner="dots"):
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
    before = _published_state(latest)
    base_url = os.environ.get("HNPLUS_PORTAL_URL")
    started = time.monotonic()
    if no_airflow:
        rc = _in_process(paths, base_url)
    else:
        with console.status("running the nightly DAG through Airflow (airflow dags test)…", spinner="dots"):
            rc = _through_airflow(paths, base_url, logical_date, period, force)
    if rc != 0:
        console.print(f"[red]the nightly DAG failed (exit {rc}); see data/runs/ and docs/operations.md[/red]")
        raise typer.Exit(rc)
    console.print(f"\n{_outcome(before, _published_state(latest), force)} ({time.monotonic() - started:.0f} s)")
    console.print(f"published dataset: {latest.resolve()}")
    console.print(f"analysts' DuckDB:  {paths.warehouse}")
    print_league(paths, None, "overall", top=10)

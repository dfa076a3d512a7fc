"""The demo on synthetic data (``make run``): what a newcomer runs first.

It places the synthetic sample reports in the inbox when the inbox is empty, starts the local open-data portal
on loopback (unless ``HNPLUS_PORTAL_URL`` names one), and runs the product's nightly job (``hnplus run``,
through Airflow unless ``--no-airflow``), which prints the league table at the end.
"""

from __future__ import annotations

import argparse
import os

from tools.portal import start_portal
from tools.samples import write_samples
from transforms.cli.output import console
from transforms.cli.run import run_job
from transforms.core.paths import DataPaths, data_paths


def seed_inbox_with_samples(paths: DataPaths) -> int:
    """When nobody has sent a report, the bundled synthetic sample stands in; returns the files placed."""
    if any(p.is_file() for p in paths.inbox.rglob("*")):
        return 0
    return len(write_samples(paths.inbox))


def main(argv: list[str] | None = None) -> None:
    """``python -m tools.demo [--no-airflow] [--period 2018Q4] [--force] [--logical-date ISO]``."""
    ap = argparse.ArgumentParser(prog="python -m tools.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--no-airflow", action="store_true", help="run the stages in-process instead of through Airflow")
    ap.add_argument("--logical-date", default=None, help="logical date of the DAG run (default: now, UTC)")
    ap.add_argument("--period", default=None, help="reporting period like 2018Q4 (default: from the logical date)")
    ap.add_argument("--force", action="store_true", help="rebuild and republish even if the inputs are unchanged")
    args = ap.parse_args(argv)
    paths = data_paths().ensure()
    n = seed_inbox_with_samples(paths)
    if n:
        console.print(f"inbox was empty: placed {n} synthetic sample reports in {paths.inbox}")
    portal = None
    if not os.environ.get("HNPLUS_PORTAL_URL"):
        portal = start_portal()
        os.environ["HNPLUS_PORTAL_URL"] = portal.url
        console.print(f"local open-data portal on {portal.url}")
    try:
        run_job(paths, args.logical_date, args.no_airflow, args.period, args.force)
    finally:
        if portal is not None:
            portal.stop()

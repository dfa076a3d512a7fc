"""``airflow standalone`` on loopback runs the nightly DAG to success when driven only through the REST API."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tools.airflow.smoke import run_smoke
from tools.samples import write_samples
from transforms.core.paths import DataPaths


@pytest.mark.standalone
def test_standalone_rest_runs_the_nightly_dag(portal_url: str, tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data").ensure()
    write_samples(paths.inbox)
    t0 = time.perf_counter()
    summary = run_smoke(portal_url, paths.root, timeout=300)
    assert summary["state"] == "success"
    states = dict(summary["tasks"])
    assert states["publish"] == "success" and states["fetch_feed"] == "success", summary["tasks"]
    assert (paths.published / "latest" / "league_table.csv").is_file()
    assert time.perf_counter() - t0 < 330

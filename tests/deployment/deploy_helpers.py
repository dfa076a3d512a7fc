"""A small REST client for the api-server, and the analyst who watches the published data during a run."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import requests

from transforms.core.paths import DataPaths
from transforms.publish.integrity import check_dataset

DAG_ID = "hnplus_nightly"


class Api:
    """The Airflow REST API as an operator uses it: a JWT from ``POST /auth/token``, then ``/api/v2``."""

    def __init__(self, base: str, password: str) -> None:
        self.base = base
        self.s = requests.Session()
        r = requests.post(f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=10)
        r.raise_for_status()
        self.s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        r = self.s.get(f"{self.base}/api/v2{path}", params=params, timeout=20)
        r.raise_for_status()
        return r.json()

    def unpause(self, dag_id: str) -> None:
        r = self.s.patch(f"{self.base}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=20)
        r.raise_for_status()

    def trigger(self, conf: dict | None = None, offset_s: float = 0.0, dag_id: str = DAG_ID) -> str:
        when = (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()
        r = self.s.post(f"{self.base}/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": when, "conf": conf or {}},
                        timeout=20)
        assert r.ok, f"trigger: HTTP {r.status_code} {r.text[:500]}"
        return str(r.json()["dag_run_id"])

    def runs(self, dag_id: str = DAG_ID) -> list[dict]:
        return list(self.get(f"/dags/{dag_id}/dagRuns", limit=100)["dag_runs"])

    def run(self, run_id: str, dag_id: str = DAG_ID) -> dict:
        return dict(self.get(f"/dags/{dag_id}/dagRuns/{run_id}"))

    def tasks(self, run_id: str, dag_id: str = DAG_ID) -> list[dict]:
        return list(self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=100)["task_instances"])

    def xcom(self, run_id: str, task_id: str, dag_id: str = DAG_ID) -> Any:
        got = self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value")
        value = got["value"]
        return json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value

    def wait_run(self, run_id: str, timeout: float, dag_id: str = DAG_ID) -> dict:
        """Poll until the run ends; fail with its task states when it does not succeed in time."""
        deadline = time.monotonic() + timeout
        run: dict = {}
        while time.monotonic() < deadline:
            try:
                run = self.run(run_id, dag_id)
            except requests.RequestException:
                time.sleep(2)
                continue
            if run["state"] in ("success", "failed"):
                break
            time.sleep(2)
        states = sorted((t["task_id"], t.get("map_index"), t["state"], t.get("try_number"))
                        for t in self.tasks(run_id, dag_id))
        assert run.get("state") == "success", f"run {run_id} ended {run.get('state')}: {states}"
        return run

    def wait_task_running(self, run_id: str, task_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t in self.tasks(run_id):
                if t["task_id"] == task_id and t["state"] == "running" and t.get("pid"):
                    return t
            time.sleep(0.5)
        seen = [(t["task_id"], t["state"]) for t in self.tasks(run_id)]
        raise AssertionError(f"{task_id} of {run_id} never ran: {seen}")


def latest_id(paths: DataPaths) -> str | None:
    try:
        return os.readlink(paths.published / "latest").removeprefix("datasets/")
    except OSError:
        return None


def dataset_ids(paths: DataPaths) -> set[str]:
    datasets = paths.published / "datasets"
    return {p.name for p in datasets.iterdir() if not p.name.startswith(".")} if datasets.is_dir() else set()


class Analyst(threading.Thread):
    """An analyst during a run: a read-only DuckDB connection to ``warehouse.duckdb`` opened *before* the run and
    queried throughout, a fresh read-only connection every round, and the published tree checked every round
    (``latest`` must always be a complete dataset). Records every error; ``values`` holds what it read."""

    SQL = "select count(*), round(sum(score), 6) from marts.league_table"

    def __init__(self, paths: DataPaths, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.paths, self.every = paths, every
        self.con = duckdb.connect(str(paths.warehouse), read_only=True)
        self.errors: list[str] = []
        self.values: set[tuple] = set()
        self.fresh_values: set[tuple] = set()
        self.rounds = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                self.values.add(tuple(self.con.execute(self.SQL).fetchone()))
            except Exception as exc:  # noqa: BLE001 - any error is what the test looks for
                self.errors.append(f"open connection: {exc!r}")
            try:
                fresh = duckdb.connect(str(self.paths.warehouse), read_only=True)
                try:
                    self.fresh_values.add(tuple(fresh.execute(self.SQL).fetchone()))
                finally:
                    fresh.close()
            except Exception as exc:  # noqa: BLE001
                self.errors.append(f"fresh connection: {exc!r}")
            problems = published_problems(self.paths.published)
            if problems:
                self.errors.append(f"published: {problems}")
            self.rounds += 1
            self._done.wait(self.every)

    def finish(self) -> None:
        self._done.set()
        self.join(timeout=30)
        self.con.close()


def published_problems(root: Path) -> list[str]:
    """What a reader finds wrong in the published tree, reading as a reader should: each link (``latest`` and the
    period links) resolved once, then that one folder checked (``transforms.publish.integrity.check_dataset``). Reading
    file after file through a link that is switched in between could mix two complete datasets."""
    if not (root / "latest").is_symlink():
        return [f"{root / 'latest'} is not a symlink"]
    problems = []
    for link in sorted(root.iterdir()):
        if link.is_symlink() and not link.name.startswith("."):
            target = Path(os.path.realpath(link))
            problems += check_dataset(target) if target.is_dir() else [f"{link}: dangling"]
    return problems


def add_changed_report(paths: DataPaths, factor: float = 1.2) -> Path:
    """A corrected report for 411300 2020Q4 (every numeric indicator value scaled by ``factor``), so the inputs
    and hence the dataset id change: the next run must publish one new dataset."""
    src = paths.inbox / "411300" / "411300_2020Q4.json"
    doc = json.loads(src.read_text(encoding="utf-8"))
    for ind in doc["indicators"]:
        if isinstance(ind.get("value"), int | float):
            ind["value"] = round(ind["value"] * factor + 1, 2)
    dest = paths.inbox / "411300" / f"411300_2020Q4_corrected_{factor}.json"
    dest.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return dest

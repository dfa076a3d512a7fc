"""The production topology really running (Postgres, api-server, scheduler, dag-processor, triggerer; with Celery
also Redis and two workers), driven only as an operator would: REST, signals, ``python -m tools.deploy``.

The tests of one mode share one deployment and one data directory and run in file order: the scheduled run
publishes dataset A; the REST run republishes it (force) while an analyst reads; two triggers at once; then a
corrected report arrives and the run that must publish dataset B is hit by ``kill -9`` of the scheduler
(LocalExecutor: it also runs the task); with Celery another corrected report, and the run that must publish C is
hit by ``kill -9`` of the worker running the task.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from deploy_helpers import DAG_ID, Analyst, Api, add_changed_report, dataset_ids, latest_id

from tools.deploy.local import group_members, in_session, marked, owner
from transforms.core.paths import REPO_ROOT, DataPaths
from transforms.publish.integrity import check_published, stale_temp_paths

pytestmark = pytest.mark.deployment
RUN_TIMEOUT = 600


def _paths(topology: dict) -> DataPaths:
    return DataPaths(topology["data"])


def _listeners_of(pids: set[int]) -> list[str]:
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        got = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if got & pids:
            found.append(line.split()[3])
    return found


def test_every_service_is_up_healthy_and_on_loopback_only(topology: dict) -> None:
    dep = topology["dep"]
    h = dep.health()
    assert dep.healthy(h), h
    expected = {"postgres", "portal", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                "airflow-triggerer"}
    if topology["executor"] == "celery":
        expected |= {"redis", "airflow-worker-1", "airflow-worker-2"}
        assert len(dep.celery_ping()) == 2
    assert set(h["processes"]) == expected and all(h["processes"].values())
    pids = {p for s in dep.state["services"].values() for p in group_members(s["pid"])} | set(
        marked(dep.layout.root))
    addrs = _listeners_of(pids)
    assert addrs, "no listener found for the deployment's processes"
    assert all(a.startswith("127.0.0.1:") for a in addrs), addrs
    ports = {int(a.rsplit(":", 1)[1]) for a in addrs}
    assert {dep.ports["api"], dep.ports["postgres"], dep.ports["portal"]} <= ports
    if topology["executor"] == "celery":
        assert dep.ports["redis"] in ports
    # the secrets: generated, readable by their owner only, and nowhere in the repository
    assert stat.S_IMODE(dep.layout.secrets.stat().st_mode) == 0o600
    assert stat.S_IMODE(dep.layout.passwords_file.stat().st_mode) == 0o600
    tracked = subprocess.run(["git", "grep", "-l", "-F", "-e", dep.secrets["postgres_password"]], cwd=REPO_ROOT,
                             capture_output=True, text=True)
    assert tracked.returncode == 1, tracked.stdout
    assert dep.env()["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")


def test_the_rest_api_refuses_requests_without_a_token(topology: dict) -> None:
    base = topology["dep"].api_url
    assert requests.get(f"{base}/api/v2/dags/{DAG_ID}", timeout=10).status_code == 401
    r = requests.post(f"{base}/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": {}}, timeout=10)
    assert r.status_code == 401
    bad = requests.get(f"{base}/api/v2/dags/{DAG_ID}", headers={"Authorization": "Bearer not-a-jwt"}, timeout=10)
    assert bad.status_code in (401, 403), bad.text  # Airflow 3.3 answers 403 to a token it cannot verify
    assert topology["api"].get(f"/dags/{DAG_ID}")["dag_id"] == DAG_ID


def test_the_scheduler_fires_the_nightly_run_from_its_schedule(topology: dict) -> None:
    """Unpausing: the scheduler creates the run of the latest 02:00 Asia/Shanghai slot itself (catchup=False
    still runs the most recent interval), the run publishes, and the asset event starts hnplus_after_publish."""
    api: Api = topology["api"]
    paths = _paths(topology)
    t0 = time.monotonic()
    api.unpause("hnplus_after_publish")
    api.unpause(DAG_ID)
    deadline = time.monotonic() + 180
    scheduled: list[dict] = []
    while not scheduled and time.monotonic() < deadline:
        scheduled = [r for r in api.runs() if r["run_type"] == "scheduled"]
        time.sleep(2)
    assert len(scheduled) == 1, api.runs()
    run = api.wait_run(scheduled[0]["dag_run_id"], RUN_TIMEOUT)
    topology["timings"]["scheduled_run_s"] = round(time.monotonic() - t0, 1)
    # the slot: 02:00 in Shanghai (18:00 UTC), within the last day
    end = datetime.fromisoformat(run["data_interval_end"])
    assert (end.hour, end.minute) == (18, 0) and datetime.now(UTC) - end < timedelta(days=1), run
    assert check_published(paths.published) == []
    topology["dataset_a"] = latest_id(paths)
    assert dataset_ids(paths) == {topology["dataset_a"]}
    deadline = time.monotonic() + 180
    after: list[dict] = []
    while time.monotonic() < deadline:
        after = [r for r in api.runs("hnplus_after_publish") if r["state"] in ("success", "failed")]
        if after:
            break
        time.sleep(2)
    assert [r["state"] for r in after] == ["success"], after
    assert (paths.published / "notice.json").is_file()


def test_a_rest_triggered_run_with_params_while_an_analyst_reads(topology: dict) -> None:
    api: Api = topology["api"]
    paths = _paths(topology)
    analyst = Analyst(paths)  # the connection is opened before the run
    analyst.start()
    t0 = time.monotonic()
    try:
        run_id = api.trigger({"period": "2018Q4", "force": True})
        api.wait_run(run_id, RUN_TIMEOUT)
    finally:
        analyst.finish()
    topology["timings"]["forced_run_s"] = round(time.monotonic() - t0, 1)
    states = {t["task_id"]: t["state"] for t in api.tasks(run_id)}
    assert states["publish"] == "success" and states["build"] == "success", states  # force: rebuilt, not skipped
    assert api.xcom(run_id, "resolve_period") == "2018Q4"
    assert api.xcom(run_id, "publish")["period"] == "2018Q4"
    assert analyst.errors == [] and analyst.rounds >= 5, analyst.errors[:5]
    assert len(analyst.values) == 1, analyst.values  # same inputs: the same dataset, rebuilt
    assert latest_id(paths) == topology["dataset_a"] and check_published(paths.published) == []
    # a malformed period is refused at trigger time
    r = api.s.post(f"{api.base}/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None,
                                                                     "conf": {"period": "2018-12"}}, timeout=20)
    assert r.status_code in (400, 422), r.text


def test_two_triggers_at_once_respect_max_active_runs(topology: dict) -> None:
    api: Api = topology["api"]
    first, second = api.trigger({}, offset_s=1), api.trigger({}, offset_s=2)
    most_running = 0
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        states = [api.run(first)["state"], api.run(second)["state"]]
        most_running = max(most_running, states.count("running"))
        if all(s in ("success", "failed") for s in states):
            break
        time.sleep(0.5)
    assert states == ["success", "success"], states
    assert most_running == 1


def _kill_during_build_then_restart(topology: dict, part: str, factor: float) -> dict:
    """A corrected report (new inputs), a run, ``kill -9`` of ``part`` while ``build`` runs (``part="worker"``:
    the Celery worker whose process runs it), restart of that part, the run completes. Checks that exactly one
    new dataset is published, that ``latest`` and the period links were complete at every moment, and that an
    analyst's connection opened before the run read the old data throughout without an error."""
    dep, api = topology["dep"], topology["api"]
    paths = _paths(topology)
    before = dataset_ids(paths)
    old_latest = latest_id(paths)
    add_changed_report(paths, factor)
    analyst = Analyst(paths)
    analyst.start()
    t0 = time.monotonic()
    try:
        run_id = api.trigger({})
        ti = api.wait_task_running(run_id, "build", RUN_TIMEOUT)
        if part == "worker":
            workers = {n: s["pid"] for n, s in dep.state["services"].items() if n.startswith("airflow-worker-")}
            victim = owner(ti["pid"], workers)
            assert victim, f"task pid {ti['pid']} belongs to no worker {workers}"
        else:
            victim = "airflow-scheduler"
            if topology["executor"] == "local":  # LocalExecutor: the task runs in a child of the scheduler
                assert owner(ti["pid"], {victim: dep.pid(victim)}) == victim
        old = dict(dep.state["services"][victim])
        dep.kill(victim)
        assert not dep.running(victim)
        t_kill = time.monotonic()
        dep.start_service(victim, wait=True)
        # nothing of the killed part is left (e.g. the LocalExecutor's worker processes, the task it ran)
        assert in_session(old["pid"]) == [], in_session(old["pid"])
        topology["timings"][f"restart_{part}_s"] = round(time.monotonic() - t_kill, 1)
        api.wait_run(run_id, RUN_TIMEOUT)
    finally:
        analyst.finish()
    topology["timings"][f"run_with_{part}_killed_s"] = round(time.monotonic() - t0, 1)
    build = [t for t in api.tasks(run_id) if t["task_id"] == "build"][0]
    assert build["state"] == "success", build
    topology["timings"][f"build_tries_{part}_killed"] = build["try_number"]
    new = latest_id(paths)
    assert new != old_latest
    assert dataset_ids(paths) == before | {new}, "exactly one new dataset"
    assert check_published(paths.published) == [] and stale_temp_paths(paths) == []
    assert analyst.errors == [] and analyst.rounds >= 5, analyst.errors[:5]
    assert len(analyst.values) == 1  # the connection opened before the run: the old data throughout
    assert len(analyst.fresh_values) in (1, 2)  # fresh connections: the old, then the new data
    assert os.path.exists(paths.warehouse)
    return build


def test_kill_9_of_the_scheduler_during_a_run_then_restart(topology: dict) -> None:
    _kill_during_build_then_restart(topology, "scheduler", 1.2)


def test_kill_9_of_a_celery_worker_during_a_task_then_restart(topology: dict) -> None:
    if topology["executor"] != "celery":
        pytest.skip("LocalExecutor: the scheduler runs the tasks (previous test)")
    build = _kill_during_build_then_restart(topology, "worker", 1.5)
    assert build["try_number"] >= 2, build  # the try killed with its worker was failed, then retried

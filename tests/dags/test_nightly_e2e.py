"""The nightly DAG for real (``dag.test()``, tasks in this process) on the sample reports and the local portal.

One module-scoped data directory, two nightly runs and one downstream run: a first run, a backfill for a past
period (logical date 2019-01-05 -> 2018Q4), publishes; a second with unchanged inputs skips
validation/build/audit/publish; ``hnplus_after_publish`` then announces the dataset. (A forced third run would
cost ~40 s on 2 busy cores; the byte-identical republish is covered by the publish tests, and dataset_id =
fingerprint prefix is asserted here.)
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from tools.samples import write_samples
from transforms.core.paths import DataPaths

pytestmark = pytest.mark.e2e

HEAVY = ("validate_inputs", "build", "audit", "publish")


def _states(dr) -> dict[str, str]:  # noqa: ANN001 - airflow's DagRun, imported lazily
    out: dict[str, str] = {}
    for ti in dr.get_task_instances():
        state = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
        out[ti.task_id] = state if ti.task_id not in out or state == out[ti.task_id] else "mixed"
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _asset_events(name: str) -> list[dict]:
    """The ``extra`` of every event recorded for the asset (what the downstream DAG receives)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(AssetEvent.extra).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
        rows = session.execute(query.where(AssetModel.name == name)).all()
    return [dict(extra or {}) for (extra,) in rows]


@pytest.fixture(scope="module")
def runs(dagbag, portal_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    paths = DataPaths(tmp_path_factory.mktemp("nightly-data")).ensure()
    write_samples(paths.inbox)
    saved = {k: os.environ.get(k) for k in ("HNPLUS_DATA_DIR", "HNPLUS_PORTAL_URL", "AIRFLOW_CONN_HNPLUS_PORTAL")}
    # the portal is configured as an Airflow connection here (the CLI and compose use HNPLUS_PORTAL_URL)
    os.environ.pop("HNPLUS_PORTAL_URL", None)
    os.environ.update(HNPLUS_DATA_DIR=str(paths.root), AIRFLOW_CONN_HNPLUS_PORTAL=portal_url)
    dag = dagbag.get_dag("hnplus_nightly")
    out: dict = {"paths": paths}
    try:
        t0 = time.perf_counter()
        first = dag.test(logical_date=pendulum.datetime(2019, 1, 5, 2, tz="Asia/Shanghai"))
        out["first"] = (first.state, _states(first), time.perf_counter() - t0)
        out["first_period"] = first.get_task_instance("resolve_period").xcom_pull(task_ids="resolve_period")
        out["first_feeds"] = first.get_task_instance("load_feeds").xcom_pull(task_ids="load_feeds")
        latest = paths.published / "latest"
        out["first_dataset"] = os.readlink(latest) if latest.is_symlink() else None
        out["first_sha"] = _sha(latest / "league_table.csv") if latest.exists() else None
        out["first_meta_mtime"] = (latest / "metadata.json").stat().st_mtime_ns if latest.exists() else None

        t0 = time.perf_counter()
        second = dag.test(logical_date=pendulum.datetime(2021, 1, 6, 2, tz="Asia/Shanghai"))
        out["second"] = (second.state, _states(second), time.perf_counter() - t0)
        out["second_meta_mtime"] = (latest / "metadata.json").stat().st_mtime_ns if latest.exists() else None

        out["asset_events"] = _asset_events("hnplus_league_table")
        t0 = time.perf_counter()
        after = dagbag.get_dag("hnplus_after_publish").test(logical_date=pendulum.datetime(2021, 1, 6, 3, tz="UTC"))
        out["after"] = (after.state, _states(after), time.perf_counter() - t0)
        print({k: round(v[2], 1) for k, v in out.items() if isinstance(v, tuple)})
        yield out
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_first_run_publishes_the_league_table(runs: dict) -> None:
    state, tasks, seconds = runs["first"]
    assert state == "success", tasks
    # every feed was fetched fresh from the portal named by the Airflow connection hnplus_portal
    assert {f["status"] for f in runs["first_feeds"]["feeds"]} == {"fresh"}, runs["first_feeds"]
    assert len(tasks) == 10, "a logical date before start_date gives a run without task instances"
    assert all(s == "success" for s in tasks.values()), tasks
    latest = runs["paths"].published / "latest"
    with (latest / "league_table.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 18 * 12 * 20
    assert len({r["city_code"] for r in rows}) == 18
    assert len({r["scope"] for r in rows}) == 12
    periods = sorted({r["period"] for r in rows})
    assert (len(periods), periods[0], periods[-1]) == (20, "2016Q1", "2020Q4")
    meta = json.loads((latest / "metadata.json").read_text(encoding="utf-8"))
    assert runs["first_period"] == "2018Q4"  # a backfill: the run is for the quarter before its logical date
    assert runs["first_dataset"] == f"datasets/{meta['dataset_id']}"
    assert meta["input_fingerprint"].startswith(meta["dataset_id"])
    assert len(meta["inputs"]["reports"]) == 18 * 21


def test_unchanged_inputs_skip_the_heavy_steps(runs: dict) -> None:
    state, tasks, seconds = runs["second"]
    assert state == "success", tasks
    assert {t: tasks[t] for t in HEAVY} == {t: "skipped" for t in HEAVY}
    for t in ("ingest_reports", "fetch_feed", "load_feeds", "should_build"):
        assert tasks[t] == "success", (t, tasks)
    assert runs["second_meta_mtime"] == runs["first_meta_mtime"], "the published dataset was rewritten"
    dataset_id = runs["first_dataset"].removeprefix("datasets/")
    # one asset event (from the first run only), carrying what hnplus_after_publish announces
    assert [{k: e.get(k) for k in ("dataset_id", "period")} for e in runs["asset_events"]] == [
        {"dataset_id": dataset_id, "period": "2018Q4"}]
    assert _sha(runs["paths"].published / "latest" / "league_table.csv") == runs["first_sha"]


def test_after_publish_announces_the_dataset(runs: dict) -> None:
    state, tasks, seconds = runs["after"]
    assert state == "success", tasks
    published = runs["paths"].published
    notice = json.loads((published / "notice.json").read_text(encoding="utf-8"))
    assert notice["latest"] == runs["first_dataset"]
    assert notice["league_table"] == {"rows": 4320, "cities": 18, "scopes": 12, "periods": 20,
                                      "first_period": "2016Q1", "last_period": "2020Q4"}
    assert [t["rank"] for t in notice["top_overall"]] == [1, 2, 3]
    assert notice["period_shown"] == "2020Q4"  # run by hand (no triggering event): the latest period
    assert "NOTICE" not in notice and (published / "NOTICE.md").read_text(encoding="utf-8").startswith("# hnplus")

"""The DAG files parse cleanly, carry the operating settings an unattended nightly run needs, and do no I/O."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from transforms.core.paths import REPO_ROOT

VALIDATION_TASKS = {"fetch_feed", "validate_inputs", "audit"}  # a retry would not change their verdict


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"hnplus_nightly", "hnplus_after_publish"}


def test_every_dag_documented_owned_and_tagged(dagbag) -> None:
    for dag_id in dagbag.dag_ids:
        dag = dagbag.get_dag(dag_id)
        assert dag.doc_md and len(dag.doc_md) > 200, dag_id
        assert "hnplus" in dag.tags, dag_id
        assert dag.max_active_runs == 1, dag_id
        assert dag.catchup is False, dag_id
        for t in dag.tasks:
            assert t.owner == "hnplus-data", (dag_id, t.task_id)
            assert t.execution_timeout is not None and t.execution_timeout <= timedelta(minutes=30), t.task_id
            if t.task_id not in VALIDATION_TASKS:
                assert t.retries >= 1, (dag_id, t.task_id)
                assert t.retry_exponential_backoff, (dag_id, t.task_id)


def test_nightly_schedule_and_shape(dagbag) -> None:
    dag = dagbag.get_dag("hnplus_nightly")
    assert dag.timetable.expression == "0 2 * * *"
    assert str(dag.timetable.timezone.name) == "Asia/Shanghai"
    assert dag.timezone.name == "Asia/Shanghai"
    assert set(dag.params.keys()) == {"period", "force"}
    ids = set(dag.task_ids)
    assert ids == {"resolve_period", "ingest_reports", "list_feeds", "fetch_feed", "load_feeds", "validate_inputs",
                   "should_build", "build", "audit", "publish"}
    # the gate comes right after ingest and the feeds: with unchanged inputs validation, build, audit and
    # publish are all skipped (the fingerprint does not depend on validation)
    assert dag.get_task("should_build").upstream_task_ids == {"resolve_period", "ingest_reports", "load_feeds"}
    assert dag.get_task("validate_inputs").upstream_task_ids == {"should_build"}
    assert dag.get_task("build").upstream_task_ids == {"validate_inputs"}
    assert dag.get_task("audit").on_failure_callback, "failures must be written to data/runs/"
    # a `-> dict` task would otherwise push every key as its own XCom too (one Execution-API write each)
    unrolled = {t.task_id: t.multiple_outputs for t in dag.tasks}
    assert unrolled == dict.fromkeys(unrolled, False)


def test_nightly_tag_selects_exactly_the_nightly_dag(dagbag) -> None:
    """``hnplus run`` and the smoke check find the nightly DAG by its tag (the ids live in dags/ only)."""
    from transforms.cli.airflow import NIGHTLY_TAG

    assert [d for d in dagbag.dag_ids if NIGHTLY_TAG in dagbag.get_dag(d).tags] == ["hnplus_nightly"]


def test_dags_share_defaults_declared_once(dagbag) -> None:
    """Owner, retries and backoff come from dags/hnplus_common.py for every task of both DAGs."""
    for dag_id in dagbag.dag_ids:
        for t in dagbag.get_dag(dag_id).tasks:
            assert (t.owner, t.retry_delay) == ("hnplus-data", timedelta(seconds=30)), (dag_id, t.task_id)


def test_downstream_dag_scheduled_on_published_asset(dagbag) -> None:
    nightly = dagbag.get_dag("hnplus_nightly")
    after = dagbag.get_dag("hnplus_after_publish")
    outlets = {(a.name, a.uri) for a in nightly.get_task("publish").outlets}
    scheduled = {(a.name, a.uri) for a in after.timetable.asset_condition.objects}
    assert scheduled == {("hnplus_league_table", "file:///hnplus/published/latest/league_table.parquet")}
    assert scheduled <= outlets


def test_parse_does_no_io_and_is_fast(tmp_path: Path) -> None:
    """Parse the DAG folder in a fresh interpreter with a data dir that does not exist: it must stay absent,
    and the heavy libraries must not be imported at parse time."""
    missing = tmp_path / "no-such-data-dir"
    code = (
        "import sys, time; t=time.perf_counter()\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        "t1=time.perf_counter()\n"
        f"from pathlib import Path; d=Path({str(REPO_ROOT / 'dags')!r})\n"
        "b=BundleDagBag(dag_folder=str(d), bundle_path=d)\n"
        "t2=time.perf_counter()\n"
        "assert not b.import_errors, b.import_errors\n"
        "heavy=[m for m in ('great_expectations','duckdb','pandas') if m in sys.modules]\n"
        "print(round(t2-t1,3), ','.join(heavy))\n"
    )
    env = dict(os.environ, HNPLUS_DATA_DIR=str(missing))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    parse_seconds, heavy = out.stdout.strip().splitlines()[-1].partition(" ")[::2]
    assert not missing.exists(), "parsing the DAGs created the data directory"
    assert "great_expectations" not in heavy and "duckdb" not in heavy, heavy
    assert float(parse_seconds) < 5.0, f"parsing the DAG folder took {parse_seconds}s"
    assert time.perf_counter() - t0 < 60


def test_start_date_allows_backfills_of_every_period(dagbag) -> None:
    """A logical date before start_date gives a 'successful' run without task instances: keep it early."""
    for dag_id in dagbag.dag_ids:
        assert dagbag.get_dag(dag_id).start_date.year <= 2016, dag_id


def test_period_param_rejects_malformed_periods(dagbag) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    param = dagbag.get_dag("hnplus_nightly").params.get_param("period")
    assert param.resolve("2018Q4") == "2018Q4" and param.resolve("") == ""
    for bad in ("2018-12", "2018Q5", "18Q4"):
        try:
            param.resolve(bad)
        except ParamValidationError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


FAILING_DAG = '''
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="hnplus_fails", schedule=None, start_date=pendulum.datetime(2016, 1, 1), catchup=False, tags=["fails"])
def hnplus_fails():
    @task(retries=0)
    def boom():
        raise RuntimeError("a failing task")

    boom()


hnplus_fails()
'''


def test_dags_test_exit_code_reports_a_failed_task(tmp_path: Path) -> None:
    """``make run`` relies on ``dags_test`` exiting non-zero when a task fails (Airflow 3.3.2: exit 1), and on its
    one Airflow process migrating a metadata DB that is not at the installed head first, and only then."""
    from airflow.utils.db import _get_script_object

    from transforms.cli.airflow import MIGRATE_STAMP, airflow_env, dags_test, db_revisions, migration_needed
    from transforms.core.paths import DataPaths

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "hnplus_fails.py").write_text(FAILING_DAG, encoding="utf-8")
    env = airflow_env(DataPaths(tmp_path / "data"), {"AIRFLOW__CORE__DAGS_FOLDER": str(dags)})
    home = Path(env["AIRFLOW_HOME"])
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{home / 'airflow.db'}"
    assert migration_needed(env)  # no DB yet
    assert dags_test("fails", "2026-01-02", env, migrate_first=True) == 1
    assert db_revisions(home / "airflow.db") == {"alembic_version": [_get_script_object().get_current_head()]}
    assert not migration_needed(env)
    stamped = (home / MIGRATE_STAMP).stat().st_mtime_ns
    assert dags_test("fails", "2026-01-03", env, migrate_first=True) == 1
    assert (home / MIGRATE_STAMP).stat().st_mtime_ns == stamped, "a DB at head was migrated again"

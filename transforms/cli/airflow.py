"""Environment for running the project's DAGs on the embedded defaults (SQLite metadata under data/).

No Airflow import here (``transforms`` stays free of Airflow): the CLI starts Airflow in a subprocess, either
Airflow's own command-line tool or the launcher ``tools/airflow/dags_test.py`` (run by file path, never
imported), which runs ``db migrate`` (only when the metadata DB needs it) and ``dags test`` in one Airflow
process. DAGs are chosen by tag, so their ids stay in ``dags/``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from transforms.core.paths import REPO_ROOT, DataPaths

#: Written into AIRFLOW_HOME after a successful ``airflow db migrate``: which Airflow distributions migrated which
#: SQLite file to which alembic revisions. While all three still match, the DB is at the head of the installed
#: Airflow and the ~4 s migrate is skipped; an upgraded Airflow (or provider), another DB file or a DB whose
#: revision moved (deleted, restored from an older backup) no longer matches and is migrated again.
MIGRATE_STAMP = ".hnplus-db-migrated.json"
#: The one-process launcher (imports Airflow, so it is not part of this package).
DAGS_TEST_SCRIPT = REPO_ROOT / "tools" / "airflow" / "dags_test.py"
#: The tag of the nightly DAG (declared in dags/); ``hnplus run`` runs the one DAG that carries it.
NIGHTLY_TAG = "nightly"
LOOPBACK_SITE = REPO_ROOT / "tools" / "airflow" / "loopback"  # sitecustomize: log servers on loopback


def loopback_env() -> dict[str, str]:
    """What keeps every Airflow listener on loopback unless configured (``AIRFLOW__API__HOST``,
    ``HNPLUS_LISTEN_HOST``)."""
    path = os.pathsep.join(p for p in (str(LOOPBACK_SITE), os.environ.get("PYTHONPATH", "")) if p)
    return {"AIRFLOW__API__HOST": os.environ.get("AIRFLOW__API__HOST", "127.0.0.1"), "PYTHONPATH": path}


def airflow_env(paths: DataPaths, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Variables Airflow must see before it is imported (see docs/architecture.md)."""
    home = paths.root / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "GX_ANALYTICS_ENABLED": "False",
        "HNPLUS_DATA_DIR": str(paths.root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    env.update(extra or {})
    return env


def airflow_bin() -> str:
    """The ``airflow`` executable of this venv."""
    cand = Path(sys.executable).parent / "airflow"
    return str(cand) if cand.exists() else (shutil.which("airflow") or "airflow")


# ------------------------------------------------------------------------------------------- migrate when needed


def _sqlite_file(env: dict[str, str]) -> Path | None:
    """The metadata DB file when ``sql_alchemy_conn`` is a SQLite URL, else None (no cheap check: always migrate)."""
    url = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(path).resolve() if path else None


def installed_airflow() -> list[str]:
    """``name==version`` of every installed apache-airflow distribution (core, task SDK, providers), without
    importing Airflow: a provider can bring its own migrations, so any change here means migrate again."""
    from importlib import metadata

    return sorted(
        f"{d.metadata['Name'].lower()}=={d.version}"
        for d in metadata.distributions()
        if (d.metadata["Name"] or "").lower().startswith("apache-airflow")
    )


def db_revisions(db: Path) -> dict[str, list[str]] | None:
    """The alembic revision(s) recorded in a SQLite metadata DB (``alembic_version`` and any provider's
    ``alembic_version_*``), read with sqlite3; None when the file or the table is missing."""
    if not db.is_file():
        return None
    try:
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        tables = [t for (t,) in con.execute(
            "select name from sqlite_master where type = 'table' and name like 'alembic_version%' order by name")]
        revs = {t: sorted(v for (v,) in con.execute(f'select version_num from "{t}"')) for t in tables}
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return revs if revs.get("alembic_version") else None


def _migrate_state(env: dict[str, str]) -> dict | None:
    db = _sqlite_file(env)
    revs = db_revisions(db) if db else None
    if revs is None:
        return None
    return {"airflow": installed_airflow(), "db": str(db), "revisions": revs}


def _stamp_path(env: dict[str, str]) -> Path:
    return Path(env["AIRFLOW_HOME"]) / MIGRATE_STAMP


def migration_needed(env: dict[str, str]) -> bool:
    """False only when the stamp of the last successful migrate matches the installed Airflow, the DB file and
    the DB's current alembic revisions; True otherwise (no stamp, no DB, not SQLite, anything changed)."""
    state = _migrate_state(env)
    if state is None:
        return True
    try:
        stamp = json.loads(_stamp_path(env).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return stamp != state


def record_migration(env: dict[str, str]) -> None:
    """Write the stamp after a successful ``airflow db migrate`` (the DB is now at the installed head)."""
    state = _migrate_state(env)
    stamp = _stamp_path(env)
    if state is None:
        stamp.unlink(missing_ok=True)
        return
    tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, stamp)


def _migrate_subprocess(env: dict[str, str]) -> None:
    subprocess.run([airflow_bin(), "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)


def migrate(env: dict[str, str], force: bool = False,
            run: Callable[[dict[str, str]], None] = _migrate_subprocess) -> bool:
    """Create or upgrade the SQLite metadata DB (``airflow db migrate``, ~4 s) unless the stamp shows it is already
    at the head of the installed Airflow; ``dags test`` needs a migrated DB. Returns whether it migrated.

    ``run`` does the migrate and raises when it fails (no stamp then): by default Airflow's CLI in a subprocess;
    ``tools/airflow/dags_test.py`` passes its in-process one, so both paths share this decision and the stamp."""
    if not force and not migration_needed(env):
        return False
    run(env)
    record_migration(env)
    return True


# --------------------------------------------------------------------------------------------------- dags test


def dags_test(
    dag_tag: str, logical_date: str, env: dict[str, str], conf: dict | None = None, migrate_first: bool = False
) -> int:
    """Run one DAG run of the one DAG tagged ``dag_tag`` for real in this machine's processes (``airflow dags
    test``), in one Airflow process:
    ``tools/airflow/dags_test.py`` first migrates the metadata DB when ``migrate_first`` is set and
    :func:`migration_needed` says so, then runs Airflow's ``dags test`` command in the same interpreter.

    The exit code is the verdict: 1 when the run ends failed (a failed task), 0 on success, including runs whose
    heavy steps were skipped because the inputs were unchanged (tests/dags/test_dag_integrity.py checks the
    failure case). ``conf`` sets DAG params, e.g. ``{"period": "2018Q4", "force": True}``."""
    cmd = [sys.executable, str(DAGS_TEST_SCRIPT), "--tag", dag_tag, logical_date]
    if conf:
        cmd += ["--conf", json.dumps(conf)]
    if migrate_first:
        cmd.append("--migrate")
    return subprocess.run(cmd, env=env).returncode

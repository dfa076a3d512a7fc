"""``hnplus run`` skips ``airflow db migrate`` only while the metadata DB is at the head of the installed Airflow:
the stamp written after a migrate must stop matching when Airflow, the DB file or the DB's revision changes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from transforms.cli import airflow as ae


@pytest.fixture
def env(airflow_db: Path, tmp_path: Path) -> dict[str, str]:
    """A copy of the session's migrated SQLite DB in a throw-away AIRFLOW_HOME (no stamp yet)."""
    home = tmp_path / "airflow"
    home.mkdir()
    shutil.copy(airflow_db, home / "airflow.db")
    return {"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}


def _set_revision(db: Path, revision: str) -> None:
    con = sqlite3.connect(db)
    with con:
        con.execute("update alembic_version set version_num = ?", [revision])
    con.close()


def test_stamp_matches_only_the_db_it_was_written_for(env: dict[str, str]) -> None:
    db = Path(env["AIRFLOW_HOME"]) / "airflow.db"
    assert ae.migration_needed(env), "no stamp: migrate"
    ae.record_migration(env)
    assert not ae.migration_needed(env)
    stamp = json.loads((Path(env["AIRFLOW_HOME"]) / ae.MIGRATE_STAMP).read_text(encoding="utf-8"))
    assert stamp["db"] == str(db.resolve())
    assert any(d.startswith("apache-airflow-core==") for d in stamp["airflow"])

    head = stamp["revisions"]["alembic_version"]
    _set_revision(db, "0123456789ab")  # not at the stamped head (restored backup, another Airflow's DB, ...)
    assert ae.migration_needed(env)
    _set_revision(db, head[0])
    assert not ae.migration_needed(env)

    other = Path(env["AIRFLOW_HOME"]) / "other.db"
    shutil.copy(db, other)
    assert ae.migration_needed(dict(env, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{other}"))
    db.unlink()
    assert ae.migration_needed(env), "DB deleted: migrate"


def test_an_airflow_upgrade_invalidates_the_stamp(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    ae.record_migration(env)
    assert not ae.migration_needed(env)
    installed = ae.installed_airflow()
    upgraded = [d.replace("apache-airflow-core==", "apache-airflow-core==9.") for d in installed]
    monkeypatch.setattr(ae, "installed_airflow", lambda: upgraded)
    assert ae.migration_needed(env)
    monkeypatch.setattr(ae, "installed_airflow", lambda: [*installed, "apache-airflow-providers-fab==9.9.9"])
    assert ae.migration_needed(env), "a provider with its own migrations was added"


def test_no_cheap_check_without_sqlite_or_a_readable_stamp(env: dict[str, str]) -> None:
    ae.record_migration(env)
    assert ae.migration_needed(dict(env, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://a@db/airflow"))
    (Path(env["AIRFLOW_HOME"]) / ae.MIGRATE_STAMP).write_text("{not json", encoding="utf-8")
    assert ae.migration_needed(env)


def test_migrate_skips_a_db_at_head_and_restamps_after_migrating(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(ae.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    assert ae.migrate(env) is True  # no stamp yet
    assert calls and calls[-1][1:] == ["db", "migrate"]
    assert ae.migrate(env) is False and len(calls) == 1
    assert ae.migrate(env, force=True) is True and len(calls) == 2

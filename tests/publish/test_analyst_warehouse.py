"""The analysts' DuckDB: bilingual comments on the marts, and open read-only connections survive a publish."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from transforms.publish.datapackage import TABLES, apply_comments
from transforms.publish.dataset import publish_warehouse


def test_marts_carry_bilingual_comments(warehouse_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copyfile(warehouse_db, db)
    con = duckdb.connect(str(db))
    n = apply_comments(con)
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    tables = dict(con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall())
    assert set(TABLES) <= set(tables)
    assert tables["league_table"].startswith("排名表 / League table: ")
    cols = dict(con.execute("select column_name, comment from duckdb_columns() "
                            "where schema_name = 'marts' and table_name = 'indicator_scores'").fetchall())
    assert cols["source_row"] == "来源行号 / Source row: 数值在报告中的行号。 / Row number of the value in the report."
    present = [t for t in TABLES if t in tables]
    n_cols = con.execute("select count(*) from duckdb_columns() where schema_name = 'marts' "
                         "and list_contains(?, table_name)", [present]).fetchone()[0]
    assert n == n_cols + len(present) and n_cols > 80
    assert con.execute("select count(*) from duckdb_columns() where schema_name = 'marts' "
                       "and table_name = 'league_table' and comment is null").fetchone()[0] == 0
    con.close()


def test_open_reader_survives_publish(warehouse_db: Path, tmp_path: Path) -> None:
    """An analyst keeps a read-only connection open through the nightly swap: old data until reconnecting."""
    old_work, new_work = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    shutil.copyfile(warehouse_db, old_work)
    shutil.copyfile(warehouse_db, new_work)
    w = duckdb.connect(str(new_work))
    w.execute("update marts.league_table set score = score + 1000 where scope = 'overall'")
    w.close()
    warehouse = tmp_path / "warehouse.duckdb"
    publish_warehouse(old_work, warehouse)
    analyst = duckdb.connect(str(warehouse), read_only=True)
    q = "select round(max(score), 4) from marts.league_table where scope = 'overall'"
    before = analyst.execute(q).fetchone()[0]
    assert before <= 100
    publish_warehouse(new_work, warehouse)  # the nightly run, while the analyst is connected
    assert analyst.execute(q).fetchone()[0] == before
    assert analyst.execute("select count(*) from marts.league_table").fetchone()[0] > 4000
    # A new connection from another process sees the new data. (Within one process DuckDB hands out the already
    # open database instance for the same path, so the analyst's own process sees new data after closing it all.)
    code = f"import duckdb; print(duckdb.connect({str(warehouse)!r}, read_only=True).execute({q!r}).fetchone()[0])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert float(out) == round(before + 1000, 4)
    analyst.close()
    again = duckdb.connect(str(warehouse), read_only=True)
    assert again.execute(q).fetchone()[0] == round(before + 1000, 4)
    again.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.duckdb", "old.duckdb", "warehouse.duckdb"]


def test_analysts_copy_holds_only_documented_schemas(warehouse_db: Path, tmp_path: Path) -> None:
    """No candidate schema, a comment on every table and on every mart column (rank_uncertainty and
    score_changes too), numeric weights: what docs/analysts.md promises."""
    work = tmp_path / "work.duckdb"
    shutil.copyfile(warehouse_db, work)
    src = duckdb.connect(str(work), read_only=True)
    assert src.execute("select count(*) from information_schema.tables where table_schema = 'marts_candidate'"
                       ).fetchone()[0]
    src.close()
    publish_warehouse(work, tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
    assert "marts_candidate" not in schemas and {"marts", "seeds", "staging", "intermediate", "raw"} <= schemas
    assert con.execute("select count(*) from duckdb_tables() where comment is null").fetchone()[0] == 0
    # views (intermediate models with ``-- materialized: view``) are documented too; the candidate views are gone
    views = dict(con.execute("select schema_name || '.' || view_name, comment from duckdb_views() where not internal"
                             ).fetchall())
    assert all(views.values()) and not any(v.startswith("marts_candidate.") for v in views), views
    # the effective weights behind score_changes: one row per indicator, which the mart shows in its two scopes
    assert 2 * con.execute("select count(*) from intermediate.int_score_contributions").fetchone()[0] == \
        con.execute("select count(*) from marts.score_changes").fetchone()[0]
    for table in ("rank_uncertainty", "score_changes", "league_table"):
        nulls = con.execute("select count(*) from duckdb_columns() where schema_name = 'marts' and table_name = ? "
                            "and comment is null", [table]).fetchone()[0]
        assert nulls == 0, table
    assert con.execute("select data_type from duckdb_columns() where schema_name = 'seeds' and table_name = 'weights' "
                       "and column_name = 'weight'").fetchone()[0] == "DOUBLE"
    assert con.execute("select sum(weight) from seeds.weights where level = 'action'").fetchone()[0] > 0
    con.close()

"""The three contract tables intake writes (docs/contracts.md), and the one transaction that writes them."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

_S, _I, _D, _T = pa.string(), pa.int64(), pa.float64(), pa.timestamp("us")
FILE_SCHEMA = pa.schema(
    [
        ("file_id", _S),
        ("original_name", _S),
        ("stored_path", _S),
        ("size_bytes", _I),
        ("received_at", _T),
        ("submitter", _S),
        ("city_code", _S),
        ("period", _S),
        ("format", _S),
        ("template_version", _S),
        ("status", _S),
        ("reject_reason_code", _S),
        ("reject_message_zh", _S),
        ("reject_message_en", _S),
        ("supersedes_file_id", _S),
        ("rows_total", _I),
        ("rows_staged", _I),
        ("rows_quarantined", _I),
    ]
)
ROW_SCHEMA = pa.schema(
    [
        ("file_id", _S),
        ("sheet", _S),
        ("row_number", _I),
        ("city_code", _S),
        ("period", _S),
        ("kind", _S),
        ("indicator_code", _S),
        ("value", _D),
        ("value_text", _S),
        ("value_status", _S),
        ("status_step", _S),
        ("city_target_2018", _D),
        ("city_target_2025", _D),
        ("evidence", _S),
        ("note", _S),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        ("file_id", _S),
        ("original_name", _S),
        ("sheet", _S),
        ("row_number", _I),
        ("column_name", _S),
        ("reason_code", _S),
        ("message_zh", _S),
        ("message_en", _S),
        ("raw_record", _S),
    ]
)
_SQL_TYPES = {_S: "VARCHAR", _I: "BIGINT", _D: "DOUBLE", _T: "TIMESTAMP"}
TABLES = {"raw.report_files": FILE_SCHEMA, "raw.report_rows": ROW_SCHEMA, "quarantine.report_rows": QUARANTINE_SCHEMA}

Rows = list[dict[str, Any]]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas and the three contract tables if they are missing."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    _rename_old_row_columns(con)
    for name, schema in TABLES.items():
        cols = ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in schema)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


def _rename_old_row_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A working warehouse from before the renames of format 2 (docs/data_dictionary.md) holds ``item_type``
    (indicator | milestone) and ``milestone_status`` in raw.report_rows: rename them in place to ``kind``
    (quantity | status) and ``status_step``, so old rows keep their content fingerprint and the models one schema."""
    cols = {r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'raw' and table_name = 'report_rows'").fetchall()}
    if "item_type" in cols:
        con.execute("ALTER TABLE raw.report_rows RENAME COLUMN item_type TO kind")
        con.execute("UPDATE raw.report_rows SET kind = CASE kind WHEN 'indicator' THEN 'quantity' "
                    "WHEN 'milestone' THEN 'status' ELSE kind END")
    if "milestone_status" in cols:
        con.execute("ALTER TABLE raw.report_rows RENAME COLUMN milestone_status TO status_step")


def write_intake(
    con: duckdb.DuckDBPyConnection, files: Rows, staged: Rows, quarantined: Rows, superseded_in_db: list[str]
) -> None:
    """One transaction, one Arrow bulk insert per table; files already in the table may become superseded."""
    con.execute("BEGIN TRANSACTION")
    try:
        if superseded_in_db:
            con.execute(
                "UPDATE raw.report_files SET status = 'superseded' WHERE list_contains(?, file_id)", [superseded_in_db]
            )
        for table, rows in (("raw.report_files", files), ("raw.report_rows", staged),
                            ("quarantine.report_rows", quarantined)):
            if rows:
                schema = TABLES[table]
                arrow = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)
                con.register("_hnplus_intake_batch", arrow)
                con.execute(f"INSERT INTO {table} SELECT * FROM _hnplus_intake_batch")
                con.unregister("_hnplus_intake_batch")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise

"""Report rows that fail a critical expectation move to ``quarantine.report_rows`` with a reason in both
languages; the rest of their file stays staged."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from transforms.validate.results import jsonable


def quarantine_rows(con: duckdb.DuckDBPyConnection, df: pd.DataFrame,
                    bad_rows: dict[int, list[tuple[str, str, dict, Any]]]) -> int:
    """Move failing report rows to ``quarantine.report_rows`` and keep the row accounting of their files true."""
    records = []
    for i, fails in sorted(bad_rows.items()):
        etype, column, meta, value = fails[0]
        others = "; ".join(f"{t}({c})" for t, c, _, _ in fails[1:])
        shown = jsonable(value)
        en = f"{meta.get('failure_means', etype)} (column {column}, value {shown!r})"
        reason_zh = meta.get("failure_means_zh") or meta.get("failure_means", etype)
        zh = f"数据校验未通过:{reason_zh}(字段 {column},值 {shown})"
        if others:
            en += f"; also failed: {others}"
            zh += f";另有:{others}"
        records.append({"_rowid": int(df.at[i, "_rowid"]), "column_name": column.split(",")[0],
                        "reason_code": etype, "message_zh": zh, "message_en": en})
    q = pd.DataFrame(records)  # noqa: F841 (read by DuckDB through its replacement scan)
    con.execute("create schema if not exists quarantine")
    con.execute(
        "create table if not exists quarantine.report_rows (file_id varchar, original_name varchar, sheet varchar, "
        "row_number bigint, column_name varchar, reason_code varchar, message_zh varchar, message_en varchar, "
        "raw_record varchar)")
    file_cols = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = 'report_files'"
    ).fetchall()}
    con.execute("begin transaction")
    try:
        con.execute("""
            insert into quarantine.report_rows by name
            select r.file_id, f.original_name, r.sheet, r.row_number, q.column_name, q.reason_code, q.message_zh,
                q.message_en, cast(to_json(r) as varchar) as raw_record
            from raw.report_rows as r
            inner join q on r.rowid = q._rowid
            left join raw.report_files as f on r.file_id = f.file_id""")
        if {"rows_staged", "rows_quarantined"} <= file_cols:
            con.execute("""
                update raw.report_files as f set
                    rows_staged = f.rows_staged - n.moved, rows_quarantined = f.rows_quarantined + n.moved
                from (select r.file_id, count(*) as moved from raw.report_rows as r
                      inner join q on r.rowid = q._rowid group by r.file_id) as n
                where f.file_id = n.file_id""")
        con.execute("delete from raw.report_rows where rowid in (select _rowid from q)")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return len(records)

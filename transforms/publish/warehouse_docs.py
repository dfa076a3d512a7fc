"""The analysts' warehouse holds only documented schemas: every table carries a comment, and no working schema.

Why: analysts browse ``duckdb_tables()`` and ``duckdb_columns()``. The working database also holds the
write-audit-publish candidate (``marts_candidate``), which analysts must not mistake for the published marts; the
seeds are loaded as text for the models, while an analyst expects a weight to be a number. The copy the analysts
open is tidied before it is renamed into place; the pipeline's own database stays as the build needs it.
"""

from __future__ import annotations

import re

import duckdb

from transforms.core.paths import SEEDS_DIR, SQL_DIR
from transforms.publish.datapackage import apply_comments

WORKING_SCHEMAS = ("marts_candidate",)
NUMERIC_SEED_COLUMNS = {"weights": ("weight",), "indicators": ("weight",)}
SCHEMAS = {
    "raw": ("原始数据", "raw: rows as received (accepted report files and rows, feed records)"),
    "quarantine": ("待修改的行", "quarantine: report rows set aside, each with its reason"),
    "meta": ("运行记录", "meta: run facts (feed status, validation results)"),
    "seeds": ("规划目录", "seeds: the plan catalogue, one table per seeds/*.csv"),
    "staging": ("清洗后的输入", "staging: cleaned inputs (one model per source)"),
    "intermediate": ("计分中间步骤", "intermediate: the scoring steps"),
    "marts": ("发布表", "marts: the published tables"),
}
_SEED_ROW = re.compile(r"^\|\s*`([a-z_]+)\.csv`\s*\|[^|]*\|\s*(.+?)\s*\|\s*$")


def _model_doc(schema: str, table: str) -> str | None:
    """The leading comment of a model (``--`` lines of its SQL, or a Python model's docstring), one line."""
    for path in (SQL_DIR / schema / f"{table}.sql", SQL_DIR / schema / f"{table}.py"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".sql":
            lines = [ln[2:].strip() for ln in text.splitlines() if ln.startswith("--")][:4]
        else:
            m = re.search(r'"""(.+?)"""', text, re.S)
            lines = [ln.strip() for ln in (m.group(1).splitlines() if m else [])][:4]
        doc = " ".join(ln for ln in lines if ln)
        return doc or None
    return None


def _seed_docs() -> dict[str, str]:
    readme = SEEDS_DIR / "README.md"
    if not readme.is_file():
        return {}
    return {m.group(1): m.group(2) for m in map(_SEED_ROW.match, readme.read_text(encoding="utf-8").splitlines())
            if m}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def tidy_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Drop working schemas, type numeric seed columns, and comment every table; returns tables per schema."""
    for schema in WORKING_SCHEMAS:
        con.execute(f"drop schema if exists {schema} cascade")
    for table, columns in NUMERIC_SEED_COLUMNS.items():
        for col in columns:
            if con.execute("select count(*) from duckdb_columns() where schema_name = 'seeds' and table_name = ? "
                           "and column_name = ? and data_type = 'VARCHAR'", [table, col]).fetchone()[0]:
                con.execute(f"alter table seeds.{table} alter column {col} set data type double "
                            f"using try_cast({col} as double)")
    apply_comments(con)
    seeds = _seed_docs()
    counts: dict[str, int] = {}
    # tables, and the intermediate models kept as views (``-- materialized: view``)
    for kind, schema, table, comment in con.execute(
            "select 'table', schema_name, table_name, comment from duckdb_tables() "
            "where database_name = current_database() union all "
            "select 'view', schema_name, view_name, comment from duckdb_views() "
            "where database_name = current_database() and not internal order by 1, 2, 3").fetchall():
        counts[schema] = counts.get(schema, 0) + 1
        if comment:
            continue
        zh, en = SCHEMAS.get(schema, (schema, schema))
        doc = seeds.get(table) if schema == "seeds" else _model_doc(schema, table)
        con.execute(f"comment on {kind} {schema}.{table} is {_quote(f'{zh} / {en}' + (f': {doc}' if doc else ''))}")
    return counts

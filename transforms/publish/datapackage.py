"""The data dictionary in one place, and the Frictionless ``datapackage.json`` built from it.

Why one dictionary: the same Chinese/English titles feed the Data Package, the DuckDB ``COMMENT ON`` statements,
the Excel header notes, the web page headers and ``docs/data_dictionary.md``, so they never drift apart.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms.core.files import sha256_file
from transforms.publish.columns import COLUMNS, FORMAT_VERSION, RENAMED, TABLE_COLUMNS, TABLES, Doc

__all__ = ["COLUMNS", "TABLES", "TABLE_COLUMNS", "Doc", "apply_comments", "build_descriptor", "column_doc",
           "render_data_dictionary", "table_schema"]

PROFILE = "tabular-data-package"
LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
           "title": "Creative Commons Attribution 4.0"}


def column_doc(name: str) -> Doc:
    """Documented columns get their text; a column added later still gets a neutral entry (never a crash)."""
    return COLUMNS.get(name) or Doc(name, name, "(尚无说明)", "(not yet documented)")


_TYPES = {
    "VARCHAR": "string", "DOUBLE": "number", "FLOAT": "number", "DECIMAL": "number", "BIGINT": "integer",
    "INTEGER": "integer", "HUGEINT": "integer", "SMALLINT": "integer", "BOOLEAN": "boolean", "DATE": "date",
    "TIMESTAMP": "datetime",
}


def frictionless_type(duckdb_type: str) -> str:
    """Map a DuckDB type name onto a Table Schema field type."""
    base = duckdb_type.upper().split("(")[0]
    return _TYPES.get(base, "string")


def table_schema(con: duckdb.DuckDBPyConnection, table: str, schema: str = "marts") -> list[tuple[str, str]]:
    """(column, duckdb type) in table order."""
    return [(c, t) for c, t in con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()]


_FORMATS = {
    "csv": ("text/csv", "utf-8"),
    "parquet": ("application/vnd.apache.parquet", None),
    "json": ("application/json", "utf-8"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None),
}


def build_descriptor(root: Path, columns: dict[str, list[tuple[str, str]]], dataset_id: str,
                     method_version: str, extra_files: list[str] | None = None) -> dict:
    """A Data Package descriptor for every table file under ``root`` (relative paths, hashes, bilingual schema).

    ``columns`` maps a table name to its (column, duckdb type) list; one resource per (table, format) file found.
    """
    resources = []
    for table, cols in columns.items():
        doc = TABLES.get(table) or Doc(table, table, "", "")
        fields = []
        for name, typ in cols:
            d = column_doc(name)
            fields.append({"name": name, "type": frictionless_type(typ), "title": d.title, "description": d.description,
                           "title_zh": d.title_zh, "title_en": d.title_en})
        for ext, (mediatype, encoding) in _FORMATS.items():
            path = root / f"{table}.{ext}"
            if not path.exists():
                continue
            res = {
                "name": f"{table}-{ext}", "path": path.name, "profile": "tabular-data-resource" if ext == "csv"
                else "data-resource", "format": ext, "mediatype": mediatype, "title": doc.title,
                "description": doc.description, "bytes": path.stat().st_size, "hash": f"sha256:{sha256_file(path)}",
                "schema": {"fields": fields},
            }
            if encoding:
                res["encoding"] = encoding
            if ext == "csv":
                res["dialect"] = {"delimiter": ",", "header": True}
            resources.append(res)
    for rel in extra_files or []:
        path = root / rel
        resources.append({"name": rel.replace("/", "-").replace(".", "-").replace("_", "-").lower(), "path": rel,
                          "profile": "data-resource", "format": path.suffix.lstrip("."),
                          "bytes": path.stat().st_size, "hash": f"sha256:{sha256_file(path)}"})
    return {
        "profile": PROFILE,
        "name": "hnplus-league-table",
        "id": dataset_id,
        "title": "河南省“互联网+”行动计划落实情况排名 / Henan Internet+ action plan: city league table",
        "description": ("河南省 18 个城市落实《“互联网＋”行动计划》(2015)的得分与排名。 / "
                        "Scores and ranks of Henan's 18 cities for implementing the provincial Internet+ action plan "
                        "(2015)."),
        "version": method_version,
        "format_version": FORMAT_VERSION,
        "licenses": [LICENSE],
        "keywords": ["Henan", "河南", "Internet+", "互联网+", "league table", "排名"],
        "resources": resources,
    }


def comment_statements(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[str]:
    """``COMMENT ON`` statements (Chinese + English) for every documented mart table and its columns."""
    out = []
    for table, doc in TABLES.items():
        cols = table_schema(con, table, schema)
        if not cols:
            continue
        out.append(f"comment on table {schema}.{table} is {_quote(doc.title + ': ' + doc.description)}")
        for name, _ in cols:
            d = column_doc(name)
            out.append(f"comment on column {schema}.{table}.{name} is {_quote(d.title + ': ' + d.description)}")
    return out


def apply_comments(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> int:
    """Write the dictionary into the database so analysts see it in ``duckdb_columns()``."""
    stmts = comment_statements(con, schema)
    for s in stmts:
        con.execute(s)
    return len(stmts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_data_dictionary() -> str:
    """Markdown for ``docs/data_dictionary.md`` (regenerate with ``python -m transforms.publish.datapackage``)."""
    lines = [
        "# Data dictionary / 数据字典", "",
        "Generated from `transforms/publish/datapackage.py` "
        "(`python -m transforms.publish.datapackage > docs/data_dictionary.md`). "
        "The same text is in `datapackage.json`, in the DuckDB comments of `data/warehouse.duckdb` and in the Excel "
        "header notes.", "",
    ]
    for table, doc in TABLES.items():
        lines += [f"## `marts.{table}` — {doc.title}", "", doc.desc_zh, "", doc.desc_en, "",
                  "| column | 中文 | English | 说明 | description |", "|---|---|---|---|---|"]
        for name in TABLE_COLUMNS.get(table, ()):
            d = COLUMNS[name]
            lines.append(f"| `{name}` | {d.title_zh} | {d.title_en} | {d.desc_zh} | {d.desc_en} |")
        lines.append("")
    return "\n".join(lines + _renamed_section())


def _renamed_section() -> list[str]:
    """The renames of every format (old -> new), newest first: what a reader of an older dataset maps."""
    lines = ["## Renames between formats / 格式更名", "",
             f"`metadata.json` and `datapackage.json` carry `format_version` ({FORMAT_VERSION} today); a dataset "
             "without it is format 1. A rename changes names and code words only: scores, ranks and every number "
             "stay as they were. `hnplus diff` compares datasets of different formats (it reads the league table and "
             "the score changes, and says when the formats differ).", ""]
    for version in sorted(RENAMED, reverse=True):
        lines += [f"### Renamed in format {version} (from format {version - 1})", "",
                  "| what | old | new |", "|---|---|---|"]
        lines += [f"| {what} | `{old}` | `{new}` |" for what, old, new in RENAMED[version]]
        lines.append("")
    return lines




if __name__ == "__main__":  # pragma: no cover
    print(render_data_dictionary())

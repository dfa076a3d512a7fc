"""SQL is built only with parameters or with identifiers from the catalogue: every f-string/format/% splice into
SQL text in transforms/ must be on this reviewed allowlist. A new splice fails the test until someone reviews it:
use a ``?`` parameter for values, or add it here with the reason it cannot carry outside input."""

from __future__ import annotations

from pathlib import Path

from sql_scan import interpolations

from transforms.core.paths import REPO_ROOT

IDENT = "identifier from the catalogue/code (table, schema, model file name, column list), never outside input"
PATH = "a path under the data directory chosen by the operator (HNPLUS_DATA_DIR), quoted"
SQLFILE = "the text of a reviewed sql/*.sql model from the repository"
CHECK = "expectation SQL assembled from suites defined in code (expectations/), no outside input"
BENCH = "benchmark generator on synthetic data in a temp dir"

REVIEWED: dict[str, str] = {
    "transforms/build/candidate.py:promote_candidate:CANDIDATE_SCHEMA": IDENT,
    "transforms/build/candidate.py:promote_candidate:t": IDENT + " (information_schema of the candidate schema)",
    "transforms/build/models.py:_materialise:model.name": IDENT,
    "transforms/build/reuse.py:kept_periods:table": IDENT + " (the score model's own table name, a literal)",
    "transforms/build/reuse.py:kept_periods:by_basis": "one of two fixed texts; the basis is a $ parameter",
    "transforms/build/models.py:_materialise:result.delete_where": "a fixed predicate of a Python model in the "
                                                                   "repository (values as $ parameters)",
    "transforms/build/candidate.py:promote_candidate:where": "periods and city codes of meta.build_log, quarters "
                                                             "and digits only (increment.sql_list refuses others), "
                                                             "quoted",
    "transforms/build/candidate.py:promote_candidate:increment.sql_list(tuple(scope.periods))": "quarters of "
        "meta.build_log (increment.sql_list refuses others), quoted",
    "transforms/build/candidate.py:promote_candidate:increment.sql_list(tuple(scope.cities))": "city codes of "
        "meta.build_log, digits only (increment.sql_list refuses others), quoted",
    "transforms/build/coherence.py:coherence_audit:ind_rows": SQLFILE + " (IND_ROWS and a fixed filter; the periods "
                                                              "are a $ parameter)",
    "transforms/build/coherence.py:coherence_audit:sc_rows": SQLFILE + " (SC_ROWS and the same fixed filter)",
    "transforms/build/coherence.py:coherence_audit:sp_rows": SQLFILE + " (SP_ROWS and the same fixed filter)",
    "transforms/build/increment.py:_table_fingerprint:table": IDENT + " (an intermediate model's name)",
    "transforms/build/increment.py:_whole_fingerprint:table": IDENT + " (duckdb_tables() of the staging schema, or "
                                                              "an intermediate model's name)",
    "transforms/build/increment.py:period_hashes:table": IDENT + " (an intermediate model's name)",
    "transforms/build/increment.py:period_hashes:where": "periods and city codes of the plan, quarters and digits "
                                                         "only (sql_list refuses others), quoted",
    "transforms/build/increment.py:period_hashes:sql_list(self.plan.cities)": "city codes of the staged report "
                                                                              "rows, digits only, quoted",
    "transforms/build/increment.py:finish:LOG": IDENT + " (module constant)",
    "transforms/build/increment.py:finish:STATE": IDENT + " (module constant)",
    "transforms/build/increment.py:start:STATE": IDENT + " (module constant)",
    "transforms/build/increment.py:mark_promoted:PROMOTED": IDENT + " (module constant)",
    "transforms/build/increment.py:promotion_scope:LOG": IDENT + " (module constant)",
    "transforms/build/increment.py:promotion_scope:PROMOTED": IDENT + " (module constant)",
    "transforms/build/increment.py:scoped_statements:sql_list(self.plan.cities)": "city codes of the staged report "
                                                                                 "rows, digits only (sql_list "
                                                                                 "refuses others), quoted",
    "transforms/build/increment.py:scoped_statements:_view_name(t)": IDENT + " (BY_PERIOD, a module constant)",
    "transforms/build/increment.py:scoped_statements:keep": "periods and city codes through sql_list (quarters and "
                                                            "digits only), quoted",
    "transforms/build/increment.py:scoped_statements:sql": SQLFILE + " (its BY_PERIOD names replaced by views)",
    "transforms/build/increment.py:scoped_statements:t": IDENT + " (BY_PERIOD, a module constant)",
    "transforms/build/increment.py:scoped_statements:table": IDENT + " (the model's own table)",
    "transforms/build/increment.py:scoped_statements:where": "periods and city codes through sql_list, quoted",
    "transforms/build/models.py:_materialise:schema": IDENT,
    "transforms/build/models.py:_materialise:sql": SQLFILE,
    "transforms/build/models.py:_run_all:schema": IDENT,
    "transforms/build/coherence.py:__init__:item": IDENT + " (the item column of the audit's fixed queries)",
    "transforms/build/coherence.py:__init__:rows": SQLFILE + " (IND_ROWS, SP_ROWS or SC_ROWS of coherence.py)",
    "transforms/build/coherence.py:coherence_audit:IND_ROWS": SQLFILE + " (module constant)",
    "transforms/build/coherence.py:coherence_audit:SC_ROWS": SQLFILE + " (module constant)",
    "transforms/build/coherence.py:coherence_audit:SP_ROWS": SQLFILE + " (module constant)",
    "transforms/build/scoreinputs.py:<module>:_SCOPES": SQLFILE + " (module constants composed at import)",
    "transforms/build/scoreinputs.py:<module>:_SCORED": SQLFILE + " (module constants composed at import)",
    "transforms/build/scoreinputs.py:<module>:_SCORED_CELLS": SQLFILE + " (module constants composed at import)",
    "transforms/build/scoreinputs.py:ranked_cities:_SCOPES": SQLFILE + " (the module constant _SCOPES)",
    "transforms/build/scoreinputs.py:_read_variants:only": "empty or a fixed filter; the periods are a $ parameter",
    "transforms/build/montecarlo.py:_build_tree:_SCORED": SQLFILE + " (the module constant _SCORED)",
    "transforms/build/montecarlo.py:_fill_arrays:_SCOPES": SQLFILE + " (the module constant _SCOPES)",
    "transforms/build/montecarlo.py:_read_dimensions:_SCORED": SQLFILE + " (the module constant _SCORED)",
    "transforms/build/montecarlo.py:_read_dimensions:_SCOPES": SQLFILE + " (the module constant _SCOPES)",
    "transforms/build/montecarlo.py:_positions:sql": "_SCORED or a fixed query of int_indicator_score_variants "
                                                     "(values as $ parameters), never input",
    "transforms/build/montecarlo.py:_positions:columns": "fixed column expressions of the callers (one of two "
                                                         "chosen by the basis 'raw'/'size_adjusted'; VARIANTS)",
    "transforms/catalog/__init__.py:load_seeds:path.stem": IDENT + " (seeds/*.csv file names)",
    "transforms/publish/datapackage.py:comment_statements:_quote(d.title + ': ' + d.description)":
        "data dictionary text from the repository, quoted by _quote (doubles single quotes)",
    "transforms/publish/datapackage.py:comment_statements:_quote(doc.title + ': ' + doc.description)":
        "data dictionary text from the repository, quoted by _quote",
    "transforms/publish/datapackage.py:comment_statements:name": IDENT,
    "transforms/publish/datapackage.py:comment_statements:schema": IDENT,
    "transforms/publish/datapackage.py:comment_statements:table": IDENT,
    "transforms/ingest/reports/intake.py:_db_fingerprint:', '.join(_CONTENT_KEYS)":
        IDENT + " (_CONTENT_KEYS in intake.py)",
    "transforms/ingest/reports/tables.py:ensure_tables:cols": IDENT + " (pyarrow schema in tables.py)",
    "transforms/ingest/reports/tables.py:ensure_tables:name": IDENT,
    "transforms/ingest/reports/tables.py:write_intake:table": IDENT + " (TABLES in tables.py)",
    "transforms/pipeline.py:announce_publication:rel": PATH + " -- NOT quote-escaped: use read_parquet(?) "
                                                       "(reported to the lead)",
    "transforms/pipeline.py:announce_publication:table": PATH + " -- NOT quote-escaped (reported)",
    "transforms/publish/dataset.py:_export_tables:ORDER_BY[table]": IDENT,
    "transforms/publish/dataset.py:_export_tables:_sql_path(out / f'{table}.csv')": PATH + " by _sql_path",
    "transforms/publish/dataset.py:_export_tables:_sql_path(out / f'{table}.parquet')": PATH + " by _sql_path",
    "transforms/publish/dataset.py:_export_tables:period": "a period read from marts, checked by core.periods",
    "transforms/publish/dataset.py:_export_tables:query": "composed only of the reviewed parts above",
    "transforms/publish/dataset.py:_export_tables:table": IDENT + " (PUBLISHED_TABLES)",
    "transforms/publish/dataset.py:_export_tables:where": "composed only of the reviewed period above",
    "transforms/publish/dataset.py:_export_tables:_csv_safe(con, query)": "the reviewed query, wrapped by _csv_safe",
    "transforms/publish/dataset.py:_csv_safe:query": "the reviewed _export_tables query",
    "transforms/publish/dataset.py:_csv_safe:', '.join(parts)": IDENT + " (mart columns from DESCRIBE, double-quoted)",
    "transforms/publish/integrity.py:_warehouse_from_parquet:pq.stem": IDENT + " (a published table name, quoted)",
    "transforms/publish/bulletin.py:_frames:cols": IDENT + " (LEAGUE_COLUMNS that the file's DESCRIBE lists)",
    "transforms/publish/warehouse_docs.py:tidy_warehouse:schema": IDENT + " (duckdb_tables() of the analysts' copy, "
                                                                 "WORKING_SCHEMAS)",
    "transforms/publish/warehouse_docs.py:tidy_warehouse:table": IDENT + " (duckdb_tables(), NUMERIC_SEED_COLUMNS)",
    "transforms/publish/warehouse_docs.py:tidy_warehouse:kind": "the literal 'table' or 'view' of the catalogue "
                                                                "query (tables and the models kept as views)",
    "transforms/publish/warehouse_docs.py:tidy_warehouse:col": IDENT + " (NUMERIC_SEED_COLUMNS)",
    "transforms/publish/warehouse_docs.py:tidy_warehouse:_quote(f'{zh} / {en}' + (f': {doc}' if doc else ''))":
        "comment text from the repository (SCHEMAS, sql/ headers, seeds/README.md), quoted by _quote",
    "transforms/validate/run.py:_batch:' '.join(joins)": CHECK,
    "transforms/validate/run.py:_batch:', '.join(parts)": CHECK,
    "transforms/validate/run.py:_batch:chk.name": CHECK,
    "transforms/validate/run.py:_batch:i": CHECK,
    "transforms/validate/run.py:_batch:k": CHECK,
    "transforms/validate/run.py:_batch:keys": CHECK,
    "transforms/validate/run.py:_batch:select": CHECK,
    "transforms/validate/run.py:_run_sql_checks:chk.name": CHECK,
    "transforms/validate/run.py:_run_sql_checks:sql": CHECK,
    "transforms/bench/generate.py:generate:feeds_sql": BENCH,
    "transforms/bench/generate.py:generate:root / 'feeds'": BENCH,
    "transforms/bench/generate.py:generate:root / 'reports'": BENCH,
    "transforms/bench/generate.py:generate:sql": BENCH,
    "transforms/bench/lstages.py:_changed_files:glob": BENCH,
    "transforms/bench/lstages.py:ingest_feeds:feed_glob(root)": BENCH,
    "transforms/bench/lstages.py:ingest_reports:src": BENCH,
    "transforms/bench/lstages.py:publish:out / 'league_table.csv'": BENCH,
    "transforms/bench/lstages.py:publish:out / t": BENCH,
    "transforms/bench/lstages.py:publish:t": BENCH,
    "transforms/cli/airflow.py:db_revisions:t": "a table name read from sqlite_master of Airflow's own metadata DB, "
    "filtered to alembic_version%, double-quoted; read-only connection",
}


def test_every_sql_splice_is_reviewed() -> None:
    found = interpolations(REPO_ROOT / "transforms")
    new = sorted(found - REVIEWED.keys())
    assert new == [], "SQL built from unreviewed expressions (use ? parameters, or review and add to REVIEWED):\n" + \
        "\n".join(new)


def test_the_scanner_finds_a_spliced_value(tmp_path: Path) -> None:
    pkg = tmp_path / "transforms"
    pkg.mkdir()
    (pkg / "bad.py").write_text(
        "def f(con, city):\n"
        "    con.execute(f\"select * from marts.league_table where city_code = '{city}'\")\n"
        "    con.execute(\"delete from raw.report_rows where file_id = '%s'\" % city)\n"
        "    con.execute('select 1 from raw.x where a = ?', [city])\n",
        encoding="utf-8")
    assert interpolations(pkg) == {"transforms/bad.py:f:city", "transforms/bad.py:f:% city"}

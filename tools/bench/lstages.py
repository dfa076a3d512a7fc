"""The L pipeline: every stage pushed into DuckDB, over a bench catalogue, with the project's own SQL models.

Stages (each run in its own process by the runner, so peak RSS is per stage):
ingest_reports (bulk ``read_csv`` over the glob; only new or changed files on a re-run), ingest_feeds (20 M
record-level rows aggregated to city-quarter indicators), validate (the raw_report_rows / raw_feed_records suites'
rules as one SQL pass over the whole table), build (``transforms.build.build_models``: the ``sql/`` models,
with the rank Monte Carlo, the score step, between the intermediate models and the marts) and publish (promote,
export the marts to Parquet, one file per mart and period, and the league table to CSV: ``lpublish``).
``floor`` is DuckDB scanning and aggregating the same raw files in one query.
"""

from __future__ import annotations

import glob
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from tools.bench.generate import FEED_KINDS, feed_glob, report_glob
from transforms.build import build_models
from transforms.build.reuse import score_periods
from transforms.catalog import STATUS_STEPS, load_seeds
from transforms.core.paths import SQL_DIR
from transforms.ingest.reports.tables import ensure_tables
from transforms.pipeline.gate import hash_code_files

MEMORY_LIMIT = "3GB"
THREADS = 2
FEED_ID = "bench_registrations"


# the score step of the build: the numpy uncertainty and sensitivity analysis over the method choices (thousands of
# re-aggregations of every city), reported apart from the relational transform (the SQL models and the audit)
SCORE_MODELS = ("intermediate.int_rank_uncertainty", "intermediate.int_rank_sensitivity")
# models whose work the pandas baseline (baseline.py) does not port: the like-for-like ratio leaves their time out
NOT_IN_BASELINE = ("intermediate.int_rank_sensitivity", "intermediate.int_coherence_audit",
                   "intermediate.int_score_contributions", "intermediate.int_feed_report_reconciliation",
                   "intermediate.int_indicator_score_variants", "marts.score_changes", "marts.evidence_pairs",
                   "marts.coherence_audit", "marts.rank_sensitivity")


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    """The bench warehouse with a memory cap, so the 4 GiB RSS target is a setting, not luck."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db))
    con.execute(f"set threads = {THREADS}; set memory_limit = '{MEMORY_LIMIT}'; set preserve_insertion_order = true")
    con.execute("create schema if not exists meta")
    con.execute("create table if not exists meta.bench_files (kind varchar, filename varchar, size bigint, "
                "last_modified timestamptz, file_id varchar)")
    con.execute("create table if not exists meta.bench_state (key varchar primary key, value varchar)")
    return con


def _state(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("select value from meta.bench_state where key = ?", [key]).fetchone()
    return row[0] if row else None


def _set_state(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("insert or replace into meta.bench_state values (?, ?)", [key, value])


def code_fingerprint(seeds_dir: Path, sql_dir: Path = SQL_DIR) -> str:
    """Seeds and SQL decide the outputs as much as the inputs do: a change there forces a rebuild."""
    h = hashlib.sha256()
    hash_code_files(h, (seeds_dir, sql_dir))
    return h.hexdigest()


def _listing(glob_pattern: str) -> pa.Table:
    """Name, size and mtime of every file under ``glob_pattern``: a stat per file, no reads (faster than
    ``read_blob``, which opens each file)."""
    names = sorted(glob.glob(glob_pattern))
    stats = [os.stat(n) for n in names]
    return pa.table({"filename": pa.array(names, pa.string()),
                     "size": pa.array([st.st_size for st in stats], pa.int64()),
                     "last_modified": pa.array([st.st_mtime_ns // 1000 for st in stats], pa.timestamp("us", "UTC"))})


def _sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _changed_files(con: duckdb.DuckDBPyConnection, kind: str, glob_pattern: str) -> tuple[list[str], int]:
    """Files under ``glob_pattern`` that are new or differ (size, mtime) from what was loaded; listing only."""
    con.register("listing_files", _listing(glob_pattern))
    con.execute("create or replace temp table listing as select * from listing_files")
    changed = [r[0] for r in con.execute(
        "select l.filename from listing as l left join meta.bench_files as b on b.kind = ? and b.filename = "
        "l.filename and b.size = l.size and b.last_modified = l.last_modified where b.filename is null "
        "order by l.filename", [kind]).fetchall()]
    total = con.execute("select count(*) from listing").fetchall()[0][0]
    return changed, total


PARSE_SQL = """
create or replace temp table parsed as
with landed as (
    select
        filename, rowid as rid, 模板版本 as template_version, 城市代码 as city_code, 报告期 as period, 类型 as kind_zh,
        代码 as code, 单位 as unit, coalesce(本期数值, '') as value_text, 本市目标2018 as t2018,
        本市目标2025 as t2025, coalesce(推进状态, '') as status_text, 佐证材料 as evidence, 备注 as note
    from landed_raw
)
select
    files.file_id,
    landed.*,
    cast(rid - min(rid) over (partition by landed.filename) + 2 as integer) as row_number,
    case kind_zh when '专项' then 'status' when '指标' then 'quantity' end as kind,
    case when kind_zh = '专项' then 'ms_' || code else code end as indicator_code,
    try_cast(value_text as double) as value,
    case
        when kind_zh = '专项' and status_text = '不适用' then 'not_applicable'
        when kind_zh = '专项' and status_text = '' then 'not_reported'
        when kind_zh = '专项' then 'reported'
        when value_text = '不适用' then 'not_applicable'
        when value_text = '' then 'not_reported'
        else 'reported'
    end as value_status,
    case
        when kind_zh not in ('专项', '指标') or kind_zh is null then 'unknown_kind'
        when template_version is distinct from 'HNPLUS-R1' then 'template_version'
        when ind.indicator_code is null then 'unknown_indicator'
        when kind_zh = '专项' and status_text not in ('', '不适用', $statuses) then 'unknown_status_step'
        when kind_zh = '指标' and value_text not in ('', '不适用') and try_cast(value_text as double) is null
            then 'not_a_number'
        when kind_zh = '指标' and coalesce(landed.unit, '') <> ind.unit then 'unit_not_canonical'
    end as reason_code
from landed
inner join files_new as files on landed.filename = files.filename
left join seeds.indicators as ind
    on ind.indicator_code = case when kind_zh = '专项' then 'ms_' || code else code end
"""


def ingest_reports(db: Path, root: Path, incremental: bool = True, received_at: str = "2026-01-01") -> dict:
    """Bulk-load the CSV reports into the contract tables; only new/changed files when ``incremental``."""
    con = connect(db)
    try:
        ensure_tables(con)
        load_seeds(con, root / "seeds")
        t0 = time.perf_counter()
        changed, total = _changed_files(con, "report", report_glob(root))
        listing_s = time.perf_counter() - t0
        if not incremental:
            changed = [r[0] for r in con.execute("select filename from listing order by filename").fetchall()]
        if not changed:
            return {"files_seen": total, "files_loaded": 0, "rows": 0, "listing_s": round(listing_s, 3)}
        full = len(changed) == total
        src = f"'{report_glob(root)}'" if full else "$files"
        params: dict = {} if full else {"files": changed}
        steps: dict[str, float] = {"listing": round(listing_s, 3)}
        t = time.perf_counter()
        # the content hash (file_id) in Python threads: hashlib releases the GIL, read_blob + sha256() in DuckDB
        # took 4 s for 13,653 files
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            hashes = pa.table({"filename": pa.array(changed, pa.string()),
                               "file_id": pa.array(list(pool.map(_sha256, changed)), pa.string())})
        con.register("hashes", hashes)
        con.execute("create or replace temp table files_new as select l.filename, l.size, l.last_modified, "
                    "h.file_id from listing as l inner join hashes as h on l.filename = h.filename")
        steps["hash"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        con.execute(f"create or replace temp table landed_raw as select * from read_csv({src}, header = true, "
                    "all_varchar = true, filename = true, files_to_sniff = 1)", params)
        steps["read_csv"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        con.execute(PARSE_SQL.replace("$statuses", ", ".join(f"'{s}'" for s in STATUS_STEPS)))
        steps["parse"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        con.execute("begin transaction")
        # a changed file replaces its previous version (superseded), its rows go
        con.execute("update raw.report_files set status = 'superseded' where stored_path in "
                    "(select filename from files_new) and status = 'accepted'")
        con.execute("delete from raw.report_rows where file_id in (select file_id from raw.report_files "
                    "where status = 'superseded')")
        con.execute("""
            insert into raw.report_rows (file_id, sheet, row_number, city_code, period, kind, indicator_code,
                value, value_text, value_status, status_step, city_target_2018, city_target_2025, evidence, note)
            select file_id, 'csv', row_number, city_code, period, kind, indicator_code,
                case when value_status = 'reported' and kind = 'quantity' then value end, value_text,
                value_status, case when status_text in ('未启动', '推进中', '基本完成', '已完成') then status_text end,
                try_cast(t2018 as double), try_cast(t2025 as double), evidence, note
            from parsed where reason_code is null""")
        con.execute("""
            insert into quarantine.report_rows (file_id, original_name, sheet, row_number, column_name, reason_code,
                message_zh, message_en, raw_record)
            select file_id, filename, 'csv', row_number, '本期数值', reason_code, '数据行未通过读取检查',
                'row failed the read checks', to_json(parsed)::varchar
            from parsed where reason_code is not null""")
        con.execute("""
            insert into raw.report_files (file_id, original_name, stored_path, size_bytes, received_at, city_code,
                period, format, template_version, status, rows_total, rows_staged, rows_quarantined)
            select f.file_id, parse_filename(f.filename), f.filename, f.size, cast(? as timestamp),
                any_value(p.city_code), any_value(p.period), 'csv', any_value(p.template_version), 'accepted',
                count(p.filename), count(p.filename) filter (where p.reason_code is null),
                count(p.filename) filter (where p.reason_code is not null)
            from files_new as f left join parsed as p on f.filename = p.filename
            group by f.file_id, f.filename, f.size""", [received_at])
        con.execute("delete from meta.bench_files where kind = 'report' and filename in (select filename "
                    "from files_new)")
        con.execute("insert into meta.bench_files select 'report', filename, size, last_modified, file_id "
                    "from files_new")
        _set_state(con, "inputs_dirty", "true")
        con.execute("commit")
        steps["write"] = round(time.perf_counter() - t, 3)
        rows, staged, quarantined = con.execute(
            "select sum(rows_total), sum(rows_staged), sum(rows_quarantined) from raw.report_files "
            "where status = 'accepted' and stored_path in (select filename from files_new)").fetchone()
        return {"files_seen": total, "files_loaded": len(changed), "rows": int(rows), "rows_staged": int(staged),
                "rows_quarantined": int(quarantined), "listing_s": round(listing_s, 3), "steps_s": steps}
    finally:
        con.close()


FEEDS_SQL = """
create or replace table raw.feed_records as
with agg as (
    select
        city_code,
        cast(year(reg_date) as varchar) || 'Q' || cast(quarter(reg_date) as varchar) as period,
        kind as indicator_code,
        count(*) as n
    from read_parquet('{glob}')
    group by all
),
cum as (
    select *, sum(n) over (partition by city_code, indicator_code order by period) as value from agg
)
select
    '{feed_id}' as feed_id, '{snapshot}' as snapshot_id,
    cast(row_number() over (order by city_code, period, indicator_code) as integer) as record_number,
    city_code, period, indicator_code, cast(value as double) as value, 'reported' as value_status,
    cast(null as varchar) as source_record, now() as fetched_at
from cum
"""


def ingest_feeds(db: Path, root: Path, incremental: bool = True) -> dict:
    """Aggregate the record-level feed partitions to cumulative city-quarter counts (``raw.feed_records``)."""
    con = connect(db)
    try:
        changed, total = _changed_files(con, "feed", feed_glob(root))
        if incremental and not changed:
            return {"files_seen": total, "files_loaded": 0, "records_in": 0}
        snapshot = hashlib.sha256("|".join(sorted(changed)).encode()).hexdigest()[:16]
        con.execute("create schema if not exists raw")
        con.execute(FEEDS_SQL.format(glob=feed_glob(root), feed_id=FEED_ID, snapshot=snapshot))
        records_in = con.execute(f"select count(*) from read_parquet('{feed_glob(root)}')").fetchone()[0]
        con.execute("delete from meta.bench_files where kind = 'feed'")
        con.execute("insert into meta.bench_files select 'feed', filename, size, last_modified, null from listing")
        _set_state(con, "inputs_dirty", "true")
        out = con.execute("select count(*) from raw.feed_records").fetchone()[0]
        return {"files_seen": total, "files_loaded": len(changed), "records_in": int(records_in),
                "feed_records": int(out), "kinds": len(FEED_KINDS)}
    finally:
        con.close()


VALIDATE_SQL = """
with files as (select file_id from raw.report_files where status = 'accepted'),
t as (select * from raw.report_rows where file_id in (select file_id from files)),
ind as (select * from seeds.indicators),
cit as (select city_code from seeds.cities),
per_period as (select period, count(distinct city_code) as n from t group by period),
dup as (select count(*) - count(distinct (city_code, period, indicator_code)) as n from t),
x as (
    select
        t.* exclude (kind), t.kind as report_kind, ind.kind, ind.unit,
        ind.indicator_code is not null as known_indicator,
        t.city_code in (select city_code from cit) as known_city
    from t left join ind on t.indicator_code = ind.indicator_code
)
select
    count(*) as rows,
    count(*) filter (where city_code is null) as city_code_not_null,
    count(*) filter (where city_code is not null and not known_city) as city_code_in_catalogue,
    count(*) filter (where not regexp_full_match(coalesce(period, ''), '20(1[5-9]|2[0-5])Q[1-4]')
        or period < '2015Q4') as period_in_range,
    count(*) filter (where not known_indicator) as indicator_in_catalogue,
    count(*) filter (where value_status not in ('reported', 'not_applicable', 'not_reported')) as value_status_in_set,
    count(*) filter (where status_step is not null and status_step not in ($statuses))
        as status_step_in_set,
    count(*) filter (where known_indicator and (
        (kind = 'status') is distinct from (report_kind = 'status')
        or (report_kind = 'status' and value_status = 'reported' and status_step is null)
        or (report_kind <> 'status' and (value_status = 'reported') <> (value is not null))
    )) as status_matches_value,
    count(*) filter (where kind = 'share' and (value < 0 or value > 100)) as share_between_0_100,
    count(*) filter (where kind in ('count', 'amount') and value < 0) as quantity_not_negative,
    count(*) filter (where kind = 'count' and value is not null and value <> round(value)) as count_is_whole,
    count(*) filter (where case kind when 'share' then unit <> '%'
        when 'count' then unit not in ('个', '家', '人', '类') when 'status' then unit <> 'status'
        when 'amount' then unit in ('%', 'status') end) as unit_matches_kind,
    (select n from dup) as city_period_indicator_unique,
    (select count(*) from per_period where n <> (select count(*) from cit)) as periods_missing_cities
from x
"""

FEED_VALIDATE_SQL = """
select
    count(*) as feed_rows,
    count(*) filter (where city_code not in (select city_code from seeds.cities)) as feed_city_in_catalogue,
    count(*) filter (where indicator_code not in (select indicator_code from seeds.indicators
        where source in ('feed', 'both'))) as feed_indicator_in_catalogue,
    count(*) filter (where value < 0 or value <> round(value)) as feed_count_whole_not_negative,
    count(*) - count(distinct (feed_id, snapshot_id, city_code, period, indicator_code)) as feed_unique
from raw.feed_records
"""

WARNINGS = {"periods_missing_cities"}


def validate(db: Path, root: Path, force: bool = False) -> dict:
    """The input suites' rules as SQL over the whole tables: one scan, no pandas round trip."""
    con = connect(db)
    try:
        if not force and _state(con, "inputs_dirty") == "false":
            return {"skipped": "inputs unchanged"}
        load_seeds(con, root / "seeds")
        out: dict = {}
        for sql in (VALIDATE_SQL.replace("$statuses", ", ".join(f"'{s}'" for s in STATUS_STEPS)),
                    FEED_VALIDATE_SQL):
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            out.update(dict(zip(names, cur.fetchone(), strict=True)))
        types = dict(con.execute("select column_name, data_type from information_schema.columns where "
                                 "table_schema = 'raw' and table_name = 'report_rows'").fetchall())
        out["types_ok"] = types.get("value") == "DOUBLE" and types.get("city_code") == "VARCHAR"
        info = {"rows", "feed_rows", "types_ok", *WARNINGS}
        failed = sorted(k for k, v in out.items() if k not in info and v)
        out["critical_failures"] = failed if out["types_ok"] else [*failed, "types_ok"]
        out["rules"] = len(out) - 4
        return out
    finally:
        con.close()


def build(db: Path, root: Path, force: bool = False) -> dict:
    """The project's SQL models on the bench catalogue; skipped when no input, seed or SQL changed."""
    con = connect(db)
    try:
        fp = code_fingerprint(root / "seeds")
        if not force and _state(con, "inputs_dirty") == "false" and _state(con, "built_code") == fp:
            return {"skipped": "inputs, seeds and SQL unchanged"}
        # the product's build: seeds, staging + intermediate models, the rank Monte Carlo (1,000 draws), marts
        stats: dict = {}
        timings = build_models(con, SQL_DIR, root / "seeds", stats=stats)
        _set_state(con, "built_code", fp)
        n = con.execute("select count(*) from intermediate.int_indicator_values").fetchone()[0]
        draws = con.execute("select max(draws) from intermediate.int_rank_uncertainty").fetchone()[0]
        evals = con.execute("select max(evaluations) from intermediate.int_rank_sensitivity").fetchone()[0]
        score = {k: timings[k] for k in SCORE_MODELS if k in timings}
        transform = {k: v for k, v in timings.items() if k not in score}
        slowest = sorted(transform.items(), key=lambda kv: -kv[1])[:5]
        return {"models": len(timings), "facts": int(n), "transform_models_s": round(sum(transform.values()), 3),
                "score_s": round(sum(score.values()), 3), "score_models_s": score,
                "monte_carlo_s": timings.get("intermediate.int_rank_uncertainty"),
                "monte_carlo_draws": int(draws or 0), "sensitivity_evaluations": int(evals or 0),
                "not_in_baseline_s": round(sum(timings.get(k, 0) for k in NOT_IN_BASELINE), 3),
                "slowest": dict(slowest), "model_s": timings,
                # periods the score models computed / had (the rest reused: same inputs as the previous build)
                "score_periods": score_periods(stats), "sql": stats.get("sql")}
    finally:
        con.close()


FLOOR_SQL = """
select count(*), sum(n) from (
    select 城市代码, 报告期, 代码, count(*) as n, sum(try_cast(本期数值 as double)) as s
    from read_csv('{reports}', header = true, all_varchar = true, files_to_sniff = 1)
    group by all
    union all
    select city_code, cast(year(reg_date) as varchar) || 'Q' || cast(quarter(reg_date) as varchar), kind,
        count(*), null
    from read_parquet('{feeds}')
    group by all
)
"""


def floor(root: Path) -> dict:
    """DuckDB's own time to scan and aggregate the same raw files in one query (in memory, no tables)."""
    con = duckdb.connect()
    con.execute(f"set threads = {THREADS}; set memory_limit = '{MEMORY_LIMIT}'")
    try:
        groups, rows = con.execute(FLOOR_SQL.format(reports=report_glob(root), feeds=feed_glob(root))).fetchone()
        return {"groups": int(groups), "rows_scanned": int(rows)}
    finally:
        con.close()

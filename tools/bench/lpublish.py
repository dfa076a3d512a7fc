"""The L pipeline's publish stage: promote the candidate marts, export them for readers as Parquet (one file per mart
and period) and the league table as CSV.

A night with a few late reports changes a few periods: promotion rewrites only those (and in the city-level marts
only the changed cities' rows), and the export rewrites only the files of the periods whose rows changed (of the
marts promoted whole, every period is compared). Each
exported period's content is fingerprinted (``EXPORTED``); a period whose rows are the same as when its file was
written keeps its file. One Parquet file per mart, written whole every night, was 4.2 s at L; one per period costs
more on a full night (about 5.7 s) and a fraction of it on a night with one report (docs/scaling.md).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from tools.bench.lstages import _set_state, _state, connect
from transforms.build import increment, promote_candidate
from transforms.build.candidate import mart_sql

# (mart, period, fingerprint) of every period file written: what the next export compares with
EXPORTED = "meta.bench_exported"


def published_glob(root: Path, table: str) -> str:
    """The files of a published mart, for ``read_parquet(..., hive_partitioning = true)``: one directory per mart,
    one Parquet file per period (``period=2020Q4/data_0.parquet``)."""
    return f"{root / 'published' / table}/*/*.parquet"


def _swap(new: Path, final: Path) -> None:
    """Put directory ``new`` where ``final`` is (the old one removed): a reader of one period's file sees the old
    file or the new one."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _export(con: duckdb.DuckDBPyConnection, out: Path, table: str, periods: list[str] | None) -> None:
    """Write mart ``table`` as Parquet partitioned by period: every period (``periods`` None), or only ``periods``,
    each period's directory swapped in whole."""
    tmp = out / f".{table}.new"
    shutil.rmtree(tmp, ignore_errors=True)
    source = f"marts.{table}"
    if periods is not None:  # quarters only (increment.sql_list refuses others)
        source = f"(select * from marts.{table} where period in ({increment.sql_list(tuple(periods))}))"
    # DuckDB buffers up to this many rows per open partition before writing them (default 524,288): at county scale
    # 41 such buffers of a 58-column mart crowd its memory limit. 32,768: indicator_scores at C 32.2 -> 17.0 s (one
    # file: 13.2 s), at L 2.95 -> 2.53 s, the files as large as before
    con.execute("set partitioned_write_flush_threshold = 32768")
    con.execute(f"copy {source} to '{tmp}' (format parquet, compression zstd, partition_by (period))")
    if periods is None:
        _swap(tmp, out / table)
        return
    for part in sorted(tmp.iterdir()):
        _swap(part, out / table / part.name)
    shutil.rmtree(tmp, ignore_errors=True)


def _contents(con: duckdb.DuckDBPyConnection, table: str, periods: list[str] | None) -> dict[str, str]:
    """period -> row count and an order-free hash of the mart's rows of that period (``periods``, or all)."""
    where = "" if periods is None else f" where period in ({increment.sql_list(tuple(periods))})"
    return {p: f"{n}:{h}" for p, n, h in con.execute(
        f"select period, count(*), sum(hash(t))::varchar from marts.{table} as t{where} group by period").fetchall()}


def _exported(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(f"select period, fingerprint from {EXPORTED} where mart = ?", [table]).fetchall())


def _record(con: duckdb.DuckDBPyConnection, table: str, contents: dict[str, str], every: bool) -> None:
    """Save the fingerprints of the periods just written (``every``: the mart was written whole)."""
    if every:
        con.execute(f"delete from {EXPORTED} where mart = ?", [table])
    else:
        con.execute(f"delete from {EXPORTED} where mart = ? and period in (select unnest(?))", [table, list(contents)])
    rows = pa.table({"mart": [table] * len(contents), "period": list(contents),  # noqa: F841 (read by DuckDB)
                     "fingerprint": list(contents.values())})
    con.execute(f"insert into {EXPORTED} select mart, period, fingerprint from rows")


def _export_mart(con: duckdb.DuckDBPyConnection, out: Path, table: str, periods: list[str] | None,
                 whole: bool) -> int | str:
    """Export ``table``: whole (``whole``), else the files of the periods whose rows changed since their file was
    written, among ``periods`` (None: every period). Returns how many periods were written ("all": the whole)."""
    if whole:
        _export(con, out, table, None)
        _record(con, table, _contents(con, table, None), every=True)
        return "all"
    now, before = _contents(con, table, periods), _exported(con, table)
    changed = [p for p in (periods if periods is not None else sorted(set(now) | set(before)))
               if now.get(p) != before.get(p)]
    for p in changed:
        if p not in now:  # no rows left in the period: no file
            shutil.rmtree(out / table / f"period={p}", ignore_errors=True)
    if any(p in now for p in changed):
        _export(con, out, table, [p for p in changed if p in now])
    _record(con, table, {p: now.get(p, "") for p in changed}, every=False)
    return len(changed)


def publish(db: Path, root: Path, force: bool = False) -> dict:
    """Promote the candidate marts (after an incremental build only the periods it changed, and in the city-level
    marts only the changed cities' rows) and export them (``_export_mart``), and the league table as CSV."""
    con = connect(db)
    try:
        if not force and _state(con, "inputs_dirty") == "false":
            return {"skipped": "nothing new to publish"}
        t0 = time.perf_counter()
        out = root / "published"
        out.mkdir(parents=True, exist_ok=True)
        # an export stopped half-way (after its promotion) leaves this mark: the next one writes every period
        unfinished = (out / ".exporting").exists()
        scope = increment.promotion_scope(con)  # read before promotion marks the newest build promoted
        con.execute(f"create table if not exists {EXPORTED} (mart varchar, period varchar, fingerprint varchar)")
        (out / ".exporting").touch()
        tables = promote_candidate(con)
        promote_s = time.perf_counter() - t0
        rows, written = {}, {}
        for t in tables:
            (out / f"{t}.parquet").unlink(missing_ok=True)  # the layout before one file per period
            # after a full build, or a first or unfinished export, every file is written; after an incremental
            # build an incremental mart's changed periods are compared, and every period of the other marts
            whole = unfinished or scope.periods is None or not (out / t).is_dir()
            incremental = increment.is_incremental(mart_sql(t))
            written[t] = _export_mart(con, out, t, scope.periods if incremental else None, whole)
            rows[t] = con.execute(f"select count(*) from marts.{t}").fetchone()[0]
        if written.get("league_table") != 0:  # written whole, or some of its periods
            con.execute(f"copy marts.league_table to '{out / 'league_table.csv'}' (header true)")
        (out / ".exporting").unlink()
        _set_state(con, "inputs_dirty", "false")
        return {"tables": rows, "periods_written": written,
                "bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
                "promote_s": round(promote_s, 3), "export_s": round(time.perf_counter() - t0 - promote_s, 3)}
    finally:
        con.close()

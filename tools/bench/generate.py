"""Deterministic bench data, generated with DuckDB SQL (fast): a catalogue of N cities, one HNPLUS-R1 long CSV
per city and quarter, and record-level feed rows (enterprise registrations) as Parquet partitions.

The first 18 bench cities are the real Henan cities, so a subset of the L reports can also go through the
project's per-file intake (which only accepts the 18); the rest get synthetic codes ``99xxxx``.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from transforms.catalog import TEMPLATE_VERSION, read_seed
from transforms.core.paths import SEEDS_DIR

SEED = 2015
FIRST_PERIOD = "2015Q4"
CSV_HEADER = ["模板版本", "城市代码", "报告期", "类型", "代码", "名称", "单位", "本期数值",
              "本市目标2018", "本市目标2025", "推进状态", "佐证材料", "备注"]
# feed record kinds -> the catalogue's feed indicators (cumulative counts per city and quarter), every one backed by
# an evidence list (seeds/evidence_lists.csv); maker_spaces_registered is the scored independent indicator of 2.0.0
FEED_KINDS = ("xborder_pilot_zone", "national_maker_spaces", "scenic_5a_areas", "broadband_china_city",
              "telecom_universal_service_pilot", "maker_spaces_registered")


@dataclass(frozen=True)
class Scale:
    """How big a bench run is."""

    name: str
    cities: int
    quarters: int
    feed_rows: int


SCALES = {
    "XXS": Scale("XXS", 20, 3, 20_000),  # the tests' scale
    "XS": Scale("XS", 24, 9, 200_000),
    "M": Scale("M", 100, 41, 2_000_000),
    "L": Scale("L", 333, 41, 20_000_000),
    # issue 20's county scale: ~2,850 units (counties) x 41 quarters x the full catalogue, 100 M feed rows
    "C": Scale("C", 2_850, 41, 100_000_000),
}


def bench_periods(quarters: int) -> list[str]:
    """``quarters`` consecutive quarters from the 2015Q4 baseline (41 reach 2025Q4)."""
    out, y, q = [], 2015, 4
    for _ in range(quarters):
        out.append(f"{y}Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def _without_scoring_variants(path: Path) -> None:
    """The bench scores both sides with mc_variant_share = 0: the pandas port does not implement the scoring
    variants of int_indicator_score_variants, so neither side draws them (like for like; docs/scaling.md)."""
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(("mc_variant_share,0," + line.split(",", 2)[2]) if line.startswith("mc_variant_share,")
                            else line for line in text), encoding="utf-8")


def write_bench_seeds(out: Path, n_cities: int) -> Path:
    """Copy ``seeds/`` and replace the city list and population keys with ``n_cities`` cities (real 18 first)."""
    out.mkdir(parents=True, exist_ok=True)
    for p in SEEDS_DIR.glob("*.csv"):
        shutil.copyfile(p, out / p.name)
    _without_scoring_variants(out / "scoring_parameters.csv")
    real = read_seed("cities.csv")
    keys = {r["city_code"]: r for r in read_seed("apportionment_keys.csv")}
    rows = []
    for i in range(n_cities):
        if i < len(real):
            r = dict(real[i])
            pop = float(keys[r["city_code"]]["value"])
        else:
            code = f"99{i:04d}"
            r = {"city_code": code, "name_zh": f"合成市{i:03d}", "name_short": f"合成{i:03d}",
                 "name_pinyin": f"Synth{i}", "name_en": f"Synthetic {i}", "city_kind": "prefecture",
                 "aliases": code, "source": "bench synthetic"}
            pop = 1_000_000 + (i * 7919 % 9_000_000)
        r["_pop"] = pop
        rows.append(r)
    total = sum(r["_pop"] for r in rows)
    city_cols = list(real[0].keys())
    with open(out / "cities.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, city_cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    key_cols = list(next(iter(keys.values())).keys())
    with open(out / "apportionment_keys.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, key_cols)
        w.writeheader()
        for r in rows:
            w.writerow({"city_code": r["city_code"], "name_zh": r["name_zh"], "key": "population",
                        "value": str(int(r["_pop"])), "unit": "人", "year": "2020",
                        "share": f"{r['_pop'] / total:.6f}", "method": "bench", "note": "bench", "source": "bench"})
    return out


def _setup(con: duckdb.DuckDBPyConnection, seeds_dir: Path, periods: list[str]) -> None:
    con.execute("create or replace temp table b_cities as select city_code, row_number() over (order by city_code) "
                "as ci from read_csv(?, all_varchar = true)", [str(seeds_dir / "cities.csv")])
    con.execute("create or replace temp table b_periods as select unnest(?::varchar[]) as period, "
                "generate_subscripts(?::varchar[], 1) - 1 as t_q", [periods, periods])
    con.execute("create or replace temp table b_ind as select * from read_csv(?, all_varchar = true) "
                "where source in ('report', 'both')", [str(seeds_dir / "indicators.csv")])
    con.execute("create or replace temp table b_specials as select special_code, name_zh from read_csv(?, "
                "all_varchar = true)", [str(seeds_dir / "plan_specials.csv")])


ROWS_SQL = """
select
    c.city_code, p.period, p.t_q, i.indicator_code, i.kind, i.unit, i.name_zh, i.special_code, i.applies_to,
    (hash(c.city_code || i.indicator_code || $seed) % 1000) / 1000.0 as u1,
    (hash(i.indicator_code || c.city_code || $seed) % 1000) / 1000.0 as u2,
    (hash(c.city_code || p.period || i.indicator_code || $seed) % 1000) as u3
from (select * from b_cities where ci > $ci_from and ci <= $ci_to) as c cross join b_periods as p cross join b_ind as i
"""

CSV_SQL = """
with r as ({rows}),
v as (
    select *, t_q / 4.0 as t,
        applies_to = 'all' or list_contains(string_split(applies_to, '|'), city_code) as i_applies
    from r
),
valued as (
    select *,
        case
            when kind = 'share' then round(least(100, 5 + 50 * u1 + t * (1 + 4 * u2)), 1)
            when kind = 'count' then floor((1 + 40 * u1) * (1 + t * u2))
            else round((1 + 200 * u1) * (1 + t * u2 * 0.5), 2)
        end as num,
        ['未启动', '推进中', '基本完成', '已完成'][least(3, cast(floor(t * (0.15 + 0.5 * u1)) as integer)) + 1]
            as ms_status
    from v
)
select
    '{template}' as 模板版本,
    city_code as 城市代码,
    period as 报告期,
    case when kind = 'status' then '专项' else '指标' end as 类型,
    case when kind = 'status' then valued.special_code else indicator_code end as 代码,
    coalesce(s.name_zh, valued.name_zh) as 名称,
    case when kind = 'status' then '' else unit end as 单位,
    case
        when kind = 'status' then ''
        when not i_applies then '不适用'
        when u3 < 5 then ''
        else regexp_replace(cast(num as varchar), '\\.0$', '')
    end as 本期数值,
    '' as 本市目标2018, '' as 本市目标2025,
    case when kind = 'status' then (case when i_applies then ms_status else '不适用' end) else '' end as 推进状态,
    '' as 佐证材料, '' as 备注,
    city_code as c, period as q
from valued
left join b_specials as s on valued.kind = 'status' and valued.special_code = s.special_code
order by city_code, period, kind = 'status', indicator_code
"""

FEEDS_SQL = """
select
    i as record_id,
    c.city_code,
    date '2015-10-01' + cast(floor((hash(i + $seed) % 1000000) / 1000000.0 * $days) as integer) as reg_date,
    $kinds[cast(hash(i * 7 + $seed) % {n_kinds} as integer) + 1] as kind,
    year(date '2015-10-01' + cast(floor((hash(i + $seed) % 1000000) / 1000000.0 * $days) as integer)) as y
from range($n) as t(i)
join b_cities as c on c.ci = cast(hash(i * 3 + $seed) % $n_cities as integer) + 1
"""


# partitions (report files) per COPY: DuckDB's partitioned write slows down with the partition count (at 2,850 x 41
# = 116,850 partitions in one COPY it wrote ~1.5 files/s), so the reports are written in batches of cities, each
# a COPY of about L's size or less; the files' contents do not depend on the batching
PARTITIONS_PER_COPY = 2_000


def generate(root: Path, scale: Scale, seed: int = SEED) -> dict:
    """Write ``root/seeds``, ``root/reports/c=<city>/q=<period>/data_0.csv`` and ``root/feeds/y=<year>/*.parquet``.

    Idempotent: an existing complete data set (``root/.generated`` names the scale) is kept, so re-runs measure
    the pipeline, not the generator.
    """
    marker = root / ".generated"
    stamp = f"{scale}:{seed}:{','.join(FEED_KINDS)}"  # another kind list is another data set
    if marker.exists() and marker.read_text() == stamp:
        return {"reused": True}
    for sub in ("reports", "feeds", "seeds"):
        shutil.rmtree(root / sub, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    seeds_dir = write_bench_seeds(root / "seeds", scale.cities)
    periods = bench_periods(scale.quarters)
    con = duckdb.connect()
    con.execute("set threads = 2; set memory_limit = '3GB'; set preserve_insertion_order = true")
    _setup(con, seeds_dir, periods)
    sql = CSV_SQL.format(rows=ROWS_SQL, template=TEMPLATE_VERSION)
    step = max(1, PARTITIONS_PER_COPY // max(1, scale.quarters))
    for lo in range(0, scale.cities, step):
        con.execute(
            f"copy ({sql}) to '{root / 'reports'}' (format csv, header true, partition_by (c, q), "
            "filename_pattern 'data_{i}', overwrite_or_ignore true)",
            {"seed": str(seed), "ci_from": lo, "ci_to": lo + step})
    days = 3744  # 2015-10-01 .. 2025-12-31
    feeds_sql = FEEDS_SQL.format(n_kinds=len(FEED_KINDS))
    con.execute(
        f"copy ({feeds_sql}) to '{root / 'feeds'}' (format parquet, partition_by (y), overwrite_or_ignore true)",
        {"seed": seed, "days": days, "kinds": list(FEED_KINDS), "n": scale.feed_rows, "n_cities": scale.cities})
    n_files = con.execute(f"select count(*) from glob('{root / 'reports'}/*/*/*.csv')").fetchone()[0]
    con.close()
    marker.write_text(stamp)
    return {"reused": False, "report_files": n_files}


def report_glob(root: Path) -> str:
    return str(root / "reports" / "*" / "*" / "*.csv")


def feed_glob(root: Path) -> str:
    return str(root / "feeds" / "*" / "*.parquet")

"""Quick, untimed correctness tests of the bench: the generator, the L stages on a tiny scale, the runner."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from tools.bench import lpublish as P
from tools.bench import lstages as L
from tools.bench.generate import Scale, bench_periods, generate, report_glob, write_bench_seeds
from tools.bench.runner import summarise_l
from transforms.catalog import cities, indicators

TINY = Scale("T", 20, 3, 20_000)
REPORT_ITEMS = sum(1 for i in indicators() if i["source"] in ("report", "both"))


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((root / "reports").rglob("*.csv")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    generate(root, TINY)
    return root


def test_periods_reach_2025q4() -> None:
    p = bench_periods(41)
    assert p[0] == "2015Q4" and p[-1] == "2025Q4" and len(set(p)) == 41


def test_bench_seeds_keep_real_cities_first(tmp_path: Path) -> None:
    seeds = write_bench_seeds(tmp_path, 40)
    with open(seeds / "cities.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40
    assert [r["city_code"] for r in rows[:18]] == [c.code for c in cities()]
    assert all(r["city_code"].startswith("99") for r in rows[18:])
    with open(seeds / "apportionment_keys.csv", encoding="utf-8") as f:
        shares = [float(r["share"]) for r in csv.DictReader(f)]
    assert sum(shares) == pytest.approx(1.0, abs=1e-3)


def test_generator_is_deterministic_and_complete(tiny: Path, tmp_path: Path) -> None:
    files = sorted((tiny / "reports").rglob("*.csv"))
    assert len(files) == TINY.cities * TINY.quarters
    with open(files[0], encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["模板版本", "城市代码", "报告期", "类型"]
    assert len(rows) - 1 == REPORT_ITEMS
    generate(tmp_path, TINY)
    assert _digest(tmp_path) == _digest(tiny)
    n = duckdb.connect().execute(f"select count(*) from read_parquet('{tiny}/feeds/*/*.parquet')").fetchone()[0]
    assert n == TINY.feed_rows


def test_l_stages_end_to_end_and_incremental(tiny: Path) -> None:
    db = tiny / "work" / "t.duckdb"
    ing = L.ingest_reports(db, tiny)
    assert ing["files_loaded"] == TINY.cities * TINY.quarters
    assert ing["rows"] == ing["rows_staged"] == TINY.cities * TINY.quarters * REPORT_ITEMS
    feeds = L.ingest_feeds(db, tiny)
    assert feeds["records_in"] == TINY.feed_rows
    val = L.validate(db, tiny)
    assert val["critical_failures"] == [] and val["rows"] == ing["rows"]
    b = L.build(db, tiny)
    assert b["facts"] == TINY.cities * TINY.quarters * len(indicators())
    pub = P.publish(db, tiny)
    assert pub["tables"]["league_table"] > 0
    league = duckdb.connect().execute(f"select count(distinct city_code), max(rank) from "
                        f"read_parquet('{P.published_glob(tiny, 'league_table')}', hive_partitioning = true)"
                        ).fetchone()
    assert league[0] == TINY.cities and league[1] <= TINY.cities
    # nothing changed: nothing is read, built or published
    assert L.ingest_reports(db, tiny)["files_loaded"] == 0
    assert "skipped" in L.build(db, tiny) and "skipped" in P.publish(db, tiny)
    # one resubmitted file: only it is loaded, its old version is superseded, no duplicates remain
    f = sorted((tiny / "reports").rglob("*.csv"))[5]
    f.write_text(f.read_text(encoding="utf-8").replace(",个,", ",个,", 1) + "\n", encoding="utf-8")
    again = L.ingest_reports(db, tiny)
    assert again["files_loaded"] == 1 and again["rows"] == REPORT_ITEMS
    assert L.validate(db, tiny)["city_period_indicator_unique"] == 0
    con = duckdb.connect(str(db))
    assert con.execute("select count(*) from raw.report_files where status = 'superseded'").fetchone()[0] == 1
    con.close()


def test_l_stages_publish_a_late_report_incrementally(tmp_path: Path) -> None:
    """A resubmitted report of a period after 2018Q4: the build recomputes the periods it can move, promotion
    rewrites those periods of the marts, and the published files hold exactly the marts."""
    scale = Scale("T17", 6, 17, 2_000)  # 2015Q4 .. 2019Q4: past the anchors
    generate(tmp_path, scale)
    db = tmp_path / "work" / "t.duckdb"
    L.ingest_reports(db, tmp_path)
    L.ingest_feeds(db, tmp_path)
    L.validate(db, tmp_path)
    assert L.build(db, tmp_path)["sql"]["mode"] == "full"
    P.publish(db, tmp_path)
    f = sorted((tmp_path / "reports").rglob("q=2019Q3/*.csv"))[2]
    f.write_text(f.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # same figures, a new file: same scores
    assert L.ingest_reports(db, tmp_path)["files_loaded"] == 1
    L.validate(db, tmp_path)
    sql = L.build(db, tmp_path)["sql"]
    assert sql["mode"] == "incremental" and sql["periods"][0] == "2019Q3", sql
    published = tmp_path / "published" / "indicator_scores"
    before = {d.name: [f.stat().st_mtime_ns for f in d.iterdir()] for d in published.iterdir()}
    pub = P.publish(db, tmp_path)
    # only the files of the periods whose rows changed are written again: the new file's id is in the indicator
    # scores of 2019Q3 (and of the periods its values are carried into); the ranks did not move
    after = {d.name: [f.stat().st_mtime_ns for f in d.iterdir()] for d in published.iterdir()}
    rewritten = sorted(d for d in after if after[d] != before.get(d))
    assert "period=2019Q3" in rewritten and "period=2019Q1" not in rewritten, rewritten
    assert pub["periods_written"]["indicator_scores"] == len(rewritten) <= len(sql["periods"]), pub["periods_written"]
    assert pub["periods_written"]["rank_uncertainty"] == 0, pub["periods_written"]
    assert pub["periods_written"]["coherence_audit"] != "all", pub["periods_written"]  # compared, not rewritten
    con = duckdb.connect(str(db), read_only=True)
    for table, n in pub["tables"].items():
        files = f"read_parquet('{P.published_glob(tmp_path, table)}', hive_partitioning = true)"
        cols = ", ".join(c for (c,) in con.execute(f"select column_name from (describe marts.{table})").fetchall())
        diff = con.execute(f"select (select count(*) from (select * from marts.{table} except all select {cols} "
                           f"from {files})), (select count(*) from {files})").fetchone()
        assert diff == (0, n), (table, diff)
    con.close()


def test_validate_flags_a_negative_count(tiny: Path, tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    L.ingest_reports(db, tiny)
    L.ingest_feeds(db, tiny)
    con = duckdb.connect(str(db))
    con.execute("update raw.report_rows set value = -3 where rowid = (select min(r.rowid) from raw.report_rows r "
                "join seeds.indicators i using (indicator_code) where i.kind = 'count' and r.value is not null)")
    con.close()
    val = L.validate(db, tiny, force=True)
    assert val["quantity_not_negative"] == 1
    assert "quantity_not_negative" in val["critical_failures"]


def test_bench_command_runs_on_a_tiny_scale(tmp_path: Path) -> None:
    from tools.bench.__main__ import main

    assert main(["--scale", "XXS", "--skip-baseline", "--repeat", "2", "--data-dir", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "results-XXS.json").read_text(encoding="utf-8"))
    s = res["summary"]
    # repeated cold runs, each with its floor beside it and the load recorded; the target on the median ratio
    reps = s["repetitions"]["runs"]
    assert [r["repetition"] for r in reps] == [1, 2] and all(len(r["loadavg_at_start"]) == 3 for r in reps)
    assert all(r["transform_over_floor"] == round(r["transform_s"] / r["floor_s"], 2) for r in reps)
    assert s["transform_over_floor"] == s["repetitions"]["median"]["transform_over_floor"]
    assert s["report_rows"] == 20 * 3 * REPORT_ITEMS and s["feed_rows"] == 20_000
    assert res["floor"]["result"]["rows_scanned"] == s["report_rows"] + s["feed_rows"]
    assert 0 < s["peak_rss_mib"] < 4096
    assert res["rerun_no_change"]["ingest_reports"]["result"]["files_loaded"] == 0
    assert set(s["rows_per_s_by_stage"]) == {"ingest_reports", "ingest_feeds", "validate", "build", "publish"}
    one = res["rerun_one_report_changed"]  # one resubmitted report: read alone, then a full rebuild
    assert s["rerun_one_report_changed_files_loaded"] == 1 and "skipped" not in one["build"]["result"]
    assert one["publish"]["result"]["tables"]["league_table"] > 0
    assert "skipped" in res["rerun_no_change"]["build"]["result"]
    sub = res["intake_subset"]["result"]  # the real cities' files through the project's per-file intake
    assert sub["files"] == 18 * 3 and sub["file_status"] == {"accepted": 18 * 3}
    assert sub["rows_staged"] == 18 * 3 * REPORT_ITEMS
    assert set(s["targets"]) == {"end_to_end_le_120s", "peak_rss_le_4gib", "transform_le_3x_floor"}


def test_pandas_baseline_scores_the_same_cities(tiny: Path) -> None:
    from tools.bench.baseline import run_baseline

    b = run_baseline(tiny, 0.5)
    assert b["cities"] == 10 and b["files"] == 10 * TINY.quarters
    assert b["rows"] == 10 * TINY.quarters * REPORT_ITEMS
    assert b["gx"]["success"]
    assert b["league_rows"] > 0
    assert set(b["steps_s"]) >= {"ingest", "parse", "gx_reports", "gx_feeds", "score", "monte_carlo", "publish"}


def test_summary_reports_unmet_targets_honestly() -> None:
    stage = {"wall_s": 100.0, "peak_rss_mib": 5000.0, "process_s": 101.0, "result": {"rows": 10, "records_in": 5}}
    pipeline = {k: dict(stage) for k in ("ingest_reports", "ingest_feeds", "validate", "build", "publish")}
    pipeline |= {"_total_s": 500.0, "_total_process_s": 505.0, "_peak_rss_mib": 5000.0}
    res = {"pipeline": pipeline, "floor": {"wall_s": 10.0}, "rerun_no_change": {"_total_s": 1, "_total_process_s": 2}}
    s = summarise_l(json.loads(json.dumps(res)))
    assert s["targets"] == {"end_to_end_le_120s": False, "peak_rss_le_4gib": False, "transform_le_3x_floor": False,
                            # issue 20's L targets beside issue 9's: 500 s is not 45 s, a build of 10x the floor
                            # is not 3x
                            "end_to_end_le_45s": False, "transform_and_score_le_3x_floor": False}
    assert s["transform_over_floor"] == 10.0


def test_summary_reports_the_monte_carlo_apart_from_the_transform() -> None:
    stage = {"wall_s": 10.0, "peak_rss_mib": 100.0, "process_s": 11.0, "result": {"rows": 10, "records_in": 5}}
    pipeline = {k: json.loads(json.dumps(stage)) for k in ("ingest_reports", "ingest_feeds", "validate", "build",
                                                          "publish")}
    pipeline["build"] = {"wall_s": 40.0, "peak_rss_mib": 100.0,
                         "result": {"monte_carlo_s": 25.0, "monte_carlo_draws": 1000}}
    pipeline |= {"_total_s": 80.0, "_total_process_s": 85.0, "_peak_rss_mib": 100.0}
    res = {"pipeline": pipeline, "floor": {"wall_s": 5.0}, "rerun_no_change": {"_total_s": 1, "_total_process_s": 2}}
    s = summarise_l(res)
    assert s["transform_s"] == 15.0 and s["score_monte_carlo_s"] == 25.0 and s["monte_carlo_draws"] == 1000
    assert s["transform_over_floor"] == 3.0 and s["targets"]["transform_le_3x_floor"]
    assert s["transform_and_score_over_floor"] == 8.0


def test_report_glob_matches_layout(tiny: Path) -> None:
    import glob

    assert len(glob.glob(report_glob(tiny))) == TINY.cities * TINY.quarters


def test_summary_compares_with_a_full_baseline_with_and_without_the_monte_carlo() -> None:
    stage = {"wall_s": 10.0, "peak_rss_mib": 100.0, "result": {"rows": 10, "records_in": 5}}
    pipeline = {k: json.loads(json.dumps(stage)) for k in ("ingest_reports", "ingest_feeds", "validate", "publish")}
    pipeline["build"] = {"wall_s": 20.0, "peak_rss_mib": 100.0, "result": {"monte_carlo_s": 10.0}}
    pipeline |= {"_total_s": 60.0, "_total_process_s": 65.0, "_peak_rss_mib": 100.0}
    baseline = {"fraction": 1.0, "cities": 333, "total_s": 900.0,
                "steps_s": {"ingest": 100.0, "score": 50.0, "monte_carlo": 400.0, "gx_import": 3.0}}
    res = {"pipeline": pipeline, "floor": {"wall_s": 5.0}, "rerun_no_change": {"_total_s": 1, "_total_process_s": 2},
           "baseline": {"result": baseline, "peak_rss_mib": 6000.0}}
    s = summarise_l(res)
    assert s["baseline_s"] == 900.0 and s["speedup_vs_pandas"] == 15.0 and s["targets"]["ge_10x_pandas"]
    assert s["speedup_vs_pandas_without_monte_carlo"] == 10.0  # (900 - 400) / (60 - 10)
    assert "extrapolated" not in s["baseline_note"]


def test_like_for_like_ratio_leaves_out_the_work_the_baseline_does_not_port() -> None:
    """The product also runs analyses the pandas baseline has no port of (sensitivity, coherence audit, score
    changes): the 10x target compares the work both do; the plain ratio stays reported."""
    stage = {"wall_s": 10.0, "peak_rss_mib": 100.0, "result": {"rows": 10, "records_in": 5}}
    pipeline = {k: json.loads(json.dumps(stage)) for k in ("ingest_reports", "ingest_feeds", "validate", "publish")}
    pipeline["build"] = {"wall_s": 50.0, "peak_rss_mib": 100.0,
                         "result": {"monte_carlo_s": 10.0, "score_s": 25.0, "not_in_baseline_s": 30.0}}
    pipeline |= {"_total_s": 90.0, "_total_process_s": 95.0, "_peak_rss_mib": 100.0}
    baseline = {"fraction": 1.0, "cities": 333, "total_s": 600.0, "steps_s": {"monte_carlo": 300.0}}
    res = {"pipeline": pipeline, "floor": {"wall_s": 5.0}, "rerun_no_change": {"_total_s": 1, "_total_process_s": 2},
           "baseline": {"result": baseline, "peak_rss_mib": 6000.0}}
    s = summarise_l(res)
    assert s["transform_s"] == 25.0 and s["score_s"] == 25.0  # the score step: Monte Carlo and sensitivity
    assert s["speedup_vs_pandas"] == pytest.approx(6.7) and s["end_to_end_common_work_s"] == 60.0
    assert s["speedup_vs_pandas_like_for_like"] == 10.0 and s["targets"]["ge_10x_pandas"]
    assert s["speedup_vs_pandas_without_monte_carlo"] == 6.0  # (600 - 300) / (60 - 10)

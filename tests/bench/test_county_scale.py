"""Issue 20's county scale C, without generating its data (2.5 GB): the spec, its synthetic unit codes, its own
targets and the baseline it does not run."""

from __future__ import annotations

import csv
from pathlib import Path

from tools.bench.__main__ import main
from tools.bench.generate import PARTITIONS_PER_COPY, SCALES, bench_periods, write_bench_seeds
from tools.bench.runner import NO_BASELINE, summarise_l
from transforms.catalog import cities


def test_c_is_the_issue_20_spec() -> None:
    c = SCALES["C"]
    assert (c.name, c.cities, c.quarters, c.feed_rows) == ("C", 2_850, 41, 100_000_000)
    assert bench_periods(c.quarters)[-1] == "2025Q4"
    # the reports are written in batches of cities: 60 COPYs at C, each within the partition budget
    per_copy = PARTITIONS_PER_COPY // c.quarters
    assert per_copy * c.quarters <= PARTITIONS_PER_COPY and -(-c.cities // per_copy) == 60


def test_c_unit_codes_are_unique_six_digit_strings(tmp_path: Path) -> None:
    seeds = write_bench_seeds(tmp_path / "seeds", SCALES["C"].cities)
    with open(seeds / "cities.csv", encoding="utf-8") as f:
        codes = [r["city_code"] for r in csv.DictReader(f)]
    assert len(codes) == 2_850 == len(set(codes))
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert codes[:18] == [c.code for c in cities()]  # the real Henan cities first, then 99xxxx up to 992849
    assert codes[18] == "990018" and codes[-1] == "992849"
    with open(seeds / "apportionment_keys.csv", encoding="utf-8") as f:
        keys = list(csv.DictReader(f))
    assert [k["city_code"] for k in keys] == codes
    assert abs(sum(float(k["share"]) for k in keys) - 1) < 1e-3


def _result(scale: str, e2e: float, peak: float) -> dict:
    stage = {"wall_s": e2e / 5, "peak_rss_mib": peak, "process_s": e2e / 5, "result": {"rows": 10, "records_in": 5}}
    pipeline = {k: dict(stage) for k in ("ingest_reports", "ingest_feeds", "validate", "build", "publish")}
    pipeline |= {"_total_s": e2e, "_total_process_s": e2e, "_peak_rss_mib": peak}
    res = {"scale_spec": SCALES[scale].__dict__, "pipeline": pipeline, "floor": {"wall_s": 10.0},
           "rerun_no_change": {"_total_s": 1, "_total_process_s": 2}}
    if scale in NO_BASELINE:
        res["baseline_skipped"] = NO_BASELINE[scale]
    return res


def test_c_has_its_own_targets_and_says_why_no_baseline() -> None:
    s = summarise_l(_result("C", 299.0, 4000.0))
    assert s["targets"] == {"end_to_end_le_300s": True, "peak_rss_le_4gib": True}
    assert "not run at scale C" in s["baseline_note"]
    # a miss stays a miss: 300.5 s is not 300 s, 4,097 MiB is over 4 GiB
    assert summarise_l(_result("C", 300.5, 4097.0))["targets"] == {"end_to_end_le_300s": False,
                                                                   "peak_rss_le_4gib": False}
    # L keeps its own targets
    assert set(summarise_l(_result("L", 100.0, 100.0))["targets"]) == {
        "end_to_end_le_120s", "peak_rss_le_4gib", "transform_le_3x_floor", "end_to_end_le_45s",
        "transform_and_score_le_3x_floor"}


def test_the_cli_takes_scale_c(monkeypatch, tmp_path: Path) -> None:
    """``--scale C`` reaches the runner (run_l skips the baseline for the scales in NO_BASELINE)."""
    seen = {}

    def fake_run_l(scale_name, root, skip_baseline, *args, **kw):
        seen.update(scale=scale_name, root=root)
        return {}

    monkeypatch.setattr("tools.bench.runner.run_l", fake_run_l)
    monkeypatch.setattr("tools.bench.__main__.print_table", lambda results: None)
    assert main(["--scale", "C", "--data-dir", str(tmp_path)]) == 0
    assert seen == {"scale": "C", "root": tmp_path / "C"} and "C" in NO_BASELINE

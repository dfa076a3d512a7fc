"""Data Docs and the validation summary table are produced at every run."""

from __future__ import annotations

from pathlib import Path

from validation_helpers import GOOD_RUN, sql

from transforms.core.paths import DataPaths
from transforms.validate import build_data_docs, load_results, results_dir

RAN = ["raw_report_rows", "raw_feed_records", "indicator_values", "league_table", "special_scores", "indicator_scores"]


def test_data_docs_list_every_suite(good_data_dir: Path) -> None:
    site = Path((good_data_dir / "audit_data_docs.txt").read_text(encoding="utf-8"))
    index = (site / "index.html").read_text(encoding="utf-8")
    for suite in RAN:
        assert suite in index, suite
        pages = list((site / "validations" / suite).rglob("*.html"))
        assert len(pages) == 1, suite
    assert "cdn.jsdelivr.net" not in index and "bootstrapcdn" not in index
    summary = (site / "summary.html").read_text(encoding="utf-8")
    assert all(s in summary for s in RAN)


def test_build_data_docs_from_saved_results(good_data_dir: Path, tmp_path: Path) -> None:
    """The publisher runs in another process: it rebuilds the site from the results saved by the stages."""
    results = load_results(results_dir(DataPaths(good_data_dir), GOOD_RUN))
    assert [r.suite for r in results][:6] == RAN
    out = build_data_docs(results, tmp_path / "data_docs")
    assert (out / "index.html").is_file()
    page = next((out / "validations" / "league_table").rglob("*.html")).read_text(encoding="utf-8")
    assert "expect_column_values_to_be_between" in page or "values must be" in page.lower()


def test_validation_results_table(good_data_dir: Path) -> None:
    paths = DataPaths(good_data_dir)
    rows = sql(paths, "select suite, count(*), count(*) filter (where not success), min(seconds), "
                      "count(distinct severity), min(length(failure_means)) from meta.validation_results "
                      "where run_id = ? group by suite", [GOOD_RUN])
    by_suite = {r[0]: r[1:] for r in rows}
    for suite in RAN:
        n, failures, seconds, _, means = by_suite[suite]
        assert n >= 8 and seconds > 0 and means > 10, (suite, by_suite[suite])
    # the clean run has no critical failure; the first run has nothing published to compare with
    assert sql(paths, "select count(*) from meta.validation_results where run_id = ? and severity = 'critical' "
                      "and not success", [GOOD_RUN]) == [(0,)]
    skipped = sql(paths, "select expectation, outcome from meta.validation_results where run_id = ? "
                         "and suite = 'league_table' and outcome = 'skipped'", [GOOD_RUN])
    assert skipped == [("sql_check:score_jump_vs_published", "skipped")]


def test_data_docs_work_offline_in_chromium(good_data_dir: Path, tmp_path: Path) -> None:
    """The index lists every suite with no network (plain HTML), and a validation page loads nothing from the
    internet, shows its logo from static/ and no newsletter banner."""
    import os

    import pytest

    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("needs Debian chromium: `make browser`")
    from playwright.sync_api import sync_playwright

    site = Path((good_data_dir / "audit_data_docs.txt").read_text(encoding="utf-8"))
    external: list[str] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
        page.goto((site / "index.html").as_uri())
        names = page.locator("tr.suite td.name").all_inner_texts()
        assert set(RAN) <= set(names) and len(names) == len(set(names))
        page.screenshot(path=str(tmp_path / "data_docs_index.png"), full_page=True)
        page.click("tr.suite:has(td.name:text-is('league_table')) a:has-text('validation')")
        page.wait_for_load_state()
        body = page.locator("body").inner_text()
        assert "league_table" in body and "newsletter" not in body.lower()
        logos = page.evaluate("() => Array.from(document.images).map(i => [i.src, i.naturalWidth])")
        assert logos and all(w > 0 for _, w in logos), logos
        page.screenshot(path=str(tmp_path / "data_docs_validation.png"))
        b.close()
    assert external == [], external

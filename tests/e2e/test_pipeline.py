"""The whole job in-process on the bundled sample: the contract later work and users rely on."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tools.portal import start_portal
from tools.samples import write_samples
from transforms import pipeline
from transforms.core.paths import DataPaths


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    paths = DataPaths(tmp_path_factory.mktemp("e2e")).ensure()
    write_samples(paths.inbox)
    portal = start_portal()
    try:
        pipeline.run_all("e2e-1", paths, portal.url)
    finally:
        portal.stop()
    return paths


def test_league_table_has_every_city_scope_and_period(published: DataPaths) -> None:
    latest = published.published / "latest"
    with open(latest / "league_table.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {"period", "city_code", "city_name", "scope", "score", "rank"} <= set(rows[0])
    periods = sorted({r["period"] for r in rows})
    assert periods[0] == "2016Q1" and periods[-1] == "2020Q4" and len(periods) == 20
    scopes = {r["scope"] for r in rows}
    assert scopes == {"overall", "ecommerce", "logistics", "innovation", "manufacturing", "agriculture", "finance",
                      "services", "transport", "energy", "ecology", "ai"}
    for period in periods:
        for scope in scopes:
            cell = [r for r in rows if r["period"] == period and r["scope"] == scope]
            assert len({r["city_code"] for r in cell}) == 18, (period, scope)
            scored = [float(r["score"]) for r in cell if r["score"] != ""]
            assert all(0 <= s <= 100 for s in scored)
    overall = [r for r in rows if r["scope"] == "overall" and r["score"] != ""]
    assert len(overall) >= 18 * 20 * 0.9


def test_parquet_and_warehouse_agree(published: DataPaths) -> None:
    con = duckdb.connect(str(published.warehouse), read_only=True)
    try:
        n_wh = con.execute("select count(*) from marts.league_table").fetchone()[0]
        n_pq = con.execute(
            "select count(*) from read_parquet(?)", [str(published.published / "latest" / "league_table.parquet")]
        ).fetchone()[0]
    finally:
        con.close()
    assert n_wh == n_pq == 18 * 12 * 20


def test_same_inputs_publish_the_same_bytes(published: DataPaths) -> None:
    latest = (published.published / "latest").resolve()
    before = {p.name: p.read_bytes() for p in latest.iterdir() if p.is_file()}
    portal = start_portal()
    try:
        pipeline.run_all("e2e-2", published, portal.url)
    finally:
        portal.stop()
    again = (published.published / "latest").resolve()
    assert again == latest
    after = {p.name: p.read_bytes() for p in again.iterdir() if p.is_file()}
    assert before.keys() == after.keys()
    assert [k for k in before if before[k] != after[k]] == []


def test_cli_league_prints_the_table(published: DataPaths) -> None:
    env = dict(os.environ, HNPLUS_DATA_DIR=str(published.root), COLUMNS="160")
    out = subprocess.run([sys.executable, "-m", "transforms.cli", "league", "--period", "2018Q4", "--scope",
                          "ecommerce"], env=env, capture_output=True, text=True, check=True).stdout
    assert "2018Q4" in out and "ecommerce" in out
    assert sum(1 for code in ("410100", "419001") if code in out) == 2


def test_published_files_do_not_depend_on_the_data_dir(tmp_path: Path, published: DataPaths) -> None:
    meta = (published.published / "latest" / "metadata.json").read_text(encoding="utf-8")
    assert str(published.root) not in meta


def test_data_docs_of_the_run_open_in_a_browser_and_list_every_suite(published: DataPaths) -> None:
    """The Data Docs published beside the league table render in headless Chromium: the summary names every
    suite and links to its validation page, which lists the suite's expectations."""
    from playwright.sync_api import sync_playwright

    from expectations.suites import SUITES

    summary = (published.published / "latest" / "data_docs" / "summary.html").resolve()
    assert (summary.parent / "index.html").is_file()
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            page = browser.new_page()
            page.goto(summary.as_uri())
            links = {a["text"]: a["href"] for a in page.eval_on_selector_all(
                "a", "els => els.map(e => ({text: e.textContent.trim(), href: e.href}))")}
            assert sorted(name for name in SUITES if name in links) == sorted(SUITES)
            for name in SUITES:
                page.goto(links[name])
                text = page.inner_text("body")
                assert name in text and "expect" in text.lower(), name
        finally:
            browser.close()


def test_a_failing_feed_keeps_its_last_snapshot_and_is_marked_stale_in_the_dataset(published: DataPaths) -> None:
    """One feed answers 503 all night: the run still completes, that feed keeps its last good snapshot (the
    scores do not move), and the published metadata names it stale with the reason."""
    before = (published.published / "latest" / "league_table.csv").read_bytes()
    portal = start_portal()
    try:
        portal.set_fault("policy_pilots", "http_503")
        out = pipeline.run_all("e2e-stale", published, portal.url)
    finally:
        portal.stop()
    statuses = {f["feed_id"]: f["status"] for f in out["feeds"]["feeds"]}
    assert statuses["policy_pilots"] == "stale"
    assert {s for f, s in statuses.items() if f != "policy_pilots"} <= {"fresh", "not_modified"}
    meta = json.loads((published.published / "latest" / "metadata.json").read_text(encoding="utf-8"))
    stale = {f["feed_id"]: f for f in meta["stale_feeds"]}
    assert set(stale) == {"policy_pilots"} and stale["policy_pilots"]["reason"]
    assert (published.published / "latest" / "league_table.csv").read_bytes() == before


def test_method_2_on_the_sample(published: DataPaths) -> None:
    """What an outside methodologist checks on the published sample: independent evidence that varies and carries
    weight for every city, and statuses that tell cities apart."""
    latest = published.published / "latest"
    con = duckdb.connect()
    lt = con.read_parquet(str(latest / "league_table.parquet"))
    ind = con.read_parquet(str(latest / "indicator_scores.parquet"))
    shares = lt.filter("scope = 'overall' and has_score").aggregate(
        "min(independent_share), count(*), count(distinct city_code)").fetchall()[0]
    assert shares[0] > 0 and shares[1] == 18 * 20 and shares[2] == 18
    flat = ind.filter("evidence = 'independent' and is_scored").aggregate(
        "indicator_code, count(distinct value) as n", "indicator_code").filter("n < 2").fetchall()
    scored = ind.filter("evidence = 'independent' and is_scored").aggregate("count(distinct indicator_code)")
    assert flat == [] and scored.fetchall()[0][0] >= 2
    statuses = lt.filter("scope = 'overall' and period = '2020Q4'").aggregate("count(distinct on_track)")
    assert statuses.fetchall()[0][0] >= 2
    assert {v for (v,) in lt.project("method_version").fetchall()} == {"2.0.0"}


def test_explain_a_rank_change_from_the_published_dataset(published: DataPaths) -> None:
    from transforms.publish.explain import explain, render

    e = explain(published.published / "latest", "411300", "2019Q1")
    assert e.city_name == "南阳市" and e.previous_period == "2018Q4" and e.contributions
    assert e.explained_change == pytest.approx(e.score - e.previous_score, abs=2e-4)  # published scores: 4 decimals
    text = render(e)
    assert "南阳市 (411300) · 2019Q1" in text and "其余指标 / all other indicators" in text
    out = subprocess.run([sys.executable, "-m", "transforms.cli", "explain", "--city", "411300", "--period", "2019Q1",
                          "--scope", "ecommerce"], capture_output=True, text=True, check=False,
                         env={**os.environ, "HNPLUS_DATA_DIR": str(published.root)})
    assert out.returncode == 0 and "电子商务" in out.stdout, out.stderr

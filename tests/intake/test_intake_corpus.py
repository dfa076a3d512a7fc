"""The intake corpus: every file gets exactly the outcome a clerk should see, and every row is accounted for."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import pytest
from corpus import Case, add_junk, base_report, build_corpus, write_openpyxl, write_xlsxwriter

from transforms.ingest.reports.intake import intake_inbox

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
MAX_BYTES = 2_000_000  # the corpus' oversize file is ~2.2 MB; the default limit is 5 MB


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("intake")
    inbox = root / "inbox"
    inbox.mkdir()
    cases = build_corpus(inbox)
    (root / "outside.xlsx").write_bytes(b"secret")
    junk = add_junk(inbox, root / "outside.xlsx")
    con = duckdb.connect()
    t0 = time.perf_counter()
    summary = intake_inbox(con, inbox, root / "landing", now=NOW, max_bytes=MAX_BYTES)
    elapsed = time.perf_counter() - t0
    return {
        "root": root,
        "inbox": inbox,
        "cases": cases,
        "junk": junk,
        "con": con,
        "summary": summary,
        "elapsed": elapsed,
    }


def _files(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cur = con.execute("SELECT * FROM raw.report_files")
    cols = [d[0] for d in cur.description]
    out = {}
    for row in cur.fetchall():
        r = dict(zip(cols, row, strict=True))
        key = f"{r['submitter']}/{r['original_name']}" if r["submitter"] else r["original_name"]
        out[key] = r
    return out


def test_corpus_is_big_and_mixed(corpus: dict) -> None:
    cases: list[Case] = corpus["cases"]
    assert len(cases) >= 40
    writers = {c.writer for c in cases}
    assert {"write_openpyxl", "write_xlsxwriter", "csv-utf-8", "csv-utf-8-sig", "csv-gbk", "json"} <= writers
    assert sum(c.status == "rejected" for c in cases) >= 15
    assert sum(c.status == "accepted" and c.quarantined for c in cases) >= 6


def test_every_file_has_its_expected_outcome(corpus: dict) -> None:
    files = _files(corpus["con"])
    wrong = []
    for c in corpus["cases"]:
        got = files.get(c.rel_path)
        if c.status == "known":  # byte-identical copy: landed once, recorded once
            if got is not None:
                wrong.append((c.rel_path, "should not be recorded twice"))
            continue
        if got is None:
            wrong.append((c.rel_path, "missing"))
            continue
        actual = (got["status"], got["reject_reason_code"])
        if actual != (c.status, c.reason):
            wrong.append((c.rel_path, actual, (c.status, c.reason)))
        if c.staged is not None and (got["rows_staged"], got["rows_quarantined"]) != (c.staged, c.quarantined):
            wrong.append((c.rel_path, (got["rows_staged"], got["rows_quarantined"]), (c.staged, c.quarantined)))
    assert not wrong, wrong
    assert len(files) == sum(c.status != "known" for c in corpus["cases"])


def test_row_accounting_for_the_whole_corpus(corpus: dict) -> None:
    con = corpus["con"]
    bad = con.execute("""
        SELECT f.original_name, f.rows_total, f.rows_staged, f.rows_quarantined,
               (SELECT count(*) FROM raw.report_rows r WHERE r.file_id = f.file_id) AS staged_rows,
               (SELECT count(*) FROM quarantine.report_rows q WHERE q.file_id = f.file_id) AS quarantined_rows
        FROM raw.report_files f
        WHERE f.status IN ('accepted', 'superseded')
          AND NOT (f.rows_total = f.rows_staged + f.rows_quarantined
                   AND f.rows_staged = staged_rows AND f.rows_quarantined = quarantined_rows)
    """).fetchall()
    assert bad == []
    # rejected and duplicate files leave no rows behind
    orphans = con.execute("""
        SELECT count(*) FROM raw.report_rows r JOIN raw.report_files f USING (file_id)
        WHERE f.status NOT IN ('accepted', 'superseded')
    """).fetchone()[0]
    assert orphans == 0
    totals = con.execute("""SELECT sum(rows_total), sum(rows_staged), sum(rows_quarantined)
                            FROM raw.report_files WHERE status IN ('accepted', 'superseded')""").fetchone()
    assert totals[0] == totals[1] + totals[2]
    assert totals[2] == con.execute("SELECT count(*) FROM quarantine.report_rows").fetchone()[0]


def test_quarantine_messages_name_file_sheet_row_column(corpus: dict) -> None:
    rows = (
        corpus["con"]
        .execute(
            "SELECT original_name, sheet, row_number, column_name, message_zh, message_en, raw_record "
            "FROM quarantine.report_rows"
        )
        .fetchall()
    )
    assert rows
    for name, sheet, row_number, column, zh, en, raw in rows:
        assert name in zh and name in en
        assert f"第{row_number}行" in zh and f"row {row_number}" in en
        assert sheet in en and column in en and column in zh
        json.loads(raw)


def test_rejections_are_bilingual(corpus: dict) -> None:
    for r in _files(corpus["con"]).values():
        if r["status"] == "rejected":
            assert r["reject_message_zh"] and r["reject_message_en"], r
            assert any("\u4e00" <= ch <= "\u9fff" for ch in r["reject_message_zh"])
            assert r["original_name"] in r["reject_message_zh"] and r["original_name"] in r["reject_message_en"]
            assert r["reject_message_en"][:1].isalpha()


def test_values_are_converted_to_canonical_units(corpus: dict) -> None:
    con = corpus["con"]
    vals = dict(
        con.execute("""
        SELECT indicator_code, value FROM raw.report_rows r JOIN raw.report_files f USING (file_id)
        WHERE f.original_name = 'ox_units_in_cell.xlsx'""").fetchall()
    )
    assert vals["online_retail_sales"] == pytest.approx(0.5)  # 5000万元 -> 亿元
    assert vals["smartphone_output"] == pytest.approx(0.3)  # 3000万 (部) -> 亿部
    assert vals["wearable_device_output"] == pytest.approx(30000)  # 3亿 (台) -> 万台
    assert vals["ecommerce_enterprise_share"] == pytest.approx(70)
    assert vals["traceability_coverage"] == pytest.approx(70)  # 百分之七十
    assert vals["maker_spaces"] == pytest.approx(12000)
    assert vals["industrial_robot_output"] == pytest.approx(1200)
    assert vals["xborder_ecommerce_trade"] == pytest.approx(12.5)


def test_text_numbers_fullwidth_and_separators(corpus: dict) -> None:
    con = corpus["con"]
    rep = base_report("411200", "2018Q4")
    got = dict(
        con.execute("""
        SELECT indicator_code, value FROM raw.report_rows r JOIN raw.report_files f USING (file_id)
        WHERE f.original_name = 'ox_text_numbers.xlsx'""").fetchall()
    )
    for k, row in enumerate(rep.indicators or []):
        v = row[3]
        expected = v * 1000 if isinstance(v, int) and k % 3 == 2 else v
        assert got[row[0]] == pytest.approx(expected), row


def test_blank_na_and_true_zero(corpus: dict) -> None:
    rows = (
        corpus["con"]
        .execute("""
        SELECT value_text, value, value_status FROM raw.report_rows r JOIN raw.report_files f USING (file_id)
        WHERE f.original_name = 'json_text_values.json' AND kind = 'quantity'""")
        .fetchall()
    )
    by_text: dict = {}
    for text, value, status in rows:
        by_text.setdefault(text, set()).add((value, status))
    assert by_text["不适用"] == {(None, "not_applicable")}
    assert by_text["N/A"] == {(None, "not_applicable")}
    assert by_text[None] == {(None, "not_reported")}
    assert by_text["0"] == {(0.0, "reported")}
    assert by_text["１２"] == {(12.0, "reported")}


def test_periods_and_cities_are_canonical(corpus: dict) -> None:
    files = _files(corpus["con"])
    assert files["ox_period_cn_quarter.xlsx"]["period"] == "2018Q4"
    assert files["ox_period_cn_digit.xlsx"]["period"] == "2018Q4"
    assert files["xw_period_month.xlsx"]["period"] == "2018Q4"
    assert files["xw_period_serial.xlsx"]["period"] == "2018Q4"
    assert files["ox_period_fullwidth.xlsx"]["period"] == "2018Q4"
    assert files["csv_gbk_na.csv"]["period"] == "2018Q3"
    assert files["ox_city_traditional_alias.xlsx"]["city_code"] == "410300"
    assert files["xw_header_merged_target.xlsx"]["rows_quarantined"] == 0
    targets = (
        corpus["con"]
        .execute("""
        SELECT count(city_target_2018) FROM raw.report_rows r JOIN raw.report_files f USING (file_id)
        WHERE f.original_name IN ('xw_header_merged_target.xlsx', 'ox_header_merged_target.xlsx',
                                  'ox_header_variants.xlsx')""")
        .fetchone()[0]
    )
    assert targets > 0


def test_supersede_and_duplicate(corpus: dict) -> None:
    files = _files(corpus["con"])
    old, new = files["商丘/shangqiu_2019Q3.xlsx"], files["商丘/shangqiu_2019Q3_修订.xlsx"]
    resaved = files["商丘/shangqiu_2019Q3_resaved.csv"]
    assert old["status"] == "superseded" and new["status"] == "accepted"
    assert new["supersedes_file_id"] == old["file_id"]
    assert resaved["status"] == "duplicate"
    current = (
        corpus["con"]
        .execute(
            "SELECT count(*) FROM raw.report_files WHERE status = 'accepted' "
            "GROUP BY city_code, period HAVING count(*) > 1"
        )
        .fetchall()
    )
    assert current == []


def test_landing_receipts_and_ignored(corpus: dict) -> None:
    landing: Path = corpus["root"] / "landing"
    files = _files(corpus["con"])
    for r in files.values():
        stored = Path(r["stored_path"])
        assert stored.parent == landing and stored.name == r["file_id"]
        j = json.loads((landing / "receipts" / f"{r['file_id']}.json").read_text("utf-8"))
        assert j["status"] == r["status"]
        txt = (landing / "receipts" / f"{r['file_id']}.txt").read_text("utf-8")
        assert "回执" in txt and "receipt" in txt
        if r["status"] == "rejected":
            assert r["reject_reason_code"] in txt
    ignored = {p for p, _ in corpus["summary"].ignored}
    assert set(corpus["junk"]) <= ignored
    assert not any("outside" in k or k.startswith("~$") for k in files)


def test_rerun_is_a_noop(corpus: dict) -> None:
    con = corpus["con"]
    before = [
        con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        for t in ("raw.report_files", "raw.report_rows", "quarantine.report_rows")
    ]
    s = intake_inbox(
        con, corpus["inbox"], corpus["root"] / "landing", now=NOW + dt.timedelta(days=1), max_bytes=MAX_BYTES
    )
    after = [
        con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        for t in ("raw.report_files", "raw.report_rows", "quarantine.report_rows")
    ]
    assert s.files_new == 0 and before == after


def test_deterministic_table_contents(corpus: dict) -> None:
    con2 = duckdb.connect()
    intake_inbox(con2, corpus["inbox"], corpus["root"] / "landing", now=NOW, max_bytes=MAX_BYTES)
    con1 = corpus["con"]
    for t in ("raw.report_files", "raw.report_rows", "quarantine.report_rows"):
        # same insertion order too, not only the same set
        assert con1.execute(f"SELECT * FROM {t}").fetchall() == con2.execute(f"SELECT * FROM {t}").fetchall()


def test_corpus_intake_is_fast(corpus: dict) -> None:
    assert corpus["elapsed"] < 10, corpus["elapsed"]


def test_summary_to_dict_is_compact(corpus: dict) -> None:
    d = corpus["summary"].to_dict()
    json.dumps(d)
    assert d["rejected"] == len(d["rejected_files"]) == sum(c.status == "rejected" for c in corpus["cases"])
    assert all(r["reason_code"] for r in d["rejected_files"])
    assert d["files_known"] == 1 and d["duplicate"] == 1 and d["superseded"] == 1


def test_supersede_across_runs(tmp_path: Path) -> None:
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    (inbox / "410300").mkdir(parents=True)
    con = duckdb.connect()
    write_openpyxl(inbox / "410300" / "v1.xlsx", base_report("410300", "2018Q4", seed=1))
    s1 = intake_inbox(con, inbox, landing, now=NOW)
    assert s1.accepted == 1
    write_xlsxwriter(inbox / "410300" / "v2.xlsx", base_report("410300", "2018Q4", seed=2))
    s2 = intake_inbox(con, inbox, landing, now=NOW + dt.timedelta(days=3))
    assert (s2.files_new, s2.files_known, s2.accepted, s2.superseded) == (1, 1, 1, 1)
    rows = dict(con.execute("SELECT original_name, status FROM raw.report_files").fetchall())
    assert rows == {"v1.xlsx": "superseded", "v2.xlsx": "accepted"}
    # a landing folder inside the inbox is not taken in again
    s3 = intake_inbox(con, inbox, inbox / "_landing", now=NOW + dt.timedelta(days=4))
    s4 = intake_inbox(con, inbox, inbox / "_landing", now=NOW + dt.timedelta(days=5))
    assert s3.files_new == 0 and s4.files_seen == 2
    # history stays queryable
    assert con.execute("SELECT count(DISTINCT file_id) FROM raw.report_rows").fetchone()[0] == 2

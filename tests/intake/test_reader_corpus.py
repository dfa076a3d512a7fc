"""Issue 17: the reader corpus (corpus_reader.py) end to end through ``read_report``, and a property test.

For every case, at sheet level: rows in = staged + quarantined, or the whole file is rejected with its reason code
(and a bilingual message). Metamorphic variants must read exactly like the report they were written from. The
case table of docs/reliability.md is regenerated from the outcome (the test fails once when it was out of date,
so the committed table is always the one the tests produced).
"""

from __future__ import annotations

import collections
import csv
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from corpus import CSV_HEADER, Report, base_report, write_openpyxl
from corpus_reader import ReaderCase, reader_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.core.paths import REPO_ROOT
from transforms.ingest.reports.errors import ReportRejected
from transforms.ingest.reports.model import ParsedReport
from transforms.ingest.reports.reader import read_report
from transforms.ingest.reports.text import is_blank

DOC = REPO_ROOT / "docs" / "reliability.md"
START, END = "<!-- reader-corpus:start (tests/intake/test_reader_corpus.py) -->", "<!-- reader-corpus:end -->"
MIN_CASES = 150


@pytest.fixture(scope="module")
def corpus() -> list[ReaderCase]:
    return reader_corpus()


def _expected_rows(rep: Report) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for code, _, _, value, t18, t25, _ in rep.indicators or []:
        out[code] = tuple(None if v is None else round(float(v), 10) for v in (value, t18, t25)) + (None,)
    for code, _, status, _ in rep.status_items or []:
        out[f"ms_{code}"] = (None, None, None, status)
    return out


def _got_rows(report: ParsedReport) -> dict[str, tuple[Any, ...]]:
    return {r["indicator_code"]: (r["value"], r["city_target_2018"], r["city_target_2025"], r["status_step"])
            for r in report.rows}


def _judge(case: ReaderCase) -> tuple[str, list[str]]:
    """(outcome class, problems): accepted_identical | quarantined | rejected, and what was wrong if anything."""
    try:
        report = read_report(case.data, case.name)
    except ReportRejected as exc:
        got = f"rejected:{exc.reason_code}"
        bad = [] if got == case.outcome else [f"{got} != {case.outcome}"]
        if not (exc.message_zh and exc.message_en and case.name in exc.message_en):
            bad.append("rejection message must name the file in Chinese and English")
        if case.check is not None:  # on a rejection the check sees the exception (its message)
            try:
                case.check(exc)
            except AssertionError as e:
                bad.append(f"check failed: {e}")
        return "rejected", bad
    bad = [] if case.outcome == "accepted" else [f"accepted != {case.outcome}"]
    per_sheet = collections.Counter(r["sheet"] for r in report.rows)
    per_sheet.update(q["sheet"] for q in report.quarantined)
    if dict(per_sheet) != {s: n for s, n in case.sheet_rows.items() if n}:
        bad.append(f"rows per sheet {dict(per_sheet)} != rows in {case.sheet_rows}")
    if len(report.quarantined) != case.quarantined:
        bad.append(f"{len(report.quarantined)} quarantined != {case.quarantined}: "
                   f"{[q['message_en'] for q in report.quarantined][:3]}")
    for q in report.quarantined:
        if case.codes and q["reason_code"] not in case.codes:
            bad.append(f"reason {q['reason_code']} not in {case.codes}")
        if not (q["sheet"] and q["row_number"] and q["column_name"] and case.name in q["message_en"]
                and case.name in q["message_zh"]):
            bad.append(f"quarantine must name file, sheet, row and column: {q}")
    if case.same_as is not None and _got_rows(report) != _expected_rows(case.same_as):
        got, want = _got_rows(report), _expected_rows(case.same_as)
        bad.append(f"read differently: {[(k, got.get(k), want.get(k)) for k in want if got.get(k) != want[k]][:3]}")
    if case.check is not None:
        try:
            case.check(report)
        except AssertionError as e:
            bad.append(f"check failed: {e}")
    return ("quarantined" if report.quarantined else "accepted_identical"), bad


def _table(rows: dict[str, collections.Counter[str]]) -> str:
    head = ("| family | tried | accepted identical | accepted with quarantined rows | rejected (reason) | wrong |\n"
            "| --- | --- | --- | --- | --- | --- |\n")
    body = ""
    for fam in sorted(rows):
        c = rows[fam]
        body += (f"| {fam} | {c['tried']} | {c['accepted_identical']} | {c['quarantined']} | {c['rejected']} | "
                 f"{c['wrong']} |\n")
    total = sum(rows.values(), collections.Counter())
    body += (f"| **all** | **{total['tried']}** | {total['accepted_identical']} | {total['quarantined']} | "
             f"{total['rejected']} | **{total['wrong']}** |\n")
    return head + body


def test_reader_corpus_accounts_for_every_row(corpus: list[ReaderCase]) -> None:
    """Every case of the corpus: expected outcome, rows in = staged + quarantined per sheet, or rejected whole."""
    assert len(corpus) >= MIN_CASES - 20  # the LibreOffice part adds the rest (see the case table)
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    wrong: list[tuple[str, list[str]]] = []
    rows_in = rows_rejected = 0
    for case in corpus:
        kind, bad = _judge(case)
        c = counts[case.family]
        c["tried"] += 1
        c[kind] += 1
        rows_in += case.rows_in
        rows_rejected += case.rows_in if kind == "rejected" else 0
        if bad:
            c["wrong"] += 1
            wrong.append((case.name, bad))
    assert not wrong, wrong
    _update_doc(_table(counts) + f"\nRows in: {rows_in}, of which in rejected files: {rows_rejected}; every "
                "other row staged or quarantined (checked per sheet).\n")


def _update_doc(table: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = f"{START}\n{table}{END}"
    if START not in text:
        raise AssertionError(f"docs/reliability.md lacks the marker {START}")
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        if not os.environ.get("HNPLUS_UPDATE_DOCS"):
            pytest.fail("docs/reliability.md: the reader-corpus table was out of date and has been rewritten; "
                        "commit it (set HNPLUS_UPDATE_DOCS=1 to rewrite without failing)")


def test_libreoffice_part_is_there(corpus: list[ReaderCase]) -> None:
    """`make test` installs LibreOffice (make libreoffice); without it the corpus would silently shrink."""
    lo = [c for c in corpus if c.family == "libreoffice"]
    if not lo:
        pytest.skip("soffice not installed: run `make libreoffice`")
    assert len(corpus) >= MIN_CASES and {Path(c.name).suffix for c in lo} == {".ods", ".xlsx", ".xls"}


# ------------------------------------------------------------------------------------------- property test
CODES = ["maker_spaces", "online_retail_sales", "broadband_users", "ecommerce_enterprise_share", "no_such_code",
         "", "ms_ecommerce_01", "smartphone_output"]
VALUES = st.one_of(
    st.none(), st.integers(-5, 10_000), st.floats(-1, 1e6, allow_nan=False),
    st.sampled_from(["1.2万", "3亿", "70%", "百分之七十", "不适用", "#N/A", "#DIV/0!", "abc", "=1+1", "１２",
                     "1,234", " ", "5吨", "推进中", "已完成"]),
)
ROW = st.tuples(st.sampled_from(CODES), VALUES, st.sampled_from(["", "个", "万元", "亿元", "%"]),
                st.sampled_from(["", "推进中", "已完成", "乱写", "#N/A"]))


def _read_counts(data: bytes, name: str) -> tuple[dict[str, int], bool]:
    try:
        r = read_report(data, name)
    except ReportRejected as exc:
        assert exc.message_zh and exc.message_en
        return {}, True
    per = collections.Counter(x["sheet"] for x in r.rows)
    per.update(x["sheet"] for x in r.quarantined)
    return dict(per), False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=25), fmt=st.sampled_from(["csv", "xlsx"]),
       blank_every=st.integers(0, 4))
def test_property_rows_in_equal_staged_plus_quarantined(rows: list[tuple[Any, ...]], fmt: str,
                                                        blank_every: int) -> None:
    """For any generated report: rows in = staged + quarantined per sheet, or the whole file is rejected."""
    rep = base_report("410100", "2018Q4")
    if fmt == "csv":
        lines = [["HNPLUS-R1", "410100", "2018Q4", "专项" if code.startswith("ms_") else "指标", code, "", unit,
                  "" if value is None else value, "", "", status, "", ""] for code, value, unit, status in rows]
        body = io.StringIO()
        w = csv.writer(body, lineterminator="\r\n")
        w.writerow(CSV_HEADER)
        for i, line in enumerate(lines, 1):
            w.writerow(line)
            if blank_every and i % blank_every == 0:
                w.writerow([])
        got, rejected = _read_counts(body.getvalue().encode(), "prop_410100_2018Q4.csv")
        assert rejected or got == {"csv": len(lines)}, got
        return
    rep.indicators = [[code, "", unit, value, None, None, None] for code, value, unit, _ in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prop_410100_2018Q4.xlsx"
        try:
            write_openpyxl(path, rep, blank_every=blank_every)
        except (ValueError, openpyxl.utils.exceptions.IllegalCharacterError):
            return  # openpyxl refuses some values itself (not a reader case)
        got, rejected = _read_counts(path.read_bytes(), path.name)
    # a row whose every cell is empty is no row (the reader reads the non-blank rows below the header)
    expect = {"指标": sum(not is_blank(r) for r in rep.indicators), "专项进展": len(rep.status_items or [])}
    assert rejected or got == {k: v for k, v in expect.items() if v}, (got, expect)


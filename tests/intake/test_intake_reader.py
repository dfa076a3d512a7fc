"""Unit tests of the tolerant reader, the template round trip, the CLI helpers and the speed on a full sample."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest
from corpus import base_report, csv_text, json_doc, write_xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.ingest.reports.commands import intake_command, template_command
from transforms.ingest.reports.errors import ReportRejected, ValueProblem
from transforms.ingest.reports.intake import intake_inbox
from transforms.ingest.reports.lookup import resolve_city
from transforms.ingest.reports.periods import parse_period
from transforms.ingest.reports.reader import read_report
from transforms.ingest.reports.receipts import build_receipt, render_receipt_text
from transforms.ingest.reports.template import write_template
from transforms.ingest.reports.values import parse_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018Q4", "2018Q4"),
        ("2018q4", "2018Q4"),
        ("2018-Q4", "2018Q4"),
        ("2018年第四季度", "2018Q4"),
        ("2018年4季度", "2018Q4"),
        ("2018年第4季度", "2018Q4"),
        ("2018-12", "2018Q4"),
        ("2018/11", "2018Q4"),
        ("2018年12月", "2018Q4"),
        ("2018-12-31", "2018Q4"),
        (43465, "2018Q4"),
        (43465.0, "2018Q4"),
        ("43465", "2018Q4"),
        (dt.date(2018, 12, 31), "2018Q4"),
        (dt.datetime(2019, 2, 1), "2019Q1"),
        ("２０１８年第三季度", "2018Q3"),
        ("2018三季度", "2018Q3"),
        ("上半年", None),
        ("2018Q5", None),
        ("", None),
    ],
)
def test_parse_period(text: object, expected: str | None) -> None:
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("raw", "unit", "row_unit", "expected"),
    [
        ("1.2万", "个", None, (12000, "reported")),
        ("3亿台", "万台", None, (30000, "reported")),
        ("3亿", "亿元", None, (3, "reported")),  # the unit's own magnitude: exact
        ("70%", "%", None, (70, "reported")),
        ("百分之七十", "%", None, (70, "reported")),
        ("１２３", "个", None, (123, "reported")),
        ("1,234.5", "个", None, (1234.5, "reported")),
        ("12,345万元", "亿元", None, (1.2345, "reported")),
        (12000, "亿元", "万元", (1.2, "reported")),
        ("不适用", "个", None, (None, "not_applicable")),
        ("N/A", "%", None, (None, "not_applicable")),
        ("", "个", None, (None, "not_reported")),
        (None, "个", None, (None, "not_reported")),
        (0, "个", None, (0, "reported")),
        ("0", "亿元", None, (0, "reported")),
        ("0.5亿美元", "亿美元", None, (0.5, "reported")),
    ],
)
def test_parse_value(raw: object, unit: str, row_unit: str | None, expected: tuple) -> None:
    value, status = parse_value(raw, unit, row_unit)
    assert status == expected[1]
    assert value == (pytest.approx(expected[0]) if expected[0] is not None else None)


@pytest.mark.parametrize(
    ("raw", "unit", "code"),
    [
        ("abc", "个", "value_invalid"),
        ("3亿", "万台", "magnitude_ambiguous"),  # issue 17: a bare magnitude against a unit with its own
        ("1.2万", "亿元", "magnitude_ambiguous"),
        ("#DIV/0!", "个", "excel_error"),
        ("#N/A", "%", "excel_error"),
        (-1, "个", "value_negative"),
        ("150%", "%", "value_out_of_range"),
        ("5吨", "亿元", "unit_mismatch"),
        ("70%", "家", "unit_mismatch"),
        (True, "个", "value_invalid"),
    ],
)
def test_parse_value_problems(raw: object, unit: str, code: str) -> None:
    with pytest.raises(ValueProblem) as err:
        parse_value(raw, unit)
    assert err.value.reason_code == code


@given(st.integers(min_value=0, max_value=10**12))
@settings(max_examples=200, deadline=None)
def test_integers_survive_any_clerk_spelling(n: int) -> None:
    fullwidth = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for spelling in (n, float(n), str(n), f"{n:,}", fullwidth, f" {n} "):
        assert parse_value(spelling, "个")[0] == n


@pytest.mark.parametrize("alias", ["410300", "洛阳", "洛阳市", "Luoyang", "luoyang", "洛陽市", "豫C", "河南省洛阳市"])
def test_city_aliases(alias: str) -> None:
    assert resolve_city(alias) == "410300"


def _column(ws: openpyxl.worksheet.worksheet.Worksheet, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def test_template_round_trips_through_the_reader(tmp_path: Path) -> None:
    for city in ("410100", "419001"):
        path = write_template(city, "2018Q4", tmp_path / f"{city}.xlsx")
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["封面", "指标", "专项进展"]  # the instructions print on the cover
        assert wb["封面"]["B1"].value == "HNPLUS-R1"
        assert wb["指标"].data_validations.dataValidation and wb["专项进展"].data_validations.dataValidation
        assert wb["专项进展"].max_row - 1 == 43
        empty = read_report(path.read_bytes(), path.name)
        assert (empty.city_code, empty.period, empty.template_version) == (city, "2018Q4", "HNPLUS-R1")
        assert not empty.quarantined and {r["value_status"] for r in empty.rows} == {"not_reported"}
        ws = wb["指标"]
        value, target = _column(ws, "本期数值"), _column(ws, "本市目标2018")
        for r in range(2, ws.max_row + 1):
            ws.cell(r, value).value = r
            ws.cell(r, target).value = r + 1
        status = _column(wb["专项进展"], "推进状态")
        for r in range(2, wb["专项进展"].max_row + 1):
            wb["专项进展"].cell(r, status).value = "已完成"
        wb.save(path)
        filled = read_report(path.read_bytes(), path.name)
        assert not filled.quarantined
        assert len(filled.rows) == (ws.max_row - 1) + 43
        inds = [r for r in filled.rows if r["kind"] == "quantity"]
        assert all(r["value"] == r["row_number"] and r["city_target_2018"] == r["row_number"] + 1 for r in inds)
        assert {r["status_step"] for r in filled.rows if r["kind"] == "status"} == {"已完成"}


def test_template_only_lists_indicators_for_the_city(tmp_path: Path) -> None:
    codes = lambda p: {r["indicator_code"] for r in read_report(p.read_bytes(), p.name).rows}  # noqa: E731
    zz = codes(write_template("郑州", "2018年第四季度", tmp_path / "zz.xlsx"))
    ly = codes(write_template("Luoyang", "2018-12", tmp_path / "ly.xlsx"))
    assert "air_cargo_throughput" in zz and "air_cargo_throughput" not in ly


def test_csv_and_json_say_the_same_as_xlsx(tmp_path: Path) -> None:
    rep = base_report("410300", "2018Q4")
    write_xlsxwriter(tmp_path / "a.xlsx", rep)
    key = lambda rows: sorted((r["indicator_code"], r["value"], r["status_step"]) for r in rows)  # noqa: E731
    a = read_report((tmp_path / "a.xlsx").read_bytes(), "a.xlsx")
    b = read_report(csv_text(rep).encode("gbk"), "b.csv")
    c = read_report(json.dumps(json_doc(rep), ensure_ascii=False).encode("utf-8"), "c.json")
    assert key(a.rows) == key(b.rows) == key(c.rows)


def test_structural_rejections(tmp_path: Path) -> None:
    with pytest.raises(ReportRejected) as e:
        read_report(b"   \n", "blank.csv")
    assert e.value.reason_code == "empty_file"
    with pytest.raises(ReportRejected) as e:
        read_report(b"[1, 2]", "list.json")
    assert e.value.reason_code == "invalid_json"


def test_receipt_text_lists_problems() -> None:
    rec = {
        "file_id": "ab" * 32,
        "original_name": "x.xlsx",
        "status": "accepted",
        "city_code": "410300",
        "period": "2018Q4",
        "rows_total": 3,
        "rows_staged": 2,
        "rows_quarantined": 1,
        "received_at": dt.datetime(2026, 1, 1),
    }
    q = [
        {
            "sheet": "指标",
            "row_number": 5,
            "column_name": "本期数值",
            "reason_code": "value_invalid",
            "message_zh": "第5行有误",
            "message_en": "row 5 is wrong",
            "raw_record": "{}",
        }
    ]
    staged = [{"value_status": "reported"}, {"value_status": "not_applicable"}]
    receipt = build_receipt(rec, staged, q)
    text = render_receipt_text(receipt)
    assert "第5行有误" in text and "row 5 is wrong" in text and "洛阳市" in text
    assert text.index("第5行有误") < text.index("row 5 is wrong")
    assert receipt["value_status_counts"] == {"reported": 1, "not_applicable": 1, "not_reported": 0}


def test_cli_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("HNPLUS_DATA_DIR", str(tmp_path / "data"))
    out = template_command("410300", "2018年第四季度", tmp_path / "tpl")
    assert out.name == "410300_2018Q4_HNPLUS-R1.xlsx" and out.exists()
    good = tmp_path / "in" / "good.xlsx"
    good.parent.mkdir()
    write_xlsxwriter(good, base_report("410300", "2019Q1"))
    assert intake_command([good]) == 0
    assert "已接收" in capsys.readouterr().out
    bad = tmp_path / "in" / "bad.csv"
    bad.write_text("not a report\n", "utf-8")
    assert intake_command([bad]) == 1
    text = capsys.readouterr().out
    assert "not_template" in text and "已拒收" in text
    assert intake_command([bad]) == 1  # still rejected when sent again
    assert intake_command([tmp_path / "in"]) == 1
    # a file sitting in another city's folder is refused even when passed by path
    wrong = tmp_path / "elsewhere" / "410100" / "luoyang.xlsx"
    wrong.parent.mkdir(parents=True)
    write_xlsxwriter(wrong, base_report("410300", "2019Q2"))
    assert intake_command([wrong]) == 1
    assert "city_mismatch" in capsys.readouterr().out


def test_full_sample_intake_is_fast(tmp_path: Path) -> None:
    """378 files (18 cities x 21 quarters, xlsx/csv/json) well under 30 s."""
    from tools.samples import write_samples

    inbox = tmp_path / "inbox"
    files = write_samples(inbox)
    assert len(files) == 378
    con = duckdb.connect()
    t0 = time.perf_counter()
    s = intake_inbox(con, inbox, tmp_path / "landing", now=dt.datetime(2026, 1, 1))
    elapsed = time.perf_counter() - t0
    assert s.accepted == 378 and s.rejected == 0, [o for o in s.outcomes if o.status != "accepted"][:3]
    assert elapsed < 30, elapsed
    assert con.execute("SELECT count(*) FROM quarantine.report_rows").fetchone()[0] == 0

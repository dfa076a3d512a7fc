"""The template a clerk cannot break, and the receipt that names every mistake: protection, Chinese first, last
period's values, validation that agrees with the reader, three printed pages; every error and every blank cell."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from transforms.ingest.reports.reader import read_report
from transforms.ingest.reports.receipts import build_receipt, render_receipt_text
from transforms.ingest.reports.template import write_template


def _col(ws, header: str) -> int:  # noqa: ANN001
    return [c.value for c in ws[1]].index(header) + 1


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    previous = {"xborder_ecommerce_trade": 3.5, "ms_ecommerce_01": "推进中"}
    return write_template("410300", "2019Q1", tmp_path / "t.xlsx", previous)


def test_structure_protected_inputs_open_chinese_first(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    ind, ms = wb["指标"], wb["专项进展"]
    assert [c.value for c in ind[1]][:2] == ["指标名称", "指标代码"] and ms["A1"].value == "专项名称"
    value = _col(ind, "本期数值")
    assert not ind.cell(2, value).protection.locked and ind.cell(2, _col(ind, "指标代码")).protection.locked
    assert not ms.cell(2, _col(ms, "推进状态")).protection.locked and ms.cell(2, 1).protection.locked
    cover = wb["封面"]
    locked = {r[0].value: r[1].protection.locked for r in cover.iter_rows(min_row=1, max_row=7)}
    assert locked["城市代码"] and locked["报告期"] and not locked["填报人"]
    row = next(r for r in ind.iter_rows(min_row=2) if r[1].value == "xborder_ecommerce_trade")
    assert row[_col(ind, "上期数值（参考）") - 1].value == 3.5
    assert next(r for r in ms.iter_rows(min_row=2) if r[1].value == "ecommerce_01")[2].value == "推进中"


def test_validation_accepts_what_the_instructions_allow(template: Path) -> None:
    """Excel's rule on a value cell lets 1.2万 / 3亿元 / 70% / 百分之七十 through (text starting with a digit or
    百分之); an unusual spelling only warns; and the reader reads each of them."""
    wb = openpyxl.load_workbook(template)
    ind = wb["指标"]
    (dv,) = ind.data_validations.dataValidation
    assert dv.errorStyle == "warning" and "ISTEXT" in dv.formula1 and '"百分之"' in dv.formula1
    assert "E2:G" in str(dv.sqref)
    value = _col(ind, "本期数值")
    rows = {r[1].value: r[0].row for r in ind.iter_rows(min_row=2)}
    ind.cell(rows["express_terminals"], value).value = "1.2万"  # a count (个): exactly 12,000
    ind.cell(rows["xborder_ecommerce_trade"], value).value = "1.2万"  # 万 against 亿美元: which was meant?
    wb.save(template)
    rep = read_report(template.read_bytes(), template.name)
    got = next(r for r in rep.rows if r["indicator_code"] == "express_terminals")
    assert got["value_status"] == "reported" and got["value"] == 12000
    # a bare magnitude against a unit with its own magnitude is held for review, never converted silently
    assert [(q["reason_code"], q["column_name"]) for q in rep.quarantined] == [("magnitude_ambiguous", "本期数值")]


def test_receipt_names_every_error_and_every_blank_cell(template: Path) -> None:
    """Three wrong cells in one row and one blank required cell: the receipt names all four."""
    wb = openpyxl.load_workbook(template)
    ind, ms = wb["指标"], wb["专项进展"]
    v, t18, t25 = _col(ind, "本期数值"), _col(ind, "本市目标2018"), _col(ind, "本市目标2025")
    for r in range(2, ind.max_row + 1):
        ind.cell(r, v).value = 10
    for r in range(2, ms.max_row + 1):
        ms.cell(r, _col(ms, "推进状态")).value = "推进中"
    bad = 3
    ind.cell(bad, v).value = "很多"
    ind.cell(bad, t18).value = "-5"
    ind.cell(bad, t25).value = "五成"
    blank = 6
    ind.cell(blank, v).value = None
    blank_name = ind.cell(blank, 1).value
    wb.save(template)
    rep = read_report(template.read_bytes(), template.name)
    assert len(rep.quarantined) == 1
    rec = {"file_id": "ab" * 32, "original_name": template.name, "status": "accepted", "city_code": "410300",
           "period": "2019Q1", "rows_total": len(rep.rows) + 1, "rows_staged": len(rep.rows),
           "rows_quarantined": 1, "received_at": dt.datetime(2026, 12, 1, 16, 30, 5, 123456)}
    receipt = build_receipt(rec, rep.rows, rep.quarantined)
    text = render_receipt_text(receipt)
    zh = text.split("\n\n")[0]
    line = next(ln for ln in zh.splitlines() if f"第{bad}行" in ln and "很多" in ln)
    assert "“很多”" in line and "本市目标2018" in line and "本市目标2025" in line and "五成" in line
    assert "-5" in line or "负" in line or "小于" in line
    assert [b["row_number"] for b in receipt["blank_cells"]] == [blank]
    assert f"第{blank}行（{blank_name}）" in zh and "本期数值" in zh
    assert receipt["received_at"] == "2026-12-02T00:30:05+08:00"
    assert "2026-12-02 00:30:05（北京时间）" in zh and not re.search(r"\d\d:\d\d:\d\d\.\d", text)


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdfinfo")),
                    reason="needs LibreOffice and poppler-utils: `make libreoffice pdf-tools`")
def test_template_prints_on_three_pages(template: Path, tmp_path: Path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(template)], check=True, capture_output=True, timeout=240)
    info = subprocess.run(["pdfinfo", str(tmp_path / "t.pdf")], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages <= 3
    print(f"template pages: {pages}")


@pytest.mark.parametrize("step_column", ["status_step", "milestone_status"])
def test_previous_values_from_a_dataset_of_either_format(tmp_path: Path, step_column: str) -> None:
    """Last period's values come from the published indicator scores; a dataset of format 1 names the status
    step milestone_status (docs/data_dictionary.md, renames), and the template reads it all the same."""
    import pandas as pd

    from transforms.ingest.reports.commands import previous_values

    (tmp_path / "2018Q4").mkdir()
    pd.DataFrame({
        "city_code": ["410300", "410300", "410300", "410100"],
        "indicator_code": ["xborder_ecommerce_trade", "ms_ecommerce_01", "maker_spaces", "ms_ecommerce_01"],
        "value": [3.5, 1.0, 7.0, 3.0],
        step_column: [None, "推进中", None, "已完成"],
        "value_status": ["reported", "reported", "not_reported", "reported"],
        "is_carried_forward": [False, False, False, False],
    }).to_parquet(tmp_path / "2018Q4" / "indicator_scores.parquet")
    assert previous_values(tmp_path, "410300", "2019Q1") == {"xborder_ecommerce_trade": 3.5,
                                                             "ms_ecommerce_01": "推进中"}

"""The officials' workbook: read back by two independent readers (openpyxl and calamine) and compared with the CSV,
checked for Chinese words only (no English status code), and printed through LibreOffice (one call per module)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from transforms.core.formulas import is_formula_text
from transforms.publish.excel import HEAD_ROW, write_league_workbook
from transforms.publish.labels import AGGREGATION, CAUSES, EVIDENCE_AGREEMENT, LIGHT, NO_SCORE_REASON, ON_TRACK

CODES = set(ON_TRACK) | set(LIGHT) | set(EVIDENCE_AGREEMENT) | set(NO_SCORE_REASON) | set(AGGREGATION) | set(CAUSES)


@pytest.fixture(scope="module")
def csv(published: Path) -> pd.DataFrame:
    return pd.read_csv(published / "latest" / "league_table.csv", dtype={"city_code": str, "period": str})


def _table(rows: list[list]) -> pd.DataFrame:
    head = rows[HEAD_ROW]
    return pd.DataFrame([r for r in rows[HEAD_ROW + 1:] if any(v not in (None, "") for v in r)], columns=head)


def test_workbook_one_period_in_plan_order(published: Path, csv: pd.DataFrame) -> None:
    path = published / "latest" / "league_table.xlsx"
    latest = csv.period.max()
    now = csv[csv.period == latest]
    wb = openpyxl.load_workbook(path)
    cal = CalamineWorkbook.from_path(str(path))
    assert wb.sheetnames == cal.sheet_names
    assert wb.sheetnames[0] == "总体" and wb.sheetnames[-3:] == ["历史", "自报与独立数据", "说明"]
    actions = wb.sheetnames[1:-3]
    assert len(actions) == 11 and actions == sorted(actions) and actions[0] == "01 电子商务"  # seq of plan_actions
    for sheet in wb.sheetnames[:-3]:
        ws = wb[sheet]
        scope = now[now.scope_name == sheet.split(" ", 1)[-1]] if sheet != "总体" else now[now.scope == "overall"]
        for rows in ([list(r) for r in ws.iter_rows(values_only=True)],
                     cal.get_sheet_by_name(sheet).to_python(skip_empty_area=False)):
            df = _table([list(r) for r in rows])
            assert latest in rows[0][0] and len(df) == len(scope) == 18
            merged = df.merge(scope, left_on="城市", right_on="city_name")
            assert [int(x) for x in merged["名次"]] == merged["rank"].tolist()
            assert [float(x) for x in merged["得分"]] == pytest.approx(merged.score.tolist(), abs=1e-9)
        assert ws.freeze_panes == f"D{HEAD_ROW + 2}" and ws.auto_filter.ref
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1 is the default
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == f"$1:${HEAD_ROW + 1}"
        assert "run-a" in ws.oddFooter.left.text and "&P" in ws.oddFooter.right.text
        assert ws.cell(HEAD_ROW + 1, 1).comment is not None


def test_no_english_code_and_two_decimals_at_most(published: Path) -> None:
    for path in (published / "latest" / "league_table.xlsx",
                 next((published / "latest" / "periods").iterdir()) / "league_table.xlsx"):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert not (isinstance(c.value, str) and c.value.strip() in CODES | {"TRUE", "FALSE"}), \
                        (ws.title, c.coordinate, c.value)
                    assert not isinstance(c.value, bool), (ws.title, c.coordinate)
                    if isinstance(c.value, float):
                        decimals = c.number_format.split(".")[1].rstrip("%") if "." in c.number_format else ""
                        assert c.number_format != "General" and len(decimals) <= 2, (ws.title, c.coordinate)
        notes = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
        assert "● 绿灯" in notes and "本期无新数据" in notes and "方法版本 Method version" in notes


def test_fixed_document_properties(published: Path) -> None:
    props = openpyxl.load_workbook(published / "latest" / "league_table.xlsx").properties
    assert props.created.year == 2015 and props.creator == "hnplus"


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="needs LibreOffice and poppler-utils: `make libreoffice pdf-tools`")
def test_prints_overall_table_on_one_page(published: Path, csv: pd.DataFrame, tmp_path: Path) -> None:
    """LibreOffice prints the one-period workbook: the overall table (18 cities) on page 1, each scope on one page."""
    period = csv.period.max()
    src = tmp_path / "book.xlsx"
    shutil.copy(published / period / "league_table.xlsx", src)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=240)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "book.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = text.split("\f")[:-1]
    cities = csv.city_name.unique()
    assert len(cities) == 18
    assert all(c in pages[0] for c in cities) and "总体" in pages[0] and period in pages[0]
    assert "第 1 页" in pages[0] and "run-a" in pages[0]
    scope_pages = [p for p in pages if f" · {period}\n" in p]  # the title line of a scope sheet
    assert len(scope_pages) == 12, "one printed page per scope"
    assert all(sum(c in p for c in cities) == 18 for p in scope_pages)
    assert len(pages) <= 12 + 3
    print(f"printed pages: {len(pages)}")


def test_formula_like_text_is_neutralised(tmp_path: Path) -> None:
    """A name such as ``=HYPERLINK(...)`` must stay text: written as a string cell with Excel's quote prefix."""
    evil = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3", "@SUM(A1)", "郑州市"]
    df = pd.DataFrame({"period": ["2020Q4"] * 5, "city_code": [f"41{i}" for i in range(5)], "city_name": evil,
                       "city_name_en": evil, "scope": ["overall"] * 5, "scope_name": ["总体"] * 5,
                       "scope_name_en": ["Overall"] * 5, "score": [1.0, 2.0, 3.0, 4.0, 5.0], "rank": [5, 4, 3, 2, 1],
                       "rank_change": [None] * 5, "coverage": [1.0] * 5})
    path = write_league_workbook(df, tmp_path / "evil.xlsx", "ds")
    ws = openpyxl.load_workbook(path).active
    col = [c.value for c in ws[HEAD_ROW + 1]].index("城市") + 1
    cells = {ws.cell(row=r, column=col).value: ws.cell(row=r, column=col) for r in range(HEAD_ROW + 2, HEAD_ROW + 7)}
    assert set(cells) == set(evil)
    for text, cell in cells.items():
        assert cell.data_type == "s"
        assert cell.quotePrefix is is_formula_text(text)
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert sorted(r[col - 1] for r in cal[HEAD_ROW + 1:]) == sorted(evil)

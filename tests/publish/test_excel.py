"""The officials' workbook, read back by two independent readers (openpyxl and calamine) and compared with the CSV."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from transforms.core.formulas import is_formula_text
from transforms.publish.datapackage import column_doc
from transforms.publish.excel import write_league_workbook


@pytest.fixture(scope="module")
def csv(published: Path) -> pd.DataFrame:
    return pd.read_csv(published / "latest" / "league_table.csv", dtype={"city_code": str, "period": str})


def _sheet_frame(rows: list[list], headers_zh: dict[str, str]) -> pd.DataFrame:
    by_title = {v: k for k, v in headers_zh.items()}
    df = pd.DataFrame(rows[1:], columns=[by_title[h] for h in rows[0]])
    return df


def _compare(df: pd.DataFrame, csv_part: pd.DataFrame) -> None:
    key = ["period", "city_code"]
    a = df.sort_values(key).reset_index(drop=True)
    b = csv_part.sort_values(key).reset_index(drop=True)
    assert len(a) == len(b) > 0
    assert a.city_code.astype(str).tolist() == b.city_code.tolist()
    assert a.city_name.tolist() == b.city_name.tolist()
    for col in ("score", "rank", "coverage"):
        assert [float(x) for x in a[col]] == pytest.approx(b[col].astype(float).tolist(), abs=1e-9)
    rc_a = [None if x is None or x == "" or pd.isna(x) else int(float(x)) for x in a.rank_change]
    rc_b = [None if pd.isna(x) else int(x) for x in b.rank_change]
    assert rc_a == rc_b


def test_workbook_matches_csv_in_two_readers(published: Path, csv: pd.DataFrame) -> None:
    path = published / "latest" / "league_table.xlsx"
    headers = {c: column_doc(c).title_zh for c in csv.columns}
    wb = openpyxl.load_workbook(path)
    cal = CalamineWorkbook.from_path(str(path))
    scopes = csv.drop_duplicates("scope")[["scope", "scope_name"]].values.tolist()
    assert wb.sheetnames == cal.sheet_names and len(wb.sheetnames) == len(scopes) == 12
    assert wb.sheetnames[0] == "总体 Overall"
    for scope, name in scopes:
        sheet = "总体 Overall" if scope == "overall" else name
        part = csv[csv.scope == scope]
        ws = wb[sheet]
        rows_openpyxl = [list(r) for r in ws.iter_rows(values_only=True)]
        rows_calamine = cal.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        _compare(_sheet_frame(rows_openpyxl, headers), part)
        _compare(_sheet_frame([list(r) for r in rows_calamine], headers), part)
        assert ws.freeze_panes == "A2"
        assert ws["A1"].comment is not None and "Period" in ws["A1"].comment.text
        assert ws.conditional_formatting, "the score column has a colour scale"
        assert rows_openpyxl[0][:3] == ["报告期", "名次", "名次变化"]


def test_fixed_document_properties(published: Path) -> None:
    props = openpyxl.load_workbook(published / "latest" / "league_table.xlsx").properties
    assert props.created.year == 2015 and props.creator == "hnplus"


def test_formula_like_text_is_neutralised(tmp_path: Path) -> None:
    """A name such as ``=HYPERLINK(...)`` must stay text: written as a string cell with Excel's quote prefix."""
    evil = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3", "@SUM(A1)", "郑州市"]
    df = pd.DataFrame({"period": ["2020Q4"] * 5, "city_code": [f"41{i}" for i in range(5)], "city_name": evil,
                       "city_name_en": evil, "scope": ["overall"] * 5, "scope_name": ["总体"] * 5,
                       "scope_name_en": ["Overall"] * 5, "score": [1.0, 2.0, 3.0, 4.0, 5.0], "rank": [5, 4, 3, 2, 1],
                       "rank_change": [None] * 5, "coverage": [1.0] * 5})
    path = write_league_workbook(df, tmp_path / "evil.xlsx")
    ws = openpyxl.load_workbook(path).active
    col = [c.value for c in ws[1]].index("城市") + 1
    cells = {ws.cell(row=r, column=col).value: ws.cell(row=r, column=col) for r in range(2, 7)}
    assert set(cells) == set(evil)
    for text, cell in cells.items():
        assert cell.data_type == "s"
        assert cell.quotePrefix is is_formula_text(text)
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert sorted(r[col - 1] for r in cal[1:]) == sorted(evil)

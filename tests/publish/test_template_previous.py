"""The clerk's template shows last period's accepted values, read from the published dataset of that period."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from transforms.ingest.reports.commands import previous_values
from transforms.ingest.reports.template import write_template


def test_template_shows_last_periods_accepted_values(published: Path, tmp_path: Path) -> None:
    prev = previous_values(published, "410300", "2019Q1")
    scores = pd.read_csv(published / "2018Q4" / "indicator_scores.csv", dtype={"city_code": str})
    mine = scores[(scores.city_code == "410300") & (scores.value_status == "reported") & ~scores.is_carried_forward]
    assert len(prev) == len(mine) > 50
    ws = openpyxl.load_workbook(write_template("410300", "2019Q1", tmp_path / "t.xlsx", prev))["指标"]
    heads = [c.value for c in ws[1]]
    code, ref = heads.index("指标代码"), heads.index("上期数值（参考）")
    shown = {r[code].value: r[ref].value for r in ws.iter_rows(min_row=2)}
    expected = mine.set_index("indicator_code").value
    assert all(shown[k] == expected[k] for k in shown if k in expected.index)
    assert sum(v is not None for v in shown.values()) > 20
    assert previous_values(published, "410300", "2016Q1") == {}  # nothing published before the first period

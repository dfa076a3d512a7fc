"""Writes the HNPLUS-R1 report template for one city and quarter.

The template is the cheapest way to get clean data: codes, names and units are pre-filled, value cells
carry data validation (number >= 0 or 不适用) and the status column is a dropdown, so most mistakes are
stopped in Excel before the file is ever sent.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from transforms.catalog import MILESTONE_STATUSES, TEMPLATE_VERSION
from transforms.ingest.reports.lookup import Indicator, catalog_lookup, resolve_city
from transforms.ingest.reports.periods import parse_period

INDICATOR_HEADER = ("指标代码", "指标名称", "单位", "本期数值", "本市目标2018", "本市目标2025", "备注")
MILESTONE_HEADER = ("专项代码", "专项名称", "推进状态", "佐证材料")
COVER_LABELS = ("模板版本", "城市代码", "城市", "报告期", "填报单位", "填报人", "填报日期")

INSTRUCTIONS = (
    f"填报说明（模板版本 {TEMPLATE_VERSION}）",
    "1. 请勿修改“封面”中的模板版本、城市代码和报告期，也不要删除或重命名工作表。",
    "2. “指标”表：在“本期数值”列填写本报告期末的数值，单位以“单位”列为准（如 亿元、万台、%）。",
    "   也可以在单元格中写明单位（如 1.2万、3亿元、70%），系统会自动换算为本表单位。",
    "3. 本市没有该项工作的，请填写“不适用”；暂无数据的请留空；数值确实为 0 的请填写 0。",
    "4. “本市目标2018”“本市目标2025”填写本市自定的目标值（单位同上），没有的留空。",
    "5. “专项进展”表：在“推进状态”列从下拉框选择 未启动 / 推进中 / 基本完成 / 已完成，"
    "并在“佐证材料”列写明文件名称或链接。",
    "6. 请不要合并单元格、不要插入说明行到数据中间；如需说明，请写在“备注”列。",
    "7. 保存为 .xlsx 后，放入本市的报送文件夹（以城市代码或城市名称命名），"
    "系统会生成回执，说明已接收和需要修改的内容。",
    "8. 同一城市同一报告期再次报送时，以最新报送的文件为准，旧文件保留备查。",
)


BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _report_indicators(city_code: str) -> list[Indicator]:
    """The indicators a city reports itself (not the feed-only ones), in catalogue order."""
    return [
        ind
        for ind in catalog_lookup().indicators.values()
        if ind.kind != "milestone"
        and ind.source in ("report", "both")
        and (ind.applies_to == "all" or city_code in ind.applies_to.split("|"))
    ]


def write_template(city_code: str, period: str, out_path: Path) -> Path:
    """Write the template for ``city_code`` (any alias) and ``period`` (any accepted spelling) to ``out_path``."""
    code = resolve_city(city_code)
    if code is None:
        raise ValueError(f"unknown city: {city_code!r}")
    canon = parse_period(period)
    if canon is None:
        raise ValueError(f"cannot read period: {period!r}")
    wb = Workbook()
    _fill_cover(wb.active, code, canon)
    _fill_indicators(wb.create_sheet("指标"), code)
    _fill_milestones(wb.create_sheet("专项进展"))
    _fill_instructions(wb.create_sheet("填报说明"))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path


def _fill_cover(cover: Worksheet, code: str, period: str) -> None:
    cover.title = "封面"
    values = (TEMPLATE_VERSION, code, catalog_lookup().cities[code], period, "", "", "")
    for label, value in zip(COVER_LABELS, values, strict=True):
        cover.append([label, value])
    for row in cover.iter_rows(min_col=1, max_col=1):
        row[0].font = BOLD
    cover["B2"].number_format = "@"
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 30


def _fill_indicators(ws: Worksheet, code: str) -> None:
    """Codes, names and units pre-filled; value and target cells accept a number >= 0 or 不适用."""
    ws.append(list(INDICATOR_HEADER))
    indicators = _report_indicators(code)
    for ind in indicators:
        ws.append([ind.code, ind.name_zh, ind.unit, None, None, None, None])
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEAD_FILL
    last = len(indicators) + 1
    dv = DataValidation(
        type="custom",
        formula1='OR(AND(ISNUMBER(D2),D2>=0),D2="不适用")',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="数值无效",
        error="请填写不小于0的数值，或“不适用”；暂无数据请留空。",
    )
    dv.add(f"D2:F{max(last, 2)}")
    ws.add_data_validation(dv)
    for col, width in zip("ABCDEFG", (30, 40, 10, 14, 14, 14, 30), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "D2"


def _fill_milestones(ms: Worksheet) -> None:
    """One row per special; the status column is a dropdown of the four statuses."""
    ms.append(list(MILESTONE_HEADER))
    specials = sorted(catalog_lookup().specials.values(), key=lambda s: s.code)
    for sp in specials:
        ms.append([sp.code, sp.name_zh, None, None])
    for cell in ms[1]:
        cell.font, cell.fill = BOLD, HEAD_FILL
    sdv = DataValidation(
        type="list",
        formula1='"' + ",".join(MILESTONE_STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="推进状态无效",
        error="请从下拉框选择：" + "/".join(MILESTONE_STATUSES),
    )
    sdv.add(f"C2:C{len(specials) + 1}")
    ms.add_data_validation(sdv)
    for col, width in zip("ABCD", (20, 36, 12, 60), strict=True):
        ms.column_dimensions[col].width = width
    ms.freeze_panes = "C2"


def _fill_instructions(info: Worksheet) -> None:
    for line in INSTRUCTIONS:
        info.append([line])
    info["A1"].font = Font(bold=True, size=13)
    info.column_dimensions["A"].width = 120
    for row in info.iter_rows():
        row[0].alignment = Alignment(wrap_text=True)

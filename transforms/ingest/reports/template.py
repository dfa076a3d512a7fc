"""Writes the HNPLUS-R1 report template for one city and quarter.

The template is the cheapest way to get clean data: names (Chinese first), codes and units are pre-filled and
locked (sheet protection without a password; only the input cells are open), last period's accepted values
stand beside the input cells for reference, value cells are checked the way the reader reads them (so 1.2万
passes), the status column is a dropdown, and the whole template prints on three A4 pages (cover with the
instructions, indicators, specials).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from transforms.catalog import STATUS_STEPS, TEMPLATE_VERSION
from transforms.ingest.reports.lookup import Indicator, catalog_lookup, resolve_city
from transforms.ingest.reports.periods import parse_period

# The columns of R1 as first issued (files in circulation use them; the reader finds columns by header, so any
# order reads). The template now writes Chinese names first and last period's values beside the input cells.
INDICATOR_HEADER = ("指标代码", "指标名称", "单位", "本期数值", "本市目标2018", "本市目标2025", "备注")
STATUS_HEADER = ("专项代码", "专项名称", "推进状态", "佐证材料")
TEMPLATE_INDICATOR_HEADER = ("指标名称", "指标代码", "单位", "上期数值（参考）", "本期数值", "本市目标2018",
                             "本市目标2025", "备注")
TEMPLATE_STATUS_HEADER = ("专项名称", "专项代码", "上期状态（参考）", "推进状态", "佐证材料")
COVER_LABELS = ("模板版本", "城市代码", "城市", "报告期", "填报单位", "填报人", "填报日期")
INPUT_COVER = ("填报单位", "填报人", "填报日期")
# Excel's check of a value cell agrees with the reader (values.parse_value): a number >= 0, 不适用, or text that
# starts with a digit or 百分之 (1.2万, 3亿元, 70%); anything else warns but may be kept (七十 is also read).
VALUE_RULE = ('OR(AND(ISNUMBER({c}),{c}>=0),{c}="不适用",AND(ISTEXT({c}),OR(ISNUMBER(VALUE(LEFT({c},1))),'
              'LEFT({c},3)="百分之")))')
UNLOCKED = Protection(locked=False)

INSTRUCTIONS = (
    f"填报说明（模板版本 {TEMPLATE_VERSION}）",
    "1. 请勿修改“封面”中的模板版本、城市代码和报告期，也不要删除或重命名工作表。",
    "2. “指标”表：在“本期数值”列填写本报告期末的数值，单位以“单位”列为准（如 亿元、万台、%）；"
    "“上期数值（参考）”为上一报告期已接收的数值，仅供核对，不必修改。",
    "   也可以在单元格中写明单位（如 1.2万、3亿元、70%），系统会自动换算为本表单位。",
    "3. 本市没有该项工作的，请填写“不适用”；暂无数据的请留空；数值确实为 0 的请填写 0。",
    "4. “本市目标2018”“本市目标2025”填写本市自定的目标值（单位同上），没有的留空。",
    "5. “专项进展”表：在“推进状态”列从下拉框选择 未启动 / 推进中 / 基本完成 / 已完成，"
    "并在“佐证材料”列写明文件名称或链接。",
    "6. 工作表已保护：只有白色的填写单元格可以修改（无密码，如确需调整可在“审阅”中撤销保护）。"
    "请不要合并单元格、不要插入说明行到数据中间；如需说明，请写在“备注”列。",
    "7. 保存为 .xlsx 后，放入本市的报送文件夹（以城市代码或城市名称命名），"
    "系统会生成回执，说明已接收和需要修改的内容。",
    "8. 同一城市同一报告期再次报送时，以最新报送的文件为准，旧文件保留备查。",
)


BOLD = Font(bold=True)
GREY = Font(color="666666")
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")  # pre-filled, locked cells; input cells stay white
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _report_indicators(city_code: str) -> list[Indicator]:
    """The indicators a city reports itself (not the feed-only ones), in catalogue order."""
    return [
        ind
        for ind in catalog_lookup().indicators.values()
        if ind.kind != "status"
        and ind.source in ("report", "both")
        and (ind.applies_to == "all" or city_code in ind.applies_to.split("|"))
    ]


def write_template(city_code: str, period: str, out_path: Path, previous: dict[str, object] | None = None) -> Path:
    """Write the template for ``city_code`` (any alias) and ``period`` (any accepted spelling) to ``out_path``.

    ``previous`` maps an indicator code (``ms_<special>`` for a status) to last period's accepted value, shown
    beside the input cell for reference (the reader ignores that column).
    """
    code = resolve_city(city_code)
    if code is None:
        raise ValueError(f"unknown city: {city_code!r}")
    canon = parse_period(period)
    if canon is None:
        raise ValueError(f"cannot read period: {period!r}")
    wb = Workbook()
    _fill_cover(wb.active, code, canon)
    _fill_indicators(wb.create_sheet("指标"), code, previous or {})
    _fill_status_items(wb.create_sheet("专项进展"), previous or {})
    for ws in wb.worksheets:
        ws.protection.sheet = True  # structure protected (no password): only the input cells are unlocked
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
    wb.active = 0
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path


def _print_setup(ws: Worksheet, landscape: bool = False) -> None:
    """One A4 page per sheet (the whole template prints on three pages), header row repeated."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.print_options.gridLines = True
    ws.oddFooter.center.text = "&A · 第 &P 页"


def _fill_cover(cover: Worksheet, code: str, period: str) -> None:
    """The cover facts (version, city, period locked; who filled it in open) and the instructions below them."""
    cover.title = "封面"
    values = (TEMPLATE_VERSION, code, catalog_lookup().cities[code], period, "", "", "")
    for label, value in zip(COVER_LABELS, values, strict=True):
        cover.append([label, value])
    for row in cover.iter_rows(min_col=1, max_col=1):
        row[0].font = BOLD
    for i, label in enumerate(COVER_LABELS, start=1):
        if label in INPUT_COVER:
            cover.cell(i, 2).protection = UNLOCKED
        else:
            cover.cell(i, 2).fill = LOCKED_FILL
    cover["B2"].number_format = "@"
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 90
    start = len(COVER_LABELS) + 2
    for i, line in enumerate(INSTRUCTIONS):
        cell = cover.cell(start + i, 1, line)
        cover.merge_cells(start_row=start + i, start_column=1, end_row=start + i, end_column=2)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cover.row_dimensions[start + i].height = 30 if len(line) > 60 else 16
    cover.cell(start, 1).font = Font(bold=True, size=13)
    _print_setup(cover)


def _header(ws: Worksheet, header: tuple[str, ...]) -> None:
    ws.append(list(header))
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.print_title_rows = "1:1"


def _fill_indicators(ws: Worksheet, code: str, previous: dict[str, object]) -> None:
    """Names first, codes and units pre-filled and locked; last period's value for reference; value and target
    cells open, checked as the reader reads them."""
    _header(ws, TEMPLATE_INDICATOR_HEADER)
    indicators = _report_indicators(code)
    for ind in indicators:
        ws.append([ind.name_zh, ind.code, ind.unit, previous.get(ind.code), None, None, None, None])
    last = max(len(indicators) + 1, 2)
    for r in range(2, last + 1):
        for c in (5, 6, 7, 8):
            ws.cell(r, c).protection = UNLOCKED
        for c in (1, 2, 3, 4):
            ws.cell(r, c).fill = LOCKED_FILL
        ws.cell(r, 4).font = GREY
    dv = DataValidation(type="custom", formula1=VALUE_RULE.format(c="E2"), allow_blank=True, showErrorMessage=True,
                        errorStyle="warning", errorTitle="请核对数值",
                        error="应填写不小于0的数值（可带单位或万、亿，如 1.2万、3亿元、70%）、“不适用”，"
                              "暂无数据请留空。如确认无误可点“是”保留。",
                        showInputMessage=True, promptTitle="填写说明",
                        prompt="数值≥0，可写 1.2万、3亿元、70%；没有该项工作填“不适用”；暂无数据留空。")
    dv.add(f"E2:G{last}")
    ws.add_data_validation(dv)
    for col, width in zip("ABCDEFGH", (36, 26, 9, 12, 12, 12, 12, 24), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "E2"
    _print_setup(ws, landscape=True)


def _fill_status_items(ms: Worksheet, previous: dict[str, object]) -> None:
    """One row per special; the status column is a dropdown of the four statuses."""
    _header(ms, TEMPLATE_STATUS_HEADER)
    specials = sorted(catalog_lookup().specials.values(), key=lambda s: s.code)
    for sp in specials:
        ms.append([sp.name_zh, sp.code, previous.get(f"ms_{sp.code}"), None, None])
    for r in range(2, len(specials) + 2):
        ms.cell(r, 4).protection = UNLOCKED
        ms.cell(r, 5).protection = UNLOCKED
        ms.cell(r, 3).font = GREY
        for c in (1, 2, 3):
            ms.cell(r, c).fill = LOCKED_FILL
    sdv = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUS_STEPS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="推进状态无效",
        error="请从下拉框选择：" + "/".join(STATUS_STEPS),
    )
    sdv.add(f"D2:D{len(specials) + 1}")
    ms.add_data_validation(sdv)
    for col, width in zip("ABCDE", (36, 16, 12, 12, 50), strict=True):
        ms.column_dimensions[col].width = width
    ms.freeze_panes = "D2"
    _print_setup(ms)

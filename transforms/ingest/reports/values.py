"""Value cells: numbers with units and magnitudes (1.2万, 3亿元, 70%, 百分之七十) and the steps of status items.

A bare number is read in the row's own unit column (default: the indicator's unit); a number with a unit or
magnitude inside the cell is converted. Anything that cannot be read raises :class:`ValueProblem`, which the
row builder turns into a quarantined row with the bilingual explanation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from transforms.catalog import STATUS_STEPS
from transforms.ingest.reports.cells import MarkedCell, is_error_text
from transforms.ingest.reports.errors import ValueProblem
from transforms.ingest.reports.text import cell_text, chinese_number, has_control, norm_key, to_halfwidth

NA_TOKENS = {"不适用", "n/a", "na", "not applicable", "不涉及", "无此项"}  # never #N/A: that is a formula error
MAGNITUDES = {"万亿": 1e12, "亿": 1e8, "千万": 1e7, "百万": 1e6, "十万": 1e5, "万": 1e4, "千": 1e3, "百": 1e2}

_NA_KEYS = {norm_key(t) for t in NA_TOKENS}
_NUM_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)(.*)$", re.IGNORECASE)
_THOUSANDS_RE = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?.*")


def split_unit(unit: str) -> tuple[float, str]:
    """``亿美元`` -> (1e8, ``美元``); ``个`` -> (1, ``个``); ``%`` -> (1, ``%``)."""
    u = to_halfwidth(unit).strip()
    for prefix, mult in MAGNITUDES.items():
        if u.startswith(prefix) and len(u) > len(prefix):
            return mult, u[len(prefix) :]
    return 1.0, u


def check_cell(raw: Any) -> None:
    """An Excel error value or a formula without a stored result is never read as blank: raise naming the cell."""
    ref = f"单元格{raw.ref}" if isinstance(raw, MarkedCell) else "单元格"
    ref_en = f"cell {raw.ref}" if isinstance(raw, MarkedCell) else "the cell"
    if isinstance(raw, MarkedCell) and raw.kind == "formula":
        raise ValueProblem(
            "formula_no_value",
            f"{ref}是公式“{raw}”，但文件中没有保存计算结果；请在 Excel/WPS 中打开并保存，或直接填写数值",
            f"{ref_en} holds the formula '{raw}' with no stored result; open and save the file in Excel/WPS, "
            "or type the number",
        )
    if isinstance(raw, str) and is_error_text(raw):
        raise ValueProblem(
            "excel_error",
            f"{ref}是错误值“{raw.strip()}”（公式出错）；请改正公式或直接填写数值，不适用请写“不适用”",
            f"{ref_en} holds the error value '{raw.strip()}' (a failed formula); fix the formula or type the "
            "number, or write 不适用 if it does not apply",
        )


def parse_value(raw: Any, canonical_unit: str, row_unit: str | None = None) -> tuple[float | None, str]:
    """Return (value in the canonical unit, value_status). Raises :class:`ValueProblem`."""
    check_cell(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and raw != raw):
        return None, "not_reported"
    cell = _read_cell(raw)
    if cell is None:
        return None, "not_applicable"
    number, cell_unit = cell
    if cell_unit:
        value = _convert_cell_unit(number, cell_unit, raw, canonical_unit)
    else:
        value = _convert_row_unit(number, row_unit, canonical_unit)
    _check_range(value, raw, canonical_unit)
    return round(value, 10), "reported"


def _read_cell(raw: Any) -> tuple[float, str] | None:
    """The number in a cell and the unit written in it (``""`` if none); None for a 'not applicable' token."""
    if isinstance(raw, bool):
        raise ValueProblem("value_invalid", "应为数值而不是逻辑值", "expected a number, not TRUE/FALSE")
    if isinstance(raw, int | float):
        number, unit = float(raw), ""
    elif isinstance(raw, dt.date | dt.datetime):
        raise ValueProblem("value_invalid", "单元格是日期，应为数值", "the cell holds a date, expected a number")
    else:
        if has_control(str(raw)):  # "3\x004" is neither 3 nor 34: never glue the digits together
            raise ValueProblem("value_invalid", "数值中含有控制字符（如 NUL），无法确定数值",
                               "the value holds control characters (e.g. NUL); the number cannot be told")
        s = to_halfwidth(cell_text(raw))
        if norm_key(s) in _NA_KEYS:
            return None
        number, unit = _read_text(raw, s)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueProblem("value_invalid", "数值无效", "the number is not finite")
    return number, unit


def _read_text(raw: Any, s: str) -> tuple[float, str]:
    """A number typed as text: thousands separators, 百分之…, Chinese numerals, a trailing unit."""
    s = s.replace("，", ",").replace(" ", "").replace("\u00a0", "")
    if s.startswith("百分之"):
        return _read_percent_words(raw, s[3:]), "%"
    if _THOUSANDS_RE.fullmatch(s):
        s = s.replace(",", "")
    s = s.replace("'", "")
    m = _NUM_RE.match(s)
    if m:
        return float(m.group(1)), m.group(2).strip()
    cn = chinese_number(s)
    if cn is None:
        raise ValueProblem(
            "value_invalid",
            f"“{raw}”不是数值；应填写不小于0的数字、“不适用”或留空",
            f"'{raw}' is not a number; expected a number >= 0, 不适用 (N/A) or blank",
        )
    return cn, ""


def _read_percent_words(raw: Any, rest: str) -> float:
    """The number after 百分之 (七十 or 70)."""
    n = chinese_number(rest)
    if n is None:
        m = _NUM_RE.match(rest)
        n = float(m.group(1)) if m and not m.group(2) else None
    if n is None:
        raise ValueProblem("value_invalid", f"无法识别“{raw}”", f"cannot read '{raw}' as a percentage")
    return n


def _convert_cell_unit(number: float, cell_unit: str, raw: Any, canonical_unit: str) -> float:
    """Convert a number whose unit or magnitude is written in the cell into the indicator's unit."""
    canon_mult, canon_base = split_unit(canonical_unit)
    is_share = canon_base == "%"
    if cell_unit in ("%", "％"):
        if not is_share:
            raise ValueProblem(
                "unit_mismatch",
                f"本指标单位为“{canonical_unit}”，不应填写百分数“{raw}”",
                f"this indicator is measured in '{canonical_unit}', not a percentage ('{raw}')",
            )
        return number
    mult, base = split_unit(cell_unit)
    if cell_unit in MAGNITUDES:
        mult, base = MAGNITUDES[cell_unit], ""
        if canon_mult != 1 and mult != canon_mult:
            # "1.2万" in a column measured in 亿元: 1.2万元 (0.00012 亿元) or 1.2万亿元? Ask rather than guess.
            raise ValueProblem(
                "magnitude_ambiguous",
                f"“{raw}”只写了数量级“{cell_unit}”，而本指标单位为“{canonical_unit}”，无法确定含义；"
                f"请写明单位（如 {number:g}{cell_unit}{canon_base}）或直接填写以“{canonical_unit}”计的数值",
                f"'{raw}' gives only the magnitude '{cell_unit}' while the indicator is measured in "
                f"'{canonical_unit}', so its meaning is unclear; write the unit (e.g. {number:g}{cell_unit}"
                f"{canon_base}) or the number in {canonical_unit}",
            )
    if base and base != canon_base:
        raise ValueProblem(
            "unit_mismatch",
            f"单元格中的单位“{cell_unit}”与本指标单位“{canonical_unit}”不一致",
            f"the unit '{cell_unit}' in the cell does not match the indicator's unit '{canonical_unit}'",
        )
    if is_share:
        raise ValueProblem(
            "unit_mismatch",
            f"本指标为百分比，请直接填写百分数（如 70 或 70%），而不是“{raw}”",
            f"this indicator is a percentage; write e.g. 70 or 70%, not '{raw}'",
        )
    return number * mult / canon_mult


def _convert_row_unit(number: float, row_unit: str | None, canonical_unit: str) -> float:
    """Convert a bare number from the row's unit column (when it differs) into the indicator's unit."""
    ru = to_halfwidth(row_unit).strip() if row_unit else ""
    if not ru or ru == canonical_unit:
        return number
    canon_mult, canon_base = split_unit(canonical_unit)
    if ru == "%" or canon_base == "%":
        raise ValueProblem(
            "unit_mismatch",
            f"单位列“{row_unit}”与本指标单位“{canonical_unit}”不一致",
            f"the unit column says '{row_unit}' but the indicator is measured in '{canonical_unit}'",
        )
    mult, base = split_unit(ru)
    if base != canon_base:
        raise ValueProblem(
            "unit_mismatch",
            f"单位列“{row_unit}”与本指标单位“{canonical_unit}”不一致，无法换算",
            f"the unit column says '{row_unit}', which cannot be converted to '{canonical_unit}'",
        )
    return number * mult / canon_mult


def _check_range(value: float, raw: Any, canonical_unit: str) -> None:
    """Values are never negative; a percentage is at most 100."""
    if value < 0:
        raise ValueProblem(
            "value_negative",
            f"数值{cell_text(raw)}为负数，应不小于0",
            f"the value {cell_text(raw)} is negative; expected >= 0",
        )
    if split_unit(canonical_unit)[1] == "%" and value > 100:
        raise ValueProblem(
            "value_out_of_range", f"百分比{cell_text(raw)}超过100", f"the percentage {cell_text(raw)} is above 100"
        )


def parse_status(raw: Any) -> tuple[str | None, str]:
    """A status item's step -> (step, value_status); raises :class:`ValueProblem` for anything else."""
    check_cell(raw)
    s = norm_key(cell_text(raw))
    if not s:
        return None, "not_reported"
    if s in _NA_KEYS:
        return None, "not_applicable"
    for st in STATUS_STEPS:
        if s == st:
            return st, "reported"
    raise ValueProblem(
        "status_invalid",
        f"推进状态“{cell_text(raw)}”无效；应为 未启动/推进中/基本完成/已完成 之一",
        f"status '{cell_text(raw)}' is not valid; expected one of 未启动/推进中/基本完成/已完成",
    )

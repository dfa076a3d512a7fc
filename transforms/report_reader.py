"""Tolerant reader for city reports (template ``HNPLUS-R1``) in XLSX, CSV or JSON.

Clerks in 18 city offices fill the template by hand, copy it into their own sheets, export CSV from
WPS or write JSON from a local system. This module turns whatever they sent into plain row dicts and
never raises for a *row* problem: each bad row becomes a quarantine record that names the file, sheet,
row and column, what was wrong and what is expected, in Chinese and English. Only structural problems
(unreadable file, wrong template, wrong city, future period ...) raise :class:`ReportRejected`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import python_calamine as pc

from transforms.core.paths import SEEDS_DIR

TEMPLATE_VERSION = "HNPLUS-R1"
MAX_ROWS_PER_SHEET = 5_000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # an honest 5 MB xlsx never inflates beyond this
MAX_COMPRESSION_RATIO = 200
HEADER_SCAN_ROWS = 30
EARLIEST_YEAR = 2015  # the plan was issued in 2015; nothing can be reported before it
MILESTONE_STATUSES = ("未启动", "推进中", "基本完成", "已完成")
NA_TOKENS = {"不适用", "n/a", "na", "#n/a", "not applicable", "不涉及", "无此项"}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


# --------------------------------------------------------------------------------------------- errors
class ReportRejected(Exception):
    """A whole file is refused; the message says in both languages what to fix."""

    def __init__(self, reason_code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{reason_code}: {message_en}")
        self.reason_code = reason_code
        self.message_zh = message_zh
        self.message_en = message_en


# --------------------------------------------------------------------------------------------- seeds
@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    unit: str
    kind: str
    special_code: str
    applies_to: str
    source: str


@dataclass(frozen=True)
class Special:
    code: str
    name_zh: str
    seq: int
    action_code: str


@dataclass(frozen=True)
class Seeds:
    """The reference lists the reader needs, loaded once from ``seeds/``."""

    cities: dict[str, str]  # code -> name_zh
    cities_en: dict[str, str]  # code -> name_en
    city_aliases: dict[str, str]  # normalised alias/code -> code
    indicators: dict[str, Indicator]  # code -> Indicator (incl. ms_*)
    indicator_by_name: dict[str, str]  # normalised name_zh -> code
    specials: dict[str, Special]
    special_by_name: dict[str, str]


def _read_seed(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    with (seeds_dir / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=4)
def load_seeds(seeds_dir: Path = SEEDS_DIR) -> Seeds:
    """Load cities, indicators and specials; cached because every file needs them."""
    cities: dict[str, str] = {}
    cities_en: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for r in _read_seed("cities.csv", seeds_dir):
        code = r["city_code"]
        cities[code] = r["name_zh"]
        cities_en[code] = r["name_en"]
        names = [code, r["name_zh"], r["name_short"], r["name_pinyin"], r["name_en"], *r["aliases"].split("|")]
        for n in names:
            if n:
                aliases[_norm_key(n)] = code
    indicators: dict[str, Indicator] = {}
    by_name: dict[str, str] = {}
    for r in _read_seed("indicators.csv", seeds_dir):
        ind = Indicator(
            r["indicator_code"],
            r["name_zh"],
            r["unit"],
            r["kind"],
            r["special_code"],
            r["applies_to"],
            r["source"],
        )
        indicators[ind.code] = ind
        if ind.kind != "milestone":
            by_name[_norm_key(ind.name_zh)] = ind.code
    specials: dict[str, Special] = {}
    sp_by_name: dict[str, str] = {}
    for r in _read_seed("plan_specials.csv", seeds_dir):
        sp = Special(r["special_code"], r["name_zh"], int(r["seq"]), r["action_code"])
        specials[sp.code] = sp
        sp_by_name[_norm_key(sp.name_zh)] = sp.code
    return Seeds(cities, cities_en, aliases, indicators, by_name, specials, sp_by_name)


# --------------------------------------------------------------------------------------------- text helpers
def to_halfwidth(text: str) -> str:
    """Full-width digits/letters/punctuation (１２３，％) become ASCII; NFKC does exactly that."""
    return unicodedata.normalize("NFKC", text)


def _norm_key(text: Any) -> str:
    """Key for matching names/headers: half-width, lower case, no spaces or brackets."""
    s = to_halfwidth(str(text)).strip().lower()
    return re.sub(r"[\s()\[\]【】<>《》:：_\-—·'\"“”*]+", "", s)


def norm_key(text: Any) -> str:
    """Public form of the matching key (used to compare folder names with city aliases)."""
    return _norm_key(text)


def cell_text(value: Any) -> str:
    """The cell as the clerk sent it, as text (whole floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def resolve_city(text: Any) -> str | None:
    """City code for any code, name or alias in ``cities.csv`` (None when unknown)."""
    key = _norm_key(cell_text(text))
    if not key:
        return None
    seeds = load_seeds()
    if key in seeds.city_aliases:
        return seeds.city_aliases[key]
    # "河南省洛阳市", "洛阳市人民政府" and the like
    for alias in sorted(seeds.city_aliases, key=len, reverse=True):
        if len(alias) >= 2 and not alias.isascii() and alias in key:
            return seeds.city_aliases[alias]
    return None


# --------------------------------------------------------------------------------------------- periods
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> float | None:
    """Parse a small Chinese numeral (七十, 一百, 三十二点五, 百分之七十 uses this)."""
    text = text.strip()
    if not text:
        return None
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = chinese_number(whole) if whole else 0.0
        if w is None or not frac or any(c not in _CN_DIGITS for c in frac):
            return None
        return w + float("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        elif ch == "万":
            total = (total + current) * 10_000
            current = 0
        else:
            return None
    return float(total + current)


def _excel_serial_to_date(serial: float) -> dt.date:
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))


def parse_period(value: Any) -> str | None:
    """Canonical ``YYYYQn`` for 2018Q4, 2018年第四季度, 2018年4季度, 2018-12, a date or an Excel serial."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}Q{(value.month - 1) // 3 + 1}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:  # Excel date serial (1954..2119)
            d = _excel_serial_to_date(value)
            return f"{d.year}Q{(d.month - 1) // 3 + 1}"
        return None
    s = to_halfwidth(str(value)).strip().upper().replace(" ", "")
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        return parse_period(float(s))
    m = re.fullmatch(r"(\d{4})[-/.年]?第?Q([1-4])(?:季度)?", s)
    if m:
        return f"{m.group(1)}Q{m.group(2)}"
    m = re.fullmatch(r"(\d{4})年?[-/.]?第?([1-4一二三四])季度?", s)
    if m and ("季" in s or "第" in s):
        q = m.group(2)
        q_num = int(q) if q.isdigit() else _CN_DIGITS[q]
        return f"{m.group(1)}Q{q_num}"
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})(?:月)?(?:[-/.](\d{1,2})日?|(\d{1,2})日)?", s)
    if m:
        month = int(m.group(2))
        if 1 <= month <= 12:
            return f"{m.group(1)}Q{(month - 1) // 3 + 1}"
    m = re.fullmatch(r"(\d{4})(\d{2})", s)  # 201812
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}Q{(int(m.group(2)) - 1) // 3 + 1}"
    return None


def period_start(period: str) -> dt.date:
    year, q = int(period[:4]), int(period[5])
    return dt.date(year, 3 * (q - 1) + 1, 1)


# --------------------------------------------------------------------------------------------- values
_MAGNITUDES = {"万亿": 1e12, "亿": 1e8, "千万": 1e7, "百万": 1e6, "十万": 1e5, "万": 1e4, "千": 1e3, "百": 1e2}
_BASE_UNITS = ("美元", "元", "个", "家", "人", "台", "部", "吨", "类", "项", "所", "户", "件", "套", "座", "处")


def split_unit(unit: str) -> tuple[float, str]:
    """``亿美元`` -> (1e8, ``美元``); ``个`` -> (1, ``个``); ``%`` -> (1, ``%``)."""
    u = to_halfwidth(unit).strip()
    for prefix, mult in _MAGNITUDES.items():
        if u.startswith(prefix) and len(u) > len(prefix):
            return mult, u[len(prefix) :]
    return 1.0, u


class ValueProblem(Exception):
    """A value cell that cannot be read; carries the bilingual explanation of what is expected."""

    def __init__(self, reason_code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.reason_code, self.zh, self.en = reason_code, zh, en


_NUM_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)(.*)$", re.IGNORECASE)


def parse_value(raw: Any, canonical_unit: str, row_unit: str | None = None) -> tuple[float | None, str]:
    """Return (value in the canonical unit, value_status). Raises :class:`ValueProblem`.

    A bare number is read in the row's own unit column (default: the canonical unit); a number with a
    unit or magnitude inside the cell (``1.2万``, ``3亿元``, ``70%``, ``百分之七十``) is converted.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "not_reported"
    if isinstance(raw, float) and raw != raw:
        return None, "not_reported"
    if isinstance(raw, bool):
        raise ValueProblem("value_invalid", "应为数值而不是逻辑值", "expected a number, not TRUE/FALSE")
    canon_mult, canon_base = split_unit(canonical_unit)
    is_share = canon_base == "%"
    if isinstance(raw, int | float):
        number, cell_unit = float(raw), ""
    elif isinstance(raw, dt.date | dt.datetime):
        raise ValueProblem("value_invalid", "单元格是日期，应为数值", "the cell holds a date, expected a number")
    else:
        s = to_halfwidth(str(raw)).strip()
        if _norm_key(s) in {_norm_key(t) for t in NA_TOKENS}:
            return None, "not_applicable"
        s = s.replace("，", ",").replace(" ", "").replace("\u00a0", "")
        if s.startswith("百分之"):
            n = chinese_number(s[3:])
            if n is None:
                m = _NUM_RE.match(s[3:])
                n = float(m.group(1)) if m and not m.group(2) else None
            if n is None:
                raise ValueProblem("value_invalid", f"无法识别“{raw}”", f"cannot read '{raw}' as a percentage")
            number, cell_unit = n, "%"
        else:
            if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?.*", s):
                s = s.replace(",", "")
            s = s.replace("'", "")
            m = _NUM_RE.match(s)
            if not m:
                cn = chinese_number(s)
                if cn is None:
                    raise ValueProblem(
                        "value_invalid",
                        f"“{raw}”不是数值；应填写不小于0的数字、“不适用”或留空",
                        f"'{raw}' is not a number; expected a number >= 0, 不适用 (N/A) or blank",
                    )
                number, cell_unit = cn, ""
            else:
                number, cell_unit = float(m.group(1)), m.group(2).strip()
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueProblem("value_invalid", "数值无效", "the number is not finite")

    if cell_unit:
        if cell_unit in ("%", "％"):
            if not is_share:
                raise ValueProblem(
                    "unit_mismatch",
                    f"本指标单位为“{canonical_unit}”，不应填写百分数“{raw}”",
                    f"this indicator is measured in '{canonical_unit}', not a percentage ('{raw}')",
                )
            value = number
        else:
            mult, base = split_unit(cell_unit)
            if cell_unit in _MAGNITUDES:
                mult, base = _MAGNITUDES[cell_unit], ""
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
            value = number * mult / canon_mult
    else:
        value = number
        if row_unit:
            ru = to_halfwidth(row_unit).strip()
            if ru and ru != canonical_unit:
                if ru == "%" or is_share:
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
                value = number * mult / canon_mult
    if value < 0:
        raise ValueProblem(
            "value_negative",
            f"数值{cell_text(raw)}为负数，应不小于0",
            f"the value {cell_text(raw)} is negative; expected >= 0",
        )
    if is_share and value > 100:
        raise ValueProblem(
            "value_out_of_range", f"百分比{cell_text(raw)}超过100", f"the percentage {cell_text(raw)} is above 100"
        )
    return round(value, 10), "reported"


def parse_status(raw: Any) -> tuple[str | None, str]:
    """Milestone status -> (status, value_status); raises :class:`ValueProblem` for anything else."""
    s = _norm_key(cell_text(raw))
    if not s:
        return None, "not_reported"
    if s in {_norm_key(t) for t in NA_TOKENS}:
        return None, "not_applicable"
    for st in MILESTONE_STATUSES:
        if s == st:
            return st, "reported"
    raise ValueProblem(
        "status_invalid",
        f"推进状态“{cell_text(raw)}”无效；应为 未启动/推进中/基本完成/已完成 之一",
        f"status '{cell_text(raw)}' is not valid; expected one of 未启动/推进中/基本完成/已完成",
    )


# --------------------------------------------------------------------------------------------- headers
_HEADER_FIELDS: dict[str, tuple[str, ...]] = {
    "code": (
        "指标代码",
        "指标编码",
        "指标编号",
        "代码",
        "编码",
        "编号",
        "专项代码",
        "专项编码",
        "indicatorcode",
        "code",
        "specialcode",
    ),
    "name": ("指标名称", "名称", "专项名称", "指标", "项目", "name"),
    "unit": ("单位", "计量单位", "unit"),
    "value": ("本期数值", "本期数", "数值", "本期值", "本期", "本期完成", "完成值", "实际值", "数据", "value"),
    "note": ("备注", "说明", "note", "notes"),
    "status": ("推进状态", "状态", "进展状态", "进展情况", "status"),
    "evidence": ("佐证材料", "佐证", "证明材料", "佐证资料", "evidence"),
    "type": ("类型", "类别", "type"),
    "template_version": ("模板版本", "版本", "templateversion"),
    "city_code": ("城市代码", "城市编码", "行政区划代码", "citycode"),
    "city": ("城市", "城市名称", "地市", "city", "cityname"),
    "period": ("报告期", "报告期间", "期间", "period"),
}
_HEADER_LOOKUP = {_norm_key(s): f for f, syns in _HEADER_FIELDS.items() for s in syns}


def header_field(text: Any) -> str | None:
    """Which logical column a header cell names (targets are matched by year)."""
    k = _norm_key(cell_text(text))
    if not k:
        return None
    if "目标" in k or "target" in k:
        if "2018" in k:
            return "target_2018"
        if "2025" in k:
            return "target_2025"
        return "target"  # a merged "本市目标" above a year row
    return _HEADER_LOOKUP.get(k)


def find_header(rows: list[list[Any]]) -> tuple[int, dict[str, int], int] | None:
    """Locate the header row below any merged title rows.

    Returns (header row index, field -> column index, index of first data row) or None.
    """
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            f = header_field(cell)
            if f and f not in cols:
                cols[f] = j
        if "code" in cols and ({"value", "status"} & cols.keys() or "name" in cols):
            first_data = i + 1
            # two-row header: 本市目标 (merged) over 2018 | 2025
            if "target" in cols and i + 1 < len(rows):
                sub = rows[i + 1]
                for j, cell in enumerate(sub):
                    t = _norm_key(cell_text(cell))
                    if "2018" in t:
                        cols["target_2018"] = j
                    elif "2025" in t:
                        cols["target_2025"] = j
                if "target_2018" in cols or "target_2025" in cols:
                    first_data = i + 2
            cols.pop("target", None)
            return i, cols, first_data
    return None


# --------------------------------------------------------------------------------------------- results
@dataclass
class ParsedReport:
    """Everything read from one file: cover facts, staged rows and quarantined rows."""

    format: str
    template_version: str | None = None
    city_code: str | None = None
    period: str | None = None
    submitted_on: str | None = None
    cover: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def rows_total(self) -> int:
        return len(self.rows) + len(self.quarantined)


@dataclass
class _RawRow:
    sheet: str
    row_number: int
    item_type: str | None  # indicator | milestone | None (decide from the code)
    fields: dict[str, Any]  # logical field -> raw cell value
    columns: dict[str, str]  # logical field -> header text as sent (for messages)
    city: Any = None
    period: Any = None


# --------------------------------------------------------------------------------------------- row logic
_COLUMN_LABELS = {
    "code": "指标代码",
    "value": "本期数值",
    "unit": "单位",
    "target_2018": "本市目标2018",
    "target_2025": "本市目标2025",
    "status": "推进状态",
    "type": "类型",
    "city": "城市代码",
    "period": "报告期",
}


class _RowBuilder:
    """Turns raw rows into staged or quarantined records for one file."""

    def __init__(self, report: ParsedReport, original_name: str) -> None:
        self.report = report
        self.name = original_name
        self.seeds = load_seeds()
        self.seen: dict[str, tuple[str, int]] = {}
        self.small_shares: list[str] = []

    def quarantine(self, r: _RawRow, column: str, code: str, zh: str, en: str) -> None:
        col_label = r.columns.get(column) or _COLUMN_LABELS.get(column, column)
        where_zh = f"文件“{self.name}”工作表“{r.sheet}”第{r.row_number}行“{col_label}”列："
        where_en = f"file '{self.name}', sheet '{r.sheet}', row {r.row_number}, column '{col_label}': "
        raw = {k: cell_text(v) for k, v in r.fields.items()}
        self.report.quarantined.append(
            {
                "sheet": r.sheet,
                "row_number": r.row_number,
                "column_name": col_label,
                "reason_code": code,
                "message_zh": where_zh + zh,
                "message_en": where_en + en,
                "raw_record": json.dumps(raw, ensure_ascii=False, sort_keys=True),
            }
        )

    def _resolve_code(self, r: _RawRow) -> tuple[str, str] | None:
        """(item_type, indicator_code) from the code cell, or the name cell when the code is missing."""
        code_raw = cell_text(r.fields.get("code"))
        key = to_halfwidth(code_raw).strip().lower().replace(" ", "")
        want = r.item_type
        if key:
            if key in self.seeds.indicators and not key.startswith("ms_") and want != "milestone":
                return "indicator", key
            sp = key[3:] if key.startswith("ms_") else key
            if sp in self.seeds.specials and want != "indicator":
                return "milestone", f"ms_{sp}"
            # a Chinese name typed into the code column
            nk = _norm_key(code_raw)
            if nk in self.seeds.indicator_by_name and want != "milestone":
                return "indicator", self.seeds.indicator_by_name[nk]
            if nk in self.seeds.special_by_name and want != "indicator":
                return "milestone", f"ms_{self.seeds.special_by_name[nk]}"
            return None
        nk = _norm_key(cell_text(r.fields.get("name")))
        if nk in self.seeds.indicator_by_name and want != "milestone":
            return "indicator", self.seeds.indicator_by_name[nk]
        if nk in self.seeds.special_by_name and want != "indicator":
            return "milestone", f"ms_{self.seeds.special_by_name[nk]}"
        return None

    def add(self, r: _RawRow) -> None:
        """Stage or quarantine one data row (blank rows never reach this)."""
        rep = self.report
        if r.city is not None and cell_text(r.city):
            rc = resolve_city(r.city)
            if rc != rep.city_code:
                self.quarantine(
                    r,
                    "city",
                    "city_mismatch_row",
                    f"本行城市“{cell_text(r.city)}”与文件城市{rep.city_code}不一致",
                    f"the row's city '{cell_text(r.city)}' differs from the file's city {rep.city_code}",
                )
                return
        if r.period is not None and cell_text(r.period):
            rp = parse_period(r.period)
            if rp != rep.period:
                self.quarantine(
                    r,
                    "period",
                    "period_mismatch_row",
                    f"本行报告期“{cell_text(r.period)}”与文件报告期{rep.period}不一致",
                    f"the row's period '{cell_text(r.period)}' differs from the file's period {rep.period}",
                )
                return
        code_raw = cell_text(r.fields.get("code"))
        resolved = self._resolve_code(r)
        if resolved is None:
            if not code_raw and not cell_text(r.fields.get("name")):
                self.quarantine(
                    r,
                    "code",
                    "code_missing",
                    "缺少指标代码；请填写 seeds 指标表中的代码",
                    "the indicator code is missing; use a code from the template",
                )
            else:
                shown = code_raw or cell_text(r.fields.get("name"))
                self.quarantine(
                    r,
                    "code",
                    "unknown_indicator",
                    f"未知的指标/专项代码“{shown}”；请使用模板中的代码",
                    f"unknown indicator/special code '{shown}'; use a code from the template",
                )
            return
        item_type, code = resolved
        if code in self.seen:
            sh, rn = self.seen[code]
            self.quarantine(
                r,
                "code",
                "duplicate_item",
                f"代码“{code}”在第{rn}行已填报过，本行重复",
                f"code '{code}' was already reported in row {rn}; this row repeats it",
            )
            return
        rec: dict[str, Any] = {
            "sheet": r.sheet,
            "row_number": r.row_number,
            "city_code": rep.city_code,
            "period": rep.period,
            "item_type": item_type,
            "indicator_code": code,
            "value": None,
            "value_text": None,
            "value_status": "not_reported",
            "milestone_status": None,
            "city_target_2018": None,
            "city_target_2025": None,
            "evidence": cell_text(r.fields.get("evidence")) or None,
            "note": cell_text(r.fields.get("note")) or None,
        }
        if item_type == "milestone":
            raw = r.fields.get("status", r.fields.get("value"))
            col = "status" if "status" in r.fields else "value"
            try:
                st, vs = parse_status(raw)
            except ValueProblem as p:
                self.quarantine(r, col, p.reason_code, p.zh, p.en)
                return
            rec.update(milestone_status=st, value_status=vs, value_text=cell_text(raw) or None)
        else:
            ind = self.seeds.indicators[code]
            row_unit = cell_text(r.fields.get("unit")) or None
            raw = r.fields.get("value")
            parsed: dict[str, float | None] = {}
            for col in ("value", "target_2018", "target_2025"):
                try:
                    v, vs = parse_value(r.fields.get(col), ind.unit, row_unit)
                except ValueProblem as p:
                    expect_zh = f"（本指标单位：{ind.unit}）"
                    expect_en = f" (indicator unit: {ind.unit})"
                    self.quarantine(r, col, p.reason_code, p.zh + expect_zh, p.en + expect_en)
                    return
                parsed[col] = v
                if col == "value":
                    rec["value_status"] = vs
            rec.update(
                value=parsed["value"],
                value_text=cell_text(raw) or None,
                city_target_2018=parsed["target_2018"],
                city_target_2025=parsed["target_2025"],
            )
            v = parsed["value"]
            if ind.unit == "%" and v is not None and 0 < v < 1 and isinstance(raw, float):
                # an Excel cell formatted as 70% stores 0.7; we cannot see the format, so we ask
                self.small_shares.append(f"{r.sheet}!{r.row_number}")
        self.seen[code] = (r.sheet, r.row_number)
        rep.rows.append(rec)


# --------------------------------------------------------------------------------------------- format sniffing
def sniff_format(data: bytes, name: str) -> str:
    """``xlsx`` | ``ole2`` | ``json`` | ``csv`` | ``unknown`` from the bytes first, the name second."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE2_MAGIC):
        return "ole2"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json"
    if b"\x00" in data[:4096]:
        return "unknown"
    low = name.lower()
    if low.endswith((".csv", ".txt", ".tsv")) or _decode_text(data) is not None:
        return "csv"
    return "unknown"


def _decode_text(data: bytes) -> str | None:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _reject_unreadable(name: str, why_zh: str, why_en: str, code: str = "unreadable") -> ReportRejected:
    return ReportRejected(
        code,
        f"无法读取文件“{name}”：{why_zh}。请用模板 {TEMPLATE_VERSION} 另存为 .xlsx、.csv(UTF-8) 或 .json 后重新报送。",
        f"cannot read file '{name}': {why_en}. Please save it from template {TEMPLATE_VERSION} as .xlsx, "
        f".csv (UTF-8) or .json and send it again.",
    )


# --------------------------------------------------------------------------------------------- cover
_COVER_LABELS = {
    "模板版本": "template_version",
    "版本": "template_version",
    "templateversion": "template_version",
    "城市代码": "city_code",
    "行政区划代码": "city_code",
    "citycode": "city_code",
    "城市": "city",
    "城市名称": "city",
    "地市": "city",
    "city": "city",
    "cityname": "city",
    "报告期": "period",
    "报告期间": "period",
    "period": "period",
    "填报单位": "unit_name",
    "填报人": "submitter",
    "submitter": "submitter",
    "填报日期": "submitted_on",
    "报送日期": "submitted_on",
    "submittedon": "submitted_on",
}


def apply_cover(report: ParsedReport, cover: dict[str, Any], name: str) -> None:
    """Check template version, city and period from the cover; raise for structural problems."""
    report.cover = {k: cell_text(v) for k, v in cover.items() if cell_text(v)}
    version = cell_text(cover.get("template_version"))
    if version:
        if _norm_key(version) != _norm_key(TEMPLATE_VERSION):
            raise ReportRejected(
                "wrong_template_version",
                f"文件“{name}”的模板版本为“{version}”，本系统只接收 {TEMPLATE_VERSION}。请下载最新模板重新填报。",
                f"file '{name}' uses template version '{version}'; only {TEMPLATE_VERSION} is accepted. "
                "Please refill the current template.",
            )
        report.template_version = TEMPLATE_VERSION
    else:
        report.warnings.append(
            {
                "zh": f"封面未写模板版本，按 {TEMPLATE_VERSION} 读取",
                "en": f"no template version; read as {TEMPLATE_VERSION}",
            }
        )
    code_cell, name_cell = cover.get("city_code"), cover.get("city")
    by_code = resolve_city(code_cell) if cell_text(code_cell) else None
    by_name = resolve_city(name_cell) if cell_text(name_cell) else None
    if cell_text(code_cell) and by_code is None:
        raise ReportRejected(
            "city_unknown",
            f"文件“{name}”封面的城市代码“{cell_text(code_cell)}”不是河南省18个地市之一（如 410300 洛阳市）。",
            f"file '{name}': city code '{cell_text(code_cell)}' on the cover is not one of Henan's 18 cities "
            "(e.g. 410300 洛阳市).",
        )
    if by_code and by_name and by_code != by_name:
        raise ReportRejected(
            "city_inconsistent",
            f"文件“{name}”封面的城市代码{by_code}与城市名称“{cell_text(name_cell)}”不一致。",
            f"file '{name}': the cover's city code {by_code} and city name '{cell_text(name_cell)}' disagree.",
        )
    city = by_code or by_name
    if city is None:
        raise ReportRejected(
            "city_missing",
            f"文件“{name}”未能识别填报城市：请在封面填写城市代码（如 410300）或城市名称。",
            f"file '{name}': the reporting city could not be identified; put the city code (e.g. 410300) "
            "or name on the cover.",
        )
    report.city_code = city
    praw = cover.get("period")
    period = parse_period(praw)
    if period is None:
        raise ReportRejected(
            "period_invalid",
            f"文件“{name}”的报告期“{cell_text(praw)}”无法识别；应写作 2018Q4 或 2018年第四季度。",
            f"file '{name}': the period '{cell_text(praw)}' cannot be read; write it as 2018Q4 or 2018年第四季度.",
        )
    if int(period[:4]) < EARLIEST_YEAR:
        raise ReportRejected(
            "period_invalid",
            f"文件“{name}”的报告期{period}早于规划实施（{EARLIEST_YEAR}年）。",
            f"file '{name}': the period {period} is before the plan started ({EARLIEST_YEAR}).",
        )
    report.period = period
    report.submitted_on = cell_text(cover.get("submitted_on")) or None


# --------------------------------------------------------------------------------------------- xlsx
def check_zip(data: bytes, name: str) -> None:
    """Refuse zip bombs and non-spreadsheet zips before any XML is parsed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _reject_unreadable(name, "xlsx 文件已损坏", f"the xlsx file is corrupt ({exc})", "corrupt_xlsx") from exc
    total = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or (total > 10 * 1024 * 1024 and total / compressed > MAX_COMPRESSION_RATIO):
        raise ReportRejected(
            "zip_bomb",
            f"文件“{name}”解压后过大（{total} 字节），疑似异常文件，已拒收。",
            f"file '{name}' expands to {total} bytes when unzipped; refused as a possible zip bomb.",
        )
    names = {i.filename for i in infos}
    if any(i.flag_bits & 0x1 for i in infos):
        raise _reject_unreadable(name, "文件已加密", "the file is encrypted", "encrypted")
    if "xl/workbook.xml" not in names:
        raise _reject_unreadable(
            name,
            "这是一个压缩包，但不是 Excel 工作簿",
            "it is a zip archive but not an Excel workbook",
            "not_a_spreadsheet",
        )


def _sheet_rows(wb: pc.CalamineWorkbook, sheet_name: str, name: str) -> list[list[Any]]:
    sheet = wb.get_sheet_by_name(sheet_name)
    if sheet.total_height > MAX_ROWS_PER_SHEET + HEADER_SCAN_ROWS:
        raise ReportRejected(
            "too_many_rows",
            f"文件“{name}”工作表“{sheet_name}”超过 {MAX_ROWS_PER_SHEET} 行，超出报表范围。",
            f"file '{name}', sheet '{sheet_name}' has more than {MAX_ROWS_PER_SHEET} rows.",
        )
    return sheet.to_python(skip_empty_area=False)


def _is_blank(row: Iterable[Any]) -> bool:
    return all(cell_text(c) == "" for c in row)


def _cover_from_rows(rows: list[list[Any]]) -> dict[str, Any]:
    cover: dict[str, Any] = {}
    for row in rows[:60]:
        cells = [c for c in row]
        for j in range(len(cells) - 1):
            key = _COVER_LABELS.get(_norm_key(cell_text(cells[j])))
            if key and key not in cover:
                val = next((c for c in cells[j + 1 :] if cell_text(c)), "")
                cover[key] = val
                break
    return cover


def _data_rows_checked(rows: list[list[Any]], sheet: str, item_type: str, name: str) -> list[_RawRow]:
    """Data rows of a 指标/专项进展 sheet; a sheet with content but no header rejects the file.

    Without a header we cannot tell which cell is the value, and dropping the rows silently would break
    the promise that every row is accounted for.
    """
    if find_header(rows) is None and any(not _is_blank(r) for r in rows):
        expected = "指标代码、本期数值" if item_type == "indicator" else "专项代码、推进状态"
        raise ReportRejected(
            "header_not_found",
            f"文件“{name}”工作表“{sheet}”找不到表头（应含 {expected}）。请不要修改模板的表头。",
            f"file '{name}', sheet '{sheet}': no header row found (expected {expected}). "
            "Please keep the template's header row.",
        )
    return list(_data_rows(rows, sheet, item_type))


def _data_rows(rows: list[list[Any]], sheet: str, item_type: str | None) -> Iterator[_RawRow]:
    found = find_header(rows)
    if found is None:
        return
    hi, cols, first = found
    header = rows[hi]
    col_names = {f: cell_text(header[j]) or _COLUMN_LABELS.get(f, f) for f, j in cols.items()}
    for i in range(first, len(rows)):
        row = rows[i]
        if _is_blank(row):
            continue
        fields = {f: (row[j] if j < len(row) else None) for f, j in cols.items()}
        fields = {f: (None if v == "" else v) for f, v in fields.items()}
        if all(cell_text(v) == "" for v in fields.values()):
            # content only outside the known columns (e.g. a signature line) still counts as a row
            fields = {"code": None, "extra": " | ".join(cell_text(c) for c in row if cell_text(c))}
        yield _RawRow(sheet, i + 1, item_type, fields, col_names)


def _find_sheet(names: list[str], *keys: str) -> str | None:
    for n in names:
        if _norm_key(n) in {_norm_key(k) for k in keys}:
            return n
    for n in names:
        if any(_norm_key(k) in _norm_key(n) for k in keys):
            return n
    return None


def read_xlsx(data: bytes, name: str, report: ParsedReport) -> list[_RawRow]:
    """Read cover + 指标 + 专项进展 with calamine (fast, no hand XML parsing)."""
    check_zip(data, name)
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several error types for broken parts
        raise _reject_unreadable(
            name, "xlsx 文件已损坏", f"the xlsx file is corrupt ({type(exc).__name__})", "corrupt_xlsx"
        ) from exc
    return _read_workbook(wb, name, report)


def _read_workbook(wb: pc.CalamineWorkbook, name: str, report: ParsedReport) -> list[_RawRow]:
    names = list(wb.sheet_names)
    try:
        cover_sheet = _find_sheet(names, "封面", "cover")
        ind_sheet = _find_sheet(names, "指标", "indicators")
        ms_sheet = _find_sheet(names, "专项进展", "专项", "milestones")
        cover: dict[str, Any] = {}
        raw_rows: list[_RawRow] = []
        sheets_rows: dict[str, list[list[Any]]] = {}
        for s in names:
            if s in (cover_sheet, ind_sheet, ms_sheet):
                sheets_rows[s] = _sheet_rows(wb, s, name)
        if cover_sheet:
            cover = _cover_from_rows(sheets_rows[cover_sheet])
        if ind_sheet:
            if not cover:
                cover = _cover_from_rows(sheets_rows[ind_sheet][:HEADER_SCAN_ROWS])
            raw_rows += _data_rows_checked(sheets_rows[ind_sheet], ind_sheet, "indicator", name)
        if ms_sheet and ms_sheet != ind_sheet:
            raw_rows += _data_rows_checked(sheets_rows[ms_sheet], ms_sheet, "milestone", name)
        other = [s for s in names if s not in (cover_sheet, ind_sheet, ms_sheet) and "说明" not in s]
        if (ind_sheet or ms_sheet) and other:
            report.warnings.append(
                {
                    "zh": f"以下工作表未读取：{'、'.join(other)}（只读取 封面、指标、专项进展）",
                    "en": f"sheets not read: {', '.join(other)} (only 封面, 指标, 专项进展 are read)",
                }
            )
        if not ind_sheet and not ms_sheet:
            # a single-sheet long table (same columns as the CSV layout)
            for s in names:
                rows = _sheet_rows(wb, s, name)
                found = find_header(rows)
                if found:
                    longs = list(_long_rows(rows, s, found))
                    if longs:
                        raw_rows, cover = longs, cover or _long_cover(rows, found)
                        break
    except ReportRejected:
        raise
    except Exception as exc:
        raise _reject_unreadable(
            name, "工作表内容损坏", f"a worksheet is corrupt ({type(exc).__name__})", "corrupt_xlsx"
        ) from exc
    if not cover and not raw_rows:
        raise ReportRejected(
            "not_template",
            f"文件“{name}”中找不到“封面”“指标”“专项进展”工作表或表头（指标代码、本期数值）。"
            f"请使用模板 {TEMPLATE_VERSION}。",
            f"file '{name}' has no 封面/指标/专项进展 sheets or header (指标代码, 本期数值). "
            f"Please use template {TEMPLATE_VERSION}.",
        )
    apply_cover(report, cover, name)
    return raw_rows


# --------------------------------------------------------------------------------------------- csv
def _long_cover(rows: list[list[Any]], found: tuple[int, dict[str, int], int]) -> dict[str, Any]:
    hi, cols, first = found
    cover = _cover_from_rows(rows[:hi])  # a cover block written above the table
    for i in range(first, len(rows)):
        row = rows[i]
        if _is_blank(row):
            continue
        for f in ("template_version", "city_code", "city", "period"):
            if f in cols and f not in cover and cols[f] < len(row) and cell_text(row[cols[f]]):
                cover[f] = row[cols[f]]
        if all(f in cover for f in ("template_version", "period")) and ("city_code" in cover or "city" in cover):
            break
    return cover


def _long_rows(rows: list[list[Any]], sheet: str, found: tuple[int, dict[str, int], int]) -> Iterator[_RawRow]:
    hi, cols, first = found
    header = rows[hi]
    col_names = {f: cell_text(header[j]) for f, j in cols.items()}
    col_names.setdefault("city", col_names.get("city_code", "城市代码"))
    for i in range(first, len(rows)):
        row = rows[i]
        if _is_blank(row):
            continue
        get = {f: (row[j] if j < len(row) and row[j] != "" else None) for f, j in cols.items()}
        t = _norm_key(cell_text(get.get("type")))
        item_type = "milestone" if t in ("专项", "milestone") else "indicator" if t in ("指标", "indicator") else None
        fields = {f: v for f, v in get.items() if f not in ("template_version", "city_code", "city", "period", "type")}
        if item_type == "milestone" and cell_text(fields.get("value")) and not cell_text(fields.get("status")):
            fields["status"] = fields.pop("value")
        city = get.get("city_code") if get.get("city_code") is not None else get.get("city")
        yield _RawRow(sheet, i + 1, item_type, fields, col_names, city=city, period=get.get("period"))


def read_csv(data: bytes, name: str, report: ParsedReport) -> list[_RawRow]:
    """Long CSV in UTF-8, UTF-8-BOM or GB18030/GBK; delimiter sniffed among , ; tab."""
    text = _decode_text(data)
    if text is None:
        raise _reject_unreadable(
            name, "文本编码无法识别（应为 UTF-8 或 GBK）", "unknown text encoding (use UTF-8 or GBK)", "bad_encoding"
        )
    first_line = text.split("\n", 1)[0]
    delim = max((",", "\t", ";", "，"), key=first_line.count)
    rows: list[list[Any]] = []
    for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
        rows.append(rec)
        if len(rows) > MAX_ROWS_PER_SHEET + HEADER_SCAN_ROWS:
            raise ReportRejected(
                "too_many_rows",
                f"文件“{name}”超过 {MAX_ROWS_PER_SHEET} 行，超出报表范围。",
                f"file '{name}' has more than {MAX_ROWS_PER_SHEET} rows.",
            )
    found = find_header(rows)
    if found is None:
        raise ReportRejected(
            "not_template",
            f"文件“{name}”找不到表头（应含 模板版本,城市代码,报告期,类型,代码,…,本期数值）。"
            f"请使用模板 {TEMPLATE_VERSION}。",
            f"file '{name}' has no recognisable header (模板版本,城市代码,报告期,类型,代码,…,本期数值). "
            f"Please use template {TEMPLATE_VERSION}.",
        )
    cover = _long_cover(rows, found)
    apply_cover(report, cover, name)
    return list(_long_rows(rows, "csv", found))


# --------------------------------------------------------------------------------------------- json
def read_json(data: bytes, name: str, report: ParsedReport) -> list[_RawRow]:
    """JSON as in docs/contracts.md; Chinese keys are tolerated too."""
    text = _decode_text(data)
    try:
        doc = json.loads(text) if text is not None else None
    except json.JSONDecodeError as exc:
        raise _reject_unreadable(
            name, f"JSON 格式错误（第{exc.lineno}行）", f"invalid JSON (line {exc.lineno})", "invalid_json"
        ) from exc
    except RecursionError as exc:
        raise _reject_unreadable(
            name, "JSON 嵌套层数过深，不是报告模板的结构", "JSON nested too deeply: not the report template",
            "invalid_json",
        ) from exc
    if not isinstance(doc, dict):
        raise _reject_unreadable(
            name, "JSON 顶层应为对象 {…}", "the JSON top level must be an object {…}", "invalid_json"
        )
    keys = {_norm_key(k): k for k in doc}

    def get(*cands: str) -> Any:
        for c in cands:
            if _norm_key(c) in keys:
                return doc[keys[_norm_key(c)]]
        return None

    cover = {
        "template_version": get("template_version", "模板版本"),
        "city_code": get("city_code", "城市代码"),
        "city": get("city_name", "city", "城市"),
        "period": get("period", "报告期"),
        "submitted_on": get("submitted_on", "填报日期"),
        "submitter": get("submitter", "填报人"),
    }
    apply_cover(report, {k: v for k, v in cover.items() if v is not None}, name)
    out: list[_RawRow] = []
    for section, item_type, mapping in (
        (
            "indicators",
            "indicator",
            {
                "code": ("code", "indicator_code", "指标代码"),
                "name": ("name", "指标名称"),
                "value": ("value", "本期数值"),
                "unit": ("unit", "单位"),
                "target_2018": ("city_target_2018", "本市目标2018"),
                "target_2025": ("city_target_2025", "本市目标2025"),
                "note": ("note", "备注"),
            },
        ),
        (
            "milestones",
            "milestone",
            {
                "code": ("special_code", "code", "专项代码"),
                "name": ("name", "专项名称"),
                "status": ("status", "推进状态"),
                "evidence": ("evidence", "佐证材料"),
                "note": ("note", "备注"),
            },
        ),
    ):
        items = get(section, {"indicators": "指标", "milestones": "专项进展"}[section]) or []
        if not isinstance(items, list):
            raise _reject_unreadable(name, f"“{section}”应为数组", f"'{section}' must be a list", "invalid_json")
        if len(items) > MAX_ROWS_PER_SHEET:
            raise ReportRejected(
                "too_many_rows",
                f"文件“{name}”的 {section} 超过 {MAX_ROWS_PER_SHEET} 项。",
                f"file '{name}': {section} has more than {MAX_ROWS_PER_SHEET} items.",
            )
        for idx, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                fields: dict[str, Any] = {"code": None, "extra": cell_text(json.dumps(item, ensure_ascii=False))}
            else:
                ik = {_norm_key(k): k for k in item}
                fields = {}
                for f, cands in mapping.items():
                    for c in cands:
                        if _norm_key(c) in ik:
                            v = item[ik[_norm_key(c)]]
                            fields[f] = v if not isinstance(v, dict | list) else json.dumps(v, ensure_ascii=False)
                            break
            labels = {
                f: f"{section}[{idx}].{mapping.get(f, (f,))[0]}"
                for f in ("code", "value", "status", "unit", "target_2018", "target_2025")
            }
            out.append(_RawRow(section, idx, item_type, fields, labels))
    return out


# --------------------------------------------------------------------------------------------- entry point
def read_report(data: bytes, original_name: str) -> ParsedReport:
    """Parse one file's bytes into a :class:`ParsedReport`; raise :class:`ReportRejected` if unusable."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise ReportRejected(
            "empty_file",
            f"文件“{original_name}”是空文件，请填报后重新报送。",
            f"file '{original_name}' is empty; please fill in the report and send it again.",
        )
    fmt = sniff_format(data, original_name)
    report = ParsedReport(format=fmt)
    if fmt == "xlsx":
        raw_rows = read_xlsx(data, original_name, report)
    elif fmt == "ole2":
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data:
            raise _reject_unreadable(
                original_name, "文件设置了打开密码（已加密）", "the file is password-protected (encrypted)", "encrypted"
            )
        try:  # legacy .xls from old Excel/WPS: calamine reads it
            wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:
            raise _reject_unreadable(
                original_name, "旧版 Excel 文件已损坏", "the legacy Excel file is corrupt", "corrupt_xlsx"
            ) from exc
        report.format = "xls"
        raw_rows = _read_workbook(wb, original_name, report)
    elif fmt == "json":
        raw_rows = read_json(data, original_name, report)
    elif fmt == "csv":
        raw_rows = read_csv(data, original_name, report)
    else:
        raise _reject_unreadable(
            original_name,
            "不是电子表格（应为 .xlsx、.csv 或 .json）",
            "it is not a spreadsheet (expected .xlsx, .csv or .json)",
            "not_a_spreadsheet",
        )
    if not raw_rows:
        raise ReportRejected(
            "no_data_rows",
            f"文件“{original_name}”没有任何指标或专项数据行。请在“指标”“专项进展”表中填报后重新报送。",
            f"file '{original_name}' has no indicator or milestone rows. Please fill the 指标 and 专项进展 sheets.",
        )
    builder = _RowBuilder(report, original_name)
    for r in raw_rows:
        builder.add(r)
    if builder.small_shares:
        where = ", ".join(builder.small_shares[:10])
        report.warnings.append(
            {
                "zh": f"以下百分比指标的数值小于1（{where}）。如单元格设置了百分比格式，"
                "系统读到的是小数（如 70% 读作 0.7）；请改为直接填写 70 后重新报送。",
                "en": f"these percentage indicators hold values below 1 ({where}). A cell formatted as a "
                "percentage stores 0.7 for 70%; if that is the case, type 70 and send the file again.",
            }
        )
    return report

"""The cover of a report: template version, city and period decide whether the file is read at all."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from transforms.catalog import TEMPLATE_VERSION
from transforms.ingest.reports.errors import ReportRejected
from transforms.ingest.reports.lookup import catalog_lookup, resolve_city, resolve_county
from transforms.ingest.reports.model import ParsedReport
from transforms.ingest.reports.periods import EARLIEST_YEAR, is_ambiguous_period, parse_period
from transforms.ingest.reports.text import cell_text, norm_key


def apply_cover(report: ParsedReport, cover: dict[str, Any], name: str) -> None:
    """Check template version, city and period from the cover; raise for structural problems."""
    report.cover = {k: cell_text(v) for k, v in cover.items() if cell_text(v)}
    _check_version(report, cell_text(cover.get("template_version")), name)
    report.city_code = _cover_city(cover.get("city_code"), cover.get("city"), name)
    report.period = _cover_period(cover.get("period"), name)
    report.submitted_on = cell_text(cover.get("submitted_on")) or None


def _check_version(report: ParsedReport, version: str, name: str) -> None:
    """Only the current template is read; a cover without a version is read as the current one, with a warning."""
    if not version:
        report.warnings.append(
            {
                "zh": f"封面未写模板版本，按 {TEMPLATE_VERSION} 读取",
                "en": f"no template version; read as {TEMPLATE_VERSION}",
            }
        )
        return
    if norm_key(version) != norm_key(TEMPLATE_VERSION):
        raise ReportRejected(
            "wrong_template_version",
            f"文件“{name}”的模板版本为“{version}”，本系统只接收 {TEMPLATE_VERSION}。请下载最新模板重新填报。",
            f"file '{name}' uses template version '{version}'; only {TEMPLATE_VERSION} is accepted. "
            "Please refill the current template.",
        )
    report.template_version = TEMPLATE_VERSION


def _cover_city(code_cell: Any, name_cell: Any, name: str) -> str:
    """The reporting city from the cover's code and/or name: each must be one of the 18 cities, and they must agree."""
    by_code = _one_city(code_cell, "城市代码", "city code", name)
    by_name = _one_city(name_cell, "城市名称", "city name", name)
    if by_code and by_name and by_code != by_name:
        raise ReportRejected(
            "city_inconsistent",
            f"文件“{name}”封面的城市代码“{cell_text(code_cell)}”（{by_code}）与城市名称“{cell_text(name_cell)}”"
            f"（{by_name}）不一致；请改正后重新报送。",
            f"file '{name}': the cover's city code '{cell_text(code_cell)}' ({by_code}) and city name "
            f"'{cell_text(name_cell)}' ({by_name}) disagree; correct the cover and send the file again.",
        )
    city = by_code or by_name
    if city is None:
        raise ReportRejected(
            "city_missing",
            f"文件“{name}”未能识别填报城市：请在封面填写城市代码（如 410300）或城市名称。",
            f"file '{name}': the reporting city could not be identified; put the city code (e.g. 410300) "
            "or name on the cover.",
        )
    return city


def _one_city(cell: Any, label_zh: str, label_en: str, name: str) -> str | None:
    """One cover cell as a city code; a 省直管县 or any other place refuses the file with what to write instead."""
    text = cell_text(cell)
    if not text:
        return None
    city = resolve_city(cell)
    if city is not None:
        return city
    county = resolve_county(cell)
    if county is not None:
        raise ReportRejected(
            "county_not_city",
            f"文件“{name}”封面的{label_zh}“{text}”是省直管县（市）{county.name_zh}（{county.code}），按省直管县表计入"
            f"{county.parent_name}（{county.parent_code}）。本系统按18个地市接收报表：请由{county.parent_name}"
            f"在其报表中填报（封面写 {county.parent_code} {county.parent_name}）。",
            f"file '{name}': the cover's {label_en} '{text}' is the directly administered county {county.name_zh} "
            f"({county.code}), counted under {county.parent_name} ({county.parent_code}) by the 省直管县 table. "
            f"Reports are taken per city: {county.parent_name} reports for it (cover: {county.parent_code} "
            f"{county.parent_name}).",
        )
    raise ReportRejected(
        "city_unknown",
        f"文件“{name}”封面的{label_zh}“{text}”不是河南省18个地市之一（如 410300 洛阳市）；县（市、区）不单独报送。",
        f"file '{name}': the cover's {label_en} '{text}' is not one of Henan's 18 cities (e.g. 410300 洛阳市); "
        "counties and districts do not report on their own.",
    )


def _cover_period(praw: Any, name: str) -> str:
    """The reporting period from the cover; one before the plan started is refused."""
    period = parse_period(praw)
    if period is None and is_ambiguous_period(cell_text(praw)):
        text = cell_text(praw)
        raise ReportRejected(
            "period_ambiguous",
            f"文件“{name}”的报告期“{text}”有歧义（第{text[-1]}季度还是{text[-1]}月？），未读取；"
            f"请写作 {text[:4]}Q{text[-1]} 或 {text[:4]}年{text[-1]}月。",
            f"file '{name}': the period '{text}' is ambiguous (quarter {text[-1]} or month {text[-1]}?) and was "
            f"not read; write {text[:4]}Q{text[-1]} or {text[:4]}年{text[-1]}月.",
        )
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
    return period


_NAME_PERIOD = re.compile(
    r"(?<!\d)(20\d\d)\s*[-_.年]?\s*(?:[qQ]\s*([1-4])|第?\s*([1-4一二三四])\s*季)")  # 2018Q4, 2018年第四季度, 2018年4季
_NAME_MONTH = re.compile(r"(?<!\d)(20\d\d)(?:\s*年\s*(\d{1,2})\s*月|(0[1-9]|1[0-2]))(?!\d)")  # 2018年12月, 201812
_NAME_CITY = re.compile(r"(?<!\d)(41\d\d00|419001)(?!\d)")
_CN_Q = {"一": "1", "二": "2", "三": "3", "四": "4"}


def _name_periods(stem: str) -> set[str]:
    out = {f"{y}Q{_CN_Q.get(q or c, q or c)}" for y, q, c in _NAME_PERIOD.findall(stem)}
    for y, m1, m2 in _NAME_MONTH.findall(stem):
        month = int(m1 or m2)
        if 1 <= month <= 12:
            out.add(f"{y}Q{(month - 1) // 3 + 1}")
    return out


def _name_cities(stem: str) -> set[str]:
    """City codes and Chinese city names (not counties: 巩义 is no city name) written in a file name."""
    found = set(_NAME_CITY.findall(stem))
    key = norm_key(stem)
    for alias, code in catalog_lookup().city_aliases.items():
        if len(alias) >= 2 and not alias.isascii() and not alias.isdigit() and alias in key:
            found.add(code)
    return found


def check_file_name(report: ParsedReport, name: str) -> None:
    """A file name that names another period or city than its cover is held back, not read: taking it could
    silently supersede the real report of that period (…2018Q4.xlsx whose cover says 2018Q3)."""
    stem = PurePath(name).stem
    for what_zh, what_en, said, cover in (("报告期", "period", _name_periods(stem), report.period),
                                          ("城市", "city", _name_cities(stem), report.city_code)):
        if said and cover not in said:
            shown = ", ".join(sorted(said))
            raise ReportRejected(
                "name_cover_mismatch",
                f"文件名“{name}”写的{what_zh}是{shown}，封面却是{cover}；为免错误替换已报送的报表，本文件暂不读取。"
                f"请确认后改正文件名或封面，重新报送。",
                f"file '{name}': the name says {what_en} {shown} but the cover says {cover}; the file is held back "
                "(not read) so that it cannot replace another report by mistake. Correct the name or the cover and "
                "send it again.",
            )

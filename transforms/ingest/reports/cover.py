"""The cover of a report: template version, city and period decide whether the file is read at all."""

from __future__ import annotations

from typing import Any

from transforms.catalog import TEMPLATE_VERSION
from transforms.ingest.reports.errors import ReportRejected
from transforms.ingest.reports.lookup import resolve_city
from transforms.ingest.reports.model import ParsedReport
from transforms.ingest.reports.periods import EARLIEST_YEAR, parse_period
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
    """The reporting city from the cover's code and/or name, which must agree."""
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
    return city


def _cover_period(praw: Any, name: str) -> str:
    """The reporting period from the cover; one before the plan started is refused."""
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
    return period

"""JSON reports as in docs/contracts.md (``indicators`` and ``milestones`` lists: quantities and status items);
Chinese keys are tolerated."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from transforms.ingest.reports.cover import apply_cover
from transforms.ingest.reports.errors import ReportRejected, reject_unreadable
from transforms.ingest.reports.formats import MAX_ROWS_PER_SHEET, decode_text
from transforms.ingest.reports.model import ParsedReport, RawRow
from transforms.ingest.reports.text import cell_text, norm_key

Getter = Callable[..., Any]

_COVER_KEYS = {
    "template_version": ("template_version", "模板版本"),
    "city_code": ("city_code", "城市代码"),
    "city": ("city_name", "city", "城市"),
    "period": ("period", "报告期"),
    "submitted_on": ("submitted_on", "填报日期"),
    "submitter": ("submitter", "填报人"),
}
# (section key, its Chinese key, kind of item, logical field -> accepted keys; the first names the column);
# the section keys are the clerks' words of the contract (``milestones`` stays), the kind is ours
_SECTIONS: tuple[tuple[str, str, str, dict[str, tuple[str, ...]]], ...] = (
    (
        "indicators",
        "指标",
        "quantity",
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
        "专项进展",
        "status",
        {
            "code": ("special_code", "code", "专项代码"),
            "name": ("name", "专项名称"),
            "status": ("status", "推进状态"),
            "evidence": ("evidence", "佐证材料"),
            "note": ("note", "备注"),
        },
    ),
)
_LABELLED = ("code", "value", "status", "unit", "target_2018", "target_2025")


def read_json(data: bytes, name: str, report: ParsedReport) -> list[RawRow]:
    """Cover keys at the top level, then one raw row per item of each section."""
    doc = _load(data, name)
    get = _getter(doc)
    cover = {field: get(*keys) for field, keys in _COVER_KEYS.items()}
    apply_cover(report, {k: v for k, v in cover.items() if v is not None}, name)
    out: list[RawRow] = []
    for section, section_zh, kind, mapping in _SECTIONS:
        items = _section_items(get(section, section_zh), section, name)
        for idx, item in enumerate(items, start=1):
            labels = {f: f"{section}[{idx}].{mapping.get(f, (f,))[0]}" for f in _LABELLED}
            out.append(RawRow(section, idx, kind, _item_fields(item, mapping), labels))
    return out


def _load(data: bytes, name: str) -> dict[str, Any]:
    text = decode_text(data)
    try:
        doc = json.loads(text) if text is not None else None
    except json.JSONDecodeError as exc:
        raise reject_unreadable(
            name, f"JSON 格式错误（第{exc.lineno}行）", f"invalid JSON (line {exc.lineno})", "invalid_json"
        ) from exc
    except RecursionError as exc:
        raise reject_unreadable(
            name, "JSON 嵌套层数过深，不是报告模板的结构", "JSON nested too deeply: not the report template",
            "invalid_json",
        ) from exc
    if not isinstance(doc, dict):
        raise reject_unreadable(
            name, "JSON 顶层应为对象 {…}", "the JSON top level must be an object {…}", "invalid_json"
        )
    return doc


def _getter(doc: dict[str, Any]) -> Getter:
    """``get(*candidates)``: the value of the first candidate key present, matched after normalising."""
    keys = _keys(doc)

    def get(*cands: str) -> Any:
        key = _first_key(keys, cands)
        return doc[key] if key is not None else None

    return get


def _keys(d: dict[str, Any]) -> dict[str, str]:
    return {norm_key(k): k for k in d}


def _first_key(keys: dict[str, str], cands: tuple[str, ...]) -> str | None:
    """The key as written for the first candidate present (``Code``, ``代码 `` and ``code`` all match ``code``)."""
    return next((keys[norm_key(c)] for c in cands if norm_key(c) in keys), None)


def _section_items(items: Any, section: str, name: str) -> list[Any]:
    items = items or []
    if not isinstance(items, list):
        raise reject_unreadable(name, f"“{section}”应为数组", f"'{section}' must be a list", "invalid_json")
    if len(items) > MAX_ROWS_PER_SHEET:
        raise ReportRejected(
            "too_many_rows",
            f"文件“{name}”的 {section} 超过 {MAX_ROWS_PER_SHEET} 项。",
            f"file '{name}': {section} has more than {MAX_ROWS_PER_SHEET} items.",
        )
    return items


def _item_fields(item: Any, mapping: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Logical fields of one item; nested values are kept as JSON text, a non-object item as one text."""
    if not isinstance(item, dict):
        return {"code": None, "extra": cell_text(json.dumps(item, ensure_ascii=False))}
    keys = _keys(item)
    fields: dict[str, Any] = {}
    for f, cands in mapping.items():
        key = _first_key(keys, cands)
        if key is not None:
            v = item[key]
            fields[f] = v if not isinstance(v, dict | list) else json.dumps(v, ensure_ascii=False)
    return fields

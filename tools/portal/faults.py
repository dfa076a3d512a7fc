"""The portal's switchable faults: the kinds, and those that change the served table itself."""

from __future__ import annotations

from typing import Any

FAULT_KINDS = (
    "timeout",  # sleep `delay` seconds (default 2) before answering
    "http_500",
    "http_503",  # with Retry-After `retry_after` (default 1)
    "http_429",  # with Retry-After `retry_after` (default 1)
    "truncated",  # Content-Length larger than the body sent, then close
    "invalid_json",  # a body that is not JSON (for CSV resources: an HTML error page)
    "drift_rename",  # rename column `column` (default: second column) to `to`
    "drift_missing",  # drop column `column` (default: last column)
    "drift_new",  # add column `column` (default "extra_col")
    "empty",  # zero records (CSV: header only)
    "oversize",  # pad the body by `size` bytes (default 2 MB); `declare` false => no Content-Length
    "redirect_offhost",  # 302 to another host
    "truncated_declared",  # half the body, with a Content-Length that matches what is sent (a cut export)
    "fewer_records",  # a consistent answer with only `keep` (default 0.5) of the records
    "no_fields",  # datastore: the result has no `fields` member (other CKAN versions and portals)
    "blank_column",  # the values of `column` (default: second column) are all empty
    "duplicate_records",  # every record twice (a paging or export fault), total consistent
    "garble_column",  # the values of `column` (default: second column) as UTF-8 read as Latin-1 (mojibake)
)


def apply_content_fault(
    fault: dict[str, Any] | None, columns: list[str], rows: list[dict[str, str]]
) -> tuple[list[str], list[dict[str, str]]]:
    """Schema drift and empty results change the table itself (so the ETag changes too)."""
    if not fault:
        return columns, rows
    kind = fault["kind"]
    if kind == "drift_rename":
        old = fault.get("column") or columns[1]
        new = fault.get("to") or f"{old}_v2"
        return [new if c == old else c for c in columns], [
            {(new if k == old else k): v for k, v in r.items()} for r in rows
        ]
    if kind == "drift_missing":
        gone = fault.get("column") or columns[-1]
        return [c for c in columns if c != gone], [{k: v for k, v in r.items() if k != gone} for r in rows]
    if kind == "drift_new":
        extra = fault.get("column") or "extra_col"
        return [*columns, extra], [{**r, extra: "x"} for r in rows]
    if kind == "empty":
        return columns, []
    if kind == "fewer_records":
        return columns, rows[: int(len(rows) * float(fault.get("keep", 0.5)))]
    if kind == "duplicate_records":
        return columns, [r for r in rows for _ in (0, 1)]
    if kind == "garble_column":
        col = fault.get("column") or columns[1]
        return columns, [{**r, col: (r.get(col) or "").encode("utf-8").decode("latin-1")} for r in rows]
    if kind == "blank_column":
        col = fault.get("column") or columns[1]
        return columns, [{**r, col: ""} for r in rows]
    return columns, rows

"""A feed's answer as columns and rows: a CSV download or the pages of a CKAN datastore search."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from transforms.ingest.feeds.client import FeedFault, Response
from transforms.ingest.feeds.registry import Feed


def parse_csv(resp: Response) -> tuple[list[str], list[dict[str, str]]]:
    """Header and non-blank rows of a CSV body in UTF-8 (with or without BOM) or GB18030.

    The whole body must parse: it ends with a line break, no quote is left open and every record has the header's
    number of fields. A body cut short (even one whose Content-Length matches what was sent) fails one of these,
    so half a list can never become a snapshot."""
    ctype = resp.headers.get("Content-Type", "")
    if "html" in ctype.lower():
        raise FeedFault("invalid_body", f"expected CSV, got {ctype}", resp.body, resp.headers)
    text = _decode_csv(resp)
    if text.strip() and not text.endswith(("\n", "\r")):
        raise FeedFault("truncated_body", "the body does not end with a line break: the last record may be cut",
                        resp.body, resp.headers)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as e:
        code = "truncated_body" if "end of data" in str(e) else "invalid_body"
        raise FeedFault(code, f"malformed CSV at line {reader.line_num}: {e}", resp.body, resp.headers) from e
    header = records[0] if records else []
    rows: list[dict[str, str]] = []
    for n, rec in enumerate(records[1:], start=2):
        if not any(v.strip() for v in rec):
            continue
        if len(rec) != len(header):
            raise FeedFault("invalid_body", f"record {n} has {len(rec)} fields, the header has {len(header)}",
                            resp.body, resp.headers)
        rows.append(dict(zip(header, rec, strict=True)))
    return header, rows


def _decode_csv(resp: Response) -> str:
    """UTF-8 (BOM or not), else GB18030; UTF-8 that breaks off inside its last character is a cut body, not GBK."""
    try:
        return resp.body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data":
            raise FeedFault("truncated_body", "the body ends inside a UTF-8 character", resp.body,
                            resp.headers) from e
    try:
        return resp.body.decode("gb18030")
    except UnicodeDecodeError as e:
        raise FeedFault("invalid_body", f"undecodable CSV: {e}", resp.body, resp.headers) from e


def parse_datastore_page(resp: Response) -> tuple[list[str], list[dict[str, Any]], int]:
    """(columns, records, total) of one CKAN ``datastore_search`` page; CKAN's ``_id`` is dropped."""
    try:
        doc = json.loads(resp.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # RecursionError: absurdly deep nesting
        raise FeedFault("invalid_json", str(e)[:200] or type(e).__name__, resp.body, resp.headers) from e
    if not isinstance(doc, dict) or doc.get("success") is not True or not isinstance(doc.get("result"), dict):
        raise FeedFault("invalid_json", "not a CKAN success envelope", resp.body, resp.headers)
    res = doc["result"]
    records, total, fields = res.get("records"), res.get("total"), res.get("fields")
    if not isinstance(records, list) or not isinstance(total, int) or isinstance(total, bool):
        raise FeedFault("invalid_json", "result lacks records/total", resp.body, resp.headers)
    rows = [{k: v for k, v in r.items() if k != "_id"} for r in records if isinstance(r, dict)]
    if isinstance(fields, list):
        columns = [str(f.get("id")) for f in fields if isinstance(f, dict) and f.get("id") != "_id"]
    elif fields is None:  # some portals and CKAN versions leave `fields` out: the records carry the columns
        columns = list(dict.fromkeys(str(k) for r in rows for k in r))
    else:
        raise FeedFault("invalid_json", "result.fields is not a list", resp.body, resp.headers)
    return columns, rows, total


def check_schema(feed: Feed, columns: list[str]) -> None:
    """The columns must be exactly the registry's expected ones: a renamed column is drift, not data."""
    expected, got = set(feed.expected_columns), set(columns)
    if expected and expected != got:
        missing, new = sorted(expected - got), sorted(got - expected)
        kind = "renamed" if missing and new else ("missing" if missing else "new")
        raise FeedFault("schema_drift", f"{kind} column(s): missing={missing} new={new}")

"""A feed's answer as columns and rows: a CSV download or the pages of a CKAN datastore search."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from transforms.ingest.feeds.client import FeedFault, Response
from transforms.ingest.feeds.registry import Feed


def parse_csv(resp: Response) -> tuple[list[str], list[dict[str, str]]]:
    """Header and non-blank rows of a CSV body in UTF-8 (with or without BOM) or GB18030."""
    ctype = resp.headers.get("Content-Type", "")
    if "html" in ctype.lower():
        raise FeedFault("invalid_body", f"expected CSV, got {ctype}", resp.body, resp.headers)
    try:
        text = resp.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = resp.body.decode("gb18030")
        except UnicodeDecodeError as e:
            raise FeedFault("invalid_body", f"undecodable CSV: {e}", resp.body, resp.headers) from e
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        # a row longer than the header puts a list under the None key: only string cells decide if a row is blank
        rows = [dict(r) for r in reader if any(isinstance(v, str) and v.strip() for v in r.values())]
    except csv.Error as e:
        raise FeedFault("invalid_body", f"malformed CSV: {e}", resp.body, resp.headers) from e
    return list(reader.fieldnames or []), rows


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
    if not isinstance(records, list) or not isinstance(total, int) or not isinstance(fields, list):
        raise FeedFault("invalid_json", "result lacks records/total/fields", resp.body, resp.headers)
    columns = [f.get("id") for f in fields if isinstance(f, dict) and f.get("id") != "_id"]
    rows = [{k: v for k, v in r.items() if k != "_id"} for r in records if isinstance(r, dict)]
    return [str(c) for c in columns], rows, total


def check_schema(feed: Feed, columns: list[str]) -> None:
    """The columns must be exactly the registry's expected ones: a renamed column is drift, not data."""
    expected, got = set(feed.expected_columns), set(columns)
    if expected and expected != got:
        missing, new = sorted(expected - got), sorted(got - expected)
        kind = "renamed" if missing and new else ("missing" if missing else "new")
        raise FeedFault("schema_drift", f"{kind} column(s): missing={missing} new={new}")

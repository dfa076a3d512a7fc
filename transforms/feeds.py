"""Open-data feeds: registry, a fault-tolerant HTTP client, raw snapshots, and loading into DuckDB.

Why: the score uses a few public lists (pilot programmes, 5A scenic areas, admin codes) and one SYNTHETIC
maker-space registry. Remote portals fail in many ways; a failed fetch must never stop the nightly run
nor replace good data with bad. So every fetch either produces a new validated snapshot (``fresh``),
confirms the current one (``not_modified``), or keeps the last good snapshot in use (``stale``, with the
reason). Every response is archived raw with its headers and fetch time; snapshot ids are derived from the
content hash so re-fetching identical content is idempotent.

No Airflow imports here: the DAG maps one task per ``list_feeds()`` entry and calls ``fetch_feed`` /
``load_feeds``. The portal base URL comes from ``HNPLUS_PORTAL_URL`` (the DAG may resolve the Airflow
connection ``hnplus_portal`` and pass it as ``base_url``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import duckdb
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from transforms.catalog import cities
from transforms.core.paths import SEEDS_DIR

ENV_BASE_URL = "HNPLUS_PORTAL_URL"
REGISTRY = SEEDS_DIR / "feeds.csv"
FEED_STATUSES = ("fresh", "not_modified", "stale", "failed_no_snapshot")
USER_AGENT = "hnplus-feeds/1 (+https://github.com/hnplus)"


# ============================================================================================ registry
@dataclass(frozen=True)
class Feed:
    """One row of ``seeds/feeds.csv`` (see docs/feeds.md for every column)."""

    feed_id: str
    title: str
    format: str  # ckan_datastore | csv
    resource_id: str
    resource_path: str
    indicators: tuple[str, ...]
    source: str
    licence: str
    synthetic: bool
    city_field: str
    county_field: str
    year_field: str
    status_field: str
    map_field: str
    indicator_map: tuple[tuple[str, str], ...]  # (prefix of map_field value or "*", indicator_code)
    value_field: str
    period_rule: str  # cumulative_from_year | year_end_value | reference
    period_from: int | None
    period_to: int | None
    expected_columns: tuple[str, ...]
    page_size: int
    max_bytes: int


def load_registry(path: Path = REGISTRY) -> dict[str, Feed]:
    """Parse the feed registry; fails loudly on a malformed row (it is a reviewed seed, not remote data)."""
    out: dict[str, Feed] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["format"] not in ("ckan_datastore", "csv"):
                raise ValueError(f"feed {r['feed_id']}: unknown format {r['format']!r}")
            pairs = []
            for item in filter(None, r["indicator_map"].split("|")):
                key, _, code = item.partition("=")
                pairs.append((key.strip(), code.strip()))
            out[r["feed_id"]] = Feed(
                feed_id=r["feed_id"],
                title=r["title"],
                format=r["format"],
                resource_id=r["resource_id"],
                resource_path=r["resource_path"],
                indicators=tuple(filter(None, r["indicators"].split("|"))),
                source=r["source"],
                licence=r["licence"],
                synthetic=r["synthetic"].strip().lower() == "true",
                city_field=r["city_field"],
                county_field=r["county_field"],
                year_field=r["year_field"],
                status_field=r["status_field"],
                map_field=r["map_field"],
                indicator_map=tuple(pairs),
                value_field=r["value_field"],
                period_rule=r["period_rule"],
                period_from=int(r["period_from"]) if r["period_from"] else None,
                period_to=int(r["period_to"]) if r["period_to"] else None,
                expected_columns=tuple(filter(None, r["expected_columns"].split("|"))),
                page_size=int(r["page_size"] or 100),
                max_bytes=int(r["max_bytes"] or 10_000_000),
            )
    return out


def list_feeds(registry: Path = REGISTRY) -> list[str]:
    """Feed ids in registry order: the DAG maps one fetch task over this list."""
    return list(load_registry(registry))


# ============================================================================================ client
@dataclass(frozen=True)
class ClientConfig:
    """Network knobs. Defaults suit a real portal; tests pass short timeouts and tiny backoff."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 60.0  # never sleep longer than this on a server's Retry-After
    max_bytes: int | None = None  # overrides the registry's per-feed limit when set
    max_redirects: int = 3
    total_timeout: float = 300.0  # wall-clock cap per response body (defeats a server trickling bytes)


class FeedFault(Exception):
    """A remote fault with a short machine-readable code (``reason`` starts with it)."""

    def __init__(self, code: str, detail: str = "", body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.body = body
        self.headers = headers or {}


class _CappedRetry(Retry):
    """urllib3 Retry that honours Retry-After but never beyond ``max_retry_after`` seconds."""

    max_retry_after: float = 60.0

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)


def make_session(config: ClientConfig | None = None) -> requests.Session:
    """A Session whose adapter retries connect/read errors and 429/5xx with backoff and Retry-After."""
    cfg = config or ClientConfig()
    retry_cls = type("CappedRetry", (_CappedRetry,), {"max_retry_after": cfg.max_retry_after})
    retry = retry_cls(
        total=cfg.retries,
        connect=cfg.retries,
        read=cfg.retries,
        status=cfg.retries,
        other=0,
        redirect=0,
        raise_on_redirect=False,
        backoff_factor=cfg.backoff_factor,
        backoff_max=cfg.backoff_max,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    session.trust_env = False  # no proxies from the environment: the allow-list is the base URL host only
    return session


def _origin(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    return p.scheme, (p.hostname or "").lower(), p.port or {"http": 80, "https": 443}.get(p.scheme)


@dataclass
class _Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _classify(exc: BaseException) -> FeedFault:
    """Map requests/urllib3 exceptions to short reason codes."""
    seen: list[BaseException] = []
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or e in seen:
            continue
        seen.append(e)
        stack.extend([getattr(e, "reason", None), e.__cause__, e.__context__, *getattr(e, "args", ())])
    text = f"{type(exc).__name__}: {exc}"[:300]
    if any(isinstance(e, ConnectionRefusedError) for e in seen):
        return FeedFault("connection_refused", text)
    if any(isinstance(e, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.IncompleteRead)
           for e in seen) or "IncompleteRead" in text:
        return FeedFault("truncated_body", text)
    if any(isinstance(e, urllib3.exceptions.ConnectTimeoutError | requests.exceptions.ConnectTimeout)
           for e in seen):
        return FeedFault("connect_timeout", text)
    if any(isinstance(e, urllib3.exceptions.ReadTimeoutError | requests.exceptions.ReadTimeout | TimeoutError)
           for e in seen):
        return FeedFault("timeout", text)
    return FeedFault("connection_error", text)


def _get(session: requests.Session, url: str, base_url: str, cfg: ClientConfig, limit: int,
         headers: dict[str, str] | None = None) -> _Response:
    """One GET: allow-listed host, same-origin redirects only, streamed with a byte limit."""
    allowed = _origin(base_url)
    for _ in range(cfg.max_redirects + 1):
        if _origin(url) != allowed:
            raise FeedFault("host_not_allowed", url)
        fetched_at = _now()
        try:
            resp = session.get(url, headers=headers or {}, stream=True, allow_redirects=False,
                               timeout=(cfg.connect_timeout, cfg.read_timeout))
        except requests.RequestException as e:
            raise _classify(e) from e
        hdrs = {k: v for k, v in resp.headers.items()}
        if resp.is_redirect:
            target = urljoin(url, resp.headers.get("Location", ""))
            resp.close()
            if _origin(target) != allowed:
                raise FeedFault("redirect_offhost", f"{url} -> {target}", headers=hdrs)
            url = target
            continue
        try:
            if resp.status_code == 304:
                return _Response(url, 304, hdrs, b"", fetched_at)
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FeedFault("too_large", f"Content-Length {declared} > limit {limit}", headers=hdrs)
            chunks: list[bytes] = []
            size = 0
            deadline = time.monotonic() + cfg.total_timeout
            try:
                for chunk in resp.iter_content(65536):
                    if time.monotonic() > deadline:
                        raise FeedFault("timeout", f"body not complete within {cfg.total_timeout}s")
                    size += len(chunk)
                    if size > limit:
                        raise FeedFault("too_large", f"body exceeded limit {limit} bytes", headers=hdrs)
                    chunks.append(chunk)
            except requests.RequestException as e:
                raise _classify(e) from e
            body = b"".join(chunks)
            if declared and declared.isdigit() and int(declared) != len(body):
                raise FeedFault("truncated_body", f"got {len(body)} of {declared} bytes", body, hdrs)
            if resp.status_code >= 400:
                raise FeedFault(f"http_{resp.status_code}", f"{url} after retries", body, hdrs)
            if resp.status_code != 200:
                raise FeedFault(f"http_{resp.status_code}", "unexpected status", body, hdrs)
            return _Response(url, resp.status_code, hdrs, body, fetched_at)
        finally:
            resp.close()
    raise FeedFault("too_many_redirects", url)


# ============================================================================================ parsing
def _parse_csv(resp: _Response) -> tuple[list[str], list[dict[str, str]]]:
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


def _parse_datastore_page(resp: _Response) -> tuple[list[str], list[dict[str, Any]], int]:
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


def _check_schema(feed: Feed, columns: list[str]) -> None:
    expected, got = set(feed.expected_columns), set(columns)
    if expected and expected != got:
        missing, new = sorted(expected - got), sorted(got - expected)
        kind = "renamed" if missing and new else ("missing" if missing else "new")
        raise FeedFault("schema_drift", f"{kind} column(s): missing={missing} new={new}")


# ============================================================================================ archive
def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _read_current(feed_dir: Path) -> dict[str, Any] | None:
    p = feed_dir / "current.json"
    if not p.is_file():
        return None
    try:
        cur = json.loads(p.read_text(encoding="utf-8"))
        _ = cur["snapshot_id"], cur["records"], cur["fetched_at"]
    except (ValueError, KeyError, TypeError):
        return None  # a damaged pointer: behave as if there were no snapshot, the next fresh fetch rewrites it
    return cur if (feed_dir / cur["snapshot_id"] / "records.json").is_file() else None


def _archive_responses(dest: Path, responses: list[_Response]) -> list[dict[str, Any]]:
    """Raw body + headers + fetch time for every response (numbered in request order)."""
    out = []
    for i, r in enumerate(responses, 1):
        digest = hashlib.sha256(r.body).hexdigest()
        meta = {"n": i, "url": r.url, "status": r.status, "fetched_at": r.fetched_at,
                "headers": r.headers, "bytes": len(r.body), "sha256": digest}
        _atomic_write(dest / f"{i:04d}.body", r.body)
        _atomic_write(dest / f"{i:04d}.meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())
        out.append(meta)
    return out


def _archive_rejected(feed_dir: Path, fault: FeedFault, responses: list[_Response]) -> None:
    """Keep the evidence of a bad answer apart from good snapshots (never read by the loader)."""
    bad = list(responses)
    if fault.body is not None:
        bad.append(_Response("", 0, fault.headers, fault.body, _now()))
    if not bad:
        return
    digest = hashlib.sha256(b"".join(r.body for r in bad) + fault.code.encode()).hexdigest()[:16]
    dest = feed_dir / "_rejected" / digest
    if not dest.exists():
        _archive_responses(dest / "responses", bad)
        _atomic_write(dest / "fault.json", json.dumps({"reason": str(fault)}, ensure_ascii=False).encode())


# ============================================================================================ fetch
def _download(feed: Feed, session: requests.Session, base_url: str, cfg: ClientConfig,
              current: dict[str, Any] | None) -> tuple[list[_Response], list[str], list[dict[str, Any]]] | None:
    """Fetch all pages; None when the server says the first page is unchanged (one conditional request)."""
    limit = cfg.max_bytes or feed.max_bytes
    cond: dict[str, str] = {}
    if current:
        if current.get("etag"):
            cond["If-None-Match"] = current["etag"]
        if current.get("last_modified"):
            cond["If-Modified-Since"] = current["last_modified"]
    url = urljoin(base_url.rstrip("/") + "/", feed.resource_path)
    responses: list[_Response] = []
    if feed.format == "csv":
        r = _get(session, url, base_url, cfg, limit, cond)
        if r.status == 304:
            return None
        responses.append(r)
        columns, rows = _parse_csv(r)
        return responses, columns, rows

    sep = "&" if "?" in url else "?"
    rows_all: list[dict[str, Any]] = []
    offset, total, columns, used = 0, None, [], 0
    max_pages = 10_000
    for page in range(max_pages):
        page_url = f"{url}{sep}offset={offset}&limit={feed.page_size}"
        r = _get(session, page_url, base_url, cfg, limit - used, cond if page == 0 else None)
        if r.status == 304:
            if page == 0:
                return None
            raise FeedFault("pagination_inconsistent", "304 on a later page")
        used += len(r.body)
        responses.append(r)
        cols, rows, page_total = _parse_datastore_page(r)
        if total is None:
            total, columns = page_total, cols
        elif page_total != total or cols != columns:
            raise FeedFault("pagination_inconsistent", "total or fields changed while paging")
        rows_all.extend(rows)
        offset += len(rows)
        if offset >= total:
            break
        if not rows:
            raise FeedFault("pagination_inconsistent", f"empty page at offset {offset} of {total}")
    if total is not None and len(rows_all) != total:
        raise FeedFault("pagination_inconsistent", f"got {len(rows_all)} records, total says {total}")
    return responses, columns, rows_all


def _result(feed_id: str, status: str, reason: str, cur: dict[str, Any] | None, checked_at: str
            ) -> dict[str, Any]:
    return {
        "feed_id": feed_id,
        "status": status,
        "reason": reason,
        "snapshot_id": cur["snapshot_id"] if cur else None,
        "records": cur["records"] if cur else 0,
        "fetched_at": cur["fetched_at"] if cur else None,
        "checked_at": checked_at,
    }


def fetch_feed(feed_id: str, archive_dir: Path, base_url: str | None = None,
               config: ClientConfig | None = None, registry: Path = REGISTRY) -> dict[str, Any]:
    """Fetch one feed into ``<archive_dir>/<feed_id>/<snapshot_id>/``; never raises for remote faults.

    Returns a JSON-serialisable dict: feed_id, status (fresh | not_modified | stale | failed_no_snapshot),
    reason, snapshot_id (the snapshot now in use), records, fetched_at (of that snapshot), checked_at.
    """
    feed = load_registry(registry)[feed_id]
    cfg = config or ClientConfig()
    feed_dir = Path(archive_dir) / feed_id
    feed_dir.mkdir(parents=True, exist_ok=True)
    current = _read_current(feed_dir)
    checked_at = _now()

    def degraded(reason: str) -> dict[str, Any]:
        return _result(feed_id, "stale" if current else "failed_no_snapshot", reason, current, checked_at)

    base = base_url or os.environ.get(ENV_BASE_URL)
    if not base:
        return degraded(f"no_base_url: set {ENV_BASE_URL}")
    if urlsplit(base).scheme not in ("http", "https"):
        return degraded(f"bad_base_url: {base}")

    session = make_session(cfg)
    responses: list[_Response] = []
    try:
        got = _download(feed, session, base, cfg, current)
        if got is None:
            return _result(feed_id, "not_modified", "304 Not Modified", current, checked_at)
        responses, columns, rows = got
        _check_schema(feed, columns)
        if not rows:
            raise FeedFault("empty_result", "zero records")
    except FeedFault as f:
        _archive_rejected(feed_dir, f, responses)
        return degraded(str(f))
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:  # belt and braces
        return degraded(str(_classify(e)))
    finally:
        session.close()

    content = {"columns": columns, "records": rows}
    content_sha = hashlib.sha256(_canonical(content)).hexdigest()
    snapshot_id = content_sha[:16]
    first = responses[0]
    validators = {"etag": first.headers.get("ETag"), "last_modified": first.headers.get("Last-Modified")}
    if current and current["snapshot_id"] == snapshot_id:
        # Same content (server ignored our validators): keep the snapshot, refresh the validators only.
        _atomic_write(feed_dir / "current.json",
                      json.dumps({**current, **validators}, ensure_ascii=False, indent=1).encode())
        return _result(feed_id, "not_modified", "unchanged content (same sha256)", current, checked_at)

    snap_dir = feed_dir / snapshot_id
    if not (snap_dir / "manifest.json").is_file():
        tmp = Path(tempfile.mkdtemp(dir=feed_dir, prefix=".tmp-snapshot-"))
        try:
            metas = _archive_responses(tmp / "responses", responses)
            _atomic_write(tmp / "records.json", _canonical(content))
            manifest = {
                "feed_id": feed_id, "snapshot_id": snapshot_id, "content_sha256": content_sha,
                "fetched_at": first.fetched_at, "records": len(rows), "columns": columns,
                "base_url": base, "synthetic": feed.synthetic, "responses": metas, **validators,
            }
            _atomic_write(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            if snap_dir.exists():
                shutil.rmtree(snap_dir)  # an incomplete earlier attempt (no manifest)
            os.replace(tmp, snap_dir)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    manifest = json.loads((snap_dir / "manifest.json").read_text(encoding="utf-8"))
    new_current = {"snapshot_id": snapshot_id, "records": manifest["records"],
                   "fetched_at": manifest["fetched_at"], **validators}
    _atomic_write(feed_dir / "current.json", json.dumps(new_current, ensure_ascii=False, indent=1).encode())
    return _result(feed_id, "fresh", "new snapshot", new_current, checked_at)


# ============================================================================================ derive
_YEAR = re.compile(r"(19|20)\d{2}")


def _city_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in cities():
        for alias in (c.code, c.name_zh, c.name_short, *c.aliases):
            out[alias.strip().lower()] = c.code
    return out


def _city_code(value: str | None, lookup: dict[str, str]) -> str | None:
    v = (value or "").strip().rstrip("?？").strip().lower()
    return lookup.get(v) if v else None


def _infer_city(row: dict[str, Any]) -> str | None:
    """A city named inside another field (e.g. 河南省周口市太昊伏羲陵…) when the city field is empty."""
    hits = {c.code for c in cities() for v in row.values() if isinstance(v, str) and c.name_zh in v}
    return hits.pop() if len(hits) == 1 else None


def _year(value: Any) -> int | None:
    m = _YEAR.search(str(value or ""))
    return int(m.group(0)) if m else None


def _indicator(feed: Feed, row: dict[str, Any]) -> str | None:
    key = str(row.get(feed.map_field, "")) if feed.map_field else ""
    for prefix, code in feed.indicator_map:
        if prefix == "*" or key.startswith(prefix):
            return code
    return None


def _county_check(county: str, city_code: str | None, admin: list[dict[str, Any]]) -> str | None:
    """Validate a county named in a feed against the admin-code feed: ok | mismatch:<parent> | unverified."""
    if not admin:
        return "unverified: no admin_codes snapshot"
    name = county.split("(")[0].split("(")[0].strip()
    hits = {(r["code"], r["parent_code"]) for r in admin
            if r.get("level") == "county" and (r["name"] == name or r["name"].startswith(name))}
    if not hits:
        # Often a unit name (e.g. a maker space), not a county: only say so when it looks like a county.
        return "unverified: county not in GB/T 2260 list" if name.endswith(("县", "区", "市")) else None
    if any(parent == city_code for _, parent in hits):
        return "ok"
    return "mismatch: admin parent " + ",".join(sorted({p for _, p in hits}))


def derive_records(feed: Feed, rows: list[dict[str, Any]], admin: list[dict[str, Any]] | None = None
                   ) -> list[dict[str, Any]]:
    """Turn source rows into (city_code, period, indicator_code, value, value_status, source_record).

    Period rule (docs/feeds.md): a designation in year Y is a stock from ``YQ4`` onwards, so
    ``cumulative_from_year`` emits, for each city with a dated designation, the count of designations with
    year <= Y for every ``YQ4`` from max(first year, period_from) to period_to. ``not_found`` rows become
    value NULL / value_status ``not_found`` (never zero); absence of a city means no evidence, not zero.
    """
    if feed.period_rule == "reference" or not feed.indicator_map:
        return []
    lookup = _city_lookup()
    admin = admin or []
    lo, hi = feed.period_from or 2015, feed.period_to or 2020
    out: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}

    def brief(n: int, row: dict[str, Any], **extra: Any) -> dict[str, Any]:
        keep = [feed.map_field, feed.city_field, feed.county_field, feed.year_field, feed.status_field,
                feed.value_field, "name"]
        return {"source_row": n, **{k: row.get(k) for k in keep if k and k in row}, **extra}

    if feed.period_rule == "year_end_value":
        for n, row in enumerate(rows, 1):
            ind, year = _indicator(feed, row), _year(row.get(feed.year_field))
            city = _city_code(row.get(feed.city_field), lookup)
            if ind is None or year is None or not (lo <= year <= hi):
                continue
            raw = str(row.get(feed.value_field, "")).strip()
            try:
                value, status = float(raw), "reported"
            except ValueError:
                value, status = None, ("not_found" if raw.lower() in ("not_found", "") else "invalid")
            key = (ind, city, f"{year}Q4")
            if key in out:  # duplicate source rows: keep the first, record the rest
                out[key]["source_record"].setdefault("duplicates", []).append(brief(n, row))
                continue
            out[key] = {"indicator_code": ind, "city_code": city, "period": f"{year}Q4", "value": value,
                        "value_status": status, "source_record": brief(n, row)}
    elif feed.period_rule == "cumulative_from_year":
        found: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        missing: list[tuple[str, str | None, int | None, dict[str, Any]]] = []
        for n, row in enumerate(rows, 1):
            ind = _indicator(feed, row)
            if ind is None:
                continue
            status = str(row.get(feed.status_field, "")).strip().lower() if feed.status_field else ""
            city = _city_code(row.get(feed.city_field), lookup)
            extra: dict[str, Any] = {}
            if city is None and not (row.get(feed.city_field) or "").strip():
                city = _infer_city(row)
                if city:
                    extra["city_inferred_from_text"] = True
            county = (row.get(feed.county_field) or "").strip() if feed.county_field else ""
            check = _county_check(county, city, admin) if county and city else None
            if check:
                extra["county_check"] = check
            year = _year(row.get(feed.year_field))
            info = brief(n, row, **extra)
            if status == "not_found" or year is None:
                if year is None and status != "not_found":
                    info["undated"] = True
                missing.append((ind, city, year, info))
            elif city is None:
                missing.append((ind, None, year, {**info, "unmapped_city": True}))
            else:
                found[(ind, city)].append((year, info))
        for (ind, city), events in found.items():
            first = min(y for y, _ in events)
            for y in range(max(first, lo), hi + 1):
                contributing = [i for yy, i in sorted(events, key=lambda e: e[1]["source_row"]) if yy <= y]
                out[(ind, city, f"{y}Q4")] = {
                    "indicator_code": ind, "city_code": city, "period": f"{y}Q4",
                    "value": float(len(contributing)), "value_status": "reported",
                    "source_record": {"rule": "cumulative_from_year", "rows": contributing},
                }
        for ind, city, year, info in missing:
            # Undated or failed searches: value unknown (NULL) for every period they could affect.
            for y in range(max(year or lo, lo), hi + 1):
                key = (ind, city, f"{y}Q4")
                if key in out:  # a known count exists: it is a lower bound, say so
                    out[key]["source_record"].setdefault("possibly_more", []).append(info)
                    continue
                out[key] = {"indicator_code": ind, "city_code": city, "period": f"{y}Q4", "value": None,
                            "value_status": "not_found",
                            "source_record": {"rule": "not_found_or_undated", "rows": [info]}}
    else:
        raise ValueError(f"feed {feed.feed_id}: unknown period_rule {feed.period_rule!r}")

    ordered = sorted(out.values(), key=lambda r: (r["indicator_code"], r["city_code"] or "~", r["period"]))
    for i, r in enumerate(ordered, 1):
        r["record_number"] = i
    return ordered


# ============================================================================================ load
def _snapshot(archive_dir: Path, feed_id: str, snapshot_id: str) -> tuple[dict[str, Any], list[dict]]:
    d = Path(archive_dir) / feed_id / snapshot_id
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    content = json.loads((d / "records.json").read_text(encoding="utf-8"))
    return manifest, content["records"]


def _ts(value: str | None) -> datetime | None:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def load_feeds(con: duckdb.DuckDBPyConnection, archive_dir: Path, results: list[dict[str, Any]],
               run_id: str, registry: Path = REGISTRY) -> None:
    """Write ``raw.feed_records`` (replaced, from each result's snapshot in use) and this run's
    ``meta.feed_status`` rows (other runs kept), both sorted, per docs/contracts.md."""
    feeds = load_registry(registry)
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists meta")
    by_feed = {r["feed_id"]: r for r in results}

    admin: list[dict[str, Any]] = []
    admin_res = by_feed.get("admin_codes")
    admin_snap = (admin_res or {}).get("snapshot_id")
    if admin_snap is None:
        cur = _read_current(Path(archive_dir) / "admin_codes")
        admin_snap = cur["snapshot_id"] if cur else None
    if admin_snap:
        admin = _snapshot(archive_dir, "admin_codes", admin_snap)[1]

    rows: list[tuple[Any, ...]] = []
    for feed_id in sorted(by_feed):
        res = by_feed[feed_id]
        if not res.get("snapshot_id") or feed_id not in feeds:
            continue
        manifest, records = _snapshot(archive_dir, feed_id, res["snapshot_id"])
        fetched = _ts(manifest["fetched_at"])
        for r in derive_records(feeds[feed_id], records, admin):
            rows.append((feed_id, res["snapshot_id"], r["record_number"], r["city_code"], r["period"],
                         r["indicator_code"], r["value"], r["value_status"],
                         json.dumps(r["source_record"], ensure_ascii=False, sort_keys=True), fetched))
    rows.sort(key=lambda t: (t[0], t[2]))
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace table raw.feed_records (feed_id varchar, snapshot_id varchar, "
            "record_number integer, city_code varchar, period varchar, indicator_code varchar, value double, "
            "value_status varchar, source_record varchar, fetched_at timestamp)"
        )
        if rows:
            con.executemany("insert into raw.feed_records values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute(
            "create table if not exists meta.feed_status (run_id varchar, feed_id varchar, status varchar, "
            "reason varchar, snapshot_id varchar, fetched_at timestamp, records integer)"
        )
        con.execute("delete from meta.feed_status where run_id = ?", [run_id])
        status_rows = [
            (run_id, r["feed_id"], r["status"], r.get("reason"), r.get("snapshot_id"), _ts(r.get("fetched_at")),
             int(r.get("records") or 0))
            for r in sorted(results, key=lambda r: r["feed_id"])
        ]
        bad = [r for r in status_rows if r[2] not in FEED_STATUSES]
        if bad:
            raise ValueError(f"unknown feed status in results: {bad}")
        if status_rows:
            con.executemany("insert into meta.feed_status values (?, ?, ?, ?, ?, ?, ?)", status_rows)
        con.execute("create or replace table meta.feed_status as "
                    "select * from meta.feed_status order by run_id, feed_id")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def fetch_all(archive_dir: Path, base_url: str | None = None, config: ClientConfig | None = None
              ) -> list[dict[str, Any]]:
    """Fetch every registered feed in turn (for ``hnplus run`` without Airflow)."""
    return [fetch_feed(f, archive_dir, base_url, config) for f in list_feeds()]


def wait_for_portal(base_url: str, timeout: float = 10.0) -> bool:
    """Poll until the portal answers (used when the runner starts it as a subprocess)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(base_url.rstrip("/") + "/api/3/action/package_show?id=henan-admin-codes", timeout=1)
            return True
        except requests.RequestException:
            time.sleep(0.1)
    return False


__all__ = [
    "ClientConfig", "Feed", "FeedFault", "derive_records", "fetch_all", "fetch_feed", "list_feeds",
    "load_feeds", "load_registry", "make_session", "wait_for_portal",
]

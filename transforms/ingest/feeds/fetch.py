"""Fetch one feed into the archive: a new snapshot, the current one confirmed, or the last good one kept.

``fetch_feed`` never raises for a remote fault: the result says ``stale`` (or ``failed_no_snapshot``) with the
reason, and the nightly run goes on with the snapshot in use.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from transforms.ingest.feeds.archive import (
    archive_rejected,
    canonical,
    read_current,
    read_snapshot,
    write_json,
    write_snapshot,
)
from transforms.ingest.feeds.client import ClientConfig, FeedFault, Response, classify, get, make_session, now
from transforms.ingest.feeds.parse import check_schema, parse_csv, parse_datastore_page
from transforms.ingest.feeds.plausible import check_snapshot
from transforms.ingest.feeds.registry import REGISTRY, Feed, load_registry

ENV_BASE_URL = "HNPLUS_PORTAL_URL"
FEED_STATUSES = ("fresh", "not_modified", "stale", "failed_no_snapshot")
MAX_PAGES = 10_000

Download = tuple[list[Response], list[str], list[dict[str, Any]]]  # (responses, columns, rows)


def fetch_feed(feed_id: str, archive_dir: Path, base_url: str | None = None,
               config: ClientConfig | None = None, registry: Path = REGISTRY) -> dict[str, Any]:
    """Fetch one feed into ``<archive_dir>/<feed_id>/<snapshot_id>/``; never raises for remote faults.

    Returns a JSON-serialisable dict: feed_id, status (fresh | not_modified | stale | failed_no_snapshot),
    reason, snapshot_id (the snapshot now in use), records, fetched_at (of that snapshot), checked_at.
    """
    feed = load_registry(registry)[feed_id]
    feed_dir = Path(archive_dir) / feed_id
    feed_dir.mkdir(parents=True, exist_ok=True)
    current = read_current(feed_dir)
    checked_at = now()

    def degraded(reason: str) -> dict[str, Any]:
        return _result(feed_id, "stale" if current else "failed_no_snapshot", reason, current, checked_at)

    base = base_url or os.environ.get(ENV_BASE_URL)
    if not base:
        return degraded(f"no_base_url: set {ENV_BASE_URL}")
    if urlsplit(base).scheme not in ("http", "https"):
        return degraded(f"bad_base_url: {base}")
    got = _fetch_checked(feed, feed_dir, base, config or ClientConfig(), current)
    if got is None:
        return _result(feed_id, "not_modified", "304 Not Modified", current, checked_at)
    if isinstance(got, str):
        return degraded(got)
    return _store(feed, feed_dir, base, got, current, checked_at)


def fetch_feeds(feed_ids: list[str], archive_dir: Path, base_url: str | None = None,
                config: ClientConfig | None = None, registry: Path = REGISTRY) -> list[dict[str, Any]]:
    """Fetch several feeds at once (one thread each), results in the order asked for.

    Each fetch is bounded by ``config.deadline``, so the whole stage takes at most about
    ``deadline + read_timeout`` seconds however many feeds time out (docs/feeds.md, "Stage budget")."""
    if not feed_ids:
        return []
    with ThreadPoolExecutor(max_workers=min(len(feed_ids), 8), thread_name_prefix="feed") as pool:
        futures = [pool.submit(fetch_feed, f, archive_dir, base_url, config, registry) for f in feed_ids]
        return [f.result() for f in futures]


def _fetch_checked(feed: Feed, feed_dir: Path, base: str, cfg: ClientConfig, current: dict[str, Any] | None
                   ) -> Download | str | None:
    """The downloaded rows, complete and plausible; None for 304; else the fault's reason (evidence archived)."""
    deadline = time.monotonic() + cfg.deadline
    session = make_session(cfg, deadline)
    responses: list[Response] = []
    try:
        got = download(feed, session, base, cfg, current, deadline)
        if got is None:
            return None
        responses, columns, rows = got
        check_schema(feed, columns)
        if not rows:
            raise FeedFault("empty_result", "zero records")
        check_plausible(feed, rows, feed_dir, current, cfg)
        return got
    except FeedFault as f:
        archive_rejected(feed_dir, f, responses)
        return str(f)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:  # belt and braces
        return str(classify(e))
    finally:
        session.close()


def _store(feed: Feed, feed_dir: Path, base: str, got: Download, current: dict[str, Any] | None,
           checked_at: str) -> dict[str, Any]:
    """Make the downloaded content the snapshot in use (the same content keeps the current snapshot)."""
    responses, columns, rows = got
    content = {"columns": columns, "records": rows}
    content_sha = hashlib.sha256(canonical(content)).hexdigest()
    snapshot_id = content_sha[:16]
    first = responses[0]
    validators = {"etag": first.headers.get("ETag"), "last_modified": first.headers.get("Last-Modified")}
    if current and current["snapshot_id"] == snapshot_id:
        # Same content (server ignored our validators): keep the snapshot, refresh the validators only.
        write_json(feed_dir / "current.json", {**current, **validators})
        return _result(feed.feed_id, "not_modified", "unchanged content (same sha256)", current, checked_at)
    about = {
        "feed_id": feed.feed_id, "snapshot_id": snapshot_id, "content_sha256": content_sha,
        "fetched_at": first.fetched_at, "records": len(rows), "columns": columns,
        "base_url": base, "synthetic": feed.synthetic,
    }
    manifest = write_snapshot(feed_dir / snapshot_id, responses, content, about, validators)
    new_current = {"snapshot_id": snapshot_id, "records": manifest["records"],
                   "fetched_at": manifest["fetched_at"], **validators}
    write_json(feed_dir / "current.json", new_current)
    return _result(feed.feed_id, "fresh", "new snapshot", new_current, checked_at)


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


def check_plausible(feed: Feed, rows: list[dict[str, Any]], feed_dir: Path, current: dict[str, Any] | None,
                    cfg: ClientConfig) -> None:
    """Compare a complete download with the last good snapshot (GX suite, ``plausible.py``): far fewer records,
    key fields empty or unmappable far more often, or repeated records mean a broken export, not news."""
    if not current:
        return
    before = int(current.get("records") or 0)
    if before and len(rows) < before * (1 - cfg.max_record_drop):  # cheap, and needs no snapshot on disk
        raise FeedFault("implausible_count", f"{len(rows)} records, the last good snapshot {current['snapshot_id']} "
                        f"has {before} (more than {cfg.max_record_drop:.0%} fewer); held for review")
    try:
        _, good = read_snapshot(feed_dir.parent, feed.feed_id, current["snapshot_id"])
    except (OSError, ValueError, KeyError):
        return
    check_snapshot(feed, rows, good, current["snapshot_id"], cfg.max_record_drop)


def download(feed: Feed, session: requests.Session, base_url: str, cfg: ClientConfig,
             current: dict[str, Any] | None, deadline: float | None = None) -> Download | None:
    """Fetch all pages; None when the server says the first page is unchanged (one conditional request)."""
    limit = cfg.max_bytes or feed.max_bytes
    cond: dict[str, str] = {}
    if current:
        if current.get("etag"):
            cond["If-None-Match"] = current["etag"]
        if current.get("last_modified"):
            cond["If-Modified-Since"] = current["last_modified"]
    url = urljoin(base_url.rstrip("/") + "/", feed.resource_path)
    if feed.format == "csv":
        r = get(session, url, base_url, cfg, limit, cond, deadline)
        if r.status == 304:
            return None
        columns, rows = parse_csv(r)
        return [r], columns, rows
    return _download_pages(feed, session, url, base_url, cfg, limit, cond, deadline)


def _download_pages(feed: Feed, session: requests.Session, url: str, base_url: str, cfg: ClientConfig,
                    limit: int, cond: dict[str, str], deadline: float | None) -> Download | None:
    """Page through a CKAN datastore; total and fields must not change while paging, the byte limit is shared."""
    sep = "&" if "?" in url else "?"
    responses: list[Response] = []
    rows_all: list[dict[str, Any]] = []
    offset, total, columns, used = 0, None, [], 0
    for page in range(MAX_PAGES):
        page_url = f"{url}{sep}offset={offset}&limit={feed.page_size}"
        r = get(session, page_url, base_url, cfg, limit - used, cond if page == 0 else None, deadline)
        if r.status == 304:
            if page == 0:
                return None
            raise FeedFault("pagination_inconsistent", "304 on a later page")
        used += len(r.body)
        responses.append(r)
        cols, rows, page_total = parse_datastore_page(r)
        if total is None:
            total, columns = page_total, cols
        elif page_total != total or set(cols) != set(columns):
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

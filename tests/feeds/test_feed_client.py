"""Client behaviour against the real portal: conditional GET, pagination, snapshots and archive."""

from __future__ import annotations

import json
from pathlib import Path

from tools.portal import PortalHandle
from transforms.ingest.feeds.client import ClientConfig
from transforms.ingest.feeds.fetch import fetch_feed
from transforms.ingest.feeds.registry import list_feeds, load_registry


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_unchanged_feed_costs_one_conditional_request(portal: PortalHandle, archive: Path,
                                                      fast: ClientConfig) -> None:
    for feed_id in ("policy_pilots", "scenic_5a_areas"):
        first = fetch_feed(feed_id, archive, portal.url, fast)
        assert first["status"] == "fresh"
        before = _tree(archive / feed_id)
        portal.reset_requests()

        again = fetch_feed(feed_id, archive, portal.url, fast)

        seen = portal.requests
        assert len(seen) == 1, seen  # exactly one request, even for the paginated feed
        assert seen[0]["status"] == 304 and seen[0]["if_none_match"] and seen[0]["if_modified_since"]
        assert again["status"] == "not_modified" and again["snapshot_id"] == first["snapshot_id"]
        assert _tree(archive / feed_id) == before  # nothing rewritten: no reprocessing


def test_pagination_reads_every_page(portal: PortalHandle, archive: Path, fast: ClientConfig) -> None:
    feed = load_registry()["policy_pilots"]
    res = fetch_feed("policy_pilots", archive, portal.url, fast)
    assert res["records"] == 45 and feed.page_size == 20
    offsets = [r["path"].split("offset=")[1].split("&")[0] for r in portal.requests]
    assert offsets == ["0", "20", "40"]
    snap = archive / "policy_pilots" / res["snapshot_id"]
    records = json.loads((snap / "records.json").read_text(encoding="utf-8"))["records"]
    assert len(records) == 45 and records[0]["program"] == "宽带中国示范城市"
    assert len(list((snap / "responses").glob("*.body"))) == 3


def test_archive_keeps_raw_body_headers_and_fetch_time(portal: PortalHandle, archive: Path,
                                                       fast: ClientConfig) -> None:
    res = fetch_feed("scenic_5a_areas", archive, portal.url, fast)
    snap = archive / "scenic_5a_areas" / res["snapshot_id"]
    meta = json.loads((snap / "responses" / "0001.meta.json").read_text())
    body = (snap / "responses" / "0001.body").read_bytes()
    assert meta["headers"]["ETag"] and meta["headers"]["Last-Modified"] and meta["fetched_at"].endswith("Z")
    import hashlib

    assert meta["sha256"] == hashlib.sha256(body).hexdigest() and meta["bytes"] == len(body)
    manifest = json.loads((snap / "manifest.json").read_text())
    assert manifest["content_sha256"].startswith(res["snapshot_id"])


def test_snapshot_id_is_deterministic(portal: PortalHandle, tmp_path: Path, fast: ClientConfig) -> None:
    a = fetch_feed("maker_space_registry", tmp_path / "a", portal.url, fast)
    b = fetch_feed("maker_space_registry", tmp_path / "b", portal.url, fast)
    assert a["snapshot_id"] == b["snapshot_id"]


def test_changed_content_gives_new_snapshot(portal: PortalHandle, samples: Path, archive: Path,
                                            fast: ClientConfig) -> None:
    first = fetch_feed("scenic_5a_areas", archive, portal.url, fast)
    f = samples / "henan-5a-scenic-areas" / "scenic_5a_areas.csv"
    f.write_text(f.read_text(encoding="utf-8").replace("2019", "2018", 1), encoding="utf-8")
    second = fetch_feed("scenic_5a_areas", archive, portal.url, fast)
    assert second["status"] == "fresh" and second["snapshot_id"] != first["snapshot_id"]
    assert (archive / "scenic_5a_areas" / first["snapshot_id"]).is_dir()  # old snapshot kept


def test_package_show_lists_resources(portal: PortalHandle) -> None:
    import requests

    doc = requests.get(f"{portal.url}/api/3/action/package_show?id=henan-policy-pilots", timeout=2).json()
    assert doc["success"] and doc["result"]["resources"][0]["id"] == "policy_pilots"
    assert requests.get(f"{portal.url}/api/3/action/package_show?id=nope", timeout=2).status_code == 404


def test_every_feed_fetches_fresh(portal: PortalHandle, archive: Path, fast: ClientConfig) -> None:
    assert list_feeds() == ["policy_pilots", "scenic_5a_areas", "admin_codes", "maker_space_registry"]
    assert {fetch_feed(f, archive, portal.url, fast)["status"] for f in list_feeds()} == {"fresh"}

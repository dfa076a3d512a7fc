"""One test per remote fault: the fetch completes, keeps the last good snapshot, status stale + reason."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tools.portal import PortalHandle
from transforms.ingest.feeds.client import ClientConfig
from transforms.ingest.feeds.fetch import fetch_feed, fetch_feeds
from transforms.ingest.feeds.load import load_feeds
from transforms.ingest.feeds.registry import list_feeds

DATASTORE, CSV = "policy_pilots", "scenic_5a_areas"

# (feed_id, fault kind, fault params, expected reason code)
FAULTS: list[tuple[str, str, dict[str, Any], str]] = [
    (DATASTORE, "timeout", {"delay": 1.2}, "timeout"),
    (CSV, "timeout", {"delay": 1.2}, "timeout"),
    (DATASTORE, "http_500", {}, "http_500"),
    (DATASTORE, "http_503", {"retry_after": 0}, "http_503"),
    (DATASTORE, "http_429", {"retry_after": 0}, "http_429"),
    (DATASTORE, "truncated", {}, "truncated_body"),
    (CSV, "truncated", {}, "truncated_body"),
    (DATASTORE, "invalid_json", {}, "invalid_json"),
    (CSV, "invalid_json", {}, "invalid_body"),
    (DATASTORE, "drift_rename", {"column": "city", "to": "city_name"}, "schema_drift"),
    (DATASTORE, "drift_missing", {"column": "status"}, "schema_drift"),
    (DATASTORE, "drift_new", {"column": "population"}, "schema_drift"),
    (CSV, "drift_rename", {"column": "year_listed", "to": "year"}, "schema_drift"),
    (DATASTORE, "empty", {}, "empty_result"),
    (CSV, "empty", {}, "empty_result"),
    (DATASTORE, "oversize", {"size": 400_000}, "too_large"),
    (CSV, "oversize", {"size": 400_000, "declare": False}, "too_large"),
    (DATASTORE, "redirect_offhost", {}, "redirect_offhost"),
    # issue 17: a cut body whose Content-Length matches what was sent, and consistent answers that are implausible
    (CSV, "truncated_declared", {}, "truncated_body"),
    (DATASTORE, "truncated_declared", {}, "invalid_json"),
    (CSV, "fewer_records", {"keep": 0.5}, "implausible_count"),
    (DATASTORE, "fewer_records", {"keep": 0.5}, "implausible_count"),
    (CSV, "blank_column", {"column": "city"}, "implausible_values"),
    (CSV, "duplicate_records", {}, "implausible_values"),
    (DATASTORE, "duplicate_records", {}, "implausible_values"),
    (DATASTORE, "garble_column", {"column": "city"}, "implausible_values"),
]


def _files(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and "_rejected" not in p.parts}


@pytest.mark.parametrize(("feed_id", "kind", "params", "code"), FAULTS,
                         ids=[f"{f}-{k}-{'-'.join(map(str, p.values()))}" for f, k, p, _ in FAULTS])
def test_fault_keeps_last_good_snapshot(portal: PortalHandle, archive: Path, fast: ClientConfig,
                                        feed_id: str, kind: str, params: dict[str, Any], code: str) -> None:
    cfg = dataclasses.replace(fast, max_bytes=200_000)
    good = fetch_feed(feed_id, archive, portal.url, cfg)
    assert good["status"] == "fresh", good
    before = _files(archive / feed_id)

    portal.set_fault(feed_id, kind, **params)
    started = time.monotonic()
    res = fetch_feed(feed_id, archive, portal.url, cfg)
    assert time.monotonic() - started < 10

    assert res["status"] == "stale", res
    assert res["reason"].startswith(code), res
    assert res["snapshot_id"] == good["snapshot_id"]
    assert res["records"] == good["records"]
    # the good snapshot is untouched and still the one loaded
    after = _files(archive / feed_id)
    assert {k: v for k, v in after.items() if k != "current.json"} == {
        k: v for k, v in before.items() if k != "current.json"}
    con = duckdb.connect()
    load_feeds(con, archive, [res], run_id="r-fault")
    assert con.execute("select distinct snapshot_id from raw.feed_records").fetchall() == [(good["snapshot_id"],)]
    assert con.execute("select status, reason from meta.feed_status").fetchone() == ("stale", res["reason"])


def test_connection_refused_keeps_last_good_snapshot(portal: PortalHandle, archive: Path,
                                                     fast: ClientConfig) -> None:
    good = fetch_feed(DATASTORE, archive, portal.url, fast)
    portal.stop()  # port closed: nothing listens any more
    res = fetch_feed(DATASTORE, archive, portal.url, fast)
    assert res["status"] == "stale"
    assert res["reason"].startswith("connection_refused"), res
    assert res["snapshot_id"] == good["snapshot_id"]


def test_fault_without_snapshot_is_failed_no_snapshot(portal: PortalHandle, archive: Path,
                                                      fast: ClientConfig) -> None:
    portal.set_fault(DATASTORE, "http_500")
    res = fetch_feed(DATASTORE, archive, portal.url, fast)
    assert res == {**res, "status": "failed_no_snapshot", "snapshot_id": None, "records": 0}
    assert res["reason"].startswith("http_500")
    con = duckdb.connect()
    load_feeds(con, archive, [res], run_id="r0")
    assert con.execute("select count(*) from raw.feed_records").fetchone() == (0,)
    assert con.execute("select status from meta.feed_status").fetchone() == ("failed_no_snapshot",)


def test_missing_base_url_never_raises(archive: Path, fast: ClientConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HNPLUS_PORTAL_URL", raising=False)
    res = fetch_feed(DATASTORE, archive, None, fast)
    assert res["status"] == "failed_no_snapshot" and res["reason"].startswith("no_base_url")


def test_transient_503_is_retried_then_fresh(portal: PortalHandle, archive: Path, fast: ClientConfig) -> None:
    portal.set_fault(CSV, "http_503", retry_after=0, times=1)
    res = fetch_feed(CSV, archive, portal.url, fast)
    assert res["status"] == "fresh", res
    assert [r["status"] for r in portal.requests] == [503, 200]


def test_429_retry_after_is_honoured(portal: PortalHandle, archive: Path, fast: ClientConfig) -> None:
    portal.set_fault(CSV, "http_429", retry_after=1, times=1)
    started = time.monotonic()
    res = fetch_feed(CSV, archive, portal.url, fast)
    waited = time.monotonic() - started
    assert res["status"] == "fresh", res
    assert [r["status"] for r in portal.requests] == [429, 200]
    gap = portal.requests[1]["at"] - portal.requests[0]["at"]
    assert gap >= 0.9 and waited < 5  # slept for Retry-After (1 s), not the tiny backoff


def test_env_var_base_url(portal: PortalHandle, archive: Path, fast: ClientConfig,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HNPLUS_PORTAL_URL", portal.url)
    assert fetch_feed(CSV, archive, None, fast)["status"] == "fresh"


def test_fault_control_endpoint(portal: PortalHandle, archive: Path, fast: ClientConfig) -> None:
    import requests

    r = requests.post(f"{portal.url}/_faults", json={"resource_id": CSV, "kind": "http_500"}, timeout=2)
    assert r.status_code == 200
    assert fetch_feed(CSV, archive, portal.url, fast)["reason"].startswith("http_500")
    assert requests.delete(f"{portal.url}/_faults", timeout=2).status_code == 200
    assert fetch_feed(CSV, archive, portal.url, fast)["status"] == "fresh"


def test_huge_retry_after_is_capped(portal: PortalHandle, archive: Path, fast: ClientConfig) -> None:
    portal.set_fault(CSV, "http_503", retry_after=3600, times=1)
    started = time.monotonic()
    res = fetch_feed(CSV, archive, portal.url, fast)  # max_retry_after=1 s in the fast config
    assert res["status"] == "fresh" and time.monotonic() - started < 3


def test_portal_refuses_path_tricks(portal: PortalHandle) -> None:
    import requests

    for path in ("/dataset/../cities.csv", "/dataset/%2e%2e/cities.csv",
                 "/api/3/action/datastore_search?resource_id=../cities"):
        assert requests.get(portal.url + path, timeout=2).status_code == 404, path


def test_truncated_download_is_quarantined_with_its_reason(portal: PortalHandle, archive: Path,
                                                           fast: ClientConfig) -> None:
    """Issue 17, finding 1: half a CSV body with a matching Content-Length never becomes the snapshot in use;
    its bytes are kept apart under ``_rejected/`` with the reason, and the next good answer is taken as usual."""
    good = fetch_feed(CSV, archive, portal.url, fast)
    portal.set_fault(CSV, "truncated_declared")
    bad = fetch_feed(CSV, archive, portal.url, fast)
    assert (bad["status"], bad["snapshot_id"], bad["records"]) == ("stale", good["snapshot_id"], good["records"])
    faults = [json.loads(p.read_text(encoding="utf-8")) for p in (archive / CSV / "_rejected").glob("*/fault.json")]
    assert [f["reason"].split(":")[0] for f in faults] == ["truncated_body"]
    portal.clear_faults()
    assert fetch_feed(CSV, archive, portal.url, fast)["status"] == "not_modified"


def test_datastore_reply_without_fields_is_read(portal: PortalHandle, archive: Path, fast: ClientConfig) -> None:
    """Issue 17, finding 2: a datastore answer without ``fields`` takes its columns from the records."""
    portal.set_fault(DATASTORE, "no_fields")
    res = fetch_feed(DATASTORE, archive, portal.url, fast)
    assert res["status"] == "fresh", res
    portal.clear_faults()
    again = fetch_feed(DATASTORE, archive, portal.url, fast)
    assert again["snapshot_id"] == res["snapshot_id"] and again["status"] == "not_modified"


def test_timeouts_do_not_add_up(portal: PortalHandle, archive: Path) -> None:
    """Issue 17, finding 3: every feed times out on every try; the per-feed deadline covers connect, read, retries
    and backoff, and the feeds are fetched at once, so the stage ends within one deadline (plus one read)."""
    cfg = ClientConfig(connect_timeout=0.5, read_timeout=0.6, retries=5, backoff_factor=0.2, backoff_max=1,
                       deadline=1.5)
    portal.set_fault("*", "timeout", delay=3)
    ids = list_feeds()
    started = time.monotonic()
    results = fetch_feeds(ids, archive, portal.url, cfg)
    took = time.monotonic() - started
    assert [r["feed_id"] for r in results] == ids
    assert all(r["status"] == "failed_no_snapshot" and r["reason"].startswith("timeout") for r in results), results
    # What "adding up" would take: one feed's tries and backoffs without the deadline, or the feeds one after
    # another within it. The bound sits well below both, with 2 s of slack for a loaded 2-core CI machine (a run
    # under load once took 3.07 s against a bound of 2.6 s, and still nowhere near either failure mode).
    tries = cfg.retries + 1
    backoffs = sum(min(cfg.backoff_max, cfg.backoff_factor * 2 ** i) for i in range(cfg.retries))
    one_feed_undeadlined = tries * cfg.read_timeout + backoffs
    sequential = len(ids) * cfg.deadline
    bound = cfg.deadline + cfg.read_timeout + 2.0
    assert bound < min(one_feed_undeadlined, sequential), (bound, one_feed_undeadlined, sequential)
    assert took < bound, took

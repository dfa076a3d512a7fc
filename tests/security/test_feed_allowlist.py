"""Feed URLs are restricted to the configured portal: no other host, no redirect off it, no file:// or proxies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools.portal import PortalHandle, start_portal
from transforms.ingest.feeds.client import ClientConfig, FeedFault, make_session
from transforms.ingest.feeds.client import get as _get
from transforms.ingest.feeds.fetch import fetch_feed

FAST = ClientConfig(connect_timeout=2, read_timeout=2, retries=0, backoff_factor=0)


class _Evil(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Evil.hits.append(self.path)
        body = b"name,city\nstolen,x\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[PortalHandle]:
    h = start_portal()
    yield h
    h.stop()


@pytest.fixture
def evil() -> Iterator[str]:
    """Another server on 127.0.0.1 (other port = other origin) that must never be contacted."""
    _Evil.hits = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Evil)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("feed_id", ["policy_pilots", "scenic_5a_areas"])
def test_redirect_to_another_host_is_refused(portal: PortalHandle, evil: str, tmp_path: Path, feed_id: str) -> None:
    portal.set_fault(feed_id, "redirect_offhost", location=f"{evil}/steal")
    res = fetch_feed(feed_id, tmp_path, portal.url, FAST)
    assert res["status"] == "failed_no_snapshot"
    assert res["reason"].startswith("redirect_offhost") and "/steal" in res["reason"]
    assert _Evil.hits == []  # the other host was never contacted


def test_url_on_another_origin_is_refused_before_any_request(portal: PortalHandle, evil: str) -> None:
    with pytest.raises(FeedFault) as exc:
        _get(make_session(FAST), f"{evil}/data.csv", portal.url, FAST, 1_000_000)
    assert exc.value.code == "host_not_allowed"
    assert _Evil.hits == []


@pytest.mark.parametrize("base", ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/", "/etc"])
def test_non_http_base_urls_are_refused(tmp_path: Path, base: str) -> None:
    res = fetch_feed("scenic_5a_areas", tmp_path, base, FAST)
    assert res["status"] == "failed_no_snapshot" and res["reason"].startswith("bad_base_url")


def test_proxy_settings_from_the_environment_are_ignored(monkeypatch: pytest.MonkeyPatch, portal: PortalHandle,
                                                         evil: str, tmp_path: Path) -> None:
    monkeypatch.setenv("HTTP_PROXY", evil)
    monkeypatch.setenv("http_proxy", evil)
    assert make_session().trust_env is False
    res = fetch_feed("scenic_5a_areas", tmp_path, portal.url, FAST)
    assert res["status"] == "fresh" and _Evil.hits == []

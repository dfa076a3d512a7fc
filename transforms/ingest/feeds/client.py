"""A fault-tolerant HTTP client for the portal: retries with backoff, an allow-listed host, byte and time limits.

Every remote fault becomes a :class:`FeedFault` with a short machine-readable code, so the caller can keep the
last good snapshot and say why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

USER_AGENT = "hnplus-feeds/1 (+https://github.com/hnplus)"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


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
    deadline: float = 60.0  # wall-clock cap on one feed's whole fetch: every page, connect, read, retry and backoff
    max_record_drop: float = 0.2  # a snapshot with more than this share fewer records than the last good one is held


class FeedFault(Exception):
    """A remote fault with a short machine-readable code (``reason`` starts with it)."""

    def __init__(self, code: str, detail: str = "", body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.body = body
        self.headers = headers or {}


@dataclass
class Response:
    """One HTTP answer as archived: final URL, status, headers, the whole body, when it was asked for."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str


class _CappedRetry(Retry):
    """urllib3 Retry that honours Retry-After but never beyond ``max_retry_after`` seconds, and never sleeps or
    retries past the feed's deadline (``time.monotonic()`` value), so retries cannot add up beyond it."""

    max_retry_after: float = 60.0
    deadline: float = float("inf")

    def _remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after, self._remaining())

    def get_backoff_time(self) -> float:
        return min(super().get_backoff_time(), self._remaining())

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or self._remaining() <= 0


def make_session(config: ClientConfig | None = None, deadline: float | None = None) -> requests.Session:
    """A Session whose adapter retries connect/read errors and 429/5xx with backoff and Retry-After, until the
    retries are used up or ``deadline`` (a ``time.monotonic()`` value) has passed."""
    cfg = config or ClientConfig()
    retry_cls = type("CappedRetry", (_CappedRetry,), {"max_retry_after": cfg.max_retry_after,
                                                      "deadline": float("inf") if deadline is None else deadline})
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


def now() -> str:
    """The current UTC time as the archive writes it."""
    return datetime.now(UTC).strftime(TIME_FORMAT)


def _origin(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    return p.scheme, (p.hostname or "").lower(), p.port or {"http": 80, "https": 443}.get(p.scheme)


def classify(exc: BaseException) -> FeedFault:
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


def get(session: requests.Session, url: str, base_url: str, cfg: ClientConfig, limit: int,
        headers: dict[str, str] | None = None, deadline: float | None = None) -> Response:
    """One GET: allow-listed host, same-origin redirects only, streamed with a byte limit; no socket wait is
    longer than what is left until ``deadline`` (``time.monotonic()``)."""
    allowed = _origin(base_url)
    end = float("inf") if deadline is None else deadline
    for _ in range(cfg.max_redirects + 1):
        if _origin(url) != allowed:
            raise FeedFault("host_not_allowed", url)
        left = end - time.monotonic()
        if left <= 0:
            raise FeedFault("timeout", f"feed deadline of {cfg.deadline}s passed before {url}")
        fetched_at = now()
        try:
            resp = session.get(url, headers=headers or {}, stream=True, allow_redirects=False,
                               timeout=(min(cfg.connect_timeout, left), min(cfg.read_timeout, left)))
        except requests.RequestException as e:
            raise classify(e) from e
        hdrs = {k: v for k, v in resp.headers.items()}
        if resp.is_redirect:
            target = urljoin(url, resp.headers.get("Location", ""))
            resp.close()
            if _origin(target) != allowed:
                raise FeedFault("redirect_offhost", f"{url} -> {target}", headers=hdrs)
            url = target
            continue
        try:
            return _answer(resp, url, hdrs, fetched_at, cfg, limit, end)
        finally:
            resp.close()
    raise FeedFault("too_many_redirects", url)


def _answer(resp: requests.Response, url: str, hdrs: dict[str, str], fetched_at: str, cfg: ClientConfig,
            limit: int, deadline: float) -> Response:
    """The final (non-redirect) answer: 304, or a complete 200 body within the limits; anything else a fault."""
    if resp.status_code == 304:
        return Response(url, 304, hdrs, b"", fetched_at)
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FeedFault("too_large", f"Content-Length {declared} > limit {limit}", headers=hdrs)
    body = _read_body(resp, hdrs, cfg, limit, deadline)
    if declared and declared.isdigit() and int(declared) != len(body):
        raise FeedFault("truncated_body", f"got {len(body)} of {declared} bytes", body, hdrs)
    if resp.status_code >= 400:
        raise FeedFault(f"http_{resp.status_code}", f"{url} after retries", body, hdrs)
    if resp.status_code != 200:
        raise FeedFault(f"http_{resp.status_code}", "unexpected status", body, hdrs)
    return Response(url, resp.status_code, hdrs, body, fetched_at)


def _read_body(resp: requests.Response, hdrs: dict[str, str], cfg: ClientConfig, limit: int,
               feed_deadline: float) -> bytes:
    """Stream the body, stopping at ``limit`` bytes, ``cfg.total_timeout`` seconds or the feed's deadline."""
    chunks: list[bytes] = []
    size = 0
    deadline = min(time.monotonic() + cfg.total_timeout, feed_deadline)
    try:
        for chunk in resp.iter_content(65536):
            if time.monotonic() > deadline:
                raise FeedFault("timeout", f"body not complete within {cfg.total_timeout}s or the feed deadline")
            size += len(chunk)
            if size > limit:
                raise FeedFault("too_large", f"body exceeded limit {limit} bytes", headers=hdrs)
            chunks.append(chunk)
    except requests.RequestException as e:
        raise classify(e) from e
    return b"".join(chunks)

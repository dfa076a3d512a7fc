"""A local CKAN-style open-data portal that serves the committed feed samples, with switchable faults.

Why: the feed client must be proven against a real HTTP server that fails the way remote portals fail
(timeouts, refused connections, 5xx, 429, truncated or invalid bodies, schema drift, empty or oversized
answers). The portal serves only files committed under ``seeds/feed_samples/`` (never ``../shared``), so
``make run`` and docker-compose work on a fresh clone.

Layout served: ``seeds/feed_samples/<dataset_id>/<resource_id>.csv``.

* ``GET /api/3/action/package_show?id=<dataset_id>``
* ``GET /api/3/action/datastore_search?resource_id=<resource_id>&offset=0&limit=100``
* ``GET /dataset/<dataset_id>/<resource_id>.csv``
* ``POST /_faults`` ``{"resource_id": "...", "kind": "...", ...params}``; ``DELETE /_faults`` clears all;
  ``GET /_faults`` lists them. ``GET /_requests`` / ``DELETE /_requests`` read and reset the request log.

Every 200 carries ``ETag`` and ``Last-Modified``; ``If-None-Match`` / ``If-Modified-Since`` give 304.
"""

from __future__ import annotations

import argparse
import csv
import email.utils
import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tools.portal.faults import FAULT_KINDS
from tools.portal.faults import apply_content_fault as _apply_content_fault
from transforms.core.paths import REALDATA_DIR, SEEDS_DIR

SAMPLES_DIR = SEEDS_DIR / "feed_samples"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # dataset and resource ids: no path tricks


# ---------------------------------------------------------------------------------------------- tables
def _read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _render_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------- server
@dataclass
class PortalState:
    """Shared, lock-protected state of one portal: where samples live, active faults, request log."""

    samples_dir: Path
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resource_file(self, resource_id: str) -> Path | None:
        if not _SAFE_ID.fullmatch(resource_id):
            return None
        hits = sorted(self.samples_dir.glob(f"*/{resource_id}.csv"))
        return hits[0] if hits else None

    def take_fault(self, resource_id: str) -> dict[str, Any] | None:
        """The active fault of a resource; a fault with ``times`` is used up after that many requests."""
        with self.lock:
            fault = self.faults.get(resource_id) or self.faults.get("*")
            if fault is None:
                return None
            if "times" in fault:
                fault["times"] = int(fault["times"]) - 1
                if fault["times"] <= 0:
                    self.faults = {k: v for k, v in self.faults.items() if v is not fault}
            return dict(fault)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hnplus-portal/1"
    state: PortalState  # set on the subclass made by make_server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # quiet; the request log is kept in PortalState

    # ------------------------------------------------------------------ helpers
    def _log(self, status: int) -> None:
        with self.state.lock:
            self.state.log.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "status": status,
                    "if_none_match": self.headers.get("If-None-Match"),
                    "if_modified_since": self.headers.get("If-Modified-Since"),
                    "at": time.time(),
                }
            )

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
        declared_length: int | None = None,
    ) -> None:
        self._log(status)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if declared_length is None:
                self.send_header("Content-Length", str(len(body)))
            elif declared_length >= 0:
                self.send_header("Content-Length", str(declared_length))
                self.close_connection = True
            else:  # close-delimited body, no length declared
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD" and status != 304:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), headers=headers)

    def _not_found(self, what: str) -> None:
        self._json(404, {"success": False, "error": {"__type": "Not Found Error", "message": what}})

    def _read_json_body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        return json.loads(raw.decode("utf-8") or "{}")

    # ------------------------------------------------------------------ control endpoints
    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        if urlsplit(self.path).path != "/_faults":
            return self._not_found(self.path)
        try:
            spec = self._read_json_body()
        except ValueError:
            return self._json(400, {"success": False, "error": "invalid JSON"})
        rid, kind = spec.get("resource_id"), spec.get("kind")
        if not rid or kind not in FAULT_KINDS:
            return self._json(400, {"success": False, "error": f"need resource_id and kind in {FAULT_KINDS}"})
        with self.state.lock:
            self.state.faults[rid] = dict(spec)
        self._json(200, {"success": True, "result": self.state.faults})

    def do_DELETE(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        with self.state.lock:
            if path == "/_faults":
                self.state.faults.clear()
            elif path == "/_requests":
                self.state.log.clear()
            else:
                path = ""
        if not path:
            return self._not_found(self.path)
        self._json(200, {"success": True})

    # ------------------------------------------------------------------ data endpoints
    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path.rstrip("/")
        if path == "/_faults":
            with self.state.lock:
                return self._json(200, {"success": True, "result": dict(self.state.faults)})
        if path == "/_requests":
            with self.state.lock:
                return self._json(200, {"success": True, "result": list(self.state.log)})
        if path == "/api/3/action/package_show":
            return self._package_show(query.get("id", ""))
        if path == "/api/3/action/datastore_search":
            return self._resource(query.get("resource_id", ""), query, as_csv=False)
        segs = path.split("/")
        if (len(segs) == 4 and segs[1] == "dataset" and segs[3].endswith(".csv")
                and _SAFE_ID.fullmatch(segs[2]) and _SAFE_ID.fullmatch(segs[3][:-4])):
            file = self.state.samples_dir / segs[2] / segs[3]
            if not file.is_file():
                return self._not_found(self.path)
            return self._resource(file.stem, query, as_csv=True)
        return self._not_found(self.path)

    do_HEAD = do_GET

    def _package_show(self, dataset_id: str) -> None:
        d = self.state.samples_dir / dataset_id
        if not _SAFE_ID.fullmatch(dataset_id) or not d.is_dir():
            return self._not_found(f"dataset {dataset_id!r}")
        resources = []
        for f in sorted(d.glob("*.csv")):
            data = f.read_bytes()
            resources.append(
                {
                    "id": f.stem,
                    "package_id": dataset_id,
                    "name": f.name,
                    "format": "CSV",
                    "url": f"/dataset/{dataset_id}/{f.name}",
                    "datastore_active": True,
                    "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "last_modified": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(f.stat().st_mtime)),
                }
            )
        meta_file = d / "package.json"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
        self._json(200, {"success": True, "result": {"id": dataset_id, "name": dataset_id, **meta,
                                                      "resources": resources}})

    def _resource(self, resource_id: str, query: dict[str, str], as_csv: bool) -> None:
        file = self.state.resource_file(resource_id) if resource_id else None
        if file is None:
            return self._not_found(f"resource {resource_id!r}")
        fault = self.state.take_fault(resource_id)
        kind = fault["kind"] if fault else None

        # transport-level faults first
        if kind == "timeout":
            time.sleep(float(fault.get("delay", 2.0)))
        elif kind in ("http_500", "http_503", "http_429"):
            status = int(kind[-3:])
            headers = {} if status == 500 else {"Retry-After": str(fault.get("retry_after", 1))}
            return self._json(status, {"success": False, "error": {"message": f"injected {status}"}}, headers)
        elif kind == "redirect_offhost":
            self._log(302)
            self.send_response(302)
            self.send_header("Location", fault.get("location", "http://example.invalid/steal"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None

        columns, rows = _read_table(file)
        columns, rows = _apply_content_fault(fault, columns, rows)
        if as_csv:
            body = _render_csv(columns, rows)
            content_type = "text/csv; charset=utf-8"
            if kind == "invalid_json":
                body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                content_type = "text/html"
        else:
            try:
                offset = max(int(query.get("offset", 0)), 0)
                limit = max(min(int(query.get("limit", 100)), 32000), 0)
            except ValueError:
                return self._json(409, {"success": False, "error": {"message": "bad offset/limit"}})
            page = rows[offset : offset + limit]
            records = [{"_id": offset + i + 1, **r} for i, r in enumerate(page)]
            result = {
                "resource_id": resource_id,
                "fields": [{"id": "_id", "type": "int"}] + [{"id": c, "type": "text"} for c in columns],
                "records": records,
                "total": len(rows),
                "offset": offset,
                "limit": limit,
                "_links": {
                    "start": f"/api/3/action/datastore_search?resource_id={resource_id}&limit={limit}",
                    "next": f"/api/3/action/datastore_search?resource_id={resource_id}"
                    f"&offset={offset + limit}&limit={limit}",
                },
            }
            if kind == "no_fields":
                del result["fields"]
            body = json.dumps({"success": True, "result": result}, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
            if kind == "invalid_json":
                body = body[: len(body) // 2] + b"<<not json"

        # Validators: the resource-level content hash (so page 1's ETag changes when any row changes).
        version = hashlib.sha256(_render_csv(columns, rows) + (kind or "").encode()).hexdigest()[:24]
        etag = f'"{version}-{query.get("offset", "")}-{query.get("limit", "")}-{int(as_csv)}"'
        mtime = int(file.stat().st_mtime) if not fault else int(time.time())
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "no-cache"}

        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                return self._send(304, b"", content_type, headers)
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                since = None
            if since is not None and mtime <= since:
                return self._send(304, b"", content_type, headers)

        if kind == "truncated":
            return self._send(200, body[: max(len(body) // 2, 1)], content_type, headers,
                              declared_length=len(body))
        if kind == "truncated_declared":
            return self._send(200, body[: max(len(body) // 2, 1)], content_type, headers)
        if kind == "oversize":
            pad = (b" " if not as_csv else b"\n") * int(fault.get("size", 2_000_000))
            body = body + pad
            declared = None if fault.get("declare", True) else -1
            return self._send(200, body, content_type, headers, declared_length=declared)
        return self._send(200, body, content_type, headers)


@dataclass
class PortalHandle:
    """A running portal: ``url`` to talk to it, ``stop()`` to close the port (connection refused after)."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    state: PortalState
    url: str

    def set_fault(self, resource_id: str, kind: str, **params: Any) -> None:
        """Switch a fault on for one resource (``"*"`` = all resources)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self.state.lock:
            self.state.faults[resource_id] = {"resource_id": resource_id, "kind": kind, **params}

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Requests the server has seen (server-side count, for tests)."""
        with self.state.lock:
            return list(self.state.log)

    def reset_requests(self) -> None:
        with self.state.lock:
            self.state.log.clear()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    samples_dir: Path | None = None,
    faults: dict[str, dict[str, Any]] | None = None,
) -> tuple[ThreadingHTTPServer, PortalState]:
    """Build (not start) a portal server; ``faults`` maps resource_id to ``{"kind": ..., **params}``."""
    state = PortalState(samples_dir=Path(samples_dir or SAMPLES_DIR))
    for rid, spec in (faults or {}).items():
        state.faults[rid] = {"resource_id": rid, **spec}
    handler = type("PortalHandler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server, state


def start_portal(
    host: str = "127.0.0.1",
    port: int = 0,
    samples_dir: Path | None = None,
    faults: dict[str, dict[str, Any]] | None = None,
) -> PortalHandle:
    """Start the portal on a background thread; ``port=0`` picks a free port (see ``handle.url``)."""
    server, state = make_server(host, port, samples_dir, faults)
    thread = threading.Thread(target=server.serve_forever, name="hnplus-portal", daemon=True)
    thread.start()
    h, p = server.server_address[:2]
    return PortalHandle(server=server, thread=thread, state=state, url=f"http://{h}:{p}")


# ---------------------------------------------------------------------------------------------- samples
SYNTHETIC_NOTE = "SYNTHETIC — 合成示例数据,非真实名录 (deterministic generator transforms/portal.py)"

# Synthetic maker-space registry: 2015 count and 2020 count per city (made up, deterministic), chosen so the
# province total is near the plan path (about 35 in 2015, over 200 by 2018) and roughly near the sample reports.
_SYNTH_MAKER = {
    "郑州市": (14, 92), "开封市": (1, 9), "洛阳市": (5, 30), "平顶山市": (1, 8), "安阳市": (1, 8),
    "鹤壁市": (1, 4), "新乡市": (2, 12), "焦作市": (1, 8), "濮阳市": (1, 5), "许昌市": (1, 9),
    "漯河市": (1, 5), "三门峡市": (1, 5), "南阳市": (2, 13), "商丘市": (1, 9), "信阳市": (1, 8),
    "周口市": (1, 8), "驻马店市": (1, 8), "济源市": (0, 3),
}


def synthetic_maker_registry() -> list[dict[str, str]]:
    """SYNTHETIC province maker-space registry rows (city, year 2015-2020, count); pure function of constants."""
    rows = []
    for city, (a, b) in _SYNTH_MAKER.items():
        for year in range(2015, 2021):
            t = (year - 2015) / 5
            value = round(a + (b - a) * (1 - (1 - t) ** 1.6))  # front-loaded growth, monotone
            rows.append({"city": city, "year": str(year), "maker_spaces": str(value),
                         "data_nature": "SYNTHETIC", "source": SYNTHETIC_NOTE})
    return rows


def build_samples(realdata_dir: Path = REALDATA_DIR, out_dir: Path = SAMPLES_DIR) -> list[Path]:
    """Dev-time only: copy the real public lists into ``seeds/feed_samples`` and write the synthetic registry."""
    written = []
    copies = {
        "henan-policy-pilots/policy_pilots.csv": "henan_policy_pilots_and_lists.csv",
        "henan-5a-scenic-areas/scenic_5a_areas.csv": "henan_5a_scenic_areas.csv",
        "henan-admin-codes/admin_codes.csv": "henan_admin_codes_gbt2260_2015_2020.csv",
    }
    for dest, src in copies.items():
        target = out_dir / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((realdata_dir / src).read_bytes())
        written.append(target)
    target = out_dir / "henan-maker-space-registry-synthetic" / "maker_space_registry.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_render_csv(["city", "year", "maker_spaces", "data_nature", "source"],
                                   synthetic_maker_registry()))
    written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    """``python -m tools.portal --port 8765`` serves until interrupted (for make run / docker-compose)."""
    ap = argparse.ArgumentParser(description="hnplus local open-data portal (CKAN-style)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--samples", type=Path, default=SAMPLES_DIR)
    ap.add_argument("--build-samples", action="store_true", help="dev: regenerate seeds/feed_samples and exit")
    args = ap.parse_args(argv)
    if args.build_samples:
        for p in build_samples(out_dir=args.samples):
            print(p)
        return
    server, _ = make_server(args.host, args.port, args.samples)
    h, p = server.server_address[:2]
    print(f"hnplus portal serving {args.samples} on http://{h}:{p}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


"""The feed archive on disk: ``<feed_id>/<snapshot_id>/`` (responses, records, manifest) and ``current.json``.

Snapshots are named by the sha256 of their content and written into a temporary folder renamed into place, so
a crash never leaves a half snapshot in use; bad answers are kept apart under ``_rejected/`` as evidence.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from transforms.ingest.feeds.client import FeedFault, Response, now


def atomic_write(path: Path, data: bytes) -> None:
    """Write bytes through a temporary file renamed over ``path`` (responses are bytes, not text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: the snapshot id is the hash of these."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def write_json(path: Path, obj: Any) -> None:
    """Pointer and manifest files: indented JSON, written atomically."""
    atomic_write(path, json.dumps(obj, ensure_ascii=False, indent=1).encode())


def read_current(feed_dir: Path) -> dict[str, Any] | None:
    """The snapshot in use (``current.json``), or None when there is none or its pointer is damaged."""
    p = feed_dir / "current.json"
    if not p.is_file():
        return None
    try:
        cur = json.loads(p.read_text(encoding="utf-8"))
        _ = cur["snapshot_id"], cur["records"], cur["fetched_at"]
    except (ValueError, KeyError, TypeError):
        return None  # a damaged pointer: behave as if there were no snapshot, the next fresh fetch rewrites it
    return cur if (feed_dir / cur["snapshot_id"] / "records.json").is_file() else None


def read_snapshot(archive_dir: Path, feed_id: str, snapshot_id: str) -> tuple[dict[str, Any], list[dict]]:
    """(manifest, records) of one snapshot."""
    d = Path(archive_dir) / feed_id / snapshot_id
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    content = json.loads((d / "records.json").read_text(encoding="utf-8"))
    return manifest, content["records"]


def archive_responses(dest: Path, responses: list[Response]) -> list[dict[str, Any]]:
    """Raw body + headers + fetch time for every response (numbered in request order)."""
    out = []
    for i, r in enumerate(responses, 1):
        digest = hashlib.sha256(r.body).hexdigest()
        meta = {"n": i, "url": r.url, "status": r.status, "fetched_at": r.fetched_at,
                "headers": r.headers, "bytes": len(r.body), "sha256": digest}
        atomic_write(dest / f"{i:04d}.body", r.body)
        atomic_write(dest / f"{i:04d}.meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())
        out.append(meta)
    return out


def archive_rejected(feed_dir: Path, fault: FeedFault, responses: list[Response]) -> None:
    """Keep the evidence of a bad answer apart from good snapshots (never read by the loader)."""
    bad = list(responses)
    if fault.body is not None:
        bad.append(Response("", 0, fault.headers, fault.body, now()))
    if not bad:
        return
    digest = hashlib.sha256(b"".join(r.body for r in bad) + fault.code.encode()).hexdigest()[:16]
    dest = feed_dir / "_rejected" / digest
    if not dest.exists():
        archive_responses(dest / "responses", bad)
        atomic_write(dest / "fault.json", json.dumps({"reason": str(fault)}, ensure_ascii=False).encode())


def write_snapshot(snap_dir: Path, responses: list[Response], content: dict[str, Any], about: dict[str, Any],
                   validators: dict[str, Any]) -> dict[str, Any]:
    """Write a snapshot once (an existing complete one is kept) and return its manifest as stored.

    The manifest is ``about`` (what was fetched), the archived responses, then the HTTP validators."""
    if not (snap_dir / "manifest.json").is_file():
        tmp = Path(tempfile.mkdtemp(dir=snap_dir.parent, prefix=".tmp-snapshot-"))
        try:
            metas = archive_responses(tmp / "responses", responses)
            atomic_write(tmp / "records.json", canonical(content))
            write_json(tmp / "manifest.json", {**about, "responses": metas, **validators})
            if snap_dir.exists():
                shutil.rmtree(snap_dir)  # an incomplete earlier attempt (no manifest)
            os.replace(tmp, snap_dir)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return json.loads((snap_dir / "manifest.json").read_text(encoding="utf-8"))

"""City report intake: land every file unchanged, read it tolerantly, account for every row.

Why it is built this way:
* Files are landed under their sha256 before anything else, so what a city sent is never lost and a
  re-run of the same inbox is a no-op (the sha256 is already known).
* Reading never drops a row silently: a data row is either staged in ``raw.report_rows`` or quarantined
  with a bilingual reason; structural problems reject the whole file with one clear message.
* A newer accepted file for the same city and period supersedes the older one; history stays queryable.
* All rows of a run go into DuckDB in one Arrow bulk insert per table inside one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from transforms.ingest.reports.errors import ReportRejected
from transforms.ingest.reports.inbox import InboxEntry, iter_inbox
from transforms.ingest.reports.landing import land
from transforms.ingest.reports.lookup import catalog_lookup, resolve_city
from transforms.ingest.reports.model import ParsedReport
from transforms.ingest.reports.periods import period_start
from transforms.ingest.reports.reader import read_report
from transforms.ingest.reports.receipts import build_receipt, write_receipt
from transforms.ingest.reports.tables import ensure_tables, write_intake

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# files above this multiple of the size limit are hashed and rejected without a copy in landing
LANDING_CAP_FACTOR = 4
_COUNTS = ("files_seen", "files_new", "files_known", "accepted", "rejected", "duplicate", "superseded",
           "rows_staged", "rows_quarantined")
# the columns that say what a file reports (not how it was written): the content fingerprint of a report
_CONTENT_KEYS = (
    "kind",
    "indicator_code",
    "value",
    "value_status",
    "status_step",
    "city_target_2018",
    "city_target_2025",
    "evidence",
    "note",
)


@dataclass
class FileOutcome:
    """What happened to one file in this run (``new`` is False when its sha256 was already known)."""

    original_name: str
    submitter: str | None
    file_id: str
    status: str
    new: bool
    receipt: dict[str, Any] | None = None


@dataclass
class IntakeSummary:
    """Counts for one intake run, plus per-file outcomes and ignored paths."""

    files_seen: int = 0
    files_new: int = 0
    files_known: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0
    superseded: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    outcomes: list[FileOutcome] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    @property
    def any_rejected(self) -> bool:
        return any(o.status == "rejected" for o in self.outcomes)

    def count_new(self, rec: dict[str, Any]) -> None:
        """Count a file new to this run by the status it ended with."""
        self.files_new += 1
        status = rec["status"]
        if status in ("accepted", "rejected", "duplicate", "superseded"):
            setattr(self, status, getattr(self, status) + 1)
        if status in ("accepted", "superseded"):
            self.rows_staged += rec["rows_staged"]
            self.rows_quarantined += rec["rows_quarantined"]

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-ready summary (small enough for an Airflow XCom; receipts stay on disk)."""
        return {
            **{k: getattr(self, k) for k in _COUNTS},
            "seconds": round(self.seconds, 3),
            "rejected_files": [
                {
                    "original_name": o.original_name,
                    "submitter": o.submitter,
                    "file_id": o.file_id,
                    "reason_code": (o.receipt or {}).get("reject", {}).get("reason_code"),
                }
                for o in self.outcomes
                if o.new and o.status == "rejected"
            ],
            "ignored": [{"path": p, "why": w} for p, w in self.ignored],
        }


@dataclass
class _Pending:
    """A file new to this run: its ``raw.report_files`` record and what was read from it."""

    rec: dict[str, Any]
    report: ParsedReport | None  # None when rejected whole, or a duplicate (then ``dup_report`` holds it)
    order: tuple[int, str, str]  # (mtime, submitter, name): older files are decided first
    dup_report: ParsedReport | None = None


def intake_inbox(
    con: duckdb.DuckDBPyConnection,
    inbox: Path,
    landing: Path,
    now: dt.datetime | None = None,
    *,
    max_bytes: int | None = None,
) -> IntakeSummary:
    """Take in every file below ``inbox``; idempotent and deterministic for the same inputs and ``now``."""
    ignored: list[tuple[str, str]] = []
    entries = list(iter_inbox(Path(inbox), ignored, exclude=Path(landing)))
    summary = intake_entries(con, entries, landing, now, max_bytes=max_bytes)
    summary.ignored = ignored
    return summary


def intake_entries(
    con: duckdb.DuckDBPyConnection,
    entries: list[InboxEntry],
    landing: Path,
    now: dt.datetime | None = None,
    *,
    max_bytes: int | None = None,
) -> IntakeSummary:
    """Core of intake for an explicit list of files (``intake_inbox`` and the CLI use it)."""
    t0 = time.perf_counter()
    landing = Path(landing)
    received_at, limit = _utc_naive(now), _max_bytes(max_bytes)
    ensure_tables(con)
    summary = IntakeSummary(files_seen=len(entries))
    known = {r[0]: r[1] for r in con.execute("SELECT file_id, status FROM raw.report_files").fetchall()}
    # 1. land and read every file (nothing is written to the database yet)
    pending = _land_and_read(entries, landing, received_at, limit, known, summary)
    # 2. decide accepted / duplicate / superseded, oldest first
    superseded_in_db = _decide_status(con, pending)
    # 3. one transaction, one bulk insert per table
    write_intake(con, *_table_rows(pending), superseded_in_db)
    # 4. receipts and summary (after the commit, so a receipt never promises rows that are not there)
    _issue_receipts(pending, landing / "receipts", summary)
    summary.superseded += len(superseded_in_db)
    summary.seconds = time.perf_counter() - t0
    return summary


def _land_and_read(
    entries: list[InboxEntry],
    landing: Path,
    received_at: dt.datetime,
    limit: int,
    known: dict[str, str],
    summary: IntakeSummary,
) -> list[_Pending]:
    """Land every file; read those whose sha256 is new (a file already known only counts in the summary)."""
    pending: list[_Pending] = []
    seen_this_run: set[str] = set()
    for entry in entries:
        st = entry.path.lstat()
        sha, size, stored = land(entry.path, landing, store=st.st_size <= limit * LANDING_CAP_FACTOR)
        if sha in known or sha in seen_this_run:
            summary.files_known += 1
            summary.outcomes.append(
                FileOutcome(entry.original_name, entry.submitter, sha, known.get(sha, "duplicate"), new=False)
            )
            continue
        seen_this_run.add(sha)
        rec = _file_record(entry, sha, size, stored, received_at)
        report = _read_into(rec, entry, size, limit, stored, received_at)
        pending.append(_Pending(rec, report, (st.st_mtime_ns, entry.submitter or "", entry.original_name)))
    return pending


def _file_record(
    entry: InboxEntry, sha: str, size: int, stored: Path | None, received_at: dt.datetime
) -> dict[str, Any]:
    """The ``raw.report_files`` record of a landed file, before it is read."""
    return {
        "file_id": sha,
        "original_name": entry.original_name,
        "stored_path": str(stored) if stored is not None else None,
        "size_bytes": size,
        "received_at": received_at,
        "submitter": entry.submitter,
        "city_code": None,
        "period": None,
        "format": None,
        "template_version": None,
        "status": "accepted",
        "reject_reason_code": None,
        "reject_message_zh": None,
        "reject_message_en": None,
        "supersedes_file_id": None,
        "rows_total": None,
        "rows_staged": None,
        "rows_quarantined": None,
    }


def _read_into(
    rec: dict[str, Any], entry: InboxEntry, size: int, limit: int, stored: Path | None, now: dt.datetime
) -> ParsedReport | None:
    """Read and check the file, filling ``rec``; None when the whole file is rejected."""
    try:
        report = _check_file(entry, size, limit, stored, now)
    except ReportRejected as exc:
        rec.update(
            status="rejected",
            reject_reason_code=exc.reason_code,
            reject_message_zh=exc.message_zh,
            reject_message_en=exc.message_en,
        )
        ext = Path(entry.original_name).suffix.lower().lstrip(".")
        rec["format"] = ext or None
        return None
    rec.update(
        city_code=report.city_code,
        period=report.period,
        format=report.format,
        template_version=report.template_version,
        rows_total=report.rows_total,
        rows_staged=len(report.rows),
        rows_quarantined=len(report.quarantined),
    )
    return report


def _check_file(entry: InboxEntry, size: int, limit: int, stored: Path | None, now: dt.datetime) -> ParsedReport:
    """All whole-file checks; returns the parsed report or raises :class:`ReportRejected`."""
    name = entry.original_name
    if ".." in Path(name).name or any(part == ".." for part in Path(name).parts):
        raise ReportRejected(
            "unsafe_name",
            f"文件名“{name}”含有“..”，请改名后重新报送。",
            f"the file name '{name}' contains '..'; rename it and send it again.",
        )
    if size > limit:
        raise ReportRejected(
            "file_too_large",
            f"文件“{name}”大小为 {size / 1048576:.1f} MB，超过 {limit / 1048576:.1f} MB 上限。"
            "请删除图片等多余内容后重新报送。",
            f"file '{name}' is {size / 1048576:.1f} MB, above the {limit / 1048576:.1f} MB limit. "
            "Remove pictures and other extra content and send it again.",
        )
    assert stored is not None  # only files far above the limit are not stored, and they were rejected above
    report = read_report(stored.read_bytes(), name)
    if entry.submitter:
        _check_folder_city(report, resolve_city(entry.submitter, loose=True), name)
    assert report.period is not None
    if period_start(report.period) > now.date():
        raise ReportRejected(
            "period_in_future",
            f"文件“{name}”的报告期{report.period}尚未开始（今天是{now.date().isoformat()}），请核对报告期。",
            f"file '{name}': the period {report.period} has not started yet (today is {now.date().isoformat()}); "
            "check the period.",
        )
    return report


def _check_folder_city(report: ParsedReport, folder_city: str | None, name: str) -> None:
    """A city may only report for itself: the submitter folder, if it names a city, must match the cover."""
    if not folder_city or report.city_code == folder_city:
        return
    cities = catalog_lookup().cities
    raise ReportRejected(
        "city_mismatch",
        f"文件“{name}”封面城市为{cities[report.city_code]}（{report.city_code}），但报送文件夹属于"
        f"{cities[folder_city]}（{folder_city}）。各市只能报送本市报表。",
        f"file '{name}' is for {report.city_code} ({cities[report.city_code]}) but was sent from the folder "
        f"of {folder_city} ({cities[folder_city]}); a city may only report for itself.",
    )


def _decide_status(con: duckdb.DuckDBPyConnection, pending: list[_Pending]) -> list[str]:
    """Oldest first, a file with the same content as the current one for its city and period is a duplicate,
    otherwise it supersedes it. Returns the files already in the database that are now superseded."""
    current: dict[tuple[str, str], str] = {
        (r[1], r[2]): r[0]
        for r in con.execute(
            "SELECT file_id, city_code, period FROM raw.report_files WHERE status = 'accepted'"
        ).fetchall()
    }
    pending.sort(key=lambda it: it.order)
    fingerprints: dict[str, str] = {}
    superseded_in_db: list[str] = []
    by_id = {it.rec["file_id"]: it for it in pending}
    for it in pending:
        rec, report = it.rec, it.report
        if report is None:
            continue
        fp = fingerprints[rec["file_id"]] = _fingerprint(report.rows, report.quarantined)
        key = (rec["city_code"], rec["period"])
        prev = current.get(key)
        if prev is not None:
            prev_fp = fingerprints[prev] = fingerprints.get(prev) or _db_fingerprint(con, prev)
            if prev_fp == fp:
                rec.update(status="duplicate", rows_staged=0, rows_quarantined=0)
                it.report, it.dup_report = None, report
                continue
            rec["supersedes_file_id"] = prev
            if prev in by_id:
                by_id[prev].rec["status"] = "superseded"
            else:
                superseded_in_db.append(prev)
        current[key] = rec["file_id"]
    return superseded_in_db


def _fingerprint(rows: list[dict[str, Any]], quarantined: list[dict[str, Any]]) -> str:
    """Content hash of what a file says (not its bytes): re-saving a file must not supersede itself."""
    staged = sorted(json.dumps([r.get(k) for k in _CONTENT_KEYS], ensure_ascii=False, default=str) for r in rows)
    quar = sorted(q["raw_record"] for q in quarantined)
    return hashlib.sha256(json.dumps([staged, quar], ensure_ascii=False).encode()).hexdigest()


def _db_fingerprint(con: duckdb.DuckDBPyConnection, file_id: str) -> str:
    rows = [
        dict(zip(_CONTENT_KEYS, r, strict=True))
        for r in con.execute(
            f"select {', '.join(_CONTENT_KEYS)} from raw.report_rows where file_id = ?", [file_id]
        ).fetchall()
    ]
    quar = [
        {"raw_record": r[0]}
        for r in con.execute("select raw_record from quarantine.report_rows where file_id = ?", [file_id]).fetchall()
    ]
    return _fingerprint(rows, quar)


def _table_rows(pending: list[_Pending]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The file records and the staged and quarantined rows of this run, each in its table's order."""
    staged: list[dict[str, Any]] = []
    quarantined: list[dict[str, Any]] = []
    for it in pending:
        rec, report = it.rec, it.report
        if report is not None:
            staged.extend({"file_id": rec["file_id"], **r} for r in report.rows)
            quarantined.extend(
                {"file_id": rec["file_id"], "original_name": rec["original_name"], **q} for q in report.quarantined
            )
    staged.sort(key=lambda r: (r["file_id"], r["sheet"], r["row_number"]))
    quarantined.sort(key=lambda r: (r["file_id"], r["sheet"], r["row_number"]))
    return sorted((it.rec for it in pending), key=lambda r: r["file_id"]), staged, quarantined


def _issue_receipts(pending: list[_Pending], receipts_dir: Path, summary: IntakeSummary) -> None:
    """One receipt per new file (a duplicate's receipt keeps the warnings of its reading), counted."""
    for it in pending:
        rec = it.rec
        report = it.report or it.dup_report
        receipt = build_receipt(
            rec,
            it.report.rows if it.report is not None else [],
            it.report.quarantined if it.report is not None else [],
            report.warnings if report is not None else None,
        )
        write_receipt(receipt, receipts_dir)
        summary.outcomes.append(
            FileOutcome(
                rec["original_name"], rec["submitter"], rec["file_id"], rec["status"], new=True, receipt=receipt
            )
        )
        summary.count_new(rec)


def _utc_naive(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def _max_bytes(max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    return int(os.environ.get("HNPLUS_INTAKE_MAX_BYTES", DEFAULT_MAX_BYTES))

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
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from transforms.core.paths import data_paths
from transforms.receipts import build_receipt, render_receipt_text, write_receipt
from transforms.report_reader import (
    ParsedReport,
    ReportRejected,
    load_seeds,
    norm_key,
    parse_period,
    period_start,
    read_report,
    resolve_city,
)
from transforms.report_template import write_template

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}

_S, _I, _D, _T = pa.string(), pa.int64(), pa.float64(), pa.timestamp("us")
FILE_SCHEMA = pa.schema(
    [
        ("file_id", _S),
        ("original_name", _S),
        ("stored_path", _S),
        ("size_bytes", _I),
        ("received_at", _T),
        ("submitter", _S),
        ("city_code", _S),
        ("period", _S),
        ("format", _S),
        ("template_version", _S),
        ("status", _S),
        ("reject_reason_code", _S),
        ("reject_message_zh", _S),
        ("reject_message_en", _S),
        ("supersedes_file_id", _S),
        ("rows_total", _I),
        ("rows_staged", _I),
        ("rows_quarantined", _I),
    ]
)
ROW_SCHEMA = pa.schema(
    [
        ("file_id", _S),
        ("sheet", _S),
        ("row_number", _I),
        ("city_code", _S),
        ("period", _S),
        ("item_type", _S),
        ("indicator_code", _S),
        ("value", _D),
        ("value_text", _S),
        ("value_status", _S),
        ("milestone_status", _S),
        ("city_target_2018", _D),
        ("city_target_2025", _D),
        ("evidence", _S),
        ("note", _S),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        ("file_id", _S),
        ("original_name", _S),
        ("sheet", _S),
        ("row_number", _I),
        ("column_name", _S),
        ("reason_code", _S),
        ("message_zh", _S),
        ("message_en", _S),
        ("raw_record", _S),
    ]
)
_SQL_TYPES = {_S: "VARCHAR", _I: "BIGINT", _D: "DOUBLE", _T: "TIMESTAMP"}
TABLES = {"raw.report_files": FILE_SCHEMA, "raw.report_rows": ROW_SCHEMA, "quarantine.report_rows": QUARANTINE_SCHEMA}


@dataclass(frozen=True)
class InboxEntry:
    """One file found in an inbox: where it is, the name to report, who sent it."""

    path: Path
    original_name: str
    submitter: str | None


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

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-ready summary (small enough for an Airflow XCom; receipts stay on disk)."""
        counts = {
            k: getattr(self, k)
            for k in (
                "files_seen",
                "files_new",
                "files_known",
                "accepted",
                "rejected",
                "duplicate",
                "superseded",
                "rows_staged",
                "rows_quarantined",
            )
        }
        return {
            **counts,
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


# --------------------------------------------------------------------------------------------- tables
def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas and the three contract tables if they are missing."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    for name, schema in TABLES.items():
        cols = ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in schema)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


# --------------------------------------------------------------------------------------------- inbox walk
def iter_inbox(
    inbox: Path, ignored: list[tuple[str, str]] | None = None, exclude: Path | None = None
) -> Iterator[InboxEntry]:
    """Files below ``inbox`` in sorted order; the first folder level is the submitter.

    Symlinks are never followed (a link could point anywhere on the server); editor lock files and OS
    junk are skipped. Both are listed in ``ignored``. ``exclude`` (the landing folder, should it sit
    inside the inbox) is never walked, or intake would take in its own copies.
    """
    inbox = Path(inbox)
    excluded = exclude.resolve() if exclude is not None else None
    ignored = ignored if ignored is not None else []
    for dirpath, dirnames, filenames in os.walk(inbox, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():
                ignored.append(((base / d).relative_to(inbox).as_posix(), "symlink"))
                dirnames.remove(d)
            elif excluded is not None and (base / d).resolve() == excluded:
                dirnames.remove(d)
        for fn in sorted(filenames):
            p = base / fn
            rel = p.relative_to(inbox)
            if p.is_symlink():
                ignored.append((rel.as_posix(), "symlink"))
                continue
            if fn.lower() in IGNORED_NAMES or fn.startswith(("~$", ".~lock", ".")):
                ignored.append((rel.as_posix(), "lock_or_system_file"))
                continue
            if not p.is_file():
                ignored.append((rel.as_posix(), "not_a_regular_file"))
                continue
            parts = rel.parts
            submitter = parts[0] if len(parts) > 1 else None
            name = Path(*parts[1:]).as_posix() if len(parts) > 1 else parts[0]
            yield InboxEntry(p, name, submitter)


def _land(path: Path, landing: Path, store: bool = True) -> tuple[str, int, Path | None]:
    """Copy the file into ``landing/<sha256>`` (atomic rename) and return (sha256, size, stored path).

    With ``store=False`` (a file far above the size limit) the file is only hashed: it will be rejected, and
    copying it first would let one oversized upload fill the disk. It stays in the inbox for the operator."""
    h = hashlib.sha256()
    size = 0
    if not store:
        with open(path, "rb", opener=_nofollow_opener) as src:
            while chunk := src.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
        return h.hexdigest(), size, None
    landing.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=landing, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb", opener=_nofollow_opener) as src:
            while chunk := src.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha = h.hexdigest()
        dest = landing / sha
        if dest.exists():
            os.unlink(tmp)
        else:
            os.replace(tmp, dest)
            os.chmod(dest, 0o444)
        return sha, size, dest
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _nofollow_opener(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


# --------------------------------------------------------------------------------------------- helpers
def _utc_naive(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


# the columns that say what a file reports (not how it was written): the content fingerprint of a report
_CONTENT_KEYS = (
    "item_type",
    "indicator_code",
    "value",
    "value_status",
    "milestone_status",
    "city_target_2018",
    "city_target_2025",
    "evidence",
    "note",
)


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


def _reject_record(exc: ReportRejected) -> dict[str, Any]:
    return {
        "status": "rejected",
        "reject_reason_code": exc.reason_code,
        "reject_message_zh": exc.message_zh,
        "reject_message_en": exc.message_en,
    }


# files above this multiple of the size limit are hashed and rejected without a copy in landing
LANDING_CAP_FACTOR = 4


def _max_bytes(max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    return int(os.environ.get("HNPLUS_INTAKE_MAX_BYTES", DEFAULT_MAX_BYTES))


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
        folder_city = resolve_city(entry.submitter)
        if folder_city and report.city_code != folder_city:
            cities = load_seeds().cities
            raise ReportRejected(
                "city_mismatch",
                f"文件“{name}”封面城市为{cities[report.city_code]}（{report.city_code}），但报送文件夹属于"
                f"{cities[folder_city]}（{folder_city}）。各市只能报送本市报表。",
                f"file '{name}' is for {report.city_code} ({cities[report.city_code]}) but was sent from the folder "
                f"of {folder_city} ({cities[folder_city]}); a city may only report for itself.",
            )
    assert report.period is not None
    if period_start(report.period) > now.date():
        raise ReportRejected(
            "period_in_future",
            f"文件“{name}”的报告期{report.period}尚未开始（今天是{now.date().isoformat()}），请核对报告期。",
            f"file '{name}': the period {report.period} has not started yet (today is {now.date().isoformat()}); "
            "check the period.",
        )
    return report


# --------------------------------------------------------------------------------------------- main entry
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
    received_at = _utc_naive(now)
    limit = _max_bytes(max_bytes)
    ensure_tables(con)
    summary = IntakeSummary(files_seen=len(entries))

    known = {r[0]: r[1] for r in con.execute("SELECT file_id, status FROM raw.report_files").fetchall()}
    current: dict[tuple[str, str], str] = {
        (r[1], r[2]): r[0]
        for r in con.execute(
            "SELECT file_id, city_code, period FROM raw.report_files WHERE status = 'accepted'"
        ).fetchall()
    }

    # 1. land and read every file (nothing is written to the database yet)
    pending: list[dict[str, Any]] = []
    seen_this_run: set[str] = set()
    for entry in entries:
        st = entry.path.lstat()
        sha, size, stored = _land(entry.path, landing, store=st.st_size <= limit * LANDING_CAP_FACTOR)
        if sha in known or sha in seen_this_run:
            summary.files_known += 1
            summary.outcomes.append(
                FileOutcome(entry.original_name, entry.submitter, sha, known.get(sha, "duplicate"), new=False)
            )
            continue
        seen_this_run.add(sha)
        rec: dict[str, Any] = {
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
        item = {"rec": rec, "report": None, "order": (st.st_mtime_ns, entry.submitter or "", entry.original_name)}
        try:
            report = _check_file(entry, size, limit, stored, received_at)
        except ReportRejected as exc:
            rec.update(_reject_record(exc))
            ext = Path(entry.original_name).suffix.lower().lstrip(".")
            rec["format"] = ext or None
        else:
            item["report"] = report
            rec.update(
                city_code=report.city_code,
                period=report.period,
                format=report.format,
                template_version=report.template_version,
                rows_total=report.rows_total,
                rows_staged=len(report.rows),
                rows_quarantined=len(report.quarantined),
            )
        pending.append(item)

    # 2. decide accepted / duplicate / superseded, oldest first
    pending.sort(key=lambda it: it["order"])
    fingerprints: dict[str, str] = {}
    superseded_in_db: list[str] = []
    by_id = {it["rec"]["file_id"]: it for it in pending}
    for it in pending:
        rec, report = it["rec"], it["report"]
        if report is None:
            continue
        fp = _fingerprint(report.rows, report.quarantined)
        fingerprints[rec["file_id"]] = fp
        key = (rec["city_code"], rec["period"])
        prev = current.get(key)
        if prev is not None:
            prev_fp = fingerprints.get(prev) or _db_fingerprint(con, prev)
            fingerprints[prev] = prev_fp
            if prev_fp == fp:
                rec["status"] = "duplicate"
                rec["rows_staged"] = 0
                rec["rows_quarantined"] = 0
                it["report"] = None
                it["dup_report"] = report
                continue
            rec["supersedes_file_id"] = prev
            if prev in by_id:
                by_id[prev]["rec"]["status"] = "superseded"
            else:
                superseded_in_db.append(prev)
        current[key] = rec["file_id"]

    # 3. one transaction, one bulk insert per table
    file_rows: list[dict[str, Any]] = []
    staged: list[dict[str, Any]] = []
    quarantined: list[dict[str, Any]] = []
    for it in pending:
        rec, report = it["rec"], it["report"]
        file_rows.append(rec)
        if report is not None:
            for r in report.rows:
                staged.append({"file_id": rec["file_id"], **r})
            for q in report.quarantined:
                quarantined.append({"file_id": rec["file_id"], "original_name": rec["original_name"], **q})
    staged.sort(key=lambda r: (r["file_id"], r["sheet"], r["row_number"]))
    quarantined.sort(key=lambda r: (r["file_id"], r["sheet"], r["row_number"]))
    file_rows_sorted = sorted(file_rows, key=lambda r: r["file_id"])
    con.execute("BEGIN TRANSACTION")
    try:
        if superseded_in_db:
            con.execute(
                "UPDATE raw.report_files SET status = 'superseded' WHERE list_contains(?, file_id)", [superseded_in_db]
            )
        for table, rows, schema in (
            ("raw.report_files", file_rows_sorted, FILE_SCHEMA),
            ("raw.report_rows", staged, ROW_SCHEMA),
            ("quarantine.report_rows", quarantined, QUARANTINE_SCHEMA),
        ):
            if rows:
                arrow = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)
                con.register("_hnplus_intake_batch", arrow)
                con.execute(f"INSERT INTO {table} SELECT * FROM _hnplus_intake_batch")
                con.unregister("_hnplus_intake_batch")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise

    # 4. receipts and summary (after the commit, so a receipt never promises rows that are not there)
    receipts_dir = landing / "receipts"
    for it in pending:
        rec = it["rec"]
        report = it["report"] or it.get("dup_report")
        receipt = build_receipt(
            rec,
            report.rows if it["report"] is not None else [],
            report.quarantined if it["report"] is not None else [],
            report.warnings if report is not None else None,
        )
        write_receipt(receipt, receipts_dir)
        summary.outcomes.append(
            FileOutcome(
                rec["original_name"], rec["submitter"], rec["file_id"], rec["status"], new=True, receipt=receipt
            )
        )
        summary.files_new += 1
        status = rec["status"]
        if status == "accepted":
            summary.accepted += 1
        elif status == "rejected":
            summary.rejected += 1
        elif status == "duplicate":
            summary.duplicate += 1
        elif status == "superseded":
            summary.superseded += 1
        if status in ("accepted", "superseded"):
            summary.rows_staged += rec["rows_staged"]
            summary.rows_quarantined += rec["rows_quarantined"]
    summary.superseded += len(superseded_in_db)
    summary.seconds = time.perf_counter() - t0
    return summary


# --------------------------------------------------------------------------------------------- CLI helpers
def template_command(city: str, period: str, out: Path) -> Path:
    """``hnplus template``: write the template; ``out`` may be a folder (a file name is then chosen)."""
    code = resolve_city(city)
    canon = parse_period(period)
    if code is None:
        raise ValueError(f"未知城市 / unknown city: {city!r}")
    if canon is None:
        raise ValueError(f"无法识别报告期 / cannot read period: {period!r}")
    out = Path(out)
    if out.is_dir() or not out.suffix:
        out = out / f"{code}_{canon}_HNPLUS-R1.xlsx"
    return write_template(code, canon, out)


def _entries_for_paths(paths: list[Path], inbox_root: Path) -> tuple[list[InboxEntry], list[tuple[str, str]]]:
    entries: list[InboxEntry] = []
    ignored: list[tuple[str, str]] = []
    for p in paths:
        p = Path(p)
        if p.is_symlink():
            ignored.append((str(p), "symlink"))
        elif p.is_dir():
            entries.extend(iter_inbox(p, ignored))
        elif p.is_file():
            submitter = None
            try:
                rel = p.resolve().relative_to(inbox_root.resolve())
                if len(rel.parts) > 1:
                    submitter = rel.parts[0]
            except ValueError:
                # outside the inbox: a parent folder named after a city still counts as the submitter
                if norm_key(p.parent.name) in load_seeds().city_aliases:
                    submitter = p.parent.name
            entries.append(InboxEntry(p, p.name, submitter))
        else:
            ignored.append((str(p), "not_found"))
    return entries, ignored


def intake_command(paths: list[Path]) -> int:
    """``hnplus intake PATH...``: take in files/folders, print receipts; 1 if any file was rejected whole."""
    dp = data_paths().ensure()
    entries, ignored = _entries_for_paths(paths, dp.inbox)
    con = duckdb.connect(str(dp.work_db))
    try:
        summary = intake_entries(con, entries, dp.landing)
    finally:
        con.close()
    for o in summary.outcomes:
        if o.receipt is not None:
            print(render_receipt_text(o.receipt))
        else:
            txt = dp.landing / "receipts" / f"{o.file_id}.txt"
            print(f"[已接收过 / already received: {o.original_name} -> {o.status}]")
            if txt.exists():
                print(txt.read_text(encoding="utf-8"))
        print("-" * 72)
    for path, why in ignored:
        print(f"[跳过 / skipped: {path} ({why})]")
    print(
        f"共 {summary.files_seen} 个文件：新接收 {summary.files_new}"
        f"（接收 {summary.accepted}、拒收 {summary.rejected}、"
        f"重复 {summary.duplicate}），此前已接收 {summary.files_known}；入库 {summary.rows_staged} 行，"
        f"待修改 {summary.rows_quarantined} 行。\n"
        f"{summary.files_seen} files: {summary.files_new} new "
        f"({summary.accepted} accepted, {summary.rejected} rejected, "
        f"{summary.duplicate} duplicate), {summary.files_known} already known; {summary.rows_staged} rows staged, "
        f"{summary.rows_quarantined} quarantined. ({summary.seconds:.1f} s)"
    )
    return 1 if summary.any_rejected or any(why == "not_found" for _, why in ignored) else 0


def copy_into_inbox(src: Path, inbox: Path, submitter: str | None = None) -> Path:
    """Small helper for tests and operators: put a file into an inbox (optionally a submitter folder)."""
    from transforms.core.files import safe_join

    dest_dir = safe_join(inbox, submitter) if submitter else inbox
    dest_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(src, dest_dir / src.name))

"""Hostile files: path tricks, symlinks in the inbox, zip bombs, huge sheets and oversized files."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from transforms.core.files import UnsafePath, safe_join, safe_name
from transforms.core.paths import DataPaths
from transforms.ingest.reports.errors import ReportRejected
from transforms.ingest.reports.formats import MAX_ROWS_PER_SHEET
from transforms.ingest.reports.inbox import copy_into_inbox, iter_inbox
from transforms.ingest.reports.inbox import entries_for_paths as _entries_for_paths
from transforms.ingest.reports.intake import intake_inbox
from transforms.ingest.reports.reader import read_report
from transforms.publish.integrity import restore_dataset

GOOD_CSV = (
    "模板版本,城市代码,报告期,类型,代码,名称,单位,本期数值,本市目标2018,本市目标2025,推进状态,佐证材料,备注\n"
    "HNPLUS-R1,410300,2018Q4,指标,ecommerce_parks,,,3,,,,,\n"
).encode()


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "/etc/passwd", "..", "a\x00b", "", "C:\\x", "..\\..\\x"])
def test_safe_join_refuses_escapes(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, bad)


def test_safe_join_refuses_a_symlink_out(tmp_path: Path) -> None:
    (tmp_path / "out").symlink_to("/etc")
    with pytest.raises(UnsafePath, match="outside"):
        safe_join(tmp_path, "out", "passwd")
    assert safe_join(tmp_path, "410300", "r.csv") == tmp_path / "410300" / "r.csv"


@pytest.mark.parametrize("bad", ["../x", "a/b", ".", "..", "a\\b", ""])
def test_safe_name(bad: str) -> None:
    with pytest.raises(UnsafePath):
        safe_name(bad)


def test_restore_refuses_a_dataset_id_with_path_tricks(tmp_path: Path) -> None:
    with pytest.raises(UnsafePath):
        restore_dataset("../../etc", DataPaths(tmp_path).ensure())


def test_copy_into_inbox_keeps_files_inside_the_inbox(tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_bytes(GOOD_CSV)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    try:
        dest = copy_into_inbox(src, inbox, submitter="../escaped")
    except (UnsafePath, ValueError):
        return
    assert inbox.resolve() in dest.resolve().parents


def test_report_name_with_dotdot_is_rejected(tmp_path: Path) -> None:
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    (inbox / "410300").mkdir(parents=True)
    (inbox / "410300" / "a..b.csv").write_bytes(GOOD_CSV)
    con = duckdb.connect()
    summary = intake_inbox(con, inbox, landing)
    codes = con.execute("select reject_reason_code from raw.report_files").fetchall()
    assert summary.rejected == 1 and codes == [("unsafe_name",)]


def test_symlinks_in_the_inbox_are_never_followed(tmp_path: Path) -> None:
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    (inbox / "410300").mkdir(parents=True)
    secret = tmp_path / "outside.csv"
    secret.write_bytes(GOOD_CSV)
    (inbox / "410300" / "link.csv").symlink_to(secret)
    (inbox / "410300" / "etc").symlink_to("/etc")
    (inbox / "410100").symlink_to(tmp_path)  # a whole submitter folder that is a link
    (inbox / "410300" / "real.csv").write_bytes(GOOD_CSV)
    ignored: list[tuple[str, str]] = []
    entries = list(iter_inbox(inbox, ignored))
    assert [e.original_name for e in entries] == ["real.csv"]
    assert sorted(ignored) == [("410100", "symlink"), ("410300/etc", "symlink"), ("410300/link.csv", "symlink")]
    con = duckdb.connect()
    summary = intake_inbox(con, inbox, landing)
    assert summary.files_seen == 1 and summary.accepted == 1
    assert len([p for p in landing.iterdir() if p.is_file()]) == 1
    # the CLI path (hnplus intake PATH): a symlink argument is skipped too
    entries2, ignored2 = _entries_for_paths([inbox / "410300" / "link.csv"], inbox)
    assert entries2 == [] and ignored2 == [(str(inbox / "410300" / "link.csv"), "symlink")]


def _bomb(total_mb: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b"\x00" * (1 << 20)
            for _ in range(total_mb):
                f.write(chunk)
    return buf.getvalue()


def test_zip_bomb_is_refused_before_parsing() -> None:
    data = _bomb(120)
    assert len(data) < 1_000_000  # > 100x compression
    with pytest.raises(ReportRejected) as exc:
        read_report(data, "bomb.xlsx")
    assert exc.value.reason_code == "zip_bomb" and "zip bomb" in exc.value.message_en


def test_high_ratio_zip_below_the_absolute_cap_is_refused_too() -> None:
    data = _bomb(40)  # 40 MB expands at ~1000:1, above MAX_COMPRESSION_RATIO
    with pytest.raises(ReportRejected) as exc:
        read_report(data, "bomb.xlsx")
    assert exc.value.reason_code == "zip_bomb"


def test_huge_sheet_is_refused() -> None:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("指标")
    ws.write_row(0, 0, ["指标代码", "指标名称", "单位", "本期数值"])
    for i in range(1, MAX_ROWS_PER_SHEET + 200):
        ws.write_row(i, 0, ["ecommerce_parks", "x", "个", i])
    cover = wb.add_worksheet("封面")
    for i, (k, v) in enumerate([("模板版本", "HNPLUS-R1"), ("城市代码", "410300"), ("报告期", "2018Q4")]):
        cover.write_row(i, 0, [k, v])
    wb.close()
    with pytest.raises(ReportRejected) as exc:
        read_report(buf.getvalue(), "huge.xlsx")
    assert exc.value.reason_code == "too_many_rows"


def test_huge_csv_is_refused() -> None:
    line = "HNPLUS-R1,410300,2018Q4,指标,ecommerce_parks,,,3,,,,,\n".encode()
    body = GOOD_CSV + line * (MAX_ROWS_PER_SHEET + 50)
    with pytest.raises(ReportRejected) as exc:
        read_report(body, "huge.csv")
    assert exc.value.reason_code == "too_many_rows"


def test_oversized_file_is_rejected_by_intake(tmp_path: Path) -> None:
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    (inbox / "410300").mkdir(parents=True)
    (inbox / "410300" / "big.csv").write_bytes(GOOD_CSV + b"#" * 300_000)
    con = duckdb.connect()
    summary = intake_inbox(con, inbox, landing, max_bytes=100_000)
    assert summary.rejected == 1
    assert con.execute("select reject_reason_code from raw.report_files").fetchall() == [("file_too_large",)]
    # 3x the limit: still kept in landing, as every received file is
    (file_id,) = con.execute("select file_id from raw.report_files").fetchone()
    assert (landing / file_id).is_file()


def test_a_file_far_above_the_limit_is_not_copied_into_landing(tmp_path: Path) -> None:
    """An oversized upload must not fill the disk before it is rejected: beyond 4x the limit it is only hashed."""
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    (inbox / "410300").mkdir(parents=True)
    (inbox / "410300" / "huge.csv").write_bytes(GOOD_CSV + b"#" * 500_000)
    con = duckdb.connect()
    summary = intake_inbox(con, inbox, landing, max_bytes=100_000)
    assert summary.rejected == 1
    file_id, stored, reason = con.execute(
        "select file_id, stored_path, reject_reason_code from raw.report_files").fetchone()
    assert reason == "file_too_large" and stored is None
    assert not (landing / file_id).exists()
    assert (inbox / "410300" / "huge.csv").is_file()  # left for the operator, nothing lost


def test_encrypted_zip_flag_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buf.getvalue())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # set the "encrypted" general-purpose flag bit
        i = data.find(sig)
        off = i + (6 if sig == b"PK\x03\x04" else 8)
        data[off] |= 0x01
    with pytest.raises(ReportRejected) as exc:
        read_report(bytes(data), "locked.xlsx")
    assert exc.value.reason_code in ("encrypted", "corrupt_xlsx")


def test_landing_files_are_read_only(tmp_path: Path) -> None:
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    (inbox / "410300").mkdir(parents=True)
    (inbox / "410300" / "r.csv").write_bytes(GOOD_CSV)
    intake_inbox(duckdb.connect(), inbox, landing)
    stored = [p for p in landing.iterdir() if p.is_file()]
    assert stored and all(os.stat(p).st_mode & 0o222 == 0 for p in stored)


def test_replace_dir_swaps_an_existing_folder_atomically(tmp_path: Path) -> None:
    from transforms.core.files import exchange_dirs, replace_dir

    old, new = tmp_path / "runs" / "abc", tmp_path / "runs" / ".abc.tmp"
    old.mkdir(parents=True)
    (old / "f").write_text("old")
    new.mkdir()
    (new / "f").write_text("new")
    assert exchange_dirs(new, old) is True  # Linux: no window where runs/abc is missing
    assert (old / "f").read_text() == "new" and (new / "f").read_text() == "old"
    (new / "f").write_text("newer")
    replace_dir(new, old)
    assert (old / "f").read_text() == "newer" and not new.exists()
    fresh = tmp_path / "runs" / ".x.tmp"
    fresh.mkdir()
    replace_dir(fresh, tmp_path / "runs" / "x")
    assert (tmp_path / "runs" / "x").is_dir() and not fresh.exists()

"""What a file is, from its bytes first and its name second, and the limits that keep a hostile file harmless."""

from __future__ import annotations

import io
import zipfile

from transforms.ingest.reports.errors import ReportRejected, reject_unreadable

MAX_ROWS_PER_SHEET = 5_000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # an honest 5 MB xlsx never inflates beyond this
MAX_COMPRESSION_RATIO = 200

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_ENCRYPTED = b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o"  # the UTF-16 stream name


ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"


def sniff_format(data: bytes, name: str) -> str:
    """``xlsx`` | ``ods`` | ``ole2`` | ``json`` | ``csv`` | ``unknown`` from the bytes first, the name second."""
    if data.startswith(ZIP_MAGIC):
        return "ods" if ODS_MIMETYPE in data[:200] or _zip_has(data, "content.xml", "xl/workbook.xml") else "xlsx"
    if data.startswith(OLE2_MAGIC):
        return "ole2"
    enc16 = utf16_encoding(data)
    text16 = decode_text(data) if enc16 else None
    if text16 is not None:  # Excel's and WPS's "Unicode text" export (UTF-16, tab-separated), or UTF-16 JSON
        return "json" if text16.lstrip("\ufeff \t\r\n").startswith(("{", "[")) else "csv"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json"
    if b"\x00" in data[:4096]:
        # a few stray NULs in text are stripped later (values holding one are quarantined); binary stays unknown
        few = data.count(b"\x00") <= len(data) // 100
        return "csv" if few and decode_text(data.replace(b"\x00", b"")) is not None else "unknown"
    low = name.lower()
    if low.endswith((".csv", ".txt", ".tsv")) or decode_text(data) is not None:
        return "csv"
    return "unknown"


def _zip_has(data: bytes, present: str, absent: str) -> bool:
    """An OpenDocument zip without the usual leading ``mimetype`` entry: content.xml and no Excel workbook part."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return present in names and absent not in names


def utf16_encoding(data: bytes) -> str | None:
    """``utf-16`` for text with a UTF-16 byte-order mark; without one, the byte order whose decoding of the start
    is plausible report text with line breaks or tabs (text with NUL bytes is never UTF-8 or GBK); else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if b"\x00" not in head:
        return None
    head = head[: len(head) // 2 * 2]
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        if ("\n" in text or "\t" in text) and _plausible_text(text):
            return enc
    return None


def decode_text(data: bytes) -> str | None:
    """Text in UTF-8 (with or without BOM), UTF-16 (Excel's Unicode text) or GB18030/GBK; else None."""
    enc16 = utf16_encoding(data)
    if enc16:
        try:
            text = data.decode(enc16)
        except UnicodeDecodeError:
            return None
        return text if _plausible_text(text) else None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _plausible_text(text: str) -> bool:
    """Bytes that merely start like UTF-16 decode to scattered symbols; a report is ASCII, CJK and punctuation."""
    sample = text[:2000]
    ok = sum(1 for ch in sample if ch.isascii() or "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"
             or ch == "\ufeff")
    return not sample or ok >= 0.9 * len(sample)


def check_zip(data: bytes, name: str, main_part: str = "xl/workbook.xml") -> None:
    """Refuse zip bombs and non-spreadsheet zips before any XML is parsed (``main_part``: content.xml for ods)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise reject_unreadable(name, "xlsx 文件已损坏", f"the xlsx file is corrupt ({exc})", "corrupt_xlsx") from exc
    total = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or (total > 10 * 1024 * 1024 and total / compressed > MAX_COMPRESSION_RATIO):
        raise ReportRejected(
            "zip_bomb",
            f"文件“{name}”解压后过大（{total} 字节），疑似异常文件，已拒收。",
            f"file '{name}' expands to {total} bytes when unzipped; refused as a possible zip bomb.",
        )
    names = {i.filename for i in infos}
    if any(i.flag_bits & 0x1 for i in infos):
        raise reject_unreadable(name, "文件已加密", "the file is encrypted", "encrypted")
    if main_part not in names and "xl/workbook.bin" in names:
        raise reject_unreadable(
            name,
            "这是 Excel 二进制工作簿（.xlsb），无法检查其中的公式与错误值",
            "it is an Excel binary workbook (.xlsb), whose formulas and error values cannot be checked",
            "not_a_spreadsheet",
        )
    if main_part not in names:
        raise reject_unreadable(
            name,
            "这是一个压缩包，但不是 Excel 或 OpenDocument（.ods）工作簿",
            "it is a zip archive but neither an Excel nor an OpenDocument (.ods) workbook",
            "not_a_spreadsheet",
        )


def too_many_rows(name: str, sheet: str | None = None) -> ReportRejected:
    """The rejection for a sheet (or a CSV file when ``sheet`` is None) longer than any real report."""
    if sheet is None:
        return ReportRejected(
            "too_many_rows",
            f"文件“{name}”超过 {MAX_ROWS_PER_SHEET} 行，超出报表范围。",
            f"file '{name}' has more than {MAX_ROWS_PER_SHEET} rows.",
        )
    return ReportRejected(
        "too_many_rows",
        f"文件“{name}”工作表“{sheet}”超过 {MAX_ROWS_PER_SHEET} 行，超出报表范围。",
        f"file '{name}', sheet '{sheet}' has more than {MAX_ROWS_PER_SHEET} rows.",
    )

"""The reader corpus of issue 17: generated report files with their expected outcome and the rows each sheet holds.

Families: ``metamorphic`` (a clean report of every city rewritten by every writer and encoding: must read
identically to the same report written by openpyxl), ``libreoffice`` (files converted by LibreOffice headless,
one ``soffice`` call per target format), ``nasty`` (the hand-made inputs of the issue: sheet copies, two cities,
error cells, county names, odd periods, name/cover mismatches, magnitudes, control characters).

Every case says how many data rows each sheet holds (``sheet_rows``), so the test can check at sheet level that
rows in = staged + quarantined, or the whole file is rejected with a reason. Files are written by the tests; no
binary blobs are committed.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
from corpus import Report, _cover, base_report, csv_text, json_doc, write_openpyxl, write_xlsxwriter

from transforms.ingest.reports.lookup import catalog_lookup
from transforms.ingest.reports.template import INDICATOR_HEADER, STATUS_HEADER

FW = str.maketrans("0123456789.", "０１２３４５６７８９．")


@dataclass
class ReaderCase:
    """One file for ``read_report`` and what must come of it."""

    name: str
    data: bytes
    family: str
    outcome: str  # accepted | rejected:<reason_code>
    sheet_rows: dict[str, int]  # data rows written per sheet (rows in)
    quarantined: int = 0  # expected quarantined rows when accepted
    codes: tuple[str, ...] = ()  # reason codes every quarantined row must have one of
    same_as: Report | None = None  # metamorphic: must read exactly like this report
    check: Callable[[Any], None] | None = field(default=None, repr=False)  # extra assertion on the ParsedReport

    @property
    def rows_in(self) -> int:
        return sum(self.sheet_rows.values())


def _xlsx_bytes(writer: Callable[..., None], rep: Report, **kw: Any) -> bytes:
    with tempfile.TemporaryDirectory(prefix="hnplus-corpus-") as tmp:
        path = Path(tmp) / "f.xlsx"
        writer(path, rep, **kw)
        return path.read_bytes()


def _rows(rep: Report, ind: str = "指标", ms: str = "专项进展", extra: int = 0) -> dict[str, int]:
    return {ind: len(rep.indicators or []) + extra, ms: len(rep.status_items or [])}


def _long_rows(rep: Report, sheet: str = "csv") -> dict[str, int]:
    return {sheet: rep.n_rows}


def _utf16_tab(rep: Report) -> str:
    rows = list(csv.reader(io.StringIO(csv_text(rep))))
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(rows)
    return out.getvalue()


# ------------------------------------------------------------------------------------------- metamorphic
def metamorphic_cases() -> list[ReaderCase]:
    """Every city's clean 2018Q4 report, written seven ways."""
    cases: list[ReaderCase] = []
    for code, city in sorted(catalog_lookup().cities.items()):
        rep = base_report(code, "2018Q4", seed=17)
        stem = f"{code}_2018Q4"
        variants: list[tuple[str, bytes, dict[str, int]]] = [
            (f"{stem}_openpyxl.xlsx", _xlsx_bytes(write_openpyxl, rep), _rows(rep)),
            (f"{stem}_xlsxwriter.xlsx", _xlsx_bytes(write_xlsxwriter, rep, title_rows=2), _rows(rep)),
            (f"{stem}.csv", csv_text(rep).encode("utf-8"), _long_rows(rep)),
            (f"{stem}_gbk.csv", csv_text(rep).encode("gb18030"), _long_rows(rep)),
            (f"{stem}_utf16.txt", _utf16_tab(rep).encode("utf-16"), _long_rows(rep)),
            (f"{stem}.json", json.dumps(json_doc(rep), ensure_ascii=False).encode(), {
                "indicators": len(rep.indicators or []), "milestones": len(rep.status_items or [])}),
        ]
        short = Report(rep.city_code, city[:-1] if city.endswith("市") else city, rep.period,
                       indicators=[[c, n, u, (str(v).translate(FW) if isinstance(v, int | float) else v), t18, t25,
                                    note] for c, n, u, v, t18, t25, note in rep.indicators or []],
                       status_items=rep.status_items)
        variants.append((f"{stem}_short_fullwidth.xlsx", _xlsx_bytes(write_openpyxl, short, title_rows=1),
                         _rows(short)))
        cases += [ReaderCase(n, d, "metamorphic", "accepted", r, same_as=rep) for n, d, r in variants]
    return cases


# ------------------------------------------------------------------------------------------- libreoffice
def libreoffice_cases() -> list[ReaderCase]:
    """Clean and erroneous reports converted by LibreOffice headless (one soffice call per target format)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return []
    clean = [base_report(c, "2019Q2", seed=3) for c in ("410100", "410300", "410700", "411300", "411600",
                                                         "419001")]
    with tempfile.TemporaryDirectory(prefix="hnplus-lo-") as tmp:
        src, out_ods, out_xlsx, out_xls = (Path(tmp) / d for d in ("src", "ods", "xlsx", "xls"))
        src.mkdir()
        for rep in clean:
            write_openpyxl(src / f"{rep.city_code}_2019Q2.xlsx", rep)
            (src / f"{rep.city_code}_2019Q2_long.csv").write_text(csv_text(rep), encoding="utf-8")
        err = base_report("410200", "2019Q2", seed=4)
        text = csv_text(err).replace("\r\n", "\n").splitlines()
        # value cells that LibreOffice computes into error values (its CSV import evaluates formulas)
        bad = {5: "=1/0", 6: "=NA()", 7: '="a"+1'}
        lines = [line if i not in bad else _with_value(line, bad[i]) for i, line in enumerate(text)]
        (src / "410200_2019Q2_errors.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        # one call per format: the CSVs (UTF-8, formulas evaluated) to xlsx, then the workbooks to ods and to xls
        _soffice(soffice, tmp, "xlsx", out_xlsx, sorted(src.glob("*.csv")), "--infilter=CSV:44,34,76,1")
        workbooks = sorted([*src.glob("*.xlsx"), *out_xlsx.glob("*errors.xlsx")])
        _soffice(soffice, tmp, "ods", out_ods, workbooks)
        _soffice(soffice, tmp, "xls", out_xls, workbooks[:2] + workbooks[-1:])
        cases = [ReaderCase(f"{rep.city_code}_2019Q2.ods", (out_ods / f"{rep.city_code}_2019Q2.ods").read_bytes(),
                            "libreoffice", "accepted", _rows(rep), same_as=rep) for rep in clean]
        cases += [ReaderCase(f"{rep.city_code}_2019Q2_long.xlsx",
                             (out_xlsx / f"{rep.city_code}_2019Q2_long.xlsx").read_bytes(), "libreoffice", "accepted",
                             {f"{rep.city_code}_2019Q2_long": rep.n_rows}, same_as=rep) for rep in clean]
        cases += [ReaderCase(f"{rep.city_code}_2019Q2.xls", (out_xls / f"{rep.city_code}_2019Q2.xls").read_bytes(),
                             "libreoffice", "accepted", _rows(rep), same_as=rep) for rep in clean[:2]]
        ods = cases[0].data
        with zipfile.ZipFile(io.BytesIO(ods)) as zin:  # an ods whose zip lacks the leading mimetype entry
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
                for info in zin.infolist():
                    if info.filename != "mimetype":
                        zout.writestr(info.filename, zin.read(info.filename))
        # calamine needs the mimetype entry: the file is refused as a corrupt ods (not "not a spreadsheet")
        cases.append(ReaderCase(f"{clean[0].city_code}_2019Q2_nomime.ods", buf.getvalue(), "libreoffice",
                                "rejected:corrupt_xlsx", _rows(clean[0])))
        sheet = "410200_2019Q2_errors"
        for ext, folder in (("ods", out_ods), ("xlsx", out_xlsx), ("xls", out_xls)):
            cases.append(ReaderCase(f"{sheet}.{ext}", (folder / f"{sheet}.{ext}").read_bytes(), "libreoffice",
                                    "accepted", {sheet: err.n_rows}, quarantined=3, codes=("excel_error",)))
    return cases


def _soffice(soffice: str, tmp: str, target: str, out: Path, files: list[Path], *extra: str) -> None:
    """One LibreOffice headless call converting ``files`` to ``target`` (a private profile, no restore dialog)."""
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile", *extra,
                    "--convert-to", target, "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=300)


def _with_value(line: str, value: str) -> str:
    cells = next(csv.reader([line]))
    cells[7] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


# ------------------------------------------------------------------------------------------- nasty
def _workbook(sheets: list[tuple[str, list[list[Any]], bool]]) -> bytes:
    """An openpyxl workbook from (title, rows, hidden) triples."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, hidden in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        if hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _template_sheets(rep: Report, suffix: str = "") -> list[tuple[str, list[list[Any]], bool]]:
    return [
        (f"封面{suffix}", _cover(rep), False),
        (f"指标{suffix}", [list(INDICATOR_HEADER), *rep.indicators], False),  # type: ignore[misc]
        (f"专项进展{suffix}", [list(STATUS_HEADER), *rep.status_items], False),  # type: ignore[misc]
    ]


def sheet_cases() -> list[ReaderCase]:
    """Findings 5 and 8: copies of template sheets, two cities in one workbook, an extra data sheet."""
    rep, other = base_report("410100", "2018Q4", 5), base_report("410300", "2018Q4", 5)
    cover, ind, ms = _template_sheets(rep)
    blank_hidden = ("指标", [list(INDICATOR_HEADER)], True)
    filled_copy = ("指标 (2)", ind[1], False)
    cases = [
        ReaderCase("hidden_blank_sheet.xlsx", _workbook([cover, blank_hidden, filled_copy, ms]), "nasty",
                   "accepted", _rows(rep, ind="指标 (2)"), same_as=rep),
        ReaderCase("hidden_filled_and_copy.xlsx", _workbook([cover, (ind[0], ind[1], True), filled_copy, ms]),
                   "nasty", "rejected:ambiguous_sheets", {"指标": len(rep.indicators or []),
                                                          "指标 (2)": len(rep.indicators or []),
                                                          "专项进展": len(rep.status_items or [])}),
        ReaderCase("two_cities.xlsx", _workbook(_template_sheets(rep) + _template_sheets(other, " (2)")),
                   "nasty", "rejected:ambiguous_sheets", {**_rows(rep), **_rows(other, "指标 (2)", "专项进展 (2)")}),
        ReaderCase("two_cities_named.xlsx", _workbook(_template_sheets(rep, "-郑州") + _template_sheets(other,
                   "-洛阳")), "nasty", "rejected:ambiguous_sheets",
                   {**_rows(rep, "指标-郑州", "专项进展-郑州"), **_rows(other, "指标-洛阳", "专项进展-洛阳")}),
        ReaderCase("extra_data_sheet.xlsx", _workbook([cover, ind, ms, ("Sheet1", [list(INDICATOR_HEADER),
                   *(other.indicators or [])[:5]], False)]), "nasty", "rejected:unread_data_sheet",
                   {**_rows(rep), "Sheet1": 5}),
        ReaderCase("side_by_side.xlsx", _workbook([cover, ("指标", [list(INDICATOR_HEADER) + [None]
                   + list(INDICATOR_HEADER), *[list(a) + [None] + list(b) for a, b in
                   zip(rep.indicators or [], other.indicators or [], strict=False)]], False), ms]), "nasty",
                   "rejected:repeated_columns", {"指标": min(len(rep.indicators or []), len(other.indicators or [])),
                                                  "专项进展": len(rep.status_items or [])}),
        ReaderCase("cover_with_data.xlsx", _workbook([(cover[0], [*cover[1], [], list(INDICATOR_HEADER),
                   *(other.indicators or [])[:4]], False), ind, ms]), "nasty", "rejected:unread_data_sheet",
                   {**_rows(rep), "封面": 4}),
        ReaderCase("two_long_tables.xlsx", _workbook([(s, [r for r in csv.reader(io.StringIO(csv_text(x)))], False)
                                                      for s, x in (("A", rep), ("B", other))]),
                   "nasty", "rejected:ambiguous_sheets", {"A": rep.n_rows, "B": other.n_rows}),
    ]
    return cases


def _with_values(rep: Report, values: dict[int, Any]) -> Report:
    inds = [list(r) for r in rep.indicators or []]
    for i, v in values.items():
        inds[i][3] = v
    return Report(rep.city_code, rep.city_name, rep.period, indicators=inds, status_items=rep.status_items)


def error_cases() -> list[ReaderCase]:
    """Finding 6: error values and formulas without a stored result, in every writer."""
    rep = base_report("410400", "2018Q4", 6)
    ox = _with_values(rep, {0: "=1/0", 1: "=SUM(D2:D3)", 2: "#N/A", 3: "#DIV/0!"})  # openpyxl: formulas, errors
    xw = _with_values(rep, {0: "#VALUE!", 1: "#N/A"})  # xlsxwriter writes these as plain text
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    for title, rows in (("封面", _cover(rep)), ("指标", [list(INDICATOR_HEADER), *rep.indicators]),  # type: ignore
                        ("专项进展", [list(STATUS_HEADER), *rep.status_items])):  # type: ignore[misc]
        ws = wb.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if r == 1 and c == 3 and title == "指标":
                    ws.write_formula(r, c, "=1/0", None, "#DIV/0!")  # a cached error value
                elif r == 2 and c == 3 and title == "指标":
                    ws.write_formula(r, c, "=B2*2", None, "")  # a formula whose stored result is empty
                elif v is not None:
                    ws.write(r, c, v)
    wb.close()
    csv_err = _with_values(rep, {0: "#DIV/0!", 4: "#REF!", 5: "#NAME?"})
    ms_err = Report(rep.city_code, rep.city_name, rep.period, indicators=rep.indicators,
                    status_items=[[c, n, "#N/A" if i == 0 else s, e] for i, (c, n, s, e) in
                                enumerate(rep.status_items or [])])
    codes = ("excel_error", "formula_no_value")
    return [
        ReaderCase("errors_openpyxl.xlsx", _xlsx_bytes(write_openpyxl, ox), "nasty", "accepted", _rows(rep), 4, codes),
        ReaderCase("errors_text_xlsxwriter.xlsx", _xlsx_bytes(write_xlsxwriter, xw), "nasty", "accepted",
                   _rows(rep), 2, codes),
        ReaderCase("errors_cached_xlsxwriter.xlsx", buf.getvalue(), "nasty", "accepted", _rows(rep), 2, codes),
        ReaderCase("errors_text.csv", csv_text(csv_err).encode(), "nasty", "accepted", _long_rows(csv_err), 3,
                   codes),
        ReaderCase("errors_status.xlsx", _xlsx_bytes(write_openpyxl, ms_err), "nasty", "accepted", _rows(rep), 1,
                   codes),
    ]


def _cover_case(fname: str, rep: Report, outcome: str, cover: dict[str, Any], family: str = "nasty",
                check: Callable[[Any], None] | None = None) -> ReaderCase:
    rows = [[k, v] for k, v in {"模板版本": "HNPLUS-R1", "城市代码": rep.city_code, "城市": rep.city_name,
                                "报告期": rep.period, **cover}.items() if v is not None]
    data = _xlsx_bytes(write_openpyxl, rep, cover=rows)
    return ReaderCase(fname, data, family, outcome, _rows(rep), check=check,
                      same_as=rep if outcome == "accepted" else None)


def cover_cases() -> list[ReaderCase]:
    """Finding 7 and 9: city identity, unusual periods, file name against cover."""
    zz, xx = base_report("410100", "2018Q4", 7), base_report("410700", "2018Q4", 7)
    ly = base_report("410300", "2018Q4", 7)

    def period_is(p: str) -> Callable[[Any], None]:
        def check(report: Any) -> None:
            assert report.period == p, report.period
        return check

    q2 = base_report("410500", "2018Q2", 7)
    q4 = base_report("410500", "2018Q4", 7)
    return [
        _cover_case("gongyi_as_zhengzhou.xlsx", zz, "rejected:county_not_city", {"城市": "巩义市"}),
        _cover_case("gongyi_code.xlsx", zz, "rejected:county_not_city", {"城市代码": "410181", "城市": None}),
        _cover_case("xinxiang_county.xlsx", xx, "rejected:city_unknown", {"城市": "新乡县"}),
        _cover_case("xinxiang_county_no_code.xlsx", xx, "rejected:city_unknown", {"城市代码": None, "城市": "新乡县"}),
        _cover_case("kaifeng_lankao.xlsx", base_report("410200", "2018Q4", 7), "rejected:city_unknown",
                    {"城市": "开封市兰考县"}),
        _cover_case("code_name_disagree.xlsx", zz, "rejected:city_inconsistent", {"城市": "洛阳市"}),
        _cover_case("province_prefix.xlsx", ly, "accepted", {"城市": "河南省洛阳市"}),
        _cover_case("office_name.xlsx", ly, "accepted", {"城市": "洛阳市人民政府"}),
        _cover_case("period_2018-4.xlsx", q4, "rejected:period_ambiguous", {"报告期": "2018-4"}),
        _cover_case("period_2018.2.xlsx", q4, "rejected:period_ambiguous", {"报告期": "2018.2"}),
        _cover_case("period_2018-04.xlsx", q2, "accepted", {"报告期": "2018-04"}, check=period_is("2018Q2")),
        _cover_case("period_2018-11.xlsx", q4, "accepted", {"报告期": "2018-11"}, check=period_is("2018Q4")),
        _cover_case("period_2018年4月.xlsx", q2, "accepted", {"报告期": "2018年4月"}, check=period_is("2018Q2")),
        _cover_case("period_2018年第4季度.xlsx", q4, "accepted", {"报告期": "2018年第4季度"},
                    check=period_is("2018Q4")),
        _cover_case("period_2018年4.xlsx", q4, "rejected:period_ambiguous", {"报告期": "2018年4"}),
        _cover_case("安阳_2018年4季.xlsx", base_report("410500", "2018Q3", 7), "rejected:name_cover_mismatch", {}),
        _cover_case("安阳_201812.xlsx", base_report("410500", "2018Q3", 7), "rejected:name_cover_mismatch", {}),
        _cover_case("洛阳_2018Q3.xlsx", base_report("410500", "2018Q3", 7), "rejected:name_cover_mismatch", {}),
        _cover_case("安阳市_2018年9月.xlsx", base_report("410500", "2018Q3", 7), "accepted", {}),
        _cover_case("410500_2018Q4.xlsx", base_report("410500", "2018Q3", 7), "rejected:name_cover_mismatch", {}),
        _cover_case("安阳_2018年第四季度.xlsx", base_report("410500", "2018Q3", 7), "rejected:name_cover_mismatch",
                    {}),
        _cover_case("410300_2018Q3.xlsx", base_report("410500", "2018Q3", 7), "rejected:name_cover_mismatch", {}),
        _cover_case("410500_2018Q3.xlsx", base_report("410500", "2018Q3", 7), "accepted", {}),
    ]


def value_cases() -> list[ReaderCase]:
    """Finding 9: magnitudes against the unit, .ods and UTF-16 exports, control characters in text."""
    rep = base_report("410800", "2018Q4", 8)
    units = {r[0]: r[2] for r in rep.indicators or []}
    idx = {r[0]: i for i, r in enumerate(rep.indicators or [])}
    mag = _with_values(rep, {idx["online_retail_sales"]: "1.2万", idx["smartphone_output"]: "3000万",
                             idx["maker_spaces"]: "1.2万"})
    exact = _with_values(rep, {idx["online_retail_sales"]: "12,345万元", idx["smartphone_output"]: "3000万部"})
    assert units["online_retail_sales"] == "亿元"

    def values_are(expected: dict[str, float]) -> Callable[[Any], None]:
        def check(report: Any) -> None:
            got = {r["indicator_code"]: r["value"] for r in report.rows}
            for k, v in expected.items():
                assert abs(got[k] - v) < 1e-9, (k, got[k], v)
        return check

    ctl = Report(rep.city_code, rep.city_name, rep.period,
                 indicators=[[c, n, u, v, t18, t25, "备注\x00含\x07控制\x1b字符" if i == 0 else note]
                             for i, (c, n, u, v, t18, t25, note) in enumerate(rep.indicators or [])],
                 status_items=rep.status_items)

    def no_control(report: Any) -> None:
        notes = [r["note"] for r in report.rows if r["note"]]
        assert "备注含控制字符" in notes and not any(ch in n for n in notes for ch in "\x00\x07\x1b")

    doc = json_doc(ctl)
    nul = csv_text(Report(rep.city_code, rep.city_name, rep.period,
                          indicators=[[*r[:3], "3\x004" if i == 1 else r[3], *r[4:6], "注\x00释" if i == 0 else r[6]]
                                      for i, r in enumerate(rep.indicators or [])], status_items=rep.status_items))

    def nul_note(report: Any) -> None:
        assert "注释" in [r["note"] for r in report.rows]

    xlsb = io.BytesIO()
    with zipfile.ZipFile(xlsb, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")

    def says_xlsb(exc: Any) -> None:
        assert ".xlsb" in exc.message_en and ".xlsb" in exc.message_zh

    return [
        ReaderCase("binary_workbook.xlsb", xlsb.getvalue(), "nasty", "rejected:not_a_spreadsheet", {},
                   check=says_xlsb),
        ReaderCase("nul_bytes.csv", nul.encode(), "nasty", "accepted", _long_rows(rep), 1, ("value_invalid",),
                   check=nul_note),
        ReaderCase("utf16.json", json.dumps(json_doc(rep), ensure_ascii=False).encode("utf-16"), "nasty",
                   "accepted", {"indicators": len(rep.indicators or []), "milestones": len(rep.status_items or [])},
                   same_as=rep),
        ReaderCase("magnitude_words.xlsx", _xlsx_bytes(write_openpyxl, mag), "nasty", "accepted", _rows(rep), 2,
                   ("magnitude_ambiguous",), check=values_are({"maker_spaces": 12000})),
        ReaderCase("magnitude_exact.xlsx", _xlsx_bytes(write_openpyxl, exact), "nasty", "accepted", _rows(rep),
                   check=values_are({"online_retail_sales": 1.2345, "smartphone_output": 0.3})),
        ReaderCase("utf16le_nobom.txt", _utf16_tab(rep).encode("utf-16-le"), "nasty", "accepted", _long_rows(rep),
                   same_as=rep),
        ReaderCase("utf16be.txt", _utf16_tab(rep).encode("utf-16"), "nasty", "accepted", _long_rows(rep),
                   same_as=rep),
        ReaderCase("utf16be_bom.csv", "\ufeff".encode("utf-16-be") + csv_text(rep).encode("utf-16-be"), "nasty",
                   "accepted", _long_rows(rep), same_as=rep),
        ReaderCase("control_chars.json", json.dumps(doc).encode(), "nasty", "accepted", {
            "indicators": len(rep.indicators or []), "milestones": len(rep.status_items or [])}, check=no_control),
        ReaderCase("control_chars.csv", csv_text(Report(ctl.city_code, ctl.city_name, ctl.period,
                   indicators=[[*r[:6], (r[6] or "").replace("\x00", "")] for r in ctl.indicators or []],
                   status_items=ctl.status_items)).encode(), "nasty", "accepted", _long_rows(rep), check=no_control),
    ]


def reader_corpus() -> list[ReaderCase]:
    """The whole reader corpus (the LibreOffice part is empty when soffice is not installed)."""
    return (metamorphic_cases() + sheet_cases() + error_cases() + cover_cases() + value_cases()
            + libreoffice_cases())

"""Writes the intake test corpus (messy-but-valid and invalid city reports) with expected outcomes.

Each case is one file as a clerk might really send it: written by openpyxl or xlsxwriter, CSV in
UTF-8 / UTF-8-BOM / GBK, or JSON. ``expect`` says what intake must do with it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter

from transforms.ingest.reports.lookup import catalog_lookup
from transforms.ingest.reports.template import INDICATOR_HEADER, STATUS_HEADER, write_template

CSV_HEADER = [
    "模板版本",
    "城市代码",
    "报告期",
    "类型",
    "代码",
    "名称",
    "单位",
    "本期数值",
    "本市目标2018",
    "本市目标2025",
    "推进状态",
    "佐证材料",
    "备注",
]
STATUSES = ["未启动", "推进中", "基本完成", "已完成"]


@dataclass
class Case:
    """One corpus file and what intake must make of it."""

    rel_path: str  # below the inbox; a first folder level is the submitter
    status: str  # accepted | rejected | duplicate | superseded | known
    staged: int | None = None
    quarantined: int | None = None
    reason: str | None = None
    writer: str = ""


@dataclass
class Report:
    """Content of one report before it is written in some format."""

    city_code: str
    city_name: str
    period: Any
    version: str = "HNPLUS-R1"
    indicators: list[list[Any]] | None = None  # [code, name, unit, value, t2018, t2025, note]
    status_items: list[list[Any]] | None = None  # [code, name, status, evidence]

    @property
    def n_rows(self) -> int:
        return len(self.indicators or []) + len(self.status_items or [])


def base_report(city_code: str, period: Any, seed: int = 0) -> Report:
    """A clean report: every template indicator with a plausible value, every special with a status."""
    seeds = catalog_lookup()
    rnd = random.Random(f"{city_code}-{period}-{seed}")
    inds = []
    for ind in seeds.indicators.values():
        if (
            ind.kind == "status"
            or ind.source not in ("report", "both")
            or not (ind.applies_to == "all" or city_code in ind.applies_to.split("|"))
        ):
            continue
        if ind.unit == "%":
            value: Any = round(rnd.uniform(10, 95), 1)
        elif ind.kind == "count":
            value = rnd.randint(0, 40)
        else:
            value = round(rnd.uniform(0.5, 300), 2)
        t18 = value + 5 if rnd.random() < 0.3 and ind.unit != "%" else None
        inds.append([ind.code, ind.name_zh, ind.unit, value, t18, None, None])
    mss = [
        [sp.code, sp.name_zh, STATUSES[rnd.randint(0, 3)], f"{sp.name_zh}实施方案.pdf"]
        for sp in sorted(seeds.specials.values(), key=lambda s: s.code)
    ]
    return Report(city_code, seeds.cities[city_code], period, indicators=inds, status_items=mss)


# --------------------------------------------------------------------------------------------- writers
def _cover(rep: Report) -> list[list[Any]]:
    return [
        ["模板版本", rep.version],
        ["城市代码", rep.city_code],
        ["城市", rep.city_name],
        ["报告期", rep.period],
        ["填报单位", f"{rep.city_name}发展改革委"],
        ["填报人", "张三"],
        ["填报日期", "2019-01-10"],
    ]


def write_openpyxl(
    path: Path,
    rep: Report,
    *,
    ind_header: list[str] | None = None,
    title_rows: int = 0,
    blank_every: int = 0,
    extra_rows: list[list[Any]] | None = None,
    cover: list[list[Any]] | None = None,
    two_row_target: bool = False,
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "封面"
    for row in cover if cover is not None else _cover(rep):
        ws.append(row)
    ind = wb.create_sheet("指标")
    for i in range(title_rows):
        ind.append([f"{rep.city_name}“互联网+”行动实施情况统计表" if i == 0 else "单位：见各行"])
        ind.merge_cells(start_row=i + 1, start_column=1, end_row=i + 1, end_column=7)
    header = list(ind_header or INDICATOR_HEADER)
    if two_row_target:
        ind.append(header[:4] + ["本市目标", None] + header[6:])
        ind.append([None, None, None, None, "2018年", "2025年", None])
        r = ind.max_row - 1
        ind.merge_cells(start_row=r, start_column=5, end_row=r, end_column=6)
    else:
        ind.append(header)
    for k, row in enumerate(rep.indicators or [], start=1):
        ind.append(row)
        if blank_every and k % blank_every == 0:
            ind.append([])
    for row in extra_rows or []:
        ind.append(row)
    ms = wb.create_sheet("专项进展")
    ms.append(list(STATUS_HEADER))
    for row in rep.status_items or []:
        ms.append(row)
    wb.create_sheet("填报说明").append(["请按说明填写"])
    wb.save(path)


def write_xlsxwriter(
    path: Path,
    rep: Report,
    *,
    ind_header: list[str] | None = None,
    title_rows: int = 0,
    period_as_date_serial: bool = False,
    two_row_target: bool = False,
) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("封面")
    for r, (label, value) in enumerate(_cover(rep)):
        ws.write(r, 0, label)
        if label == "报告期" and period_as_date_serial:
            ws.write_number(r, 1, value)
        elif value is not None:
            ws.write(r, 1, value)
    ind = wb.add_worksheet("指标")
    r = 0
    for _ in range(title_rows):
        ind.merge_range(r, 0, r, 6, f"{rep.city_name} 指标填报表")
        r += 1
    header = list(ind_header or INDICATOR_HEADER)
    if two_row_target:
        ind.write_row(r, 0, header[:4])
        ind.merge_range(r, 4, r, 5, "本市目标")
        ind.write_row(r, 6, header[6:])
        ind.write_row(r + 1, 4, ["2018", "2025"])
        r += 2
    else:
        ind.write_row(r, 0, header)
        r += 1
    for row in rep.indicators or []:
        for c, v in enumerate(row):
            if v is not None:
                ind.write(r, c, v)
        r += 1
    ms = wb.add_worksheet("专项进展")
    ms.write_row(0, 0, list(STATUS_HEADER))
    for i, row in enumerate(rep.status_items or [], start=1):
        ms.write_row(i, 0, [v if v is not None else "" for v in row])
    wb.add_worksheet("填报说明").write(0, 0, "说明")
    wb.close()


def csv_text(rep: Report, extra: list[list[Any]] | None = None) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for code, name, unit, value, t18, t25, note in rep.indicators or []:
        w.writerow([rep.version, rep.city_code, rep.period, "指标", code, name, unit, value, t18, t25, "", "", note])
    for code, name, status, evidence in rep.status_items or []:
        w.writerow([rep.version, rep.city_code, rep.period, "专项", code, name, "", "", "", "", status, evidence, ""])
    for row in extra or []:
        w.writerow(row)
    return out.getvalue()


def json_doc(rep: Report) -> dict[str, Any]:
    return {
        "template_version": rep.version,
        "city_code": rep.city_code,
        "city_name": rep.city_name,
        "period": rep.period,
        "submitter": "市发改委",
        "indicators": [
            {"code": c, "value": v, "unit": u, "city_target_2018": t18, "city_target_2025": t25, "note": n}
            for c, _, u, v, t18, t25, n in rep.indicators or []
        ],
        "milestones": [{"special_code": c, "status": s, "evidence": e} for c, _, s, e in rep.status_items or []],
    }


# --------------------------------------------------------------------------------------------- corpus
def _put(root: Path, rel: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def build_corpus(root: Path) -> list[Case]:
    """Write every corpus file below ``root`` (the inbox) and return the expected outcomes."""
    cases: list[Case] = []
    add = cases.append

    def xlsx_case(rel: str, rep: Report, writer: Callable[..., None], q: int = 0, **kw: Any) -> None:
        writer(_put(root, rel), rep, **kw)
        extra = sum(1 for r in kw.get("extra_rows", []) if any(v is not None for v in r))
        add(Case(rel, "accepted", rep.n_rows + extra - q, q, writer=writer.__name__))

    # ---- clean files in every format
    xlsx_case("ox_clean.xlsx", base_report("410100", "2018Q4"), write_openpyxl)
    xlsx_case("xw_clean.xlsx", base_report("410200", "2019Q1"), write_xlsxwriter)
    for rel, city, enc in (
        ("csv_utf8.csv", "410300", "utf-8"),
        ("csv_bom.csv", "410400", "utf-8-sig"),
        ("csv_gbk.csv", "410500", "gbk"),
    ):
        rep = base_report(city, "2018Q2")
        _put(root, rel).write_bytes(csv_text(rep).encode(enc))
        add(Case(rel, "accepted", rep.n_rows, 0, writer=f"csv-{enc}"))
    rep = base_report("410600", "2018Q3")
    _put(root, "json_clean.json").write_text(json.dumps(json_doc(rep), ensure_ascii=False, indent=1), "utf-8")
    add(Case("json_clean.json", "accepted", rep.n_rows, 0, writer="json"))

    # the province's own template, filled in by a clerk
    tpl = _put(root, "template_filled.xlsx")
    write_template("410700", "2018Q4", tpl)
    wb = openpyxl.load_workbook(tpl)
    ws = wb["指标"]
    heads = [c.value for c in ws[1]]
    value, unit = heads.index("本期数值") + 1, heads.index("单位") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(r, value).value = "不适用" if r % 7 == 0 else (r * 3 if ws.cell(r, unit).value != "%" else 55.5)
    wb["专项进展"]["D2"] = "推进中"  # 推进状态
    wb.save(tpl)
    n_tpl = (ws.max_row - 1) + 43
    add(Case("template_filled.xlsx", "accepted", n_tpl, 0, writer="template+openpyxl"))

    # ---- messy but valid
    xlsx_case("ox_title_blank_rows.xlsx", base_report("410800", "2018Q4"), write_openpyxl, title_rows=2, blank_every=5)
    xlsx_case(
        "ox_header_variants.xlsx",
        base_report("410900", "2018Q4"),
        write_openpyxl,
        ind_header=["指标编码", "名称", "计量单位", "本期数", "2018年目标", "2025年目标", "说明"],
    )
    xlsx_case(
        "xw_header_merged_target.xlsx",
        base_report("411000", "2018Q3"),
        write_xlsxwriter,
        ind_header=["代码", "指标名称", "单位", "数值", "", "", "备注"],
        two_row_target=True,
        title_rows=1,
    )
    xlsx_case(
        "ox_header_merged_target.xlsx",
        base_report("411100", "2018Q3"),
        write_openpyxl,
        ind_header=["指标代码", "指标名称", "单位", "本期数值", "", "", "备注"],
        two_row_target=True,
    )

    rep = base_report("411200", "2018Q4")
    fw = str.maketrans("0123456789.", "０１２３４５６７８９．")
    for k, row in enumerate(rep.indicators or []):
        v = row[3]
        row[3] = [str(v), str(v).translate(fw), f"{v:,}" if isinstance(v, int) else f" {v} "][k % 3]
        if isinstance(v, int) and k % 3 == 2:
            row[3] = f"{v * 1000:,}"  # thousands separators; still a number >= 0
    xlsx_case("ox_text_numbers.xlsx", rep, write_openpyxl)

    rep = base_report("411300", "2018Q4")
    units = {
        "online_retail_sales": "5000万元",
        "smartphone_output": "3000万部",  # magnitude + the unit's base: exact (0.3 亿部)
        "wearable_device_output": "3亿台",
        "ecommerce_enterprise_share": "70%",
        "traceability_coverage": "百分之七十",
        "maker_spaces": "1.2万",
        "industrial_robot_output": "1,200台",
        "xborder_ecommerce_trade": "12.5亿美元",
    }
    for row in rep.indicators or []:
        if row[0] in units:
            row[3] = units[row[0]]
    xlsx_case("ox_units_in_cell.xlsx", rep, write_openpyxl)

    for rel, city, period, writer in (
        ("ox_period_cn_quarter.xlsx", "411400", "2018年第四季度", write_openpyxl),
        ("ox_period_cn_digit.xlsx", "411500", "2018年4季度", write_openpyxl),
        ("xw_period_month.xlsx", "411600", "2018-12", write_xlsxwriter),
        ("ox_period_fullwidth.xlsx", "411700", "２０１８Ｑ４", write_openpyxl),
    ):
        xlsx_case(rel, base_report(city, period), writer)
    xlsx_case("xw_period_serial.xlsx", base_report("419001", 43465), write_xlsxwriter, period_as_date_serial=True)

    rep = base_report("411600", "2018Q3")
    cover = _cover(rep)
    cover[3] = ["报告期", dt.date(2018, 9, 30)]  # a real Excel date cell
    xlsx_case("ox_period_date_cell.xlsx", rep, write_openpyxl, cover=cover)

    # the CSV layout pasted into a single sheet of a workbook
    rep = base_report("411700", "2018Q3")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for line in csv.reader(io.StringIO(csv_text(rep))):
        ws.append(line)
    wb.save(_put(root, "ox_single_sheet_long.xlsx"))
    add(Case("ox_single_sheet_long.xlsx", "accepted", rep.n_rows, 0, writer="write_openpyxl"))

    rep = base_report("410300", "2018Q3")
    cover = _cover(rep)
    cover[1] = ["城市代码", None]
    cover[2] = ["城市", "洛陽"]
    xlsx_case("ox_city_traditional_alias.xlsx", rep, write_openpyxl, cover=cover)

    rep = base_report("410200", "2018Q3")
    for k, row in enumerate(rep.indicators or []):
        row[3] = ["不适用", "N/A", "", 0, "0", "１２"][k % 6]
    doc = json_doc(rep)
    doc["period"] = "2018年第三季度"
    _put(root, "json_text_values.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    add(Case("json_text_values.json", "accepted", rep.n_rows, 0, writer="json"))

    rep = base_report("410400", "2018Q3")
    for k, row in enumerate(rep.indicators or []):
        row[3] = ["不适用", "n/a", "", 0][k % 4]
    rep.period = "2018年三季度"
    _put(root, "csv_gbk_na.csv").write_bytes(csv_text(rep).encode("gbk"))
    add(Case("csv_gbk_na.csv", "accepted", rep.n_rows, 0, writer="csv-gbk"))

    # submitter folders: a city code, a city alias, and a non-city submitter
    xlsx_case("410300/luoyang_2019Q1.xlsx", base_report("410300", "2019Q1"), write_openpyxl)
    xlsx_case("洛阳市/luoyang_2019Q2.xlsx", base_report("410300", "2019Q2"), write_xlsxwriter)
    xlsx_case("省统计局/kaifeng_2019Q2.xlsx", base_report("410200", "2019Q2"), write_openpyxl)

    # ---- row problems (accepted, some rows quarantined)
    rep = base_report("410500", "2019Q1")
    extra = [
        ["unknown_code_x", "自编指标", "个", 3, None, None, None],
        ["smart_cities_9", "智慧城市", "个", 1, None, None, None],
        ["ZZ-01", None, None, 5, None, None, None],
    ]
    rep.indicators = (rep.indicators or []) + extra
    xlsx_case("ox_unknown_codes.xlsx", rep, write_openpyxl, q=3)

    rep = base_report("410600", "2019Q1")
    bad = {
        "maker_spaces": "约20个",
        "ecommerce_parks": -5,
        "ecommerce_enterprise_share": "120%",
        "smart_hospitals": "70%",
        "online_retail_sales": "500吨",
    }
    for row in rep.indicators or []:
        if row[0] in bad:
            row[3] = bad[row[0]]
    xlsx_case("xw_bad_values.xlsx", rep, write_xlsxwriter, q=len(bad))

    rep = base_report("410700", "2019Q1")
    (rep.status_items or [])[0][2] = "快完成了"
    (rep.status_items or [])[5][2] = "done"
    _put(root, "csv_bad_status.csv").write_text(csv_text(rep), "utf-8")
    add(Case("csv_bad_status.csv", "accepted", rep.n_rows - 2, 2, writer="csv-utf-8"))

    rep = base_report("410800", "2019Q1")
    doc = json_doc(rep)
    doc["indicators"] += [
        {"code": "no_such_indicator", "value": 1},
        dict(doc["indicators"][0]),
        {"code": "", "value": 7},
    ]
    _put(root, "json_bad_rows.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    add(Case("json_bad_rows.json", "accepted", rep.n_rows, 3, writer="json"))

    rep = base_report("410900", "2019Q1")
    xlsx_case(
        "ox_footer_rows.xlsx",
        rep,
        write_openpyxl,
        q=2,
        extra_rows=[[], ["填报人：张三", None, None, None, None, None, "审核人：李四"], [None, None, "合计", 999]],
    )

    rep = base_report("411000", "2019Q1")
    _put(root, "csv_row_city_mismatch.csv").write_text(
        csv_text(
            rep,
            extra=[["HNPLUS-R1", "410100", "2019Q1", "指标", "maker_spaces", "众创空间", "个", 3, "", "", "", "", ""]],
        ),
        "utf-8",
    )
    add(Case("csv_row_city_mismatch.csv", "accepted", rep.n_rows, 1, writer="csv-utf-8"))

    rep = base_report("411100", "2019Q1")
    xlsx_case(
        "ox_name_instead_of_code.xlsx",
        rep,
        write_openpyxl,
        q=1,
        extra_rows=[[None, "众创空间", "个", 9, None, None, "重复填报"]],
    )

    # ---- rejected whole
    def raw(rel: str, data: bytes, reason: str) -> None:
        _put(root, rel).write_bytes(data)
        add(Case(rel, "rejected", reason=reason, writer="bytes"))

    raw("scan.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00<<>>\nendobj\n", "not_a_spreadsheet")
    raw("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4, "not_a_spreadsheet")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    raw("report.docx", buf.getvalue(), "not_a_spreadsheet")
    good = io.BytesIO()
    write_openpyxl(good, base_report("410100", "2018Q1"))  # type: ignore[arg-type]
    raw("truncated.xlsx", good.getvalue()[: len(good.getvalue()) // 2], "corrupt_xlsx")
    raw(
        "encrypted.xlsx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 2048,
        "encrypted",
    )
    raw("empty.csv", b"", "empty_file")
    raw("broken.json", b'{"template_version": "HNPLUS-R1", "city_code": "410100", ', "invalid_json")
    raw("gibberish.csv", "这是一份说明文字，不是报表。\n第二行\n".encode(), "not_template")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (30 * 1024 * 1024))
    raw("zipbomb.xlsx", bomb.getvalue(), "zip_bomb")

    def rejected_xlsx(
        rel: str, rep: Report, reason: str, writer: Callable[..., None] = write_openpyxl, **kw: Any
    ) -> None:
        writer(_put(root, rel), rep, **kw)
        add(Case(rel, "rejected", reason=reason, writer=writer.__name__))

    rep = base_report("410300", "2018Q1")
    rejected_xlsx("renamed_headers.xlsx", rep, "header_not_found", ind_header=["A", "B", "C", "D", "E", "F", "G"])
    rep = base_report("410100", "2018Q1")
    rep.version = "HNPLUS-R0"
    rejected_xlsx("old_template.xlsx", rep, "wrong_template_version", write_xlsxwriter)
    rep = base_report("410200", "2018Q1")
    rep.indicators, rep.status_items = [], []
    rejected_xlsx("empty_template.xlsx", rep, "no_data_rows")
    rejected_xlsx("410100/luoyang_sent_by_zhengzhou.xlsx", base_report("410300", "2018Q1"), "city_mismatch")
    rejected_xlsx(
        "郑州/kaifeng_sent_by_zhengzhou.xlsx", base_report("410200", "2018Q2"), "city_mismatch", write_xlsxwriter
    )
    # a folder named after the city plus a person: still the city's folder (the strict cover rules do not weaken it)
    rejected_xlsx("郑州-张三/luoyang_from_a_zhengzhou_clerk.xlsx", base_report("410300", "2018Q3"), "city_mismatch")
    rejected_xlsx("future_period.xlsx", base_report("410400", "2031Q1"), "period_in_future")
    rejected_xlsx("period_garbage.xlsx", base_report("410500", "上半年"), "period_invalid")
    rep = base_report("410600", "2018Q1")
    doc = json_doc(rep)
    doc["city_code"], doc["city_name"] = "110000", None
    _put(root, "beijing.json").write_text(json.dumps(doc), "utf-8")
    add(Case("beijing.json", "rejected", reason="city_unknown", writer="json"))
    rep = base_report("410700", "2018Q1")
    doc = json_doc(rep)
    doc["city_code"] = None
    doc["city_name"] = None
    _put(root, "no_city.json").write_text(json.dumps(doc), "utf-8")
    add(Case("no_city.json", "rejected", reason="city_missing", writer="json"))
    write_openpyxl(_put(root, "report..2018Q1.xlsx"), base_report("410800", "2018Q1"))
    add(Case("report..2018Q1.xlsx", "rejected", reason="unsafe_name", writer="write_openpyxl"))
    big = base_report("410900", "2018Q1")
    text = csv_text(big) + ("#" + "x" * 1000 + "\r\n") * 2200
    _put(root, "too_large.csv").write_text(text, "utf-8")
    add(Case("too_large.csv", "rejected", reason="file_too_large", writer="csv-utf-8"))
    rep = base_report("411000", "2018Q1")
    many = [
        ["HNPLUS-R1", "411000", "2018Q1", "指标", "maker_spaces", "", "个", i, "", "", "", "", ""] for i in range(6000)
    ]
    _put(root, "too_many_rows.csv").write_text(csv_text(rep, extra=many), "utf-8")
    add(Case("too_many_rows.csv", "rejected", reason="too_many_rows", writer="csv-utf-8"))

    # ---- supersede and duplicates
    v1 = base_report("411400", "2019Q3", seed=1)
    v2 = base_report("411400", "2019Q3", seed=2)
    p1, p2 = _put(root, "商丘/shangqiu_2019Q3.xlsx"), _put(root, "商丘/shangqiu_2019Q3_修订.xlsx")
    write_openpyxl(p1, v1)
    write_xlsxwriter(p2, v2)
    os.utime(p1, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000))
    os.utime(p2, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    add(Case("商丘/shangqiu_2019Q3.xlsx", "superseded", v1.n_rows, 0, writer="write_openpyxl"))
    add(Case("商丘/shangqiu_2019Q3_修订.xlsx", "accepted", v2.n_rows, 0, writer="write_xlsxwriter"))
    # the same content re-saved by another program: different bytes, same report -> duplicate
    p3 = _put(root, "商丘/shangqiu_2019Q3_resaved.csv")
    p3.write_text(csv_text(v2), "utf-8")
    os.utime(p3, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    add(Case("商丘/shangqiu_2019Q3_resaved.csv", "duplicate", writer="csv-utf-8"))
    # byte-identical copy sent twice: not added again
    p4 = _put(root, "ox_clean_copy.xlsx")
    p4.write_bytes((root / "ox_clean.xlsx").read_bytes())
    add(Case("ox_clean_copy.xlsx", "known", writer="copy"))
    return cases


def add_junk(root: Path, target: Path) -> list[str]:
    """Things intake must ignore: a symlink to a file outside the inbox and an Excel lock file."""
    (root / "~$ox_clean.xlsx").write_bytes(b"\x00lock")
    link = root / "link_to_outside.xlsx"
    try:
        link.symlink_to(target)
    except OSError:
        return ["~$ox_clean.xlsx"]
    return ["~$ox_clean.xlsx", "link_to_outside.xlsx"]

"""Great Expectations Data Docs of a run (a static site, published with the dataset) and a plain summary page."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from transforms.validate.gx import quiet_gx
from transforms.validate.results import SuiteResult

_REMOTE_TAG = re.compile(
    r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>|<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*/?>", re.I)


def build_data_docs(results: list[SuiteResult], out_dir: Path) -> Path:
    """Render GX Data Docs for the results into ``out_dir`` (a static site with ``index.html``); returns out_dir.

    The site builder of a fresh ephemeral context renders the stored results, so this works in any process.
    Links to CDNs are stripped: officials may read the published dataset offline.
    """
    quiet_gx()
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from expectations.suites import assets

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    context = gx.get_context(mode="ephemeral")
    site = "hnplus_" + hashlib.sha1(str(out_dir).encode()).hexdigest()[:8]
    context.add_data_docs_site(site_name=site, site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    for r in results:
        if r.suite in assets():
            context.suites.add_or_update(assets()[r.suite].build())
        if not r.gx_result:
            continue
        gx_res = ExpectationSuiteValidationResult(**r.gx_result)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=r.suite),
            run_id=RunIdentifier(run_name=r.run_id or "run"),
            batch_identifier=r.asset,
        )
        context.validation_results_store.set(key, gx_res)
    context.build_data_docs(site_names=[site])
    shutil.rmtree(out_dir / "static" / "fonts", ignore_errors=True)
    for img in (out_dir / "static" / "images").glob("*"):
        if img.suffix in (".gif", ".png") and img.stat().st_size > 50_000:
            img.unlink()
    (out_dir / "index.html").replace(out_dir / "gx_index.html")
    for html in out_dir.rglob("*.html"):
        html.write_text(_offline(html.read_text(encoding="utf-8"), html.relative_to(out_dir)), encoding="utf-8")
    _write_summary(results, out_dir)
    _write_index(results, out_dir)
    return out_dir


_REMOTE_IMG = re.compile(r"https://great-expectations-web-assets[^\"')\s]*?/([\w.-]+\.png)(\?[^\"')\s]*)?")
_BANNER = re.compile(r"<p>[^<]*newsletter.*?</p>", re.I | re.S)
_REMOTE_CSS_BG = re.compile(r"background:\s*url\('?https?://[^)]*\)[^;]*;", re.I)
_OFFLINE_CSS = ("<style>body{font-family:sans-serif;margin:1em;color:#222}table{border-collapse:collapse}"
                "td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}th{background:#ddebf7}"
                ".hidden,.d-none,.navbar-toggler{display:none}img{max-width:100%}</style>")


def _offline(text: str, rel: Path) -> str:
    """A GX page that works without a network: no CDN scripts or styles, the logo from ``static/images``, no
    newsletter banner, a small inline stylesheet in place of Bootstrap."""
    up = "../" * (len(rel.parts) - 1)
    text = _REMOTE_TAG.sub("", text)
    text = _REMOTE_IMG.sub(lambda m: f"{up}static/images/{m.group(1)}", text)
    text = _REMOTE_CSS_BG.sub("background: none;", _BANNER.sub("", text))
    return text.replace("</head>", _OFFLINE_CSS + "</head>", 1)


def _write_index(results: list[SuiteResult], out_dir: Path) -> None:
    """The index: every suite with its outcome and links to its expectations and its validation page, as plain
    HTML (GX's own index lists the suites with JavaScript from a CDN; it stays as gx_index.html)."""
    import html

    rows = []
    for r in results:
        pages = sorted((out_dir / "validations" / r.suite).rglob("*.html"))
        suite_page = out_dir / "expectations" / f"{r.suite}.html"
        links = [f"<a href='{html.escape(p.relative_to(out_dir).as_posix())}'>校验结果 / validation</a>"
                 for p in pages[-1:]]
        if suite_page.is_file():
            links.append(f"<a href='expectations/{html.escape(r.suite)}.html'>期望 / expectations</a>")
        ok = "✔ 通过 / passed" if r.success else "✗ 未通过 / failed"
        rows.append(f"<tr class='suite'><td>{html.escape(r.asset)}</td><td class='name'>{html.escape(r.suite)}</td>"
                    f"<td>{ok}</td><td>{html.escape('; '.join(r.critical_failures)) or '–'}</td>"
                    f"<td>{html.escape('; '.join(r.warnings)) or '–'}</td><td>{r.quarantined}</td>"
                    f"<td>{' · '.join(links)}</td></tr>")
    page = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><meta name='viewport' "
            "content='width=device-width, initial-scale=1'><title>数据校验报告 / Data Docs</title>"
            f"{_OFFLINE_CSS}</head><body><h1>数据校验报告 / Data Docs</h1>"
            f"<p>{len(results)} 个校验套件 / suites · <a href='summary.html'>摘要 / summary</a> · "
            "<a href='gx_index.html'>Great Expectations index</a></p><div style='overflow-x:auto'><table>"
            "<tr><th>数据 / asset</th><th>套件 / suite</th><th>结果 / outcome</th><th>严重问题 / critical</th>"
            "<th>警告 / warnings</th><th>隔离行 / quarantined rows</th><th>页面 / pages</th></tr>"
            + "".join(rows) + "</table></div></body></html>\n")
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def _write_summary(results: list[SuiteResult], out_dir: Path) -> None:
    """A plain summary page beside GX's index: one line per suite with outcome and seconds."""
    import html

    lines = ["<!doctype html><meta charset='utf-8'><title>hnplus validation summary</title>",
             "<h1>Validation summary / 数据校验摘要</h1><table border='1' cellpadding='4'>",
             "<tr><th>asset</th><th>suite</th><th>success</th><th>critical</th><th>warnings</th>"
             "<th>quarantined rows</th><th>seconds</th></tr>"]
    for r in results:
        # link each suite to its GX validation page: GX's own index needs JavaScript from a CDN to list them
        pages = sorted((out_dir / "validations" / r.suite).rglob("*.html"))
        suite = html.escape(r.suite)
        if pages:
            suite = f"<a href='{html.escape(pages[-1].relative_to(out_dir).as_posix())}'>{suite}</a>"
        lines.append(
            f"<tr><td>{html.escape(r.asset)}</td><td>{suite}</td><td>{r.success}</td>"
            f"<td>{html.escape('; '.join(r.critical_failures))}</td>"
            f"<td>{html.escape('; '.join(r.warnings))}</td><td>{r.quarantined}</td><td>{r.seconds}</td></tr>")
    lines.append("</table><p><a href='index.html'>Great Expectations Data Docs</a></p>")
    (out_dir / "summary.html").write_text("\n".join(lines), encoding="utf-8")

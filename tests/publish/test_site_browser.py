"""The static website in headless Chromium (Debian's package), from file:// and over HTTP on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from transforms.publish.site import markdown_to_html

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium: `make browser`")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def http_url(published: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(published))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/latest/index.html"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _artefact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.mark.parametrize("via", ["file", "http"])
def test_site(via: str, browser, published: Path, http_url: str,  # noqa: ANN001
              tmp_path_factory: pytest.TempPathFactory) -> None:
    from playwright.sync_api import expect

    url = (published / "latest" / "index.html").resolve().as_uri() if via == "file" else http_url
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(
        ("file://", "http://127.0.0.1", "data:")) else None)
    page.goto(url)

    rows = page.locator("#league tbody tr")
    assert rows.count() == 18
    assert page.locator("#league tbody tr").first.locator("td").first.inner_text() == "1"
    # sort by the e-commerce action, descending: the first row has the top e-commerce score
    page.click("#league th[data-col='a:ecommerce']")
    col = page.locator("#league thead th").all_inner_texts().index("电子商务")
    scores = [float(r.locator("td").nth(col).inner_text()) for r in rows.all()]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    page.click("#league th[data-col='a:ecommerce']")
    scores_up = [float(r.locator("td").nth(col).inner_text()) for r in rows.all()]
    assert scores_up == sorted(scores)
    # the size-adjusted view beside the raw one: sorted by its rank, the size-adjusted scores descend
    page.click("#league th[data-col='rank_size_adjusted']")
    heads = page.locator("#league thead th").all_inner_texts()
    sa_rank, sa_score = heads.index("按人口调整名次"), heads.index("按人口调整得分")
    sa_ranks = [int(r.locator("td").nth(sa_rank).inner_text()) for r in rows.all()]
    sa_scores = [float(r.locator("td").nth(sa_score).inner_text()) for r in rows.all()]
    assert sa_ranks == sorted(sa_ranks) and sa_ranks[0] == 1
    assert sa_scores == sorted(sa_scores, reverse=True)
    # the English switch
    assert page.locator("#lang-toggle").inner_text() == "English"
    page.click("#lang-toggle")
    assert page.locator("#site-title").inner_text().startswith("Henan Internet+")
    assert "Zhengzhou" in page.locator("#league tbody").inner_text()
    assert "E-commerce" in page.locator("#league thead").inner_text()
    page.click("#lang-toggle")
    assert page.locator("#site-title").inner_text().startswith("河南省")

    # the map: a canvas of real size, one region per city
    page.click("nav a[href='#map']")
    canvas = page.locator("#map-chart canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    n_regions = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('map-chart'))"
                              ".getOption().series[0].data.filter(d => d.value !== null).length")
    assert n_regions == 18
    shots = _artefact_dir(tmp_path_factory)
    page.screenshot(path=str(shots / f"map-{via}.png"))

    # a city profile, the methodology and the downloads
    page.goto(url.split("#")[0] + "#city/410300")
    assert "洛阳市" in page.locator("#view-city h2").inner_text()
    page.locator("#city-actions canvas").wait_for()
    expect(page.locator("#view-city table").first.locator("tbody tr")).to_have_count(8)
    page.screenshot(path=str(shots / f"city-{via}.png"), full_page=True)
    page.click("nav a[href='#method']")
    expect(page.locator("#method-body h2, #method-body h3").first).to_be_visible()
    page.click("nav a[href='#downloads']")
    # the views render after the hash change: wait for them rather than count at once
    expect(page.locator("#view-downloads a[href='league_table.xlsx']")).to_have_count(1)
    page.goto(url.split("#")[0] + "#table")
    page.screenshot(path=str(shots / f"table-{via}.png"), full_page=True)
    print(f"screenshots: {shots}")
    page.close()
    assert problems == []
    assert external == [], "the page must not load anything from the internet"


def test_markdown_subset() -> None:
    html = markdown_to_html("# T\n\ntext **b** and `c` [x](http://e.org) [bad](javascript:alert(1))\n\n"
                            "- a\n- b\n\n| h1 | h2 |\n|---|---|\n| 1 | <s> |\n")
    assert "<h2>T</h2>" in html and "<strong>b</strong>" in html and "<code>c</code>" in html
    assert '<a href="http://e.org">x</a>' in html and 'href="javascript' not in html
    assert "<ul><li>a</li><li>b</li></ul>" in html and "<td>&lt;s&gt;</td>" in html

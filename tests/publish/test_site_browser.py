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
    expect(page.locator("#weakest tbody tr")).to_have_count(8)
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


PAGES = ("#table", "#city/410300", "#compare/410100,410300", "#method", "#downloads")


def _no_page_overflow(page) -> None:  # noqa: ANN001
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"page-level horizontal scroll: {width}"


@pytest.mark.parametrize("width", [1400, 390])
def test_page_explains_itself(width: int, browser, published: Path,  # noqa: ANN001
                              tmp_path_factory: pytest.TempPathFactory) -> None:
    """Legend and column help, words beside every light, links to the bulletin and workbook, and no page-level
    horizontal scroll at a desktop and a phone width (the league table scrolls in its own box)."""
    from playwright.sync_api import expect

    url = (published / "latest" / "index.html").resolve().as_uri()
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    shots = tmp_path_factory.mktemp(f"screens-{width}")
    for h in PAGES:
        page.goto(url + h)
        page.wait_for_timeout(200)
        _no_page_overflow(page)
        page.screenshot(path=str(shots / f"{h.strip('#').split('/')[0]}.png"), full_page=True)
    page.goto(url + "#table")
    legend = page.locator("#legend").inner_text()
    for w in ("绿灯", "黄灯", "橙灯", "红灯", "按期推进", "有所改善", "停滞", "本期无新数据", "倒退", "一致",
              "无独立证据"):
        assert w in legend, w
    assert page.locator("#legend dl.columns dt").count() >= 10
    words = page.locator("#league tbody .light-word").all_inner_texts()
    assert len(words) == 18 and all(w.strip() for w in words), "a word beside every light"
    expect(page.locator("#links a.bulletin").first).to_have_attribute("href", "periods/2020Q4/bulletin_zh.pdf")
    for href in page.locator("#links a").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert (published / "latest" / href).is_file(), href
    assert page.locator("#period-select option", has_text="2019Q1 ◆").count() == 1, "the milestone is marked"
    if width == 390:
        box = page.evaluate("() => { const w = document.getElementById('league-wrap');"
                            " return [w.scrollWidth, w.clientWidth]; }")
        assert box[0] > box[1], "the wide table scrolls in its own box"
        heights = page.locator("#league tbody td.name a").evaluate_all(
            "els => els.map(e => e.getClientRects().length)")
        assert heights and set(heights) == {1}, "city names are not broken"
    page.goto(url + "#method")
    assert page.locator("#method-body h2").first.inner_text() == "评分方法说明(读者版)"
    readers = page.evaluate("() => { let t = ''; for (const n of document.getElementById('method-body').children) {"
                            " if (n.id === 'technical') break; t += n.innerText + '\\n'; } return t; }")
    assert "名次区间" in readers and "本期无新数据" in readers
    assert not any(dev in readers for dev in ("int_", "seeds/", "stg_", ".csv", "marts")), "no developer names"
    print(f"screenshots: {shots}")
    page.close()
    assert errors == []


def test_city_page_follows_the_period(browser, published: Path) -> None:  # noqa: ANN001
    """Choose 2019Q1 in the table, open a city: its summary, weakest specials and "why the rank changed" are of
    2019Q1 (checked against the dataset's own CSV files)."""
    import pandas as pd

    url = (published / "latest" / "index.html").resolve().as_uri()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url + "#table")
    page.select_option("#period-select", "2019Q1")
    assert not page.locator("#period-note").is_hidden()
    page.click("#league a[href='#city/410300']")
    page.locator("#weakest").wait_for()
    assert "2019Q1" in page.locator("#city-summary").inner_text()
    assert "2019Q1" in page.locator("#weakest-title").inner_text()
    assert not page.locator("#city-period-note").is_hidden(), "the milestone change is explained on the city page"
    spec = pd.read_csv(published / "2019Q1" / "special_scores.csv", dtype={"city_code": str})
    low = spec[spec.city_code == "410300"].dropna(subset=["score"]).sort_values(["score", "special_code"]).head(8)
    shown = [float(r.locator("td").nth(2).inner_text()) for r in page.locator("#weakest tbody tr").all()]
    assert shown == pytest.approx([round(x, 1) for x in low.score], abs=0.051)
    ch = pd.read_csv(published / "2019Q1" / "score_changes.csv", dtype={"city_code": str})
    total = ch[(ch.city_code == "410300") & (ch.scope == "overall")].score_change.sum()
    why = page.locator("#why").inner_text()
    assert f"{total:+.2f}" in why and "2018Q4" in why
    assert page.locator("#why li").count() >= 2
    page.locator("#city-trend canvas").wait_for()
    trend = page.evaluate("() => { const el = document.getElementById('city-trend');"
                          " const o = echarts.getInstanceByDom(el).getOption();"
                          " return [o.series.map(s => s.name),"
                          " o.series[0].markLine.data.map(d => d.yAxis ?? d.xAxis)]; }")
    assert trend[0] == ["总分", "名次", "全省中位数"] and trend[1][:2] == [100, "2019Q1"], trend
    # the city page's own selector moves it to another period
    page.select_option("#city-period", "2020Q4")
    expect_title = page.locator("#weakest-title")
    expect_title.wait_for()
    page.wait_for_function("() => document.getElementById('weakest-title').textContent.includes('2020Q4')")
    page.close()


def test_comparison_view(browser, published: Path) -> None:  # noqa: ANN001
    """Two cities side by side and against the province median, over time, with target lines."""
    import pandas as pd

    url = (published / "latest" / "index.html").resolve().as_uri()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url + "#compare/410100,410300")
    page.locator("#compare-score canvas").wait_for()
    page.locator("#compare-progress canvas").wait_for()
    checked = page.locator("#compare-cities input:checked").evaluate_all("els => els.map(e => e.value)")
    assert checked == ["410100", "410300"]
    names = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('compare-score'))"
                          ".getOption().series.map(s => s.name)")
    assert names == ["郑州市", "洛阳市", "全省中位数"]
    lines = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('compare-progress'))"
                          ".getOption().series[0].markLine.data.map(d => d.yAxis).filter(v => v !== undefined)")
    assert lines == [0.95, 0.6]
    heads = page.locator("#compare-table thead th").all_inner_texts()
    assert heads[1:] == ["郑州市", "洛阳市", "全省中位数"]
    league = pd.read_csv(published / "latest" / "league_table.csv", dtype={"city_code": str})
    now = league[(league.period == league.period.max()) & (league.scope == "overall")]
    score_row = page.locator("#compare-table tbody tr").nth(1).locator("td").all_inner_texts()
    assert float(score_row[-1]) == pytest.approx(now.score.median(), abs=0.051)
    # a third city ticked joins the chart
    page.check("#compare-cities input[value='410700']")
    page.wait_for_function("() => location.hash === '#compare/410100,410300,410700'")
    page.locator("#compare-score canvas").wait_for()
    n = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('compare-score'))"
                      ".getOption().series.length")
    assert n == 4
    page.close()

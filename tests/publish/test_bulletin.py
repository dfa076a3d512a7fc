"""The quarterly bulletin (通报) of a period, read back as a reader's viewer would: poppler renders it to PNG and
extracts its text; the PDF is A4 with its fonts embedded, and the same files give the same bytes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from transforms.publish.bulletin import write_bulletins
from transforms.publish.bulletin_text import TEXT

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils: `make pdf-tools`")


def _run(*args: str) -> str:
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def league(published: Path) -> pd.DataFrame:
    return pd.read_csv(published / "latest" / "league_table.csv", dtype={"city_code": str})


@pytest.mark.parametrize("period", ["2019Q1", "latest"])
def test_bulletin_holds_every_city_and_the_period(period: str, published: Path, league: pd.DataFrame,
                                                  tmp_path: Path) -> None:
    period = league.period.max() if period == "latest" else period
    folder = published / period
    cities = league.drop_duplicates("city_code")
    for lang, names in (("zh", cities.city_name), ("en", cities.city_name_en)):
        pdf = folder / f"bulletin_{lang}.pdf"
        info = _run("pdfinfo", str(pdf))
        assert "595.276 x 841.89 pts (A4)" in info
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert 1 <= pages <= 4
        fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), "every font embedded"
        text = _run("pdftotext", "-layout", str(pdf), "-")
        assert len(names) == 18 and all(n in text for n in names), lang
        assert period in text and "run-a" in text
        # the league table's header is one line: no header breaks a word or a character onto a second line
        head = TEXT[lang]["league_head"]
        assert any(all(h in line for h in head) for line in text.splitlines()), (lang, head)
        _run("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / lang))
        png = next(tmp_path.glob(f"{lang}-*1.png"))
        assert png.stat().st_size > 20_000  # a rendered page with tables, not a blank
    zh = _run("pdftotext", "-layout", str(folder / "bulletin_zh.pdf"), "-")
    for heading in ("一、总体情况", "二、总体排名", "全省分布", "三、十一大行动得分", "四、名次变化较大的城市及原因",
                    "五、各行动得分末三位", "六、独立证据", "七、方法与数据来源", "SHA-256"):
        assert heading in zh
    assert ("考核节点切换" in zh) is (period == "2019Q1")
    assert "主要来自" in zh, "the movers are explained from score_changes"


def test_bulletin_is_deterministic(published: Path, tmp_path: Path) -> None:
    src = published / "2019Q1"
    folder = tmp_path / "again"
    shutil.copytree(src, folder)
    meta = json.loads((src / "metadata.json").read_text(encoding="utf-8"))
    write_bulletins(folder, "2019Q1", meta)
    for lang in ("zh", "en"):
        assert (folder / f"bulletin_{lang}.pdf").read_bytes() == (src / f"bulletin_{lang}.pdf").read_bytes()
    listed = {r["path"] for r in json.loads((src / "datapackage.json").read_text(encoding="utf-8"))["resources"]}
    assert {"bulletin_zh.pdf", "bulletin_en.pdf"} <= listed


def test_laggards_are_the_three_lowest_of_each_action_ties_in_league_order() -> None:
    """The laggards table by hand: per action the three lowest scores, a city without a score left out, equal
    scores in the league's order (city code within a rank), the actions in the plan's order, overall rows ignored."""
    from transforms.publish.bulletin import _laggards
    from transforms.publish.labels import action_order

    first, second = sorted((a for a in action_order() if a != "overall"), key=action_order().get)[:2]
    rows = [  # (scope, city, score): the league's order (scope, rank, city_code)
        ("overall", "410100", 90.0),
        (second, "410200", 10.0), (second, "410300", 20.0), (second, "410400", 30.0), (second, "410500", 40.0),
        (first, "410600", None), (first, "410700", 50.0), (first, "410800", 50.0), (first, "410900", 50.0),
        (first, "411000", 50.0),
    ]
    league = pd.DataFrame([{"scope": s, "scope_name": f"名{s}", "scope_name_en": f"name {s}", "city_code": c,
                            "city_name": f"市{c}", "city_name_en": f"city {c}", "score": score,
                            "traffic_light": "red"} for s, c, score in rows])
    table = _laggards(league, "en")
    assert [r[0] for r in table["rows"]] == [f"name {first}", f"name {second}"]
    assert [part.split(" ")[1] for part in table["rows"][0][1].split("; ")] == ["410700", "410800", "410900"]
    assert [part.split(" ")[1] for part in table["rows"][1][1].split("; ")] == ["410200", "410300", "410400"]

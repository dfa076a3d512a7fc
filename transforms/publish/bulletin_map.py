"""The Henan map of the bulletin: the 18 cities coloured by score, as SVG, from the map the site already ships
(``echarts-china-provinces-pypkg``'s ``henan.js``, ECharts' compressed GeoJSON: feature ids are city codes)."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from html import escape

from transforms.publish.site import VendorMissing, henan_js

_KEY = re.compile(r"([{,])([A-Za-z_]\w*):")
STEP = 3.0
LOW, MID, HIGH = (0xF8, 0x69, 0x6B), (0xFF, 0xEB, 0x84), (0x63, 0xBE, 0x7B)


@cache
def _features() -> list[dict]:
    """The map's features as JSON (the script's object literal with its keys quoted)."""
    text = henan_js().decode("utf-8")
    start = text.index('{type:"FeatureCollection"')
    depth, i, in_string = 0, start, False
    while i < len(text):  # the matching brace, skipping strings (ring strings hold braces too)
        ch = text[i]
        if in_string:
            in_string = ch != '"'
            i += 2 if ch == "\\" else 1
            continue
        in_string = ch == '"'
        depth += 1 if ch == "{" else -1 if ch == "}" else 0
        i += 1
        if depth == 0:
            break
    literal = _KEY.sub(r'\1"\2":', text[start:i]).replace(":!0", ":true").replace(":!1", ":false")
    return json.loads(literal)["features"]


def _decode(ring: str, offset: list[int], scale: float = 1024.0) -> list[tuple[float, float]]:
    """ECharts' ring encoding: pairs of zigzag-encoded deltas as characters from code point 64."""
    x, y, out = offset[0], offset[1], []
    for i in range(0, len(ring) - 1, 2):
        dx, dy = ord(ring[i]) - 64, ord(ring[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        out.append((x / scale, y / scale))
    return out


def _rings(geometry: dict) -> list[list[tuple[float, float]]]:
    coords, offsets = geometry["coordinates"], geometry.get("encodeOffsets")
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    poly_offsets = [offsets] if geometry["type"] == "Polygon" else offsets
    return [_decode(ring, off) for poly, offs in zip(polygons, poly_offsets, strict=True)
            for ring, off in zip(poly, offs, strict=True)]


def _points(ring: list[tuple[float, float]], x0: float, y0: float, s: float) -> list[str]:
    """A ring in whole page units, a point every ``STEP`` units at most (what a printed map needs; the SVG stays
    small, so Typst lays it out fast)."""
    out: list[str] = []
    last: tuple[float, float] | None = None
    for x, y in ring:
        px, py = (x - x0) * s, (y - y0) * s
        if last is None or abs(px - last[0]) + abs(py - last[1]) >= STEP:
            out.append(f"{px:.0f},{py:.0f}")
            last = (px, py)
    return out


def colour(score: float | None) -> str:
    """Red (0) through yellow (50) to green (100), as on the site's map; grey without a score."""
    if score is None or score != score:
        return "#bdbdbd"
    t = max(0.0, min(1.0, score / 100))
    a, b, u = (LOW, MID, t * 2) if t < 0.5 else (MID, HIGH, (t - 0.5) * 2)
    return "#" + "".join(f"{round(p + (q - p) * u):02x}" for p, q in zip(a, b, strict=True))


@cache
def _layout(width: float) -> tuple[float, list[tuple[str, str]], list[tuple[str, float, float]]] | None:
    """The map drawn once per process: its height, each city's outline as an SVG path (code, d) and each label's
    position (code, x, y). Decoding the rings is most of the work; only the colours and labels change per map."""
    try:
        features = _features()
    except (VendorMissing, ValueError, KeyError):
        return None
    k = math.cos(math.radians(34))
    shapes = [(f["id"], f.get("properties") or {}, [[(lon * k, -lat) for lon, lat in r] for r in _rings(f["geometry"])])
              for f in features]
    xs = [x for _, _, rings in shapes for r in rings for x, _ in r]
    ys = [y for _, _, rings in shapes for r in rings for _, y in r]
    x0, y0, s = min(xs), min(ys), width / (max(xs) - min(xs))
    height = (max(ys) - y0) * s
    paths = [(code, " ".join("M" + " L".join(_points(r, x0, y0, s)) + " Z" for r in rings))
             for code, _props, rings in shapes]
    labels = [(code, (props["cp"][0] * k - x0) * s, (-props["cp"][1] - y0) * s)
              for code, props, _ in shapes if props.get("cp")]
    return height, paths, labels


def henan_svg(scores: dict[str, float | None], labels: dict[str, str], width: float = 520) -> str | None:
    """An SVG map of the cities coloured by ``scores`` and labelled with ``labels`` (code -> text); None when the
    map package is not installed."""
    layout = _layout(width)
    if layout is None:
        return None
    height, paths, positions = layout
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}">']
    for code, d in paths:
        parts.append(f'<path d="{d}" fill="{colour(scores.get(code))}" stroke="#ffffff" stroke-width="0.8"/>')
    for code, cx, cy in positions:
        if code in labels:
            parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="9" text-anchor="middle" '
                         f'font-family="WenQuanYi Zen Hei, Noto Sans CJK SC">{escape(labels[code])}</text>')
    parts.append("</svg>")
    return "".join(parts)

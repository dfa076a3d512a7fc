"""Cell text as clerks type it: full-width characters, stray spaces and brackets, Chinese numerals."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")  # never stored; tab and line breaks stay
_KEY_JUNK = re.compile(r"[\s()\[\]【】<>《》:：_\-—·'\"“”*]+")
CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character that ``cell_text`` would strip (a value must not be glued)."""
    return _CONTROL.search(text) is not None


def to_halfwidth(text: str) -> str:
    """Full-width digits/letters/punctuation (１２３，％) become ASCII; NFKC does exactly that."""
    return unicodedata.normalize("NFKC", text)


def norm_key(text: Any) -> str:
    """Key for matching names/headers: half-width, lower case, no spaces or brackets."""
    s = to_halfwidth(str(text)).strip().lower()
    return _KEY_JUNK.sub("", s)


def cell_text(value: Any) -> str:
    """The cell as the clerk sent it, as text (whole floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return _CONTROL.sub("", str(value)).strip()


def is_blank(row: Iterable[Any]) -> bool:
    """A row whose every cell is empty text."""
    return all(cell_text(c) == "" for c in row)


def chinese_number(text: str) -> float | None:
    """Parse a small Chinese numeral (七十, 一百, 三十二点五, 百分之七十 uses this)."""
    text = text.strip()
    if not text:
        return None
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = chinese_number(whole) if whole else 0.0
        if w is None or not frac or any(c not in CN_DIGITS for c in frac):
            return None
        return w + float("0." + "".join(str(CN_DIGITS[c]) for c in frac))
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        elif ch == "万":
            total = (total + current) * 10_000
            current = 0
        else:
            return None
    return float(total + current)

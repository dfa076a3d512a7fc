"""The one JSON style of every published file: sorted keys, UTF-8, no NaN, a trailing newline.

Why: same inputs must give the same bytes (checksums in datapackage.json, diffs between datasets).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd


def json_records(df: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (NaN/NA -> None), so ``json.dumps`` is stable and valid."""
    out = []
    for rec in df.astype(object).to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                clean[k] = None
            elif hasattr(v, "item"):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out


def dump_json(obj: object, path: Path) -> None:
    """Sorted keys, UTF-8, trailing newline: the one JSON style of every published file."""
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False) + "\n",
                    encoding="utf-8")


def dump_records(rows: list[dict], path: Path) -> None:
    """A JSON array with one compact, key-sorted record per line: fast to write, readable in a diff."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
                      for r in rows)
    path.write_text("[\n" + body + "\n]\n" if rows else "[]\n", encoding="utf-8")

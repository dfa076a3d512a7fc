"""Every SQL example in docs/analysts.md runs against a real warehouse and returns rows."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from transforms.core.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "analysts.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_doc_has_the_promised_examples() -> None:
    text = " ".join(BLOCKS)
    assert len(BLOCKS) >= 6
    for needle in ("rank_change", "special_scores", "source_row", "file_id", "feed_id", "snapshot_id"):
        assert needle in text


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_example_runs(i: int, warehouse_db: Path, published: Path) -> None:
    sql = BLOCKS[i].replace("data/published/latest/", str(published / "latest") + "/")
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows, f"example {i} returned nothing:\n{sql}"

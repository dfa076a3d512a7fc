"""The nightly gate skips validation, build and publish when the input fingerprint is unchanged, so everything that
decides the outputs must be in it: reports, feeds, seeds, SQL and the GX suites."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from transforms.core.paths import EXPECTATIONS_DIR, SEEDS_DIR, SQL_DIR
from transforms.ingest.reports.tables import ensure_tables
from transforms.pipeline import gate


@pytest.fixture()
def code_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    dirs = {}
    for name, src in (("SEEDS_DIR", SEEDS_DIR), ("SQL_DIR", SQL_DIR), ("EXPECTATIONS_DIR", EXPECTATIONS_DIR)):
        dst = tmp_path / src.name
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.setattr(gate, name, dst)
        dirs[src.name] = dst
    return dirs


@pytest.mark.parametrize(("folder", "file"), [("expectations", "suites.py"), ("sql", "marts/league_table.sql"),
                                              ("seeds", "weights.csv")])
def test_a_changed_suite_model_or_seed_changes_the_fingerprint(code_dirs: dict[str, Path], folder: str,
                                                               file: str) -> None:
    con = duckdb.connect()
    ensure_tables(con)
    before = gate.input_fingerprint(con)
    assert gate.input_fingerprint(con) == before  # stable
    target = code_dirs[folder] / file
    target.write_text(target.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    assert gate.input_fingerprint(con) != before


def test_bytecode_caches_do_not_change_the_fingerprint(code_dirs: dict[str, Path]) -> None:
    con = duckdb.connect()
    ensure_tables(con)
    before = gate.input_fingerprint(con)
    cache = code_dirs["expectations"] / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "suites.cpython-311.pyc").write_bytes(b"\x00bytecode")
    assert gate.input_fingerprint(con) == before

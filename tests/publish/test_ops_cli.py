"""``hnplus ops``: the runbook commands on a real published tree (docs/operations.md)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transforms.cli import app


@pytest.fixture()
def data_dir(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    shutil.copytree(published, root / "published", symlinks=True)
    monkeypatch.setenv("HNPLUS_DATA_DIR", str(root))
    return root


def test_check_restore_clean_temp_and_lock(data_dir: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["ops", "check"])
    assert ok.exit_code == 0 and "is complete" in ok.output, ok.output
    leftover = data_dir / "published" / "datasets" / ".run-a.killed"
    leftover.mkdir()
    cleaned = runner.invoke(app, ["ops", "clean-temp"])
    assert cleaned.exit_code == 0 and str(leftover) in cleaned.output and not leftover.exists()
    restored = runner.invoke(app, ["ops", "restore", "run-a", "--keep-warehouse"])
    assert restored.exit_code == 0 and json.loads(restored.output)["dataset_id"] == "run-a"
    assert os.readlink(data_dir / "published" / "latest") == "datasets/run-a"
    lock = runner.invoke(app, ["ops", "lock"])
    assert lock.exit_code == 0 and "free" in lock.output


def test_check_fails_on_a_broken_dataset_and_restore_refuses_it(data_dir: Path) -> None:
    (data_dir / "published" / "datasets" / "run-a" / "league_table.csv").write_text("tampered\n")
    runner = CliRunner()
    bad = runner.invoke(app, ["ops", "check"])
    assert bad.exit_code == 1 and "does not match" in bad.output
    refused = runner.invoke(app, ["ops", "restore", "run-a"])
    assert refused.exit_code == 1 and "incomplete" in refused.output


def test_workbook_command_for_a_chosen_period(data_dir: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "wb.xlsx"
    res = CliRunner().invoke(app, ["workbook", "--period", "2018Q4", "--out", str(out)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "总体" and "2018Q4" in wb["总体"]["A1"].value and "历史" in wb.sheetnames
    bad = CliRunner().invoke(app, ["workbook", "--period", "1999Q1", "--out", str(out)])
    assert bad.exit_code == 2 and "1999Q1" in bad.output

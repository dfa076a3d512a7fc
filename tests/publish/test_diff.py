"""``hnplus diff``: score/rank changes between two published datasets, classified by cause."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from publish_helpers import DIFF_LAST, REVISED

from transforms.publish.diff import cli_diff, diff_datasets, render_text
from transforms.publish.layout import resolve_dataset

N_SCOPES = 12


def test_identical_datasets_have_no_changes(published: Path) -> None:
    d = diff_datasets(published / "datasets" / "run-a", published / "latest")
    assert d["rows_compared"] == 20 * 18 * N_SCOPES
    assert d["changes"] == [] and not d["method_changed"] and d["inputs_changed"] == []


def test_new_quarter_is_new_inputs(diff_datasets_root: Path) -> None:
    d = diff_datasets(resolve_dataset("run-old", diff_datasets_root), resolve_dataset("run-a", diff_datasets_root))
    added = [c for c in d["changes"] if c["status"] == "added"]
    assert len(added) == 18 * N_SCOPES and {c["period"] for c in added} == {DIFF_LAST}
    assert all("inputs_changed" in c["reasons"] and "revision" not in c["reasons"] for c in added)
    assert len(d["inputs_changed"]) == 18 and not any(i["revision"] for i in d["inputs_changed"])
    # earlier quarters only move because the method scores against the whole series, never for their own inputs
    assert all(c["reasons"] == ["later_periods"] for c in d["changes"] if c["period"] != DIFF_LAST)


def test_revised_old_report(diff_datasets_root: Path) -> None:
    d = diff_datasets(diff_datasets_root / "datasets" / "run-a", diff_datasets_root / "datasets" / "run-rev")
    assert d["inputs_changed"] == [{"city_code": REVISED[0], "period": REVISED[1], "revision": True}]
    own = {(c["period"], c["scope"]): c for c in d["changes"] if c["city_code"] == REVISED[0]}
    overall = own[(REVISED[1], "overall")]
    assert overall["reasons"] == ["inputs_changed", "revision"]
    assert overall["score_b"] > overall["score_a"]
    for (p, _), c in own.items():
        if p > REVISED[1]:
            assert c["reasons"] == ["revision"]
        if p < REVISED[1]:
            assert c["reasons"] == ["later_periods"]
    others = [c for c in d["changes"] if c["city_code"] != REVISED[0]]
    assert others
    for c in others:
        assert c["reasons"] == (["other_cities"] if c["period"] >= REVISED[1] else ["later_periods"])
    text = render_text(d)
    assert f"{REVISED[0]} {REVISED[1]} revised report" in text and "inputs_changed,revision" in text
    # the change is attributed to the indicators whose contribution moved, and they account for it
    assert overall["indicators"] and "indicators: " in text
    top = sum(i["contribution_change"] for i in overall["indicators"])
    assert abs(top) > 0 and (top > 0) == (overall["score_b"] > overall["score_a"])


def test_method_change(diff_datasets_root: Path) -> None:
    d = diff_datasets(diff_datasets_root / "datasets" / "run-a", diff_datasets_root / "datasets" / "run-method")
    assert d["method_changed"] and d["inputs_changed"] == []
    assert d["b"]["method_version"] == "0.1.0+weights-test"
    ecommerce = [c for c in d["changes"] if c["scope"] == "ecommerce"]
    assert len(ecommerce) > 18 * 6 * 0.8  # the e-commerce score of most cities moves in most quarters
    assert all(c["reasons"] == ["method_changed"] for c in d["changes"])
    assert {c["scope"] for c in d["changes"]} <= {"ecommerce", "overall"}
    assert "(CHANGED)" in render_text(d, scope=None)


def test_latest_follows_the_last_publish(diff_datasets_root: Path) -> None:
    assert os.readlink(diff_datasets_root / "latest") == "datasets/run-method"
    assert os.readlink(diff_datasets_root / DIFF_LAST) == f"datasets/run-method/periods/{DIFF_LAST}"
    assert resolve_dataset("run-re", diff_datasets_root).name == "run-rev"  # unique prefix of a dataset id
    assert resolve_dataset("latest", diff_datasets_root).name == "run-method"
    assert resolve_dataset(str(diff_datasets_root / "datasets" / "run-old"), diff_datasets_root).name == "run-old"
    # older datasets stay complete for later comparisons
    assert (diff_datasets_root / "datasets" / "run-old" / "league_table.xlsx").is_file()


def test_cli_text_and_json(diff_datasets_root: Path) -> None:
    text = cli_diff("run-a", "run-rev", diff_datasets_root, scope="all", limit=5)
    lines = text.splitlines()
    assert lines[0] == "hnplus diff run-a -> run-rev" and "... " in lines[-1] and "more" in lines[-1]
    data = json.loads(cli_diff("run-a", "latest", diff_datasets_root, as_json=True))
    assert data["b"]["dataset_id"] == "run-method" and data["method_changed"]
    with pytest.raises(FileNotFoundError):
        cli_diff("no-such-run", "latest", diff_datasets_root)


def test_prune_keeps_linked_and_recent_datasets(diff_datasets_root: Path, tmp_path: Path) -> None:
    import shutil

    from transforms.publish.layout import prune_datasets

    root = tmp_path / "published"
    shutil.copytree(diff_datasets_root, root, symlinks=True)
    for i, name in enumerate(["run-old", "run-a", "run-rev", "run-method"]):  # publication order
        os.utime(root / "datasets" / name, ns=(10**18 + i, 10**18 + i))
    os.symlink("datasets/run-old/periods/2016Q1", root / "2016Q1-pinned")  # an old run still linked stays
    assert prune_datasets(root, keep=1) == ["run-rev", "run-a"]
    assert sorted(p.name for p in (root / "datasets").iterdir()) == ["run-method", "run-old"]


def test_a_format_1_dataset_compares_with_format_2(diff_datasets_root: Path, tmp_path: Path) -> None:
    """A dataset published before the renames of format 2 (action_scores, milestone_status, no format_version)
    compares with today's: same values, so no change, and the text says the formats differ."""
    import shutil

    import pandas as pd

    from transforms.publish.columns import FORMAT_VERSION

    old = tmp_path / "run-f1"
    shutil.copytree(diff_datasets_root / "datasets" / "run-a", old)
    for ext in ("csv", "parquet", "json"):
        (old / f"scope_scores.{ext}").rename(old / f"action_scores.{ext}")
    ind = pd.read_parquet(old / "indicator_scores.parquet").rename(columns={"status_step": "milestone_status"})
    ind["kind"] = ind["kind"].replace({"status": "milestone"})
    ind.to_parquet(old / "indicator_scores.parquet")
    meta = json.loads((old / "metadata.json").read_text(encoding="utf-8"))
    assert meta.pop("format_version") == FORMAT_VERSION == 2
    (old / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    d = diff_datasets(old, diff_datasets_root / "datasets" / "run-a")
    assert d["format_changed"] and (d["a"]["format_version"], d["b"]["format_version"]) == (1, 2)
    same = diff_datasets(diff_datasets_root / "datasets" / "run-a", diff_datasets_root / "datasets" / "run-a")
    assert d["changes"] == [] and d["rows_compared"] == same["rows_compared"] > 0
    assert "format: 1 -> 2" in render_text(d)
    assert not diff_datasets(diff_datasets_root / "datasets" / "run-a", diff_datasets_root / "latest")["format_changed"]

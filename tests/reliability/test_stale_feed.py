"""Issue 17, findings 1 and 4, end to end: a night on which a feed answers with half a body (matching Content-Length)
and no report changed. The real stages run in order on a copy of a published data directory (dataset A) against
the real loopback portal: the cut download is held back, the last good values are published, and both the run log
and ``metadata.json`` name the feed stale."""

from __future__ import annotations

import csv
import json

from reliability_helpers import copy_data

from tools.portal import PortalHandle
from transforms.core.files import file_safe
from transforms.core.paths import DataPaths
from transforms.pipeline import gate, stages

FEED = "scenic_5a_areas"


def _scores(paths: DataPaths, indicator: str) -> list[dict[str, str]]:
    with (paths.published / "latest" / "indicator_scores.csv").open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["indicator_code"] == indicator]


def test_truncated_feed_on_a_no_change_night_publishes_last_good_values_and_says_stale(
        template: DataPaths, portal: PortalHandle, tmp_path) -> None:
    paths = copy_data(template, tmp_path / "data")
    meta_a = json.loads((paths.published / "latest" / "metadata.json").read_text(encoding="utf-8"))
    good = {f["feed_id"]: f["snapshot_id"] for f in meta_a["inputs"]["feeds"]}
    scores_a = _scores(paths, FEED)
    assert scores_a and meta_a["stale_feeds"] == []

    portal.set_fault(FEED, "truncated_declared")
    try:
        stages.ingest_reports(paths)
        results = stages.fetch_feeds(paths, portal.url)
    finally:
        portal.clear_faults()
    by_feed = {r["feed_id"]: r for r in results}
    assert by_feed[FEED]["status"] == "stale" and by_feed[FEED]["reason"].startswith("truncated_body")
    assert by_feed[FEED]["snapshot_id"] == good[FEED]

    run_id = "night-stale"
    stages.load_feeds(results, run_id, paths)
    log = json.loads((paths.runs / f"{file_safe(run_id)}.json").read_text(encoding="utf-8"))
    assert log["stale_feeds"] == [FEED]  # logged before the gate decides, so a skipped night has it too
    assert gate.should_build(False, paths), "a feed that went stale must count as a change for the nightly gate"

    stages.validate_inputs(run_id, paths)
    stages.build(paths)
    stages.audit(run_id, paths)
    stages.publish(run_id, paths)

    meta = json.loads((paths.published / "latest" / "metadata.json").read_text(encoding="utf-8"))
    stale = {f["feed_id"]: f for f in meta["stale_feeds"]}
    assert list(stale) == [FEED]
    assert stale[FEED]["status"] == "stale" and stale[FEED]["reason"].startswith("truncated_body")
    assert stale[FEED]["snapshot_id"] == good[FEED]
    assert {f["feed_id"]: f["snapshot_id"] for f in meta["inputs"]["feeds"]} == good
    assert _scores(paths, FEED) == scores_a  # the last good values, not half a list
    log = json.loads((paths.runs / f"{file_safe(run_id)}.json").read_text(encoding="utf-8"))
    assert log["stale_feeds"] == [FEED] and log["dataset_id"] == meta["dataset_id"]

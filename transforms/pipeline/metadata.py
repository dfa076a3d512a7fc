"""What a published dataset records about its inputs (``metadata.json``): the accepted reports, the feed
snapshots in use and the validation results of the run. Same inputs, same record: nothing here is a fact about
tonight's run only (a 200 versus a 304, the jump check against the previous publication)."""

from __future__ import annotations

import duckdb


def _reports(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return [
        {"file_id": f, "sha256": f, "name": n, "city_code": c, "period": p}
        for f, n, c, p in con.execute(
            "select file_id, original_name, city_code, period from raw.report_files "
            "where status = 'accepted' order by city_code, period, file_id"
        ).fetchall()
    ]


def _feeds(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The snapshot in use and whether it is stale; whether tonight's request was a 200 or a 304 is a fact about
    the fetch (run log), not about the data, so the same inputs still publish the same bytes."""
    try:
        rows = con.execute(
            "select feed_id, status, reason, snapshot_id from meta.feed_status where run_id = ? order by feed_id",
            [run_id],
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [
        {"feed_id": f, "status": "current" if s in ("fresh", "not_modified") else s,
         "reason": None if s in ("fresh", "not_modified") else r, "snapshot_id": sn}
        for f, s, r, sn in rows
    ]


def _validation(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    return [
        {"asset": a, "expectation": e, "column": c, "severity": s, "success": ok, "unexpected_count": n}
        for a, e, c, s, ok, n in con.execute(
            'select asset, expectation, "column", severity, success, unexpected_count '
            "from meta.validation_results where run_id = ? "
            # the jump check compares with the previous publication: a fact about this run, kept in
            # meta.validation_results and the run log, not in the dataset (same inputs -> same bytes)
            "and coalesce(\"column\", '') not like '%score_jump_vs_published%' "
            "and expectation not like '%score_jump_vs_published%' "
            "order by asset, expectation, \"column\", severity",
            [run_id],
        ).fetchall()
    ]


def dataset_metadata(con: duckdb.DuckDBPyConnection, run_id: str, fingerprint: str) -> dict:
    """The run's part of ``metadata.json`` (publish adds the dataset id, method version and file list)."""
    feeds = _feeds(con, run_id)
    return {
        "input_fingerprint": fingerprint,
        "inputs": {"reports": _reports(con), "feeds": feeds},
        "stale_feeds": [f for f in feeds if f["status"] != "current"],
        "validation": _validation(con, run_id),
    }

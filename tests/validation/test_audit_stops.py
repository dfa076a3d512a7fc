"""Write-audit-publish: a critical audit failure stops the run and the last good dataset stays published.

Each test starts from a data dir where a good dataset was published, breaks one thing, runs the stages the DAG
runs (build -> audit -> publish; publish only after a clean audit) and compares file hashes before and after.
"""

from __future__ import annotations

import duckdb
import pytest
from validation_helpers import build, published_state, sql

from transforms import build as build_mod
from transforms import pipeline
from transforms.core.paths import DataPaths


def run_until_publish(paths: DataPaths, run_id: str, candidate_fault: str | None = None) -> None:
    """The DAG's order: validate inputs, build, audit, publish (publish only runs after a clean audit).

    A ``candidate_fault`` is written into what the candidate marts show instead of rebuilding them (a candidate mart
    is a view over the intermediate tables, so the fault goes into ``int_scope_scores``, which the candidate league
    table reads): the good data dir still holds the audited build of its run, so the audit meets exactly one fault.
    """
    if candidate_fault:
        sql(paths, candidate_fault)
    else:
        pipeline.validate_inputs(run_id, paths)
        build(paths)
    pipeline.audit(run_id, paths)
    pipeline.publish(run_id, paths)  # never reached when the audit fails


def audit_passes(paths: DataPaths, run_id: str) -> None:
    """Validate, build and audit without an AuditFailed; the candidate may then be promoted (publish's first step)."""
    pipeline.validate_inputs(run_id, paths)
    build(paths)
    result = pipeline.audit(run_id, paths)
    assert all(s["success"] for s in result["suites"]), result
    con = duckdb.connect(str(paths.work_db))
    try:
        assert "league_table" in build_mod.promote_candidate(con, require_audit_of=run_id)
    finally:
        con.close()


def failed(paths: DataPaths, run_id: str) -> set[tuple[str, str]]:
    rows = sql(paths, "select suite, \"column\" from meta.validation_results where run_id = ? "
                      "and outcome = 'failed_batch'", [run_id])
    return {(s, c) for s, c in rows}


def assert_stopped(paths: DataPaths, run_id: str, expected: tuple[str, str], match: str,
                   candidate_fault: str | None = None) -> None:
    before = published_state(paths)
    with pytest.raises(pipeline.AuditFailed, match=match):
        run_until_publish(paths, run_id, candidate_fault)
    assert expected in failed(paths, run_id), failed(paths, run_id)
    assert published_state(paths) == before
    con = duckdb.connect(str(paths.work_db))
    try:
        with pytest.raises(build_mod.CandidateNotAudited):
            build_mod.promote_candidate(con, require_audit_of=run_id)
    finally:
        con.close()


def test_falling_cumulative_count(data: DataPaths) -> None:
    sql(data, "update raw.report_rows set value = 0, value_text = '0' where city_code = '410300' "
              "and period = '2018Q4' and indicator_code = 'ecommerce_parks'")
    assert_stopped(data, "r-fall", ("indicator_values", "check__cumulative_count_falls"), "cumulative count")
    sample = sql(data, "select sample from meta.validation_results where run_id = 'r-fall' "
                       "and \"column\" = 'check__cumulative_count_falls'")[0][0]
    assert '"410300"' in sample and "ecommerce_parks" in sample and "2018Q4" in sample


def test_city_missing_with_nothing_to_carry_forward_is_contained(data: DataPaths) -> None:
    """The city's baseline report is rejected: it has no value and nothing to carry forward in 2015Q4. Since method
    2.0 that is a warning, not a stop: the city gets no score where its data are insufficient, the others publish."""
    sql(data, "update raw.report_files set status = 'rejected' where city_code = '411100' and period = '2015Q4'")
    run_until_publish(data, "r-missing")
    checks = sql(data, "select severity, success, unexpected_count from meta.validation_results "
                       "where run_id = 'r-missing' and \"column\" = 'check__city_without_data'")
    assert checks and all(sev == "warning" and not ok and n > 0 for sev, ok, n in checks)
    assert ("indicator_values", "check__city_without_data") not in failed(data, "r-missing")
    warn = sql(data, "select outcome, unexpected_count from meta.validation_results where run_id = 'r-missing' "
                     "and \"column\" = 'cities_in_period'")
    rows_2015q4 = sql(data, "select count(*) from raw.report_rows join raw.report_files using (file_id) "
                            "where report_files.period = '2015Q4' and status = 'accepted'")[0][0]
    assert warn == [("reported", rows_2015q4)]  # the raw suite warns that only 17 cities reported
    ranked = sql(data, "select count(*) from marts.league_table where period = '2016Q1' and scope = 'overall' "
                       "and rank is not null")[0][0]
    assert ranked == 18  # 漯河's 2016Q1 report stands on its own: only the baseline is missing


def test_score_above_100(data: DataPaths) -> None:
    assert_stopped(data, "r-100", ("league_table", "score"), "score outside 0-100",
                   "update intermediate.int_scope_scores set score = 120 "
                   "where city_code = '410100' and period = '2018Q4' and scope = 'overall'")


def test_inconsistent_rank(data: DataPaths) -> None:
    assert_stopped(data, "r-rank", ("league_table", "check__rank_inconsistent"), "competition ranking",
                   "update intermediate.int_scope_scores set rank = case when rank = 1 then 2 else 1 end "
                   "where period = '2018Q4' and scope = 'finance' and rank <= 2")


def test_a_17_city_period(data: DataPaths) -> None:
    assert_stopped(data, "r-17", ("league_table", "check__not_all_cities"), "exactly one row for each",
                   "delete from intermediate.int_scope_scores where city_code = '419001' and period = '2018Q2'")


def test_big_jump_against_the_published_run(data: DataPaths) -> None:
    """The previously published overall score is 20 points away although the inputs did not change."""
    sql(data, "update marts.league_table set score = case when score > 50 then score - 20 else score + 20 end "
              "where city_code = '410500' and period = '2018Q4' and scope = 'overall'")
    assert_stopped(data, "r-jump", ("league_table", "check__score_jump_vs_published"), "moved more than 15",
                   "select 1")
    sample = sql(data, "select sample from meta.validation_results where run_id = 'r-jump' "
                       "and \"column\" = 'check__score_jump_vs_published'")[0][0]
    assert '"410500"' in sample and "2018Q4" in sample


def test_explained_changes_do_not_stop_the_run(data: DataPaths) -> None:
    """Two changes the audit must let through (one build and audit for both, to keep the suite fast):

    * a late report within the carry-forward window: values are carried, the completeness warning names the city;
    * a big jump against the published dataset for a city whose inputs changed too: the jump is explained.
    """
    sql(data, "update raw.report_files set status = 'rejected' where city_code = '411100' and period = '2018Q3'")
    sql(data, "update marts.league_table set score = case when score > 50 then score - 20 else score + 20 end "
              "where city_code = '410500' and period = '2018Q4' and scope = 'overall'")
    sql(data, "update raw.report_rows set value = value - 1 where city_code = '410500' and period = '2018Q4' "
              "and indicator_code = 'ecommerce_enterprise_share'")
    audit_passes(data, "r-explained")
    rows = sql(data, "select outcome, sample from meta.validation_results where run_id = 'r-explained' "
                     "and \"column\" = 'city_reported_share'")
    assert rows[0][0] == "reported" and '"411100"' in rows[0][1] and "2018Q3" in rows[0][1]
    assert sql(data, "select outcome from meta.validation_results where run_id = 'r-explained' "
                     "and \"column\" = 'check__score_jump_vs_published'") == [("passed",)]

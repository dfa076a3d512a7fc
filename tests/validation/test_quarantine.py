"""Row-level failures of staged report rows are quarantined with a reason; the run goes on and row accounting holds."""

from __future__ import annotations

import json

import pytest
from validation_helpers import build, sql

from transforms import pipeline
from transforms.core.paths import DataPaths
from transforms.validate import results_dir

# case -> (how to break one row, expected expectation type, expected column)
CASES = {
    "share_out_of_range": ("value = 130, value_text = '130'", "share", "expect_column_values_to_be_between",
                           "share_value"),
    "negative_count": ("value = -3, value_text = '-3'", "count", "expect_column_values_to_be_between",
                       "quantity_value"),
    "fractional_count": ("value = 2.5, value_text = '2.5'", "count", "expect_column_values_to_be_in_set",
                         "count_is_whole"),
    "unknown_city": ("city_code = '419999'", "share", "expect_column_values_to_be_in_set", "city_code"),
    "bad_period": ("period = '2018Q5'", "count", "expect_column_values_to_be_in_set", "period"),
    "unknown_indicator": ("indicator_code = 'no_such_indicator'", "amount", "expect_column_values_to_be_in_set",
                          "indicator_code"),
}


@pytest.fixture(scope="module")
def quarantined(good_data_dir, tmp_path_factory) -> dict:  # noqa: ANN001
    """Break one row per case (and duplicate one row), then run the input validation once."""
    import shutil

    dest = tmp_path_factory.mktemp("quarantine") / "data"
    shutil.copytree(good_data_dir, dest, symlinks=True)
    paths = DataPaths(dest)
    picked: dict[str, int] = {}
    for i, (case, (change, kind, _, _)) in enumerate(CASES.items()):
        row_number = sql(paths, f"""
            select r.row_number from raw.report_rows as r join seeds.indicators as i using (indicator_code)
            where i.kind = ? and r.value is not null and r.period = '2018Q2' order by r.row_number
            limit 1 offset {i}""", [kind])[0][0]
        sql(paths, f"update raw.report_rows set {change} where row_number = ?", [row_number])
        picked[case] = row_number
    dup_of = sql(paths, "select row_number, file_id from raw.report_rows where period = '2017Q3' "
                        "and indicator_code = 'maker_spaces' order by row_number limit 1")[0]
    sql(paths, "insert into raw.report_rows select * replace (9999999 as row_number, value + 1 as value) "
               "from raw.report_rows where row_number = ?", [dup_of[0]])
    sql(paths, "update raw.report_files set rows_total = rows_total + 1, rows_staged = rows_staged + 1 "
               "where file_id = ?", [dup_of[1]])
    rows_before = sql(paths, "select count(*) from raw.report_rows")[0][0]
    summary = pipeline.validate_inputs("q-run", paths)
    return {"paths": paths, "picked": picked, "dup": (dup_of[0], 9999999), "rows_before": rows_before,
            "summary": summary}


def _quarantine(paths: DataPaths) -> dict[int, tuple]:
    return {r[0]: r[1:] for r in sql(paths, "select row_number, reason_code, column_name, message_zh, "
                                            "message_en, raw_record from quarantine.report_rows")}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_row_is_quarantined_by_the_right_expectation(quarantined: dict, case: str) -> None:
    paths, row_number = quarantined["paths"], quarantined["picked"][case]
    _, _, expectation, column = CASES[case]
    q = _quarantine(paths)
    assert row_number in q, f"{case}: row {row_number} not quarantined"
    reason, col, zh, en, raw = q[row_number]
    assert (reason, col) == (expectation, column)
    assert "数据校验未通过" in zh and column in en
    assert json.loads(raw)["row_number"] == row_number
    assert sql(paths, "select count(*) from raw.report_rows where row_number = ?", [row_number])[0][0] == 0


def test_duplicate_city_period_indicator_quarantines_every_copy(quarantined: dict) -> None:
    q = _quarantine(quarantined["paths"])
    for row_number in quarantined["dup"]:
        assert q[row_number][:2] == ("expect_compound_columns_to_be_unique", "city_code")


def test_row_accounting_adds_up(quarantined: dict) -> None:
    paths = quarantined["paths"]
    moved = len(CASES) + 2
    assert quarantined["summary"]["quarantined"] == moved
    assert sql(paths, "select count(*) from quarantine.report_rows")[0][0] == moved
    assert sql(paths, "select count(*) from raw.report_rows")[0][0] == quarantined["rows_before"] - moved
    broken = sql(paths, """
        select f.file_id from raw.report_files as f
        left join (select file_id, count(*) as n from raw.report_rows group by file_id) as r using (file_id)
        where f.rows_total <> f.rows_staged + f.rows_quarantined or f.rows_staged <> coalesce(r.n, 0)""")
    assert broken == []
    assert sql(paths, "select sum(rows_quarantined) from raw.report_files")[0][0] == moved


def test_results_record_the_quarantine_and_the_run_publishes(quarantined: dict) -> None:
    paths = quarantined["paths"]
    rows = sql(paths, "select expectation, \"column\", unexpected_count, outcome from meta.validation_results "
                      "where run_id = 'q-run' and suite = 'raw_report_rows' and not success")
    outcomes = {(e, c): (n, o) for e, c, n, o in rows}
    assert outcomes[("expect_column_values_to_be_between", "share_value")] == (1, "quarantined")
    assert outcomes[("expect_compound_columns_to_be_unique", "city_code,period,indicator_code")] == (2, "quarantined")
    # a row-level failure does not stop the run: build and audit go on without the bad rows
    build(paths)
    audit = pipeline.audit("q-run", paths)
    assert all(s["success"] for s in audit["suites"]), audit


def test_too_many_bad_rows_refuse_the_batch(data: DataPaths) -> None:
    """A structural fault (a quarter of the rows with an unknown city) fails the batch instead of quarantining."""
    changed = sql(data, "update raw.report_rows set city_code = '400000' where row_number % 4 = 0")[0][0]
    total = sql(data, "select count(*) from raw.report_rows")[0][0]
    assert 0.2 < changed / total < 0.3
    with pytest.raises(pipeline.AuditFailed, match="refused whole"):
        pipeline.validate_inputs("bad-batch", data)
    assert sql(data, "select count(*) from raw.report_rows where city_code = '400000'")[0][0] == changed
    outcomes = sql(data, "select \"column\", outcome, unexpected_count from meta.validation_results "
                         "where run_id = 'bad-batch' and not success")
    assert ("city_code", "failed_batch", changed) in outcomes
    assert all(o != "quarantined" for _, o, _ in outcomes)  # nothing was moved to quarantine


def test_a_bad_feed_record_stops_the_run(data: DataPaths) -> None:
    sql(data, "insert into raw.feed_records values ('policy_pilots', 's1', 1, '419999', '2018Q4', "
              "'broadband_china_city', 1, 'reported')")
    with pytest.raises(pipeline.AuditFailed, match="raw_feed_records") as exc:
        pipeline.validate_inputs("bad-feed", data)
    index = results_dir(data, "bad-feed") / "data_docs" / "index.html"
    assert str(index) in str(exc.value) and "raw_feed_records" in index.read_text(encoding="utf-8")

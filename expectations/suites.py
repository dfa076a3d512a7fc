"""Great Expectations suites as code, one per asset.

Every expectation carries ``meta.severity`` (``critical`` fails the batch; ``warning`` is reported) and
``meta.failure_means``: what a failure says about the data, for the operator who reads the run summary.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from transforms.catalog import MILESTONE_STATUSES, cities, indicators


def _meta(severity: str, failure_means: str) -> dict[str, str]:
    return {"severity": severity, "failure_means": failure_means}


def report_rows_suite() -> gx.ExpectationSuite:
    """Staged report rows (``raw.report_rows``): what intake promised to the models."""
    city_codes = [c.code for c in cities()]
    codes = [i["indicator_code"] for i in indicators()]
    return gx.ExpectationSuite(
        name="raw_report_rows",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(
                column="city_code",
                meta=_meta("critical", "a staged row has no city: intake let through a row it could not attribute"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="city_code", value_set=city_codes,
                meta=_meta("critical", "a row names a city outside the 18 GB/T 2260 codes: alias mapping is broken"),
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="period", regex=r"^20\d\dQ[1-4]$",
                meta=_meta("critical", "a period is not canonical (like 2018Q4): period parsing let a variant through"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="indicator_code", value_set=codes,
                meta=_meta("critical", "an indicator code outside the catalogue: intake should have quarantined it"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="value_status", value_set=["reported", "not_applicable", "not_reported"],
                meta=_meta("critical", "an unknown kind of absence: the three kinds must stay apart"),
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=0,
                meta=_meta("warning", "a negative value: no indicator of the plan can be negative; check the unit"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="milestone_status", value_set=[*MILESTONE_STATUSES],
                meta=_meta("critical", "a milestone status outside the four allowed: the dropdown was bypassed"),
            ),
        ],
    )


def league_table_suite(n_cities: int = 18) -> gx.ExpectationSuite:
    """The league table mart, audited before it is published."""
    return gx.ExpectationSuite(
        name="marts_league_table",
        expectations=[
            gxe.ExpectTableColumnsToMatchSet(
                column_set=["period", "city_code", "city_name", "scope", "score", "rank"], exact_match=False,
                meta=_meta("critical", "the published contract lost a column that users and checks rely on"),
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="score", mostly=0.8,
                meta=_meta("critical", "more than a fifth of scores are missing: coverage collapsed or a model broke"),
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="score", min_value=0, max_value=100,
                meta=_meta("critical", "a score outside 0-100: a formula is wrong"),
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="rank", min_value=1, max_value=n_cities,
                meta=_meta("critical", "a rank outside 1..18: ranking ran over the wrong partition"),
            ),
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["period", "city_code", "scope"],
                meta=_meta("critical", "a city appears twice in one table: a join fanned out"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="city_code", value_set=[c.code for c in cities()],
                meta=_meta("critical", "an unknown city in the league table"),
            ),
        ],
    )


SUITES = {
    "raw_report_rows": report_rows_suite,
    "marts_league_table": league_table_suite,
}

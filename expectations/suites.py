"""Great Expectations suites as code, one per asset, plus the batch query each suite reads.

Every expectation carries ``meta.severity`` (``critical`` stops the batch or, for staged report rows, quarantines
the row; ``warning`` is only reported) and ``meta.failure_means``: what a failure says about the data, for the
operator who reads the run summary. Cross-row rules live as singular SQL checks in ``sql/checks/<suite>__*.sql``;
DuckDB runs them where the data lives and each check becomes a boolean column ``check__<name>`` of the batch, so GX
reports it like any other expectation (see docs/validation.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe

from transforms.catalog import REPORT_KINDS, STATUS_STEPS, cities, indicators, read_seed
from transforms.core.paths import SQL_DIR
from transforms.core.schemas import CANDIDATE_SCHEMA

CHECKS_DIR = SQL_DIR / "checks"
REPORT_VALUE_STATUSES = ["reported", "not_applicable", "not_reported"]
INDICATOR_VALUE_STATUSES = [*REPORT_VALUE_STATUSES, "carried_forward", "unknown"]  # unknown = a partial list
FEED_VALUE_STATUSES = ["reported", "not_found"]  # ingest.feeds.derive: not_found = no evidence (NULL, never zero)
FIRST_PERIOD, LAST_YEAR = "2015Q4", 2025
NUMBER_TYPES = ["float64", "float32", "int64", "int32", "int16", "int8", "Int64", "Int32", "Float64", "uint64"]


def allowed_periods() -> list[str]:
    """Quarters from the 2015Q4 baseline to the 2025 milestone year: anything else is a parsing error."""
    return [FIRST_PERIOD] + [f"{y}Q{q}" for y in range(2016, LAST_YEAR + 1) for q in range(1, 5)]


def _meta(severity: str, failure_means: str, zh: str = "") -> dict[str, str]:
    meta = {"severity": severity, "failure_means": failure_means}
    if zh:
        meta["failure_means_zh"] = zh
    return meta


# ---------------------------------------------------------------- singular SQL checks


@dataclass(frozen=True)
class SqlCheck:
    """One ``sql/checks`` file: a query whose rows are failures, keyed by columns of the asset it checks."""

    suite: str
    name: str
    path: Path
    failure_means: str
    severity: str
    keys: tuple[str, ...]

    @property
    def column(self) -> str:
        return f"check__{self.name}"

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def reads_published(self) -> bool:
        """True when the check compares with the previously published marts (absent on a first run)."""
        return re.search(r"\bmarts\.[a-z_]+", self.sql) is not None


def _header(path: Path) -> tuple[str, str, tuple[str, ...]]:
    means: list[str] = []
    severity, keys = "critical", ()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        text = line[2:].strip()
        if text.startswith("failure means:"):
            means.append(text.split(":", 1)[1].strip())
        elif text.startswith("severity:"):
            severity = text.split(":", 1)[1].strip()
        elif text.startswith("keys:"):
            keys = tuple(k.strip() for k in text.split(":", 1)[1].split(","))
        elif means and not keys:
            means.append(text)
    if not means or not keys:
        raise ValueError(f"{path}: a check must start with '-- failure means:' and declare '-- keys:'")
    return " ".join(means), severity, keys


def sql_checks(suite: str, checks_dir: Path = CHECKS_DIR) -> list[SqlCheck]:
    """The SQL checks of one suite, from files named ``<suite>__<check>.sql``."""
    out = []
    for p in sorted(checks_dir.glob(f"{suite}__*.sql")):
        means, severity, keys = _header(p)
        out.append(SqlCheck(suite, p.stem.split("__", 1)[1], p, means, severity, keys))
    return out


def _check_expectations(suite: str) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToBeInSet(
            column=c.column, value_set=[False],
            meta=dict(_meta(c.severity, c.failure_means), sql_check=f"sql/checks/{c.path.name}"),
        )
        for c in sql_checks(suite)
    ]


# ---------------------------------------------------------------- assets


@dataclass(frozen=True)
class Asset:
    """A validated table: its suite, the batch query (only needed columns plus derived ones) and its row keys."""

    suite: str
    table: str
    stage: str  # "inputs" (before build) or "audit" (after build, before publish)
    batch_sql: str
    keys: tuple[str, ...]
    build: Callable[[], gx.ExpectationSuite]
    row_level_quarantine: bool = False


def _city_codes() -> list[str]:
    return [c.code for c in cities()]


def _indicator_codes(sources: tuple[str, ...] | None = None) -> list[str]:
    return [i["indicator_code"] for i in indicators() if sources is None or i["source"] in sources]


def _scopes() -> list[str]:
    return ["overall"] + [a["action_code"] for a in read_seed("plan_actions.csv") if a["scored"] == "true"]


def _structure(columns: list[str], what: str) -> list[gxe.Expectation]:
    return [gxe.ExpectTableColumnsToMatchSet(
        column_set=columns, exact_match=False,
        meta=_meta("critical", f"{what} lost a column of its contract: a stage upstream changed shape; the whole "
                               "batch is refused"),
    )]


def _types(strings: list[str], numbers: list[str], what: str) -> list[gxe.Expectation]:
    out: list[gxe.Expectation] = [
        gxe.ExpectColumnValuesToBeOfType(
            column=c, type_="str",
            meta=_meta("critical", f"{what}.{c} is not text: the loader changed its type, codes would not join"))
        for c in strings
    ]
    out += [
        gxe.ExpectColumnValuesToBeInTypeList(
            column=c, type_list=NUMBER_TYPES,
            meta=_meta("critical", f"{what}.{c} is not numeric: values were loaded as text and cannot be scored"))
        for c in numbers
    ]
    return out


def _codes(city: str, period: str, indicator: str | None, what: str, sources: tuple[str, ...] | None = None,
           zh: bool = False) -> list[gxe.Expectation]:
    out = [
        gxe.ExpectColumnValuesToBeInSet(
            column=city, value_set=_city_codes(),
            meta=_meta("critical", f"{what} names a city outside the 18 GB/T 2260 codes: alias mapping is broken",
                       "城市代码不在河南省 18 个省辖市/济源示范区代码之内" if zh else "")),
        gxe.ExpectColumnValuesToBeInSet(
            column=period, value_set=allowed_periods(),
            meta=_meta("critical", f"{what} has a period that is not a quarter from 2015Q4 to 2025Q4 (like 2018Q4): "
                                   "period parsing let a variant through",
                       "报告期不是 2015Q4–2025Q4 之间的季度(如 2018Q4)" if zh else "")),
    ]
    if indicator:
        out.append(gxe.ExpectColumnValuesToBeInSet(
            column=indicator, value_set=_indicator_codes(sources),
            meta=_meta("critical", f"{what} has an indicator code outside the catalogue (seeds/indicators.csv)",
                       "指标代码不在指标目录(seeds/indicators.csv)中" if zh else "")))
    return out


def _ranges(what: str, zh: bool = False) -> list[gxe.Expectation]:
    """Ranges by kind; the batch query exposes ``share_value``, ``quantity_value`` and ``count_is_whole``."""
    return [
        gxe.ExpectColumnValuesToBeBetween(
            column="share_value", min_value=0, max_value=100,
            meta=_meta("critical", f"{what}: a share (unit %) outside 0-100: a count or an amount was keyed "
                                   "into a share, or a per-mille was sent",
                       "比例类指标(单位 %)超出 0–100" if zh else "")),
        gxe.ExpectColumnValuesToBeBetween(
            column="quantity_value", min_value=0,
            meta=_meta("critical", f"{what}: a negative count or amount: no indicator of the plan can be negative",
                       "数量/金额类指标为负数" if zh else "")),
        gxe.ExpectColumnValuesToBeInSet(
            column="count_is_whole", value_set=[True],
            meta=_meta("critical", f"{what}: a count (个, 家, 人 ...) that is not a whole number: wrong unit or a "
                                   "typing error",
                       "计数类指标(个、家、人等)不是整数" if zh else "")),
        gxe.ExpectColumnValuesToBeInSet(
            column="unit_matches_kind", value_set=[True],
            meta=_meta("critical", f"{what}: the catalogue unit does not fit the indicator's kind (share in %, counts "
                                   "in 个/家/人/类, status items as status), so the range rules above would be wrong",
                       "指标目录中的单位与指标类型不符" if zh else "")),
    ]


_KIND_COLUMNS = """
    ind.unit,
    ind.kind as catalogue_kind,
    case when ind.kind = 'share' then t.{value} end as share_value,
    case when ind.kind in ('count', 'amount') then t.{value} end as quantity_value,
    case when ind.kind = 'count' and t.{value} is not null then t.{value} = round(t.{value}) end as count_is_whole,
    case ind.kind
        when 'share' then ind.unit = '%'
        when 'count' then ind.unit in ('个', '家', '人', '类')
        when 'status' then ind.unit = 'status'
        when 'amount' then ind.unit not in ('%', 'status')
    end as unit_matches_kind"""


def report_rows_suite() -> gx.ExpectationSuite:
    """Staged report rows (``raw.report_rows``) of files in force: what intake promised to the models."""
    what = "a staged report row"
    return gx.ExpectationSuite(name="raw_report_rows", expectations=[
        *_structure(["file_id", "sheet", "row_number", "city_code", "period", "kind", "indicator_code", "value",
                     "value_status", "status_step"], "raw.report_rows"),
        *_types(["file_id", "city_code", "period", "indicator_code", "value_status"], ["value", "row_number"],
                "raw.report_rows"),
        gxe.ExpectColumnValuesToNotBeNull(
            column="city_code",
            meta=_meta("critical", "a staged row has no city: intake let through a row it could not attribute",
                       "数据行没有城市代码")),
        *_codes("city_code", "period", "indicator_code", what, zh=True),
        gxe.ExpectColumnValuesToBeInSet(
            column="value_status", value_set=REPORT_VALUE_STATUSES,
            meta=_meta("critical", "an unknown kind of absence: reported / not_applicable / not_reported must stay "
                                   "apart", "取值状态不是 已填报/不适用/未填报 之一")),
        gxe.ExpectColumnValuesToBeInSet(
            column="kind", value_set=list(REPORT_KINDS),
            meta=_meta("critical", "a report row is neither a quantity nor a status item: intake changed",
                       "数据行类型不是 数量/状态事项 之一")),
        gxe.ExpectColumnValuesToBeInSet(
            column="status_step", value_set=[*STATUS_STEPS],
            meta=_meta("critical", "a status step outside the four allowed: the dropdown was bypassed",
                       "专项推进状态不是 未启动/推进中/基本完成/已完成 之一")),
        gxe.ExpectColumnValuesToBeInSet(
            column="status_matches_value", value_set=[True],
            meta=_meta("critical", "value_status contradicts the value (reported without a value, or a value marked "
                                   "not reported), or a quantity row is typed as a status item or vice versa",
                       "取值状态与数值矛盾,或指标/专项类型不符")),
        *_ranges(what, zh=True),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["city_code", "period", "indicator_code"],
            meta=_meta("critical", "the same (city, period, indicator) arrives twice in the reports in force: the "
                                   "value is ambiguous, so every copy is quarantined until the city resubmits",
                       "同一城市、报告期、指标出现多次,数值不确定")),
        gxe.ExpectColumnValuesToBeBetween(
            column="cities_in_period", min_value=len(cities()), max_value=len(cities()),
            meta=_meta("warning", "not every city sent a report for this period yet: the period is incomplete")),
    ])


REPORT_ROWS_SQL = f"""
with files as (
    select file_id from raw.report_files where status = 'accepted'
),
t as (
    select r.rowid as _rowid, r.* from raw.report_rows as r
    where r.file_id in (select file_id from files)
),
ind as (select * from seeds.indicators),
per_period as (select period, count(distinct city_code) as cities_in_period from t group by period)
select
    t._rowid, t.file_id, t.sheet, t.row_number, t.city_code, t.period, t.kind, t.indicator_code, t.value,
    t.value_status, t.status_step,{_KIND_COLUMNS.format(value="value")},
    case
        when ind.kind is null then null
        when (ind.kind = 'status') is distinct from (t.kind = 'status') then false
        when t.kind = 'status' then t.value_status <> 'reported' or t.status_step is not null
        else (t.value_status = 'reported') = (t.value is not null)
    end as status_matches_value,
    per_period.cities_in_period
from t
left join ind on t.indicator_code = ind.indicator_code
left join per_period on t.period = per_period.period
"""


def feed_records_suite() -> gx.ExpectationSuite:
    """Open-data feed records (``raw.feed_records``) as loaded from the last good snapshots."""
    what = "a feed record"
    return gx.ExpectationSuite(name="raw_feed_records", expectations=[
        *_structure(["feed_id", "snapshot_id", "record_number", "city_code", "period", "indicator_code", "value",
                     "value_status"], "raw.feed_records"),
        *_types(["feed_id", "snapshot_id", "period", "value_status"], ["value", "record_number"], "raw.feed_records"),
        *_codes("city_code", "period", "indicator_code", what, sources=("feed", "both")),
        gxe.ExpectColumnValuesToBeInSet(
            column="value_status", value_set=[*FEED_VALUE_STATUSES, "invalid"],
            meta=_meta("critical", "a feed record has an unknown value status: the feed parser changed")),
        gxe.ExpectColumnValuesToBeInSet(
            column="value_status", value_set=FEED_VALUE_STATUSES,
            meta=_meta("warning", "a feed value could not be read as a number (status 'invalid'): the source "
                                  "changed its format for some records; they count as unknown")),
        *_ranges(what),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["feed_id", "snapshot_id", "city_code", "period", "indicator_code"],
            meta=_meta("critical", "a feed snapshot states the same (city, period, indicator) twice: the parser "
                                   "mapped two source rows onto one fact")),
    ])


FEED_RECORDS_SQL = f"""
with t as (select * from raw.feed_records), ind as (select * from seeds.indicators)
select
    t.feed_id, t.snapshot_id, t.record_number, t.city_code, t.period, t.indicator_code, t.value, t.value_status,
    {_KIND_COLUMNS.format(value="value").strip()}
from t left join ind on t.indicator_code = ind.indicator_code
"""


def indicator_values_suite() -> gx.ExpectationSuite:
    """Indicator values (``intermediate.int_indicator_values``): one value per (city, period, indicator)."""
    what = "an indicator value"
    n_ind = len(indicators())
    return gx.ExpectationSuite(name="indicator_values", expectations=[
        *_structure(["city_code", "period", "indicator_code", "is_applicable", "value", "value_status",
                     "value_source"], "intermediate.int_indicator_values"),
        *_types(["city_code", "period", "indicator_code", "value_status"], ["value"], "int_indicator_values"),
        *_codes("city_code", "period", "indicator_code", what),
        gxe.ExpectColumnValuesToBeInSet(
            column="value_status", value_set=INDICATOR_VALUE_STATUSES,
            meta=_meta("critical", "an indicator value has an unknown kind of absence")),
        gxe.ExpectColumnValuesToBeInSet(
            column="value_source", value_set=["report", "feed"],
            meta=_meta("critical", "an indicator value does not say whether it came from a report or a feed")),
        *_ranges(what),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["city_code", "period", "indicator_code"],
            meta=_meta("critical", "more than one row per (city, period, indicator): a join fanned out and the "
                                   "value in force is ambiguous")),
        gxe.ExpectColumnValuesToBeBetween(
            column="rows_per_city_period", min_value=n_ind, max_value=n_ind,
            meta=_meta("critical", f"a (city, period) does not hold exactly one row per catalogue indicator "
                                   f"({n_ind}): the spine of the model is broken")),
        gxe.ExpectColumnValuesToBeBetween(
            column="city_reported_share", min_value=0.5,
            meta=_meta("warning", "a city's own report covers fewer than half of its applicable indicators in a "
                                  "period (its report is late, rejected or mostly blank): its score rests on values "
                                  "carried forward or on nothing (completeness per city)")),
        *_check_expectations("indicator_values"),
    ])


INDICATOR_VALUES_SQL = f"""
with t as (select * from intermediate.int_indicator_values), ind as (select * from seeds.indicators),
per_city as (
    select city_code, period, count(*) as rows_per_city_period,
        count(*) filter (where value_status = 'reported') / greatest(count(*) filter (where is_applicable), 1)
            as city_reported_share
    from t group by city_code, period
)
select
    t.city_code, t.period, t.indicator_code, t.is_applicable, t.value, t.value_status, t.value_source,
    {_KIND_COLUMNS.format(value="value").strip()},
    per_city.rows_per_city_period, per_city.city_reported_share
from t
left join ind on t.indicator_code = ind.indicator_code
left join per_city on t.city_code = per_city.city_code and t.period = per_city.period
"""


def _score_expectations(what: str, score_null_ok: bool = False) -> list[gxe.Expectation]:
    out = [gxe.ExpectColumnValuesToBeBetween(
        column="score", min_value=0, max_value=100,
        meta=_meta("critical", f"{what}: a score outside 0-100: a formula is wrong"))]
    if not score_null_ok:
        out.append(gxe.ExpectColumnValuesToNotBeNull(
            column="score", meta=_meta("critical", f"{what}: a missing score: a model lost rows in a join")))
    return out


def _size_adjusted_expectations(what: str, with_rank: bool = False) -> list[gxe.Expectation]:
    """The size-adjusted view (per million residents where it makes sense) obeys the same bounds as the raw one."""
    out: list[gxe.Expectation] = [gxe.ExpectColumnValuesToBeBetween(
        column="score_size_adjusted", min_value=0, max_value=100,
        meta=_meta("critical", f"{what}: a size-adjusted score outside 0-100: the per-million goalposts or their "
                               "aggregation are wrong (e.g. a population of zero)",
                   "按人口调整得分超出 0–100:每百万人口的计分区间或其汇总有误。"))]
    if with_rank:
        out.append(gxe.ExpectColumnValuesToBeBetween(
            column="rank_size_adjusted", min_value=1, max_value=len(cities()),
            meta=_meta("critical", f"{what}: a size-adjusted rank outside 1..18: the size-adjusted ranking ran over "
                                   "the wrong partition",
                       "按人口调整名次超出 1–18:排名分区有误。")))
    return out


def league_table_suite() -> gx.ExpectationSuite:
    """The league table mart, audited in the candidate schema before it is published."""
    what = "the league table"
    return gx.ExpectationSuite(name="league_table", expectations=[
        *_structure(["period", "city_code", "city_name", "scope", "score", "rank", "coverage"], what),
        *_types(["period", "city_code", "scope"], ["score", "rank"], "league_table"),
        *_codes("city_code", "period", None, what),
        gxe.ExpectColumnValuesToBeInSet(
            column="scope", value_set=_scopes(),
            meta=_meta("critical", "a scope that is neither 'overall' nor a scored action code")),
        *_score_expectations(what, score_null_ok=True),
        gxe.ExpectColumnValuesToBeInSet(
            column="score_presence_ok", value_set=[True],
            meta=_meta("critical", "a score is missing although the model says the city has one (has_score), or "
                                   "present although it says not: a join lost rows")),
        gxe.ExpectColumnValuesToBeBetween(
            column="rank", min_value=1, max_value=len(cities()),
            meta=_meta("critical", "a rank outside 1..18: ranking ran over the wrong partition")),
        *_size_adjusted_expectations(what, with_rank=True),
        gxe.ExpectColumnValuesToBeInSet(
            column="size_adjusted_presence_ok", value_set=[True],
            meta=_meta("critical", "a size-adjusted score or rank is present without a raw score or missing beside "
                                   "one: the size-adjusted view must share the raw view's coverage rule",
                       "按人口调整得分/名次与原始得分的有无不一致。")),
        gxe.ExpectColumnValuesToBeBetween(
            column="coverage", min_value=0, max_value=1,
            meta=_meta("critical", "a coverage outside 0-1: the share of reported indicators is miscomputed")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "city_code", "scope"],
            meta=_meta("critical", "a city appears twice in one (period, scope): a join fanned out")),
        *_check_expectations("league_table"),
    ])


def special_scores_suite() -> gx.ExpectationSuite:
    what = "special scores"
    return gx.ExpectationSuite(name="special_scores", expectations=[
        *_structure(["period", "city_code", "special_code", "action_code", "score", "coverage"], what),
        *_codes("city_code", "period", None, what),
        gxe.ExpectColumnValuesToBeInSet(
            column="special_code", value_set=[s["special_code"] for s in read_seed("plan_specials.csv")],
            meta=_meta("critical", "a special code outside the 43 specials of the plan")),
        *_score_expectations(what),
        *_size_adjusted_expectations(what),
        gxe.ExpectColumnValuesToBeBetween(
            column="coverage", min_value=0, max_value=1,
            meta=_meta("critical", "a coverage outside 0-1")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "city_code", "special_code"],
            meta=_meta("critical", "a special appears twice for one city and period: a join fanned out")),
        gxe.ExpectColumnValuesToBeBetween(
            column="cities_per_special", min_value=1, max_value=len(cities()),
            meta=_meta("critical", "a (period, special) holds more rows than the 18 cities: a join fanned out "
                                   "(specials that apply to a few cities only may hold fewer)")),
        *_check_expectations("special_scores"),
    ])


def indicator_scores_suite() -> gx.ExpectationSuite:
    what = "indicator scores"
    return gx.ExpectationSuite(name="indicator_scores", expectations=[
        *_structure(["period", "city_code", "indicator_code", "value", "value_status", "score"], what),
        *_codes("city_code", "period", "indicator_code", what),
        gxe.ExpectColumnValuesToBeInSet(
            column="value_status", value_set=INDICATOR_VALUE_STATUSES,
            meta=_meta("critical", "an unknown kind of absence in the published indicator scores")),
        *_score_expectations(what, score_null_ok=True),
        *_size_adjusted_expectations(what),
        *_ranges(what),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "city_code", "indicator_code"],
            meta=_meta("critical", "an indicator appears twice for one city and period: a join fanned out")),
        *_check_expectations("indicator_scores"),
    ])


def scope_scores_suite() -> gx.ExpectationSuite:
    what = "scope scores"
    return gx.ExpectationSuite(name="scope_scores", expectations=[
        *_structure(["period", "city_code", "scope", "score", "coverage"], what),
        *_codes("city_code", "period", None, what),
        gxe.ExpectColumnValuesToBeInSet(
            column="scope", value_set=_scopes(),
            meta=_meta("critical", "an action score whose scope is neither 'overall' nor a scored action code")),
        *_score_expectations(what, score_null_ok=True),
        *_size_adjusted_expectations(what, with_rank=True),
        gxe.ExpectColumnValuesToBeBetween(
            column="coverage", min_value=0, max_value=1,
            meta=_meta("critical", "a coverage outside 0-1: the share of indicators with a value is miscomputed")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "city_code", "scope"],
            meta=_meta("critical", "an action score appears twice for one city, period and scope: a join fanned "
                                   "out")),
        *_check_expectations("scope_scores"),
    ])


CHANGE_CAUSES = ["new_data", "carried_forward", "feed", "weight", "entered", "left", "unchanged"]


def score_changes_suite() -> gx.ExpectationSuite:
    """The explanation of every score change, indicator by indicator: it must add up and name a cause."""
    what = "score changes"
    return gx.ExpectationSuite(name="score_changes", expectations=[
        *_structure(["period", "city_code", "scope", "indicator_code", "score_change", "cause"], what),
        *_codes("city_code", "period", "indicator_code", what),
        gxe.ExpectColumnValuesToBeInSet(
            column="cause", value_set=CHANGE_CAUSES,
            meta=_meta("critical", "a contribution change without a known cause: the explanation cannot be read",
                       "得分变化缺少可识别的原因。")),
        gxe.ExpectColumnValuesToBeBetween(
            column="effective_weight", min_value=0, max_value=1,
            meta=_meta("critical", "an indicator's effective weight outside 0-1: the weights were not renormalised")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "city_code", "scope", "indicator_code"],
            meta=_meta("critical", "an indicator explained twice for one scope: a join fanned out")),
        *_check_expectations("score_changes"),
    ])


AUDIT_MEASURES = ["corr_with_special", "corr_with_action", "corr_with_overall", "cronbach_alpha", "pca_eigenvalue_1",
                  "pca_eigenvalue_2", "pca_eigenvalue_3", "pca_variance_explained_1", "pair_correlation",
                  "negative_pairs"]


def coherence_audit_suite() -> gx.ExpectationSuite:
    """The coherence audit: known measures, correlations within -1..1, flags only where the rules say."""
    what = "the coherence audit"
    return gx.ExpectationSuite(name="coherence_audit", expectations=[
        *_structure(["period", "scope", "item_level", "measure", "value", "is_flagged"], what),
        gxe.ExpectColumnValuesToBeInSet(
            column="measure", value_set=AUDIT_MEASURES,
            meta=_meta("critical", "an audit measure nobody documented: the audit page cannot explain it")),
        gxe.ExpectColumnValuesToBeBetween(
            column="correlation", min_value=-1.000001, max_value=1.000001,
            meta=_meta("critical", "a correlation outside -1..1: the audit computed it wrongly")),
        gxe.ExpectColumnValuesToBeInSet(
            column="flag_ok", value_set=[True],
            meta=_meta("critical", "is_flagged and flag disagree: a flag is raised without a reason or the reverse")),
    ])


def rank_sensitivity_suite() -> gx.ExpectationSuite:
    """Sobol indices of the overall rank: every choice present, indices within their possible range."""
    what = "rank sensitivity"
    return gx.ExpectationSuite(name="rank_sensitivity", expectations=[
        *_structure(["period", "city_code", "rank_basis", "choice", "first_order", "total_order"], what),
        *_codes("city_code", "period", None, what),
        gxe.ExpectColumnValuesToBeInSet(
            column="choice", value_set=["weights", "aggregation", "missing_rule", "status_items",
                                        "independent_weight", "outlier_treatment", "goalposts", "rare_counts"],
            meta=_meta("critical", "a sensitivity row for an unknown choice: the analysis and its documentation "
                                   "disagree")),
        gxe.ExpectColumnValuesToBeBetween(
            column="total_order", min_value=-0.5, max_value=1.5,
            meta=_meta("warning", "a total-order index far outside 0..1: too few samples for this city's rank "
                                  "(raise sa_base_samples)")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "city_code", "rank_basis", "choice"],
            meta=_meta("critical", "a choice analysed twice for one city and period: a join fanned out")),
    ])


def evidence_pairs_suite() -> gx.ExpectationSuite:
    """Self-report against independent data: one row per pair and a known status."""
    what = "evidence pairs"
    return gx.ExpectationSuite(name="evidence_pairs", expectations=[
        *_structure(["period", "city_code", "reported_indicator", "pair_status"], what),
        *_codes("city_code", "period", None, what),
        gxe.ExpectColumnValuesToBeInSet(
            column="pair_status", value_set=["agree", "mismatch", "report_only", "feed_only"],
            meta=_meta("critical", "a pair without a known status: the comparison of self-report and registry broke")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["period", "city_code", "reported_indicator"],
            meta=_meta("critical", "a pair appears twice: a join fanned out")),
    ])


def _mart_sql(table: str, columns: str) -> str:
    """Only the columns the suite reads: a missing one fails the batch query (a structural failure)."""
    return f"select {columns} from {CANDIDATE_SCHEMA}.{table}"


INDICATOR_SCORES_SQL = f"""
with t as (select * from {CANDIDATE_SCHEMA}.indicator_scores), ind as (select * from seeds.indicators)
select t.period, t.city_code, t.indicator_code, t.value, t.value_status, t.score, t.score_size_adjusted,
    {_KIND_COLUMNS.format(value="value").strip()}
from t left join ind on t.indicator_code = ind.indicator_code
"""


@cache
def assets() -> dict[str, Asset]:
    """Every validated asset by suite name, in the order the pipeline meets them."""
    items = [
        Asset("raw_report_rows", "raw.report_rows", "inputs", REPORT_ROWS_SQL, ("file_id", "sheet", "row_number"),
              report_rows_suite, row_level_quarantine=True),
        Asset("raw_feed_records", "raw.feed_records", "inputs", FEED_RECORDS_SQL,
              ("feed_id", "snapshot_id", "record_number"), feed_records_suite),
        Asset("indicator_values", "intermediate.int_indicator_values", "audit", INDICATOR_VALUES_SQL,
              ("city_code", "period", "indicator_code"), indicator_values_suite),
        Asset("league_table", f"{CANDIDATE_SCHEMA}.league_table", "audit",
              _mart_sql("league_table", "period, city_code, city_name, scope, score, rank, coverage, "
                                        "(score is not null) = coalesce(has_score, true) as score_presence_ok, "
                                        "score_size_adjusted, rank_size_adjusted, "
                                        "(score is null) = (score_size_adjusted is null) "
                                        "and (rank is null) = (rank_size_adjusted is null) "
                                        "as size_adjusted_presence_ok"),
              ("period", "scope", "city_code"), league_table_suite),
        Asset("special_scores", f"{CANDIDATE_SCHEMA}.special_scores", "audit",
              _mart_sql("special_scores", "period, city_code, special_code, action_code, score, score_size_adjusted, "
                                          "coverage, "
                                          "count(*) over (partition by period, special_code) as cities_per_special"),
              ("period", "city_code", "special_code"), special_scores_suite),
        Asset("indicator_scores", f"{CANDIDATE_SCHEMA}.indicator_scores", "audit", INDICATOR_SCORES_SQL,
              ("period", "city_code", "indicator_code"), indicator_scores_suite),
        Asset("scope_scores", f"{CANDIDATE_SCHEMA}.scope_scores", "audit",
              _mart_sql("scope_scores", "period, city_code, scope, score, coverage, score_size_adjusted, "
                                         "rank_size_adjusted"),
              ("period", "scope", "city_code"), scope_scores_suite),
        Asset("score_changes", f"{CANDIDATE_SCHEMA}.score_changes", "audit",
              _mart_sql("score_changes", "period, city_code, scope, indicator_code, effective_weight, score_change, "
                                         "cause"),
              ("period", "city_code", "scope", "indicator_code"), score_changes_suite),
        Asset("coherence_audit", f"{CANDIDATE_SCHEMA}.coherence_audit", "audit",
              _mart_sql("coherence_audit", "period, scope, item_level, item_code, measure, value, is_flagged, "
                                           "case when measure like 'corr%' or measure = 'pair_correlation' "
                                           "then value end as correlation, "
                                           "is_flagged = (flag is not null) as flag_ok"),
              ("period", "scope", "item_level", "item_code", "measure"), coherence_audit_suite),
        Asset("rank_sensitivity", f"{CANDIDATE_SCHEMA}.rank_sensitivity", "audit",
              _mart_sql("rank_sensitivity", "period, city_code, rank_basis, choice, first_order, total_order"),
              ("period", "city_code", "rank_basis", "choice"), rank_sensitivity_suite),
        Asset("evidence_pairs", f"{CANDIDATE_SCHEMA}.evidence_pairs", "audit",
              _mart_sql("evidence_pairs", "period, city_code, reported_indicator, pair_status"),
              ("period", "city_code", "reported_indicator"), evidence_pairs_suite),
    ]
    return {a.suite: a for a in items}


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {name: a.build for name, a in assets().items()}

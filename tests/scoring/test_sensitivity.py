"""Variance-based sensitivity: SALib's estimators on a model with known indices, then on the sample's ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.sample import sobol as sobol_sample

from transforms.build.sensitivity import CHOICES, _indices, indices


def test_indices_of_an_additive_model_match_the_analytic_ones() -> None:
    """y = x1 + 2 x2 + 0 x3 with independent uniform inputs: Var = (1 + 4) / 12, so S_1 = 1/5, S_2 = 4/5, S_3 = 0,
    and without interactions the total indices equal the first-order ones."""
    prob = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * 3}
    x = sobol_sample.sample(prob, 4096, calc_second_order=False, seed=7)
    idx = _indices(prob, x[:, 0] + 2 * x[:, 1] + 0 * x[:, 2], seed=7)
    assert idx["S1"] == pytest.approx([0.2, 0.8, 0.0], abs=0.02)
    assert idx["ST"] == pytest.approx([0.2, 0.8, 0.0], abs=0.02)


def test_an_interaction_shows_in_the_total_index_only() -> None:
    """y = x1 * x2 on [-1, 1]^2 has no first-order effect at all: S_1 = S_2 = 0 and S_T1 = S_T2 = 1."""
    prob = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[-1, 1]] * 2}
    x = sobol_sample.sample(prob, 4096, calc_second_order=False, seed=3)
    idx = _indices(prob, x[:, 0] * x[:, 1], seed=3)
    assert idx["S1"] == pytest.approx([0, 0], abs=0.03) and idx["ST"] == pytest.approx([1, 1], abs=0.05)


def test_a_rank_that_never_moves_has_no_indices() -> None:
    prob = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1]] * 2}
    assert _indices(prob, np.full(24, 3.0), seed=1) is None


def test_sample_ranks_have_indices_for_every_choice(sample_warehouse) -> None:
    con, _ = sample_warehouse
    df = con.execute("select * from marts_candidate.rank_sensitivity").df()
    assert set(df.choice) == set(CHOICES) and set(df.rank_basis) == {"raw", "size_adjusted"}
    assert len(df) == 20 * 18 * 2 * len(CHOICES)
    moving = df[df.first_order.notna()]
    assert len(moving) > 0.8 * len(df)
    by_choice = moving.groupby("choice").total_order.mean()
    # the self-declared status items and the weights drive the ranks most; the missing rule never binds here
    assert by_choice["status_items"] > by_choice["independent_weight"]
    assert by_choice["missing_rule"] == pytest.approx(0, abs=0.02)


def test_vectorised_indices_equal_salib_per_output() -> None:
    """The vectorised estimators give SALib's own point estimates for each output (the intervals use another
    bootstrap draw, so only their size is compared)."""
    prob = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = sobol_sample.sample(prob, 256, calc_second_order=False, seed=11)
    ys = np.column_stack([x[:, 0] + 2 * x[:, 1], np.round(3 * x[:, 2] + x[:, 0] * x[:, 1]), np.full(len(x), 4.0)])
    got = indices(ys, 3, seed=11)
    for k in range(2):
        ref = _indices(prob, ys[:, k], seed=11)
        assert got["S1"][:, k] == pytest.approx(ref["S1"]) and got["ST"][:, k] == pytest.approx(ref["ST"])
        assert got["ST_conf"][:, k] == pytest.approx(ref["ST_conf"], rel=0.5, abs=0.02)
    assert np.isnan(got["S1"][:, 2]).all()  # a constant output has no indices


def test_bootstrap_by_count_matrix_equals_resampled_copies() -> None:
    """The bootstrap as count-matrix products gives SALib's estimators on each resampled copy, including a
    resample on which an output is constant (0, as SALib)."""
    from SALib.analyze import sobol as sobol_analyze

    from transforms.build.sensitivity import _Bootstrap

    rng = np.random.default_rng(5)
    a, b, ab = rng.normal(size=(3, 40, 4))
    a[:, 3] = b[:, 3] = 0.0  # output 3 varies only through AB: every resample of A and B is constant
    a[7, 3] = 1.0
    resamples = rng.integers(40, size=(30, 40))
    s1, st = _Bootstrap(a, b, resamples).estimates(ab)
    for r, idx in enumerate(resamples):
        with np.errstate(all="ignore"):
            assert s1[r] == pytest.approx(sobol_analyze.first_order(a[idx], ab[idx], b[idx]), abs=1e-9)
            assert st[r] == pytest.approx(sobol_analyze.total_order(a[idx], ab[idx], b[idx]), abs=1e-9)
    assert (s1[[7 not in idx for idx in resamples], 3] == 0).all()


def test_python_models_run_on_a_warehouse_without_ranked_cities(sample_warehouse, tmp_path) -> None:
    """Before the first report is loaded nothing is scored: the Monte Carlo and the sensitivity analysis give no
    rows (with their column types), not an error; the data checks then say why nothing is published."""
    import duckdb

    from transforms.build.montecarlo import rank_uncertainty
    from transforms.build.sensitivity import rank_sensitivity

    con, _ = sample_warehouse
    path = tmp_path / "empty.duckdb"
    empty = duckdb.connect(str(path))
    tables = ["int_indicator_scores", "int_indicator_score_variants", "int_scope_scores", "int_periods",
              "int_scoring_parameters"]
    rel = {t: con.sql(f"select * from intermediate.{t}") for t in tables}
    empty.execute("create schema intermediate; create schema staging")
    for t, r in rel.items():
        arrow = r.limit(1 if t == "int_scoring_parameters" else 0).to_arrow_table()  # noqa: F841
        empty.execute(f"create table intermediate.{t} as select * from arrow")
    weights = con.sql("select * from staging.stg_weights").to_arrow_table()  # noqa: F841
    empty.execute("create table staging.stg_weights as select * from weights")
    assert rank_uncertainty(empty, {"mc_draws": 20}).num_rows == 0
    df = rank_sensitivity(empty, {"sa_base_samples": 8})
    assert len(df) == 0 and not pd.api.types.is_float_dtype(df["period"])


def test_sensitivity_does_not_depend_on_period_blocks(sample_warehouse, monkeypatch) -> None:
    """One period per block (how a county-scale run keeps its [evaluations x cells] arrays small, as the Monte
    Carlo's rank store): the very same indices, in the same row order, as all periods at once."""
    from transforms.build import montecarlo, reuse, scoreinputs, sensitivity

    con, _ = sample_warehouse
    monkeypatch.setattr(reuse, "REUSE", False)  # computed both times, not kept from the built table
    reference = sensitivity.rank_sensitivity(con)
    monkeypatch.setattr(montecarlo, "MC_RANK_BYTES", 1)
    inp = scoreinputs.inputs(con)
    assert montecarlo.period_blocks(inp, 1000) == [(p, p + 1) for p in range(len(inp.periods))]
    assert reference.equals(sensitivity.rank_sensitivity(con))

"""The compiled aggregation tree of the score step (transforms/build/kernel.py) against a case computed by hand.

One action with two specials: special 0 has a self-reported part (indicators 0 and 1, weights 1 and 3) and an
independent part (indicator 2), special 1 one part (indicator 3). Three draws: a geometric one and an arithmetic one
under the 'zero' missing-data rule, an arithmetic one under 'exclude'. Indicator 1 is missing: 0 under 'zero', left
out under 'exclude'.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from transforms.build.kernel import tree_scores

NAN = float("nan")


def _run(zero: np.ndarray, excl: np.ndarray, floor: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    i64 = np.int64
    unit_ptr, unit_idx = np.array([0, 2, 3, 4], dtype=i64), np.array([0, 1, 2, 3], dtype=i64)
    sp_ptr, sp_units, sp_indep = np.array([0, 2, 3], dtype=i64), np.array([0, 1, 2], dtype=i64), np.array(
        [False, True, False])
    ac_ptr, ac_specials = np.array([0, 2], dtype=i64), np.array([0, 1], dtype=i64)
    w = np.array([1.0, 3.0, 1.0, 1.0])
    exclude = np.array([False, False, True])  # draw 0 geometric (n_geo = 1), draws 1 and 2 arithmetic
    w_zero = np.ascontiguousarray(np.outer(w, ~exclude))
    w_excl = np.ascontiguousarray(np.outer(w, exclude))
    d, n = 3, zero.shape[0]
    out_s, out_ok = np.full((2, n, d), -1.0), np.zeros((2, n, d), dtype=bool)
    tree_scores(zero, excl, unit_ptr, unit_idx, sp_ptr, sp_units, sp_indep, ac_ptr, ac_specials, w_zero, w_excl,
                np.ones((2, d)), np.ones((1, d)), np.full(d, 0.3), 1, floor, out_s, out_ok)
    return out_s, out_ok


def test_tree_scores_by_hand() -> None:
    zero = np.array([[80.0, 0.0, 50.0, 20.0],     # cell 0
                     [NAN, NAN, NAN, NAN],        # cell 1: nothing to score
                     [80.0, 0.0, 50.0, 0.0]])     # cell 2: special 1 scores 0 (the geometric floor applies)
    excl = np.array([[80.0, NAN, 50.0, 20.0], [NAN, NAN, NAN, NAN], [80.0, NAN, 50.0, 0.0]])
    s, ok = _run(zero, excl)
    # cell 0: self part (80 + 3 * 0) / 4 = 20 under 'zero', 80 under 'exclude'; special 0 = 0.7 part + 0.3 * 50
    # (the independent part's weight alpha = 0.3) = 29 | 71; special 1 = 20; the action: sqrt(29 * 20) geometric,
    # (29 + 20) / 2, (71 + 20) / 2
    assert s[0, 0] == pytest.approx([math.sqrt(29 * 20), 24.5, 45.5], rel=1e-12)
    assert s[1, 0] == pytest.approx(s[0, 0], rel=1e-12)  # one action of weight 1: the overall score is it
    assert ok[:, 0].all()
    # cell 1: no weight anywhere: absent, stored as 0
    assert not ok[:, 1].any() and (s[:, 1] == 0).all()
    # cell 2: special 1 = 0, floored at 1 in the logarithm: sqrt(29 * 1); arithmetic (29 + 0) / 2 and (71 + 0) / 2
    assert s[0, 2] == pytest.approx([math.sqrt(29), 14.5, 35.5], rel=1e-12)


def test_a_part_without_values_drops_out_of_its_special() -> None:
    """The independent part has no value: special 0 is its self-reported part alone (renormalised), not half of it."""
    zero = np.array([[80.0, 0.0, NAN, 20.0]])
    excl = np.array([[80.0, NAN, NAN, 20.0]])
    s, ok = _run(zero, excl)
    assert s[0, 0] == pytest.approx([math.sqrt(20 * 20), 20.0, 50.0], rel=1e-12)
    assert ok.all()

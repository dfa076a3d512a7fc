"""The aggregation tree of every (period, city) cell under many draws of the method choices, compiled with Numba.

Why compiled: the rank Monte Carlo and the sensitivity analysis re-aggregate every cell's indicator scores into
its parts, specials, actions and overall score some 4,500 times per build (1,000 draws and 1,280 evaluations, raw
and size-adjusted). As numpy array operations that was ~100 operations per block of cells, each over a
[cells x draws] temporary: memory traffic, most of the score step. Here one pass over a cell keeps its ~100
intermediate [draws] rows in the core's cache; the same build's score step took 26.4 s with numpy and 19.7 s with
this kernel at L (333 cities x 40 quarters), with the same published rows. ``nogil``: the callers' thread pools run
chunks of draws side by side. ``cache``: compiled once per machine (``make install`` warms it), not per process.

The arithmetic is the SQL models' (int_special_scores, int_scope_scores): a part is the weighted arithmetic mean of
its scored indicators, a special the mean of its parts weighted alpha (independent) and 1 - alpha (self-reported),
renormalised over the parts with a score; an action and the overall score are weighted means of what has a score,
geometric for the first ``n_geo`` draws (each value floored at ``floor`` before the logarithm). A mean without any
weight is absent (``ok`` False) and stored as 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def tree_scores(zero: np.ndarray, exclude: np.ndarray, unit_ptr: np.ndarray, unit_idx: np.ndarray,
                sp_ptr: np.ndarray, sp_units: np.ndarray, sp_indep: np.ndarray, ac_ptr: np.ndarray,
                ac_specials: np.ndarray, w_zero: np.ndarray, w_excl: np.ndarray, w_sp: np.ndarray,
                w_ac: np.ndarray, alpha: np.ndarray, n_geo: int, floor: float, out_s: np.ndarray,
                out_ok: np.ndarray) -> None:  # pragma: no cover - compiled; its results are tested
    """Fill ``out_s``/``out_ok`` [actions + 1, cells, draws] (the overall score last).

    ``zero``/``exclude`` [cells, indicators]: each indicator's score under the two missing-data rules (NaN = does
    not enter); ``w_zero``/``w_excl`` [indicators, draws]: each draw's indicator weights under the rule it uses
    (0 under the other); a part u's indicators are ``unit_idx[unit_ptr[u]:unit_ptr[u + 1]]``, a special k's parts
    ``sp_units[sp_ptr[k]:sp_ptr[k + 1]]`` (``sp_indep``: independent or not), an action a's specials
    ``ac_specials[ac_ptr[a]:ac_ptr[a + 1]]``; ``w_sp`` [specials, draws], ``w_ac`` [actions, draws], ``alpha``
    [draws] the independent part's weight."""
    d = w_zero.shape[1]
    us, uok = np.empty((unit_ptr.shape[0] - 1, d)), np.empty((unit_ptr.shape[0] - 1, d))
    ss, sok = np.empty((sp_ptr.shape[0] - 1, d)), np.empty((sp_ptr.shape[0] - 1, d))
    num, den, glog = np.empty(d), np.empty(d), np.empty(d)
    for c in range(zero.shape[0]):
        _parts(zero[c], exclude[c], unit_ptr, unit_idx, w_zero, w_excl, us, uok, num, den)
        _specials(sp_ptr, sp_units, sp_indep, alpha, us, uok, ss, sok, num, den)
        _scopes(c, ac_ptr, ac_specials, w_sp, w_ac, n_geo, floor, ss, sok, out_s, out_ok, num, den, glog)


@njit(nogil=True, cache=True)
def _parts(zero: np.ndarray, exclude: np.ndarray, unit_ptr: np.ndarray, unit_idx: np.ndarray, w_zero: np.ndarray,
           w_excl: np.ndarray, us: np.ndarray, uok: np.ndarray, num: np.ndarray,
           den: np.ndarray) -> None:  # pragma: no cover - compiled
    """One cell's parts ``us``/``uok`` [parts, draws]: the weighted mean of each part's indicators that enter."""
    d = w_zero.shape[1]
    for u in range(unit_ptr.shape[0] - 1):
        num[:] = 0.0
        den[:] = 0.0
        for t in range(unit_ptr[u], unit_ptr[u + 1]):
            i = unit_idx[t]
            z, e = zero[i], exclude[i]
            z_in, e_in = z == z, e == e  # not NaN
            zv, ev = (z if z_in else 0.0), (e if e_in else 0.0)
            zp, ep = (1.0 if z_in else 0.0), (1.0 if e_in else 0.0)
            for j in range(d):
                num[j] += w_zero[i, j] * zv + w_excl[i, j] * ev
                den[j] += w_zero[i, j] * zp + w_excl[i, j] * ep
        for j in range(d):
            ok = den[j] > 0
            uok[u, j] = 1.0 if ok else 0.0
            us[u, j] = num[j] / den[j] if ok else 0.0


@njit(nogil=True, cache=True)
def _specials(sp_ptr: np.ndarray, sp_units: np.ndarray, sp_indep: np.ndarray, alpha: np.ndarray, us: np.ndarray,
              uok: np.ndarray, ss: np.ndarray, sok: np.ndarray, num: np.ndarray,
              den: np.ndarray) -> None:  # pragma: no cover - compiled
    """One cell's specials ``ss``/``sok``: a one-part special is its part; otherwise the parts' mean weighted
    alpha (independent) and 1 - alpha, over the parts with a score."""
    d = us.shape[1]
    for k in range(sp_ptr.shape[0] - 1):
        a0, a1 = sp_ptr[k], sp_ptr[k + 1]
        if a1 - a0 == 1:
            for j in range(d):
                ss[k, j] = us[sp_units[a0], j]
                sok[k, j] = uok[sp_units[a0], j]
            continue
        num[:] = 0.0
        den[:] = 0.0
        for t in range(a0, a1):
            u, independent = sp_units[t], sp_indep[t]
            for j in range(d):
                wp = uok[u, j] * (alpha[j] if independent else 1.0 - alpha[j])
                den[j] += wp
                num[j] += wp * us[u, j]
        for j in range(d):
            ok = den[j] > 0
            sok[k, j] = 1.0 if ok else 0.0
            ss[k, j] = num[j] / den[j] if ok else 0.0


@njit(nogil=True, cache=True)
def _scopes(c: int, ac_ptr: np.ndarray, ac_specials: np.ndarray, w_sp: np.ndarray, w_ac: np.ndarray, n_geo: int,
            floor: float, ss: np.ndarray, sok: np.ndarray, out_s: np.ndarray, out_ok: np.ndarray, num: np.ndarray,
            den: np.ndarray, glog: np.ndarray) -> None:  # pragma: no cover - compiled
    """Cell ``c``'s actions (over their specials) and then its overall score (over the actions) into ``out_s``,
    ``out_ok``: geometric for the first ``n_geo`` draws, arithmetic for the others."""
    d, n_actions = ss.shape[1], ac_ptr.shape[0] - 1
    for a in range(n_actions + 1):
        num[:] = 0.0
        den[:] = 0.0
        glog[:] = 0.0
        if a < n_actions:  # an action over its specials
            for t in range(ac_ptr[a], ac_ptr[a + 1]):
                k = ac_specials[t]
                for j in range(d):
                    wp = sok[k, j] * w_sp[k, j]
                    den[j] += wp
                    num[j] += wp * ss[k, j]
                for j in range(n_geo):
                    glog[j] += sok[k, j] * w_sp[k, j] * np.log(max(ss[k, j], floor))
        else:  # the overall score over the actions
            for t in range(n_actions):
                for j in range(d):
                    wp = out_ok[t, c, j] * w_ac[t, j]
                    den[j] += wp
                    num[j] += wp * out_s[t, c, j]
                for j in range(n_geo):
                    glog[j] += out_ok[t, c, j] * w_ac[t, j] * np.log(max(out_s[t, c, j], floor))
        for j in range(d):
            ok = den[j] > 0
            out_ok[a, c, j] = ok
            if not ok:
                out_s[a, c, j] = 0.0
            elif j < n_geo:
                out_s[a, c, j] = np.exp(glog[j] / den[j])
            else:
                out_s[a, c, j] = num[j] / den[j]


def warm() -> None:
    """Compile (or load from the cache) the kernel on a one-cell tree: ``make install`` calls it, so the first
    nightly run does not spend seconds compiling."""
    one = np.ones((1, 1))
    idx = np.zeros(1, dtype=np.int64)
    ptr = np.array([0, 1], dtype=np.int64)
    tree_scores(one, one, ptr, idx, ptr, idx, np.zeros(1, dtype=np.bool_), ptr, idx, one, np.zeros((1, 1)), one,
                one, np.full(1, 0.5), 0, 1.0, np.empty((2, 1, 1)), np.empty((2, 1, 1), dtype=np.bool_))

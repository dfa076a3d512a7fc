"""The coherence audit's statistics on cases computed by hand, and on the sample."""

from __future__ import annotations

import numpy as np
import pytest

from transforms.build.coherence import cronbach_alpha, pca_eigenvalues

# two items over four cases: variances 5/3 and 5/3, the sum (3, 5, 8, 8) has variance 6, correlation 0.8
ITEMS = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 5.0], [4.0, 4.0]])


def test_cronbach_alpha_by_hand() -> None:
    assert cronbach_alpha(ITEMS) == pytest.approx(2 / 1 * (1 - (5 / 3 + 5 / 3) / 6))  # 0.8889
    assert np.isnan(cronbach_alpha(ITEMS[:, :1]))  # one item: no alpha


def test_pca_eigenvalues_by_hand() -> None:
    # the correlation matrix [[1, 0.8], [0.8, 1]] has eigenvalues 1.8 and 0.2: the first explains 90 %
    eig = pca_eigenvalues(ITEMS)
    assert eig == pytest.approx([1.8, 0.2])
    assert eig[0] / eig.sum() == pytest.approx(0.9)


def test_audit_on_the_sample(sample_warehouse) -> None:
    con, _ = sample_warehouse
    audit = con.execute("select * from marts_candidate.coherence_audit where period = '2019Q4'").df()
    overall = audit[audit.scope == "overall"]
    assert set(overall[overall.item_level == "action"].measure) >= {"corr_with_overall", "cronbach_alpha",
                                                                     "pca_variance_explained_1", "negative_pairs"}
    assert len(overall[(overall.measure == "corr_with_overall") & (overall.item_level == "action")]) == 11
    corr = audit[audit.measure.str.startswith("corr_with")].value.dropna()
    assert corr.between(-1, 1).all() and len(corr) > 100
    flagged = audit[audit.is_flagged]
    assert set(flagged.flag) <= {"negative_within_scope", "negative_with_parent", "uncorrelated_with_overall",
                                 "low_alpha"}
    share = overall[overall.measure == "pca_variance_explained_1"].value.iloc[0]
    assert 0 < share <= 1

"""Firm concentration within region–industry cells: hand-computed cells, brute force, properties."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhizao.clusters.concentration import firm_concentration

# Five cells, firms listed out of order on purpose:
#   cell 0: 6, 3, 1        total 10 → shares .6, .3, .1
#   cell 1: no firms
#   cell 2: 4, 4, 4, 4, 4  total 20 → shares .2 each
#   cell 3: one firm worth 0
#   cell 4: 5, 0           total 5  → shares 1, 0
CELL = np.array([2, 0, 4, 2, 0, 3, 2, 0, 2, 4, 2])
VALUE = np.array([4.0, 1.0, 0.0, 4.0, 6.0, 0.0, 4.0, 3.0, 4.0, 5.0, 4.0])


def test_hhi_of_hand_computed_cells():
    fc = firm_concentration(CELL, VALUE, n_cells=5)
    # cell 0: .36 + .09 + .01 = .46; cell 2: 5 · .04 = .2; cell 4: 1² + 0² = 1
    # cell 1 (no firms) and cell 3 (total 0) have no shares → NaN
    np.testing.assert_allclose(fc.hhi, [0.46, np.nan, 0.2, np.nan, 1.0], atol=1e-15)
    # the antitrust 0–10,000 scale: shares in percent, 60² + 30² + 10² = 4600
    assert fc.hhi[0] * 10_000 == pytest.approx(4600)


def test_top_shares_of_hand_computed_cells():
    fc = firm_concentration(CELL, VALUE, n_cells=5, top=(1, 2, 4, 10))
    # CR1: .6, –, 4/20 = .2, –, 5/5 = 1
    np.testing.assert_allclose(fc.top_share[1], [0.6, np.nan, 0.2, np.nan, 1.0], atol=1e-15)
    # CR2: (6 + 3)/10 = .9, –, 8/20 = .4, –, 1
    np.testing.assert_allclose(fc.top_share[2], [0.9, np.nan, 0.4, np.nan, 1.0], atol=1e-15)
    # CR4: 1 (3 firms ≤ 4), –, 16/20 = .8, –, 1
    np.testing.assert_allclose(fc.top_share[4], [1.0, np.nan, 0.8, np.nan, 1.0], atol=1e-15)
    # CR10: every cell has ≤ 10 firms
    np.testing.assert_allclose(fc.top_share[10], [1.0, np.nan, 1.0, np.nan, 1.0], atol=1e-15)


def test_firm_counts_and_totals_include_zero_valued_firms():
    fc = firm_concentration(CELL, VALUE, n_cells=5)
    np.testing.assert_array_equal(fc.firms, [3, 0, 5, 1, 2])
    assert fc.firms.dtype == np.int64
    np.testing.assert_array_equal(fc.total, [10.0, 0.0, 20.0, 0.0, 5.0])
    assert set(fc.top_share) == {1, 4, 10}          # the default top=(1, 4, 10)


def test_no_firms_at_all_gives_empty_cells():
    fc = firm_concentration(np.array([], dtype=np.int64), np.array([]), n_cells=3)
    assert np.isnan(fc.hhi).all() and np.isnan(fc.top_share[4]).all()
    np.testing.assert_array_equal(fc.firms, [0, 0, 0])


@pytest.mark.parametrize(("cell", "values", "n_cells", "top", "match"), [
    ([0, 1], [1.0, -2.0], 2, (1,), "non-negative"),
    ([0, 1], [1.0, np.nan], 2, (1,), "non-negative"),
    ([0, 2], [1.0, 2.0], 2, (1,), r"\[0, 2\)"),
    ([0, -1], [1.0, 2.0], 2, (1,), r"\[0, 2\)"),
    ([0.0, 1.0], [1.0, 2.0], 2, (1,), "integer"),
    ([0, 1], [1.0], 2, (1,), "same length"),
    ([0, 1], [1.0, 2.0], 2, (0, 4), "positive integers"),
])
def test_bad_input_is_refused_with_a_reason(cell, values, n_cells, top, match):
    with pytest.raises(ValueError, match=match):
        firm_concentration(np.array(cell), np.array(values), n_cells, top=top)


firms_strategy = st.integers(1, 6).flatmap(lambda n_cells: st.tuples(
    st.just(n_cells),
    st.lists(st.tuples(st.integers(0, n_cells - 1), st.integers(0, 100).map(float)), min_size=0, max_size=40),
))


@given(firms_strategy)
def test_matches_a_per_cell_brute_force(case):
    n_cells, firms = case
    cell = np.array([c for c, _ in firms], dtype=np.int64)
    value = np.array([v for _, v in firms], dtype=float)
    fc = firm_concentration(cell, value, n_cells, top=(1, 3))
    for c in range(n_cells):
        v = sorted((x for cc, x in firms if cc == c), reverse=True)
        assert fc.firms[c] == len(v)
        if sum(v) == 0:
            assert np.isnan(fc.hhi[c]) and np.isnan(fc.top_share[1][c])
            continue
        s = [x / sum(v) for x in v]
        assert fc.hhi[c] == pytest.approx(sum(x * x for x in s), rel=1e-12)
        assert fc.top_share[1][c] == pytest.approx(sum(s[:1]), rel=1e-12)
        assert fc.top_share[3][c] == pytest.approx(sum(s[:3]), rel=1e-12)


@given(firms_strategy, st.randoms(use_true_random=False))
def test_hhi_lies_between_one_over_n_and_one_and_shares_grow_with_k(case, rnd):
    n_cells, firms = case
    rnd.shuffle(firms)
    cell = np.array([c for c, _ in firms], dtype=np.int64)
    value = np.array([v for _, v in firms], dtype=float)
    fc = firm_concentration(cell, value, n_cells, top=(1, 2, 4, 10))
    ok = fc.total > 0
    assert np.all(fc.hhi[ok] >= 1 / fc.firms[ok] - 1e-12) and np.all(fc.hhi[ok] <= 1 + 1e-12)
    # the largest share is at least Σ s² (Σ s² ≤ s_max · Σ s = s_max)
    assert np.all(fc.top_share[1][ok] >= fc.hhi[ok] - 1e-12)
    for a, b in ((1, 2), (2, 4), (4, 10)):
        assert np.all(fc.top_share[a][ok] <= fc.top_share[b][ok] + 1e-12)
    assert np.all(fc.top_share[10][ok] <= 1 + 1e-12)
    np.testing.assert_array_equal(np.isnan(fc.hhi), ~ok)

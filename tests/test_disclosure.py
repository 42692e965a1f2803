"""Statistical disclosure control (统计披露控制): cell suppression in ``zhizao.disclosure``.

Hand examples first, then property tests on random 1-D, 2-D, hierarchical and 3-D tables. The
properties are checked independently of the module: margins, sensitivity and the additivity
equations are rebuilt here, and "not derivable" is checked with a linear programme (scipy's
HiGHS): a suppressed cell is derivable exactly when its minimum, subject to the equations with
every other cell fixed at its published value, is finite.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from zhizao import disclosure as D
from zhizao.errors import InvalidInput

CI = settings(deadline=None, max_examples=40, derandomize=True)


# ---------------------------------------------------------------- independent helpers

def equations_1d(n):
    """Rows of ``E @ x == 0``: the cells 0..n-1 add up to cell n."""
    return [({i: 1.0 for i in range(n)}, n)]


def equations_2d(r, c):
    """Grid (r+1) × (c+1), row-major, margins last: every line adds up to its last entry."""
    at = lambda i, j: i * (c + 1) + j                                     # noqa: E731
    rows = [({at(i, j): 1.0 for j in range(c)}, at(i, c)) for i in range(r + 1)]
    cols = [({at(i, j): 1.0 for i in range(r)}, at(r, j)) for j in range(c + 1)]
    return rows + cols


def equations_tree(parents):
    kids = {}
    for v, p in enumerate(parents):
        if p is not None:
            kids.setdefault(p, []).append(v)
    return [({w: 1.0 for w in ws}, v) for v, ws in sorted(kids.items())]


def equations_3d(a, b, c):
    shape = (a + 1, b + 1, c + 1)
    idx = np.arange(np.prod(shape)).reshape(shape)
    out = []
    for axis in range(3):
        for line in np.moveaxis(idx, axis, -1).reshape(-1, shape[axis]):
            out.append(({int(i): 1.0 for i in line[:-1]}, int(line[-1])))
    return out


def matrix(equations, n):
    E = np.zeros((len(equations), n))
    for row, (parts, total) in enumerate(equations):
        for i, coef in parts.items():
            E[row, i] = coef
        E[row, total] -= 1.0
    return E


def lp_derivable(E, values, suppressed, i):
    """Is cell ``i`` fixed by ``E @ x == 0`` once the unsuppressed cells are fixed? (one LP;
    with free bounds the minimum is either unbounded or equal to the maximum)."""
    S = np.flatnonzero(suppressed)
    K = np.flatnonzero(~suppressed)
    c = np.zeros(S.size)
    c[np.searchsorted(S, i)] = 1.0
    rhs = -E[:, K] @ np.asarray(values, dtype=float)[K]
    lo = linprog(c, A_eq=E[:, S], b_eq=rhs, bounds=(None, None), method="highs")
    assert lo.status in (0, 3), lo.message                               # feasible: the table is real
    if lo.status == 3:
        return False
    hi = linprog(-c, A_eq=E[:, S], b_eq=rhs, bounds=(None, None), method="highs")
    return hi.status == 0 and abs(-hi.fun - lo.fun) <= 1e-7 * max(1.0, abs(lo.fun))


def cell_stats(contributions):
    """count, value, top1 (largest |contribution|), sum of |contributions| of one cell."""
    a = np.asarray(contributions, dtype=float)
    return (len(a), a.sum(), np.abs(a).max(initial=0.0), np.abs(a).sum())


def sensitive(count, top1, abs_total, k, p):
    return 1 <= count < k or (count >= 1 and top1 > p / 100 * abs_total)


def check_protected(E, counts, values, top1, abs_total, control, s, k, p):
    """The four promises of the issue, checked independently, for one suppression pattern."""
    n = len(values)
    published = s.publish(values)
    for i in range(n):
        # (1) every primary-sensitive cell that needs control is suppressed (and only those are primary)
        if control[i] and sensitive(counts[i], top1[i], abs_total[i], k, p):
            assert s.primary[i] and s.reason[i] in ("k", "p"), i
        else:
            assert not s.primary[i], i
        # (3) cells that did not need control are never suppressed and keep their values
        if not control[i]:
            assert not s.suppressed[i], i
        if not s.suppressed[i]:
            assert published[i] == values[i] and s.reason[i] == "", i
        # (4) a suppressed cell is never shown, not even as 0
        else:
            assert published[i] is None and s.reason[i] != "", i
    assert not s.unprotectable.any()
    # (2) no suppressed cell can be recomputed from what is published
    for i in np.flatnonzero(s.suppressed):
        assert not lp_derivable(E, values, s.suppressed, i), f"cell {i} is derivable"


# ---------------------------------------------------------------- strategies

cell = st.lists(st.integers(-20, 60), max_size=5)             # one cell: its enterprises' contributions
positive_cell = st.lists(st.integers(1, 60), max_size=5)
thresholds = st.tuples(st.integers(1, 4), st.sampled_from([60.0, 85.0, 100.0]))


@st.composite
def tree(draw):
    n = draw(st.integers(2, 12))
    parents = [None]
    for v in range(1, n):
        parents.append(draw(st.one_of(st.none(), st.integers(0, v - 1))) if v > 2 else 0)
    return parents


# ---------------------------------------------------------------- hand examples

def test_cell_with_two_firms_is_suppressed_for_the_threshold_rule():
    t = D.protect_1d([2, 5, 9], [10.0, 40.0, 50.0], [6.0, 9.0, 9.0], k=3)
    assert t.reason.tolist() == ["k", "secondary", "", ""]
    assert t.publish() == [None, None, 50.0, 100.0]


def test_dominated_cell_is_suppressed_and_a_lower_p_is_stricter():
    counts, values, top1 = [5, 6, 7], [100.0, 100.0, 100.0], [90.0, 30.0, 70.0]
    assert D.protect_1d(counts, values, top1, p=85).reason.tolist() == ["p", "secondary", "", ""]
    assert D.protect_1d(counts, values, top1, p=95).reason.tolist() == ["", "", "", ""]
    assert D.protect_1d(counts, values, top1, p=60).reason.tolist() == ["p", "", "p", ""]


def test_one_primary_in_a_1d_table_forces_exactly_one_secondary_the_cheapest():
    t = D.protect_1d([1, 8, 9, 7], [30.0, 80.0, 20.0, 90.0], [30.0, 10.0, 5.0, 20.0])
    assert t.reason.tolist() == ["k", "", "secondary", "", ""]
    assert t.publish() == [None, 80.0, None, 90.0, 220.0]


def test_classic_3x3_one_primary_costs_a_rectangle_of_four():
    counts = np.array([[2, 5, 6], [7, 8, 9], [9, 9, 9]])
    values = np.array([[4.0, 9.0, 30.0], [20.0, 10.0, 40.0], [50.0, 60.0, 70.0]])
    t = D.protect_2d(counts, values, values / 3)
    expected = np.zeros((4, 4), dtype=bool)
    expected[:2, :2] = True
    assert (t.suppressed == expected).all()
    assert t.reason[0, 0] == "k" and set(t.reason[expected].tolist()) == {"k", "secondary"}
    assert t.publish()[3] == [74.0, 79.0, 140.0, 293.0]              # margins stay published
    assert t.publish("counts")[0] == [None, None, 6, 13]


def test_hierarchy_county_with_two_firms_is_hidden_with_its_sibling():
    parents = [None, 0, 0, 1, 1, 2, 2]            # province; prefectures 1, 2; counties 3–6
    t = D.protect_hierarchy(parents, [0, 0, 0, 2, 6, 4, 5], [0, 0, 0, 7.0, 20.0, 9.0, 11.0],
                            [0, 0, 0, 4.0, 5.0, 3.0, 3.0])
    assert t.reason.tolist() == ["", "", "", "k", "secondary", "", ""]
    assert t.values.tolist() == [47.0, 27.0, 20.0, 7.0, 20.0, 9.0, 11.0]


def test_hierarchy_single_county_prefecture_is_protected_through_the_province():
    parents = [None, 0, 0, 1, 2, 2]               # prefecture 1 has one county (3), itself with one firm
    counts, values, top1 = [0, 0, 0, 1, 5, 6], [0, 0, 0, 10.0, 20.0, 30.0], [0, 0, 0, 10.0, 5.0, 5.0]
    t = D.protect_hierarchy(parents, counts, values, top1)
    assert t.reason.tolist() == ["secondary", "k", "", "k", "", ""]   # province (60) < prefecture 2 + county (70)
    keep_total = np.array([np.inf, 0, 50, 0, 20, 30])
    t = D.protect_hierarchy(parents, counts, values, top1, cost=keep_total)
    assert t.reason.tolist() == ["", "k", "secondary", "k", "secondary", ""]


def test_cells_inside_the_viewers_jurisdiction_are_published_whatever_their_counts():
    counts = np.array([[1, 4], [2, 5], [6, 7]])
    values = np.array([[5.0, 8.0], [3.0, 9.0], [12.0, 14.0]])
    control = np.array([[False, False], [True, True], [True, True]])
    t = D.protect_2d(counts, values, values / 2, needs_control=control)
    assert t.publish()[0] == [5.0, 8.0, 13.0]
    assert t.reason[1, 0] == "k" and t.suppressed.sum() == 4


def test_empty_cell_is_published_as_zero_and_not_sensitive():
    t = D.protect_1d([0, 5, 6], [0.0, 40.0, 50.0], [0.0, 9.0, 9.0])
    assert t.publish() == [0.0, 40.0, 50.0, 90.0] and t.publish("counts") == [0, 5, 6, 11]


def test_negative_profits_use_absolute_contributions_in_the_dominance_rule():
    contributions = [100.0, -90.0, 5.0]            # net 15; the largest is 100 of 195 in absolute terms
    count, value, top1, abs_total = cell_stats(contributions)
    other = cell_stats([40.0, 50.0, 60.0])
    args = ([count, other[0]], [value, other[1]], [top1, other[2]])
    assert D.protect_1d(*args, abs_values=[abs_total, other[3]]).reason.tolist() == ["", "", ""]
    # without the absolute sum the rule falls back to |net value| and errs on the safe side
    assert D.protect_1d(*args).reason.tolist()[0] == "p"


def test_suppressed_zero_value_is_published_as_none_not_zero():
    t = D.protect_1d([2, 5, 5], [0.0, 3.0, 4.0], [0.0, 1.0, 1.0])
    assert t.publish()[0] is None and t.publish("counts")[0] is None


def test_inconsistent_needs_control_is_reported_as_unprotectable():
    A = D.table_1d(2)                              # the viewer knows cell 1 and the total
    s = D.suppress(A, [1, 5, 6], [10.0, 20.0, 30.0], [10.0, 5.0, 10.0], needs_control=[True, False, False])
    assert s.unprotectable.tolist() == [True, False, False]
    assert s.publish([10.0, 20.0, 30.0]) == [None, 20.0, 30.0]


@pytest.mark.parametrize("bad", [
    dict(counts=[0, 5, 5], values=[1.0, 2.0, 3.0], top1=[0.0, 1.0, 1.0]),      # empty cell with a value
    dict(counts=[1, 5, 6], values=[1.0, 2.0, 3.0], top1=[-1.0, 1.0, 1.0]),     # negative top1
    dict(counts=[1.5, 5, 6.5], values=[1.0, 2.0, 3.0], top1=[1.0, 1.0, 1.0]),  # fractional count
    dict(counts=[1, 5, 6], values=[1.0, np.nan, 3.0], top1=[1.0, 1.0, 1.0]),
])
def test_inconsistent_cells_are_rejected(bad):
    with pytest.raises(InvalidInput):
        D.suppress(D.table_1d(2), **bad)


@pytest.mark.parametrize("k, p", [(0, 85), (2.5, 85), (3, 0), (3, 101)])
def test_bad_thresholds_are_rejected(k, p):
    with pytest.raises(InvalidInput):
        D.suppress(D.table_1d(1), [5, 5], [1.0, 1.0], [1.0, 1.0], k=k, p=p)


def test_hierarchy_with_a_cycle_is_rejected():
    with pytest.raises(InvalidInput):
        D.table_hierarchy([1, 2, 1])


def test_builders_give_the_documented_equations():
    assert (D.table_1d(4) == matrix(equations_1d(4), 5)).all()
    assert (D.table_2d(3, 5) == matrix(equations_2d(3, 5), 24)).all()
    parents = [None, 0, 0, 1, 1, 2, None, 6]
    assert (D.table_hierarchy(parents) == matrix(equations_tree(parents), 8)).all()
    assert all(D.is_network(A) for A in (D.table_1d(4), D.table_2d(3, 5), D.table_hierarchy(parents)))
    assert not D.is_network(matrix(equations_3d(2, 2, 2), 27))


# ---------------------------------------------------------------- properties

@CI
@given(cells=st.lists(cell, min_size=1, max_size=8), control=st.data(), kp=thresholds)
def test_protect_1d_keeps_every_promise(cells, control, kp):
    k, p = kp
    n = len(cells)
    stats = np.array([cell_stats(c) for c in cells]).reshape(n, 4)
    ctl = np.array(control.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    t = D.protect_1d(stats[:, 0], stats[:, 1], stats[:, 2], k=k, p=p, needs_control=ctl, abs_values=stats[:, 3])
    full = np.vstack([stats, [stats[:, 0].sum(), stats[:, 1].sum(), stats[:, 2].max(), stats[:, 3].sum()]])
    assert np.allclose(t.values, full[:, 1]) and (t.counts == full[:, 0]).all()
    check_protected(matrix(equations_1d(n), n + 1), full[:, 0], full[:, 1], full[:, 2], full[:, 3],
                    np.append(ctl, ctl.any()), t.suppression, k, p)


@CI
@given(shape=st.tuples(st.integers(1, 6), st.integers(1, 6)), data=st.data(), kp=thresholds,
       method=st.sampled_from(["graph", "lp"]))
def test_protect_2d_keeps_every_promise(shape, data, kp, method):
    k, p = kp
    r, c = shape
    cells = data.draw(st.lists(st.one_of(positive_cell, cell), min_size=r * c, max_size=r * c))
    stats = np.array([cell_stats(x) for x in cells]).reshape(r, c, 4)
    ctl = np.array(data.draw(st.lists(st.booleans(), min_size=r * c, max_size=r * c))).reshape(r, c)
    if data.draw(st.booleans()):
        ctl[:] = True

    grid = np.zeros((r + 1, c + 1, 4))
    grid[:r, :c] = stats
    for q, how in enumerate([np.sum, np.sum, np.max, np.sum]):
        grid[:r, c, q] = how(stats[:, :, q], axis=1)
        grid[r, :c, q] = how(stats[:, :, q], axis=0)
        grid[r, c, q] = how(stats[:, :, q])
    gctl = np.zeros((r + 1, c + 1), dtype=bool)
    gctl[:r, :c] = ctl
    gctl[:r, c], gctl[r, :c], gctl[r, c] = ctl.any(axis=1), ctl.any(axis=0), ctl.any()
    flat = grid.reshape(-1, 4)
    if method == "graph":
        t = D.protect_2d(stats[..., 0], stats[..., 1], stats[..., 2], k=k, p=p, needs_control=ctl,
                         abs_values=stats[..., 3])
        assert np.allclose(t.values.ravel(), flat[:, 1])
        s = t.suppression
    else:                                          # the linear-programme path on the same table
        s = D.suppress(D.table_2d(r, c), flat[:, 0], flat[:, 1], flat[:, 2], k=k, p=p,
                       needs_control=gctl.ravel(), abs_values=flat[:, 3], method="lp")
    check_protected(matrix(equations_2d(r, c), flat.shape[0]), flat[:, 0], flat[:, 1], flat[:, 2], flat[:, 3],
                    gctl.ravel(), s, k, p)


@CI
@given(parents=tree(), data=st.data(), kp=thresholds)
def test_protect_hierarchy_keeps_every_promise(parents, data, kp):
    k, p = kp
    n = len(parents)
    kids = {v: [w for w, q in enumerate(parents) if q == v] for v in range(n)}
    leaf_stats = [cell_stats(data.draw(cell)) for _ in range(n)]
    leaf_ctl = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))

    def total(v):                                  # recursive, unlike the module
        if not kids[v]:
            return np.array(leaf_stats[v]), leaf_ctl[v]
        parts = [total(w) for w in kids[v]]
        a = np.array([x for x, _ in parts])
        return np.array([a[:, 0].sum(), a[:, 1].sum(), a[:, 2].max(), a[:, 3].sum()]), any(b for _, b in parts)

    full = np.array([total(v)[0] for v in range(n)])
    ctl = np.array([total(v)[1] for v in range(n)])
    stats = np.array(leaf_stats)
    t = D.protect_hierarchy(parents, stats[:, 0], stats[:, 1], stats[:, 2], k=k, p=p, needs_control=leaf_ctl,
                            abs_values=stats[:, 3])
    assert np.allclose(t.values, full[:, 1]) and (t.needs_control == ctl).all()
    check_protected(matrix(equations_tree(parents), n), full[:, 0], full[:, 1], full[:, 2], full[:, 3], ctl,
                    t.suppression, k, p)


@settings(deadline=None, max_examples=15, derandomize=True)
@given(dims=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)), data=st.data())
def test_suppress_on_a_3d_table_keeps_every_promise(dims, data):
    """A 3-D table is not a network: this exercises the linear-programme method."""
    a, b, c = dims
    shape = (a + 1, b + 1, c + 1)
    inner = np.array([cell_stats(data.draw(positive_cell)) for _ in range(a * b * c)]).reshape(a, b, c, 4)
    full = np.zeros(shape + (4,))
    for corner in itertools.product((False, True), repeat=3):       # which axes are summed out
        axes = tuple(i for i, m in enumerate(corner) if m)
        block = inner.sum(axis=axes, keepdims=True)
        block[..., 2] = inner[..., 2].max(axis=axes, keepdims=True)
        full[tuple(slice(-1, None) if m else slice(0, d) for m, d in zip(corner, (a, b, c)))] = block
    flat = full.reshape(-1, 4)
    E = matrix(equations_3d(a, b, c), flat.shape[0])
    assert np.allclose(E @ flat[:, 1], 0)
    s = D.suppress(E, flat[:, 0], flat[:, 1], flat[:, 2], abs_values=flat[:, 3])
    check_protected(E, flat[:, 0], flat[:, 1], flat[:, 2], flat[:, 3], np.ones(flat.shape[0], bool), s, 3, 85.0)


@CI
@given(kind=st.sampled_from(["1d", "2d", "tree", "3d", "random"]), data=st.data())
def test_derivable_agrees_with_the_linear_programme(kind, data):
    if kind == "1d":
        n = data.draw(st.integers(1, 7))
        E = matrix(equations_1d(n), n + 1)
    elif kind == "2d":
        r, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
        E = matrix(equations_2d(r, c), (r + 1) * (c + 1))
    elif kind == "tree":
        parents = data.draw(tree())
        E = matrix(equations_tree(parents), len(parents))
    elif kind == "3d":
        E = matrix(equations_3d(2, 1, 2), 3 * 2 * 3)
    else:                                          # any small integer structure
        m, n = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 7))
        E = np.array(data.draw(st.lists(st.lists(st.integers(-2, 2), min_size=n, max_size=n),
                                        min_size=m, max_size=m)), dtype=float)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=E.shape[1], max_size=E.shape[1])))
    expected = np.array([mask[i] and lp_derivable(E, np.zeros(E.shape[1]), mask, i) for i in range(E.shape[1])])
    assert (D.derivable(E, mask) == expected).all()
    assert (D.derivable(E, mask, method="linalg") == expected).all()
    if D.is_network(E):
        assert (D.derivable(E, mask, method="graph") == expected).all()


def test_a_100_by_40_table_and_a_1000_cell_list_are_protected_within_a_web_response():
    rng = np.random.default_rng(7)
    counts = rng.integers(3, 40, size=(100, 40))
    counts[rng.random((100, 40)) < 0.02] = 1
    values = rng.gamma(2.0, 100.0, size=(100, 40)) * counts
    top1 = np.where(counts == 1, values, values * 0.3)
    started = time.perf_counter()
    t = D.protect_2d(counts, values, top1)
    one = D.protect_1d(counts.ravel()[:1000], values.ravel()[:1000], top1.ravel()[:1000])
    elapsed = time.perf_counter() - started
    assert t.suppression.primary.sum() > 50 and t.suppression.secondary.any()
    assert not D.derivable(t.A, t.suppression.suppressed).any()
    assert not D.derivable(one.A, one.suppression.suppressed).any()
    assert elapsed < 5.0, elapsed                  # ~0.05 s on a 2-core development container

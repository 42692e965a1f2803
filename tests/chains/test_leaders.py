"""Chain leaders (链主): reach, PageRank and the composite score on the 6-firm chain, by hand."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from zhizao.chains.leaders import anchored_clusters, downstream_reach, leaders, pagerank, upstream_reach
from zhizao.chains.measures import Groups, chokepoints, firm_groups

X, A, B, C, D, E = range(6)


def test_downstream_reach_worked_by_hand(chain):
    # S[i, c] = c's input share from i; y = output of the province's firms (X is outside: 0)
    # S y:  X 1/3·200 = 66.67   A 1/2·200 + 1·80 = 180   B 1/6·200 = 33.33   C 3/4·500 = 375   D 1/4·500 = 125
    # S²y:  X 1/3·375 = 125     A 1/2·375 + 1·125 = 312.5   B 1/6·375 = 62.5   (C, D sell only to E, who sells nothing)
    r = downstream_reach(chain, hops=3)
    assert r.tolist() == pytest.approx([200 / 3 + 125, 180 + 312.5, 100 / 3 + 62.5, 375, 125, 0])


def test_reach_of_a_single_supplier_equals_its_products_dependent_output(chain):
    # X is the only supplier of chips (3973): the two definitions meet
    chips = chokepoints(chain).products.to_pylist()[0]
    assert downstream_reach(chain, hops=3)[X] == pytest.approx(chips["dependent_output"])


def test_one_hop_reach_is_the_input_share_weighted_output_of_direct_buyers(chain):
    assert downstream_reach(chain, hops=1)[A] == pytest.approx(0.5 * 200 + 1.0 * 80)


def test_upstream_reach_worked_by_hand(chain):
    # B[i, s] = share of s's sales bought by i. B y: C ← A 3/4·100 + B 1·50 = 125; D ← A 1/4·100 = 25;
    # E ← C 200 + D 80 = 280. B²y: E ← C 125 + D 25 = 150.
    assert upstream_reach(chain, hops=3).tolist() == pytest.approx([0, 0, 0, 125, 25, 430])


def _pagerank_by_hand(d: float) -> np.ndarray:
    # money flows buyer → supplier: C pays X 20, A 30, B 10 (of 60); D pays A 10; E pays C 60, D 20 (of 80)
    p = np.zeros((6, 6))
    p[[X, A, B], C] = [1 / 3, 1 / 2, 1 / 6]
    p[A, D] = 1.0
    p[[C, D], E] = [3 / 4, 1 / 4]
    dangling = np.array([1, 1, 1, 0, 0, 0], float)          # X, A, B pay no one: their score spreads evenly
    m = np.eye(6) - d * p - d / 6 * np.outer(np.ones(6), dangling)
    return np.linalg.solve(m, np.full(6, (1 - d) / 6))


def test_pagerank_solves_the_linear_system_written_by_hand(chain):
    x = pagerank(chain, damping=0.85)
    assert x.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(x, _pagerank_by_hand(0.85), atol=1e-10)
    assert int(np.argmax(x)) == A                           # A supplies C and all of D


def test_pagerank_matches_networkx_in_both_directions(chain):
    g = nx.DiGraph()
    g.add_nodes_from(range(6))
    for s, b, a in zip(chain.supplier, chain.buyer, chain.amount):
        g.add_edge(int(b), int(s), weight=float(a))
    ref = nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-13)
    np.testing.assert_allclose(pagerank(chain), [ref[i] for i in range(6)], atol=1e-9)
    ref_d = nx.pagerank(g.reverse(), alpha=0.85, weight="weight", tol=1e-13)
    np.testing.assert_allclose(pagerank(chain, direction="demand"), [ref_d[i] for i in range(6)], atol=1e-9)


def test_leader_score_is_the_mean_of_three_percentile_ranks_by_hand(chain):
    t = {r["uscc"]: r for r in leaders(chain, hops=3).to_pylist()}
    assert set(t) == {"A", "B", "C", "D", "E"}                  # X is outside: not a candidate
    # size: B 50 < D 80 < A 100 < C 200 < E 500 → 0.2 … 1.0
    assert [t[f]["size_pct"] for f in "BDACE"] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    # reach = downstream + upstream: B 95.8 < D 150 < E 430 < A 492.5 < C 500
    assert [t[f]["reach_pct"] for f in "BDEAC"] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    infl = {f: t[f]["pagerank_supply"] + t[f]["pagerank_demand"] for f in t}
    order = sorted(infl, key=infl.get)
    assert [t[f]["influence_pct"] for f in order] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    for r in t.values():
        assert r["leader_score"] == pytest.approx((r["size_pct"] + r["reach_pct"] + r["influence_pct"]) / 3)


def test_leaders_are_ranked_by_score_and_ties_go_to_the_larger_firm(chain):
    t = leaders(chain, hops=3).to_pylist()
    assert [r["rank"] for r in t] == [1, 2, 3, 4, 5]
    scores = [r["leader_score"] for r in t]
    assert scores == sorted(scores, reverse=True)
    # E (1.0 + 0.6 + 1.0) and C (0.8 + 1.0 + 0.8) tie at 2.6/3: E, the larger, first
    assert [r["uscc"] for r in t[:2]] == ["E", "C"]
    assert leaders(chain, top=2).num_rows == 2


def test_suppliers_and_customers_are_distinct_counts(chain):
    t = {r["uscc"]: r for r in leaders(chain).to_pylist()}
    assert (t["C"]["suppliers"], t["C"]["customers"]) == (3, 1)
    assert (t["A"]["suppliers"], t["A"]["customers"]) == (0, 2)


def test_anchor_share_is_the_share_of_the_clusters_trade_with_the_firm(chain, chain_clusters):
    g = firm_groups(chain, "cluster", clusters=chain_clusters)
    t = {r["uscc"]: r for r in leaders(chain, clusters=g).to_pylist()}
    # the members' trade: A 40 (sells C 30, D 10), B 10, C 120 (buys 60, sells 60) = 170.
    # C is a member: the other members' trade is A 40 + B 10 = 50, of which with C 30 + 10 = 40
    assert t["C"]["anchor_share"] == pytest.approx(40 / 50)
    assert t["C"]["cluster"] == "zhuji_chain" and t["C"]["anchor_cluster"] == "zhuji_chain"
    # E buys C's 60: 60/170; E is no member
    assert (t["E"]["cluster"], t["E"]["anchor_share"]) == ("", pytest.approx(60 / 170))
    rows = anchored_clusters(chain, g, np.array([D, E]), anchor_min=0.3).to_pylist()
    assert [(r["uscc"], r["cluster_id"], r["member"]) for r in rows] == [("E", "zhuji_chain", False)]


def test_a_firm_in_no_cluster_with_no_trade_has_no_anchor():
    from zhizao.chains.network import network_from_arrays

    net = network_from_arrays([0], [1], [5.0], n=3)
    g = Groups("cluster", ("c",), ("c",), sp.csr_matrix(np.array([[1.0, 0.0, 0.0]])))
    t = {r["uscc"]: r for r in leaders(net, clusters=g).to_pylist()}
    assert (t["F2"]["anchor_cluster"], t["F2"]["anchor_share"]) == ("", 0.0)


def test_synthetic_province_leaders_are_large_and_central(q_net):
    t = leaders(q_net)
    assert t.num_rows == int(q_net.inside.sum())
    top = t.slice(0, 10).to_pylist()
    for r in top:
        assert r["size_pct"] > 0.9 and r["reach_pct"] > 0.9 and r["influence_pct"] > 0.9
    assert [r["rank"] for r in top] == list(range(1, 11))

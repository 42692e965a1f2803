"""Cluster resilience (拆不散、搬不走、压不垮) on the 6-firm chain, by hand, and on the synthetic province."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from zhizao.chains.measures import Groups, firm_groups
from zhizao.chains.resilience import cohesion, resilience, shock_absorption
from zhizao.chains.shock import ShockParams, shock_firms, simulate


@pytest.fixture
def groups(chain, chain_clusters):
    return firm_groups(chain, "cluster", clusters=chain_clusters)       # A, B, C


def test_cohesion_removes_the_largest_trader_and_measures_the_giant_component(chain, groups):
    r = cohesion(chain, groups, remove_share=0.05).to_pylist()[0]
    # network: A→C, A→D, B→C, C→E (X→C leaves the province); nodes A, B, C, D, E, one component.
    # trade: A 40, B 10, C 100, D 10, E 60 → remove ceil(5 % · 5) = 1: C. Left: A–D, B, E → 2 of 4
    assert (r["nodes"], r["removed"], r["lcc_before"], r["cohesion"]) == (5, 1, 1.0, 0.5)


def test_cohesion_removing_two_firms(chain, groups):
    r = cohesion(chain, groups, remove_share=0.4).to_pylist()[0]
    # ceil(0.4 · 5) = 2: C, then E (60). Left A–D, B → 2 of 3
    assert (r["removed"], r["cohesion"]) == (2, pytest.approx(2 / 3))


def test_a_cluster_without_links_has_no_cohesion():
    from zhizao.chains.network import network_from_arrays

    net = network_from_arrays([0], [1], [1.0], n=3)
    g = Groups("cluster", ("lonely",), ("lonely",), sp.csr_matrix(np.array([[0.0, 0.0, 1.0]])))
    r = cohesion(net, g).to_pylist()[0]
    assert r["nodes"] == 0 and math.isnan(r["cohesion"])


def test_embeddedness_is_the_mean_of_local_purchases_and_local_sales(chain, groups):
    r = resilience(chain, groups, params=ShockParams(days=20)).to_pylist()[0]
    # purchases: C 60, of which A 30 + B 10 in county 330681; sales 110, of which 40 to buyers there
    assert r["local_share"] == pytest.approx(40 / 60)
    assert r["local_sales_share"] == pytest.approx(40 / 110)
    assert r["embeddedness"] == pytest.approx((40 / 60 + 40 / 110) / 2)


def test_shock_scenarios_hit_the_clusters_outside_supplier_and_its_outside_input(chain, groups):
    params = ShockParams(days=40, recovery="none")
    r = shock_absorption(chain, groups, params=params).to_pylist()[0]
    # the only supplier from outside the cluster is X (C's chips), and chips are its only outside input
    assert (r["top_suppliers"], r["outside_product"]) == ("X", "3973")
    # without recovery, closing X and cutting its chips are the same shock
    assert r["loss_top_suppliers"] > 0.01
    assert r["loss_outside_input"] == pytest.approx(r["loss_top_suppliers"])
    assert r["absorption"] == pytest.approx(1 - r["loss_top_suppliers"])


def test_loss_share_is_the_members_lost_output_over_their_output_in_the_horizon(chain, groups):
    params = ShockParams(days=30)
    res = simulate(chain, shock_firms(chain, [0], 0.0), params)
    members = [1, 2, 3]                                              # A, B, C: none hit directly
    expected = res.loss[members].sum() / (res.baseline[members].sum() * 30)
    r = shock_absorption(chain, groups, params=params).to_pylist()[0]
    assert r["loss_top_suppliers"] == pytest.approx(expected)


def test_resilience_is_the_mean_of_its_three_components(chain, groups):
    r = resilience(chain, groups, params=ShockParams(days=30)).to_pylist()[0]
    assert r["resilience"] == pytest.approx((r["cohesion"] + r["embeddedness"] + r["absorption"]) / 3)
    assert r["rank"] == 1


def test_the_synthetic_provinces_fifteen_clusters_get_scores_between_0_and_1(q_net):
    from zhizao.clusters.method import clusters_from_synth
    from zhizao.data.synth import load_calibration

    g = firm_groups(q_net, "cluster", clusters=clusters_from_synth(load_calibration()))
    t = resilience(q_net, g)
    assert t.num_rows == 15
    rows = t.to_pylist()
    scored = [r for r in rows if r["resilience"] is not None and not math.isnan(r["resilience"])]
    assert len(scored) >= 12
    for r in scored:
        comps = [r[k] for k in ("cohesion", "embeddedness", "absorption") if not math.isnan(r[k])]
        assert all(-1e-9 <= c <= 1 + 1e-9 for c in comps), r["group_id"]
        assert r["resilience"] == pytest.approx(sum(comps) / len(comps))
    ranks = sorted(r["rank"] for r in rows)
    assert ranks == list(range(1, 16))
    best = min(scored, key=lambda r: r["rank"])
    assert best["resilience"] == max(r["resilience"] for r in scored)

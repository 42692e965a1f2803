"""Local sourcing, supplier HHI and chokepoints: the 6-firm chain by hand, the synthetic province's
planted single-source inputs."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from zhizao.chains.measures import chokepoints, firm_groups, input_shares, sourcing, sourcing_products


def _by_group(table):
    return {r["group_id"]: r for r in table.to_pylist()}


def test_groups_by_county_prefecture_division_hold_only_the_provinces_firms(chain):
    g = firm_groups(chain, "county")
    assert g.ids == ("330102", "330602", "330681")
    assert g.members.toarray().astype(int).tolist() == [[0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0], [0, 1, 1, 1, 0, 0]]
    assert firm_groups(chain, "prefecture").ids == ("330100", "330600")
    assert firm_groups(chain, "division").ids == ("33", "38")


def test_cluster_members_match_region_and_industry_codes(chain, chain_clusters):
    g = firm_groups(chain, "cluster", clusters=chain_clusters)
    assert g.ids == ("zhuji_chain",)
    assert chain.firms[g.members.toarray()[0] > 0].tolist() == ["A", "B", "C"]    # D is in 330602


def test_cluster_codes_finer_than_the_network_are_refused(chain_clusters):
    from zhizao.chains.network import network_from_arrays

    coarse = network_from_arrays([0], [1], [1.0], region=["330681", "330681"], sector=[0, 1], sectors=["33", "38"])
    with pytest.raises(ValueError, match="finer"):
        firm_groups(coarse, "cluster", clusters=chain_clusters)


def test_local_sourcing_by_county_worked_by_hand(chain):
    r = _by_group(sourcing(chain, firm_groups(chain, "county"), local="county"))
    # 330681 (A, B, C): only C buys, 60: A 30 + B 10 in the county, X 20 from Shanghai
    assert r["330681"]["purchases"] == 60.0
    assert r["330681"]["local_share"] == pytest.approx(40 / 60)
    assert r["330681"]["province_share"] == pytest.approx(40 / 60)
    assert r["330681"]["outside_share"] == pytest.approx(20 / 60)
    # its sales 110 (A→C 30, A→D 10, B→C 10, C→E 60), 40 to buyers in the county
    assert r["330681"]["local_sales_share"] == pytest.approx(40 / 110)
    # 330602 (D) buys 10 from A in 330681: not the county, same prefecture, same province
    assert (r["330602"]["local_share"], r["330602"]["province_share"]) == (0.0, 1.0)
    # 330102 (E) buys 80 from 330681 and 330602: all provincial, none local
    assert (r["330102"]["local_share"], r["330102"]["outside_share"]) == (0.0, 0.0)


def test_local_level_prefecture_counts_the_neighbouring_county(chain):
    r = _by_group(sourcing(chain, firm_groups(chain, "prefecture"), local="prefecture"))
    # 3306 = A, B, C, D: purchases C 60 + D 10 = 70, of which A→C, B→C, A→D = 50 in the prefecture
    assert r["330600"]["purchases"] == 70.0
    assert r["330600"]["local_share"] == pytest.approx(50 / 70)
    assert r["330600"]["outside_share"] == pytest.approx(20 / 70)


def test_supplier_hhi_by_input_product_worked_by_hand(chain):
    g = firm_groups(chain, "county")
    r = _by_group(sourcing(chain, g))
    # 330681 buys 3973 only from X (HHI 1) and 3311 from A 30, B 10: 0.75² + 0.25² = 0.625;
    # weighted by purchases: (20·1 + 40·0.625) / 60 = 0.75
    assert r["330681"]["supplier_hhi"] == pytest.approx(0.75)
    # 330102 (E) buys 3821 from C 60, D 20: 0.625
    assert r["330102"]["supplier_hhi"] == pytest.approx(0.625)
    rows = {(p["group_id"], p["product"]): p for p in sourcing_products(chain, g).to_pylist()}
    assert rows[("330681", "3311")]["supplier_hhi"] == pytest.approx(0.625)
    assert rows[("330681", "3311")]["top_supplier_share"] == pytest.approx(0.75)
    assert rows[("330681", "3973")]["outside_suppliers"] == 1
    assert rows[("330681", "3973")]["outside_share"] == 1.0
    assert rows[("330681", "3311")]["share_of_group"] == pytest.approx(40 / 60)


def test_firm_in_two_clusters_counts_in_both():
    from zhizao.chains.measures import Groups
    from zhizao.chains.network import network_from_arrays
    import scipy.sparse as sp

    net = network_from_arrays([0], [1], [10.0], region=["330681", "330681"])
    g = Groups("cluster", ("a", "b"), ("a", "b"), sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 1.0]])))
    assert sourcing(net, g).column("purchases").to_pylist() == [10.0, 10.0]


def test_input_shares_are_each_buyers_purchase_shares(chain):
    st = input_shares(chain).toarray()
    assert st[3].tolist() == pytest.approx([1 / 3, 1 / 2, 1 / 6, 0, 0, 0])   # C: X 20, A 30, B 10 of 60
    assert st[5].tolist() == [0, 0, 0, 0.75, 0.25, 0]                         # E: C 60, D 20 of 80
    assert st[:3].sum() == 0                                                  # X, A, B buy nothing


def test_the_single_outside_input_is_the_only_chokepoint_with_dependent_output_by_hand(chain):
    r = chokepoints(chain, max_suppliers=1, hops=3)
    rows = {p["product"]: p for p in r.products.to_pylist()}
    assert r.chokepoints == ("3973",)
    assert [p for p, v in rows.items() if v["chokepoint"]] == ["3973"]
    chips = rows["3973"]
    assert (chips["suppliers"], chips["inside_suppliers"], chips["outside_only"], chips["rank"]) == (1, 0, True, 1)
    # d⁰: C buys 20 of its 60 from chips → 1/3; one hop on: E buys 60 of its 80 from C → 0.75 · 1/3 = 1/4;
    # E sells nothing. Dependent output = 200 · 1/3 + 500 · 1/4 = 191.67; both firms reached (700).
    assert chips["dependent_output"] == pytest.approx(200 / 3 + 125)
    assert (chips["reach_firms"], chips["reach_output"]) == (2, 700.0)
    assert chips["direct_buyer_output"] == 200.0
    assert rows["3311"]["rank"] is None and rows["3311"]["dependent_output"] is None
    assert r.dependence[:, 0].tolist() == pytest.approx([0, 0, 0, 1 / 3, 0, 1 / 4])


def test_two_supplier_products_rank_by_dependent_output_by_hand(chain):
    r = chokepoints(chain, max_suppliers=2, hops=3)
    rows = {p["product"]: p for p in r.products.to_pylist()}
    # 3311 (A, B): C 40/60, D 10/10 → E 0.75·2/3 + 0.25·1 = 0.75:
    #   200·2/3 + 80·1 + 500·0.75 = 588.33;  3821 (C, D): E 1 → 500;  3973: 191.67
    assert rows["3311"]["dependent_output"] == pytest.approx(200 * 2 / 3 + 80 + 375)
    assert rows["3821"]["dependent_output"] == pytest.approx(500.0)
    assert r.chokepoints == ("3311", "3821", "3973")
    assert [rows[p]["rank"] for p in r.chokepoints] == [1, 2, 3]


def test_one_hop_counts_only_the_direct_buyers(chain):
    chips = chokepoints(chain, hops=1).products.to_pylist()[0]
    assert chips["dependent_output"] == pytest.approx(200 / 3)


def test_chokepoint_buyers_say_who_needs_the_input(chain):
    b = chokepoints(chain).buyers.to_pylist()
    assert [(r["product"], r["buyer_uscc"], r["suppliers"], r["outside_suppliers"]) for r in b] == [("3973", "C", 1, 1)]
    assert b[0]["input_share"] == pytest.approx(1 / 3) and b[0]["dependence"] == pytest.approx(1 / 3)


def test_outside_only_flag_can_be_left_out():
    from zhizao.chains.network import network_from_arrays

    # two outside suppliers of the same product: a chokepoint only as outside-only
    net = network_from_arrays([0, 1], [2, 2], [5.0, 5.0], product=[0, 0], products=["3973"],
                              inside=[False, False, True], output=[5.0, 5.0, 30.0])
    assert chokepoints(net).chokepoints == ("3973",)
    assert chokepoints(net, include_outside_only=False).chokepoints == ()


# --- the synthetic province ---------------------------------------------------------------------

def _planted():
    from zhizao.data.synth.calibration import load_calibration

    return [s.product_class for s in load_calibration().links.single_source.value]


def test_planted_single_source_outside_inputs_are_found_as_chokepoints(q_net):
    r = chokepoints(q_net)
    rows = {p["product"]: p for p in r.products.to_pylist()}
    planted = _planted()
    assert len(planted) == 3
    for code in planted:
        p = rows[code]
        assert p["chokepoint"] and p["suppliers"] == 1 and p["outside_only"], code
        assert p["outside_share"] == 1.0
    # they rank high: each among the top quarter of the chokepoints by dependent output
    n = len(r.chokepoints)
    assert all(rows[c]["rank"] <= n / 4 for c in planted), [(c, rows[c]["rank"], n) for c in planted]


def test_planted_chip_buyers_are_in_the_divisions_the_calibration_names(q_net):
    from zhizao.data.synth.calibration import load_calibration

    spec = {s.product_class: s for s in load_calibration().links.single_source.value}
    b = chokepoints(q_net).buyers
    for code, s in spec.items():
        sectors = b.filter(pc.equal(b["product"], code))["buyer_sector"].to_pylist()
        assert sectors and {x[:2] for x in sectors} <= set(s.buyer_divisions), code


def test_cluster_sourcing_on_the_synthetic_province_is_a_share(q_net):
    from zhizao.clusters.method import clusters_from_synth
    from zhizao.data.synth import load_calibration

    g = firm_groups(q_net, "cluster", clusters=clusters_from_synth(load_calibration()))
    assert len(g.ids) == 15
    t = sourcing(q_net, g)
    for col in ("local_share", "province_share", "outside_share", "supplier_hhi"):
        v = np.array([x for x in t[col].to_pylist() if x is not None and not np.isnan(x)])
        assert len(v) >= 10 and np.all((v >= 0) & (v <= 1 + 1e-12)), col
    ps, os_ = np.array(t["province_share"].to_pylist(), float), np.array(t["outside_share"].to_pylist(), float)
    ok = ~np.isnan(ps)
    np.testing.assert_allclose(ps[ok] + os_[ok], 1.0)

"""The Inoue–Todo shock-propagation model (zhizao.chains.shock): conservation, steady state,
propagation, Leontief limit (pymrio, test-only), rationing rules, scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from zhizao.chains.network import network_from_arrays
from zhizao.chains.shock import (
    DAYS_PER_YEAR,
    Shock,
    ShockParams,
    iterate,
    shock_county,
    shock_firms,
    shock_outside_suppliers,
    simulate,
    steady_state,
)

RATIONINGS = ("proportional", "soothing")


# --------------------------------------------------------------------------- networks

def io_network(Z, Y, firms_per_sector: int = 3, seed: int = 0):
    """A firm network whose flows aggregate exactly to the sector × sector table ``Z``.

    Sector ``s`` has ``firms_per_sector`` firms with random shares ``α`` of its output; firm
    ``i ∈ s`` sells to firm ``j ∈ r`` the amount ``Z[s, r]·α_i·α_j``, so every firm of a sector
    has the sector's input coefficients, and ``x`` is split like ``Z``'s rows and ``Y``.
    """
    rng = np.random.default_rng(seed)
    Z = np.asarray(Z, dtype=float)
    y = np.asarray(Y, dtype=float)
    x = Z.sum(axis=1) + y
    k = Z.shape[0]
    sector = np.repeat(np.arange(k), firms_per_sector)
    alpha = rng.dirichlet(np.ones(firms_per_sector), size=k).reshape(-1)
    i, j = np.meshgrid(np.arange(len(sector)), np.arange(len(sector)), indexing="ij")
    i, j = i.reshape(-1), j.reshape(-1)
    amount = Z[sector[i], sector[j]] * alpha[i] * alpha[j]
    keep = amount > 0
    return network_from_arrays(i[keep], j[keep], amount[keep], sector=sector,
                               sectors=[f"S{s}" for s in range(k)], output=alpha * x[sector]), alpha


def random_network(n: int = 2000, links_per_firm: int = 4, n_products: int = 30, seed: int = 1,
                   outside_share: float = 0.05):
    """A sparse random network: sizes lognormal, suppliers chosen by size, several input products."""
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, n_products, n)
    size = rng.lognormal(0.0, 1.2, n)
    m = n * links_per_firm
    sup = rng.choice(n, m, p=size / size.sum())
    buy = rng.integers(0, n, m)
    keep = sup != buy
    sup, buy = sup[keep], buy[keep]
    amount = rng.lognormal(8.0, 1.0, len(sup))
    sales = np.bincount(sup, amount, minlength=n)
    purchases = np.bincount(buy, amount, minlength=n)
    output = 1.3 * np.maximum(sales, purchases) + 1e3
    region = np.where(np.arange(n) % 10 == 0, "330481", "330402")
    inside = rng.random(n) > outside_share
    return network_from_arrays(sup, buy, amount, sector=sector, sectors=[f"{3300 + s}" for s in range(n_products)],
                               region=region, inside=inside, output=output)


def pymrio_table():
    pymrio = pytest.importorskip("pymrio")
    io = pymrio.load_test()
    io.calc_all()
    return pymrio, io


# --------------------------------------------------------------------------- conservation

@pytest.mark.parametrize("rationing", RATIONINGS)
def test_without_a_shock_nothing_changes_for_60_days(rationing):
    net = random_network()
    r = simulate(net, Shock(capacity=np.ones(net.n_firms)), ShockParams(days=60, rationing=rationing))
    assert r.output.shape == (61, net.n_firms)
    np.testing.assert_allclose(r.output, np.broadcast_to(r.baseline, r.output.shape), rtol=1e-12, atol=0)
    assert abs(r.loss).max() <= 1e-9 * r.baseline.max()
    assert r.recovery_day == 0 and not r.hit.any()
    ss = steady_state(net, ShockParams(rationing=rationing))
    for day in iterate(net, Shock(capacity=np.ones(net.n_firms)), ShockParams(days=60, rationing=rationing)):
        np.testing.assert_allclose(day.inventory, ss.inventory, rtol=1e-12)
        np.testing.assert_allclose(day.delivered, ss.flow, rtol=1e-12)
        np.testing.assert_allclose(day.final_served, ss.final_demand, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rationing", RATIONINGS)
def test_no_firm_produces_more_than_its_capacity_its_inputs_or_its_demand(rationing):
    net = random_network(seed=3)
    cap = shock_county(net, "330481", 0.3).capacity
    cut = shock_outside_suppliers(net, "3305").cut_links
    params = ShockParams(days=40, rationing=rationing, recovery="linear", recovery_days=20)
    ss = steady_state(net, params)
    inside = net.inside & (ss.output > 0)
    prev = None
    for day in iterate(net, Shock(capacity=cap, cut_links=cut), params):
        P = day.output
        tol = 1e-9 * ss.output
        back = min(1.0, (day.day - 1) / 20)                              # linear recovery over 20 days
        share = np.where(cap < 1, cap + (1 - cap) * back, 1.0)
        share[~net.inside & (share >= 1)] = np.inf                         # outside: unlimited unless hit
        assert np.all(P <= share * ss.output + tol)                        # damaged capacity
        assert np.all(P <= day.capacity + tol)
        assert np.all(P[inside] <= day.input_limit[inside] + tol[inside])
        assert np.all(P <= day.demand + tol)
        assert np.all(day.inventory >= 0)
        live = day.orders * np.where(cut, back, 1.0)                       # cut links come back alike
        assert np.all(day.delivered <= live * (1 + 1e-9) + 1e-12)
        # what a firm ships to its customers and to final demand is exactly what it produced
        shipped = np.bincount(net.supplier, day.delivered, minlength=net.n_firms) + day.final_served
        np.testing.assert_allclose(shipped, P, rtol=1e-9, atol=1e-9)
        if prev is not None:
            # the inputs used yesterday = A_ℓ·P/P⁰ per buyer and product, never more than in stock
            used = prev["inventory"] + prev["delivered"] - day.inventory
            assert np.all(used >= -1e-9 * (1 + prev["inventory"]))
            need = ss.flow * (prev["output"] / ss.output)[net.buyer]
            key = net.buyer * len(net.products) + net.product
            u = np.bincount(key, used, minlength=net.n_firms * len(net.products))
            nd = np.bincount(key, need, minlength=net.n_firms * len(net.products))
            rows = inside[np.arange(len(u)) // len(net.products)]
            np.testing.assert_allclose(u[rows], nd[rows], rtol=1e-9, atol=1e-6)
        prev = {"inventory": day.inventory.copy(), "delivered": day.delivered.copy(), "output": P.copy()}


def test_a_closed_single_supplier_stops_its_customer_when_the_stock_runs_out():
    # firm 0 sells 1/day to firm 1 (output 2/day); firm 1 keeps 5 days of input
    net = network_from_arrays([0], [1], [DAYS_PER_YEAR], output=[DAYS_PER_YEAR, 2 * DAYS_PER_YEAR], sector=[0, 1])
    r = simulate(net, shock_firms(net, [0], 0.0),
                 ShockParams(days=10, recovery="none", inventory_mean=0, inventory_min=5))
    np.testing.assert_allclose(r.output[:, 1], [2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0])
    assert r.direct_loss == pytest.approx(10.0) and r.indirect_loss == pytest.approx(10.0)
    assert r.recovery_day is None


# --------------------------------------------------------------------------- propagation (the paper's result)

@pytest.mark.parametrize("rationing", RATIONINGS)
def test_losses_spread_far_beyond_the_directly_hit_firms(rationing):
    net = random_network(n=3000, seed=7)
    ss = steady_state(net)
    hit = np.argsort(-ss.output)[:30]                    # the 1 % largest firms closed for a month
    r = simulate(net, shock_firms(net, hit, 0.0), ShockParams(days=60, rationing=rationing, recovery_days=30))
    assert r.indirect_loss > r.direct_loss > 0            # Inoue & Todo: indirect losses exceed direct ones
    affected = (r.loss > 0.01 * 60 * r.baseline) & ~r.hit
    assert affected.sum() >= 10 * len(hit)
    assert r.total_output.min() < r.total_output[0] * 0.97
    assert r.recovery_day is None or r.recovery_day > 30


def test_indirect_losses_grow_with_the_shock():
    net = random_network(n=2000, seed=11)
    losses = [simulate(net, shock_county(net, "330481", c), ShockParams(days=60)).indirect_loss for c in (0.9, 0.6, 0.2)]
    assert losses[0] < losses[1] < losses[2]


# --------------------------------------------------------------------------- input–output consistency (pymrio)

def test_steady_state_flows_aggregate_to_the_input_output_table_they_were_built_from():
    _, io = pymrio_table()
    Z, y, x = io.Z.to_numpy(), io.Y.to_numpy().sum(axis=1), io.x.to_numpy().ravel()
    net, _ = io_network(Z, y, firms_per_sector=3)
    ss = steady_state(net)
    k = Z.shape[0]
    agg = np.bincount(net.sector[net.supplier] * k + net.sector[net.buyer], ss.flow, minlength=k * k).reshape(k, k)
    np.testing.assert_allclose(agg * DAYS_PER_YEAR, Z, rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(np.bincount(net.sector, ss.final_demand, minlength=k) * DAYS_PER_YEAR, y, rtol=1e-9)
    np.testing.assert_allclose(np.bincount(net.sector, ss.output, minlength=k) * DAYS_PER_YEAR, x, rtol=1e-10)
    # the model's own day-1 deliveries, with no shock, are the same table
    day1 = next(iterate(net, Shock(capacity=np.ones(net.n_firms)), ShockParams(days=1)))
    agg1 = np.bincount(net.sector[net.supplier] * k + net.sector[net.buyer], day1.delivered, minlength=k * k)
    np.testing.assert_allclose(agg1.reshape(k, k) * DAYS_PER_YEAR, Z, rtol=1e-9, atol=1e-6)
    # and each firm's input coefficients, summed over the suppliers of a sector, are pymrio's A
    A = io.A.to_numpy()
    per_buyer = np.bincount(net.buyer * k + net.sector[net.supplier], ss.coefficient,
                            minlength=net.n_firms * k).reshape(net.n_firms, k)
    np.testing.assert_allclose(per_buyer, A[:, net.sector].T, rtol=1e-9, atol=1e-15)


def test_a_permanent_final_demand_change_settles_on_the_leontief_output():
    pymrio, io = pymrio_table()
    Z, y = io.Z.to_numpy(), io.Y.to_numpy().sum(axis=1)
    net, alpha = io_network(Z, y, firms_per_sector=3, seed=5)
    k = Z.shape[0]
    m = np.random.default_rng(2).uniform(0.7, 1.4, k)              # demand multiplier per sector
    y_new = io.Y.sum(axis=1) * m
    x_new = np.asarray(pymrio.calc_x_from_L(io.L, y_new)).ravel()   # x' = (I − A)⁻¹ y'
    shock = Shock(capacity=np.full(net.n_firms, np.inf), final_demand_change=m[net.sector])
    r = simulate(net, shock, ShockParams(days=400))
    settled = r.output[-1] * DAYS_PER_YEAR
    np.testing.assert_allclose(np.bincount(net.sector, settled, minlength=k), x_new, rtol=1e-4)
    np.testing.assert_allclose(settled, alpha * x_new[net.sector], rtol=1e-4)
    # a demand cut needs no spare capacity: the same Leontief answer with capacity 1
    m_down = np.minimum(m, 1.0)
    x_down = np.asarray(pymrio.calc_x_from_L(io.L, io.Y.sum(axis=1) * m_down)).ravel()
    r = simulate(net, Shock(capacity=np.ones(net.n_firms), final_demand_change=m_down[net.sector]),
                 ShockParams(days=400))
    np.testing.assert_allclose(np.bincount(net.sector, r.output[-1], minlength=k) * DAYS_PER_YEAR, x_down,
                               rtol=1e-4)


# --------------------------------------------------------------------------- rationing

def test_soothing_serves_first_the_customers_whose_orders_fell_most():
    # supplier 0 (output 2/day, all sold on links) sells 1/day to buyers 1 and 2; it loses half its
    # capacity, and buyer 1's final demand falls by 40 %, so buyer 1's orders fall relative to normal
    amounts = [DAYS_PER_YEAR, DAYS_PER_YEAR]
    net = network_from_arrays([0, 0], [1, 2], amounts, output=np.array([2, 2, 2]) * DAYS_PER_YEAR,
                              sector=[0, 1, 1])
    shock = Shock(capacity=np.array([0.5, 1.0, 1.0]), final_demand_change=np.array([1.0, 0.6, 1.0]))
    params = {"days": 20, "recovery": "none", "inventory_mean": 0, "inventory_min": 3}
    runs = {rationing: [(d.orders.copy(), d.delivered.copy()) for d in
                        iterate(net, shock, ShockParams(rationing=rationing, **params))]
            for rationing in RATIONINGS}
    served_in_full = 0
    for orders, delivered in runs["soothing"]:
        assert orders.sum() > 1.0                          # capacity 1/day is short every day
        low = orders.min()
        level = 0.5 if 2 * low >= 1.0 else 1.0 - low       # hand water-filling: min(o₁,x) + min(o₂,x) = 1
        np.testing.assert_allclose(delivered, np.minimum(orders, level), rtol=1e-12)
        served_in_full += delivered[0] == orders[0] < delivered[1] + 1e-12
    assert served_in_full >= 3
    for orders, delivered in runs["proportional"]:         # ARIO: everyone gets the same share
        assert delivered[0] / orders[0] == pytest.approx(delivered[1] / orders[1])
        assert delivered.sum() == pytest.approx(1.0)


def test_soothing_is_water_filling_on_the_ratio_to_pre_shock_orders():
    net = random_network(n=1500, seed=13)
    ss = steady_state(net)
    shock = shock_county(net, "330481", 0.4)
    seen = 0
    for day in iterate(net, shock, ShockParams(days=25, rationing="soothing")):
        short = np.flatnonzero(day.output < day.demand * (1 - 1e-9))
        for f in short[:40]:                              # a sample of rationing suppliers each day
            links = np.flatnonzero(net.supplier == f)
            w = np.r_[ss.flow[links], ss.final_demand[f]]
            d = np.r_[day.orders[links], day.final_demand[f]]
            got = np.r_[day.delivered[links], day.final_served[f]]
            ok = w > 0
            w, d, got = w[ok], d[ok], got[ok]
            assert got.sum() == pytest.approx(day.output[f], rel=1e-9)
            full = got >= d * (1 - 1e-9)
            part = ~full
            if part.any():
                level = got[part] / w[part]
                np.testing.assert_allclose(level, level[0], rtol=1e-7)           # one level for the rest
                assert np.all(d[full] / w[full] <= level[0] * (1 + 1e-9))         # served in full: lower ratios
                seen += 1
    assert seen > 50


# --------------------------------------------------------------------------- substitution, scenarios, recovery

def _three_supplier_net():
    # buyer 3 makes 2/day from product 0 (suppliers 0 outside, 1 inside; 0.5/day each) and product 1 (supplier 2)
    return network_from_arrays(
        [0, 1, 2], [3, 3, 3], np.array([0.5, 0.5, 1.0]) * DAYS_PER_YEAR, sector=[0, 0, 1, 2],
        sectors=["3985", "3985x", "3311", "3400"], product=[0, 0, 1], products=["3985", "3311"],
        inside=[False, True, True, True], output=np.array([0.5, 1.0, 1.0, 2.0]) * DAYS_PER_YEAR)


def test_inputs_of_one_product_substitute_and_different_products_are_complements():
    net = _three_supplier_net()
    params = ShockParams(days=60, recovery="none")
    cut_sub = shock_outside_suppliers(net, "3985")
    assert cut_sub.cut_links.tolist() == [True, False, False]
    lost_substitute = simulate(net, cut_sub, params).output[-1, 3]
    lost_complement = simulate(net, shock_firms(net, [2], 0.0), params).output[-1, 3]
    assert lost_complement == pytest.approx(0.0, abs=1e-12)
    assert lost_substitute > 0.1
    # with spare capacity at the inside supplier of the same product the buyer recovers in full
    spare = Shock(capacity=np.array([1.0, np.inf, 1.0, 1.0]), cut_links=cut_sub.cut_links)
    assert simulate(net, spare, params).output[-1, 3] == pytest.approx(2.0, rel=1e-3)


def test_scenario_helpers_pick_the_right_firms_and_links():
    net = random_network(n=500, seed=17)
    cap = shock_county(net, "330481", 0.5).capacity
    assert np.array_equal(cap < 1, net.region == "330481") and set(np.unique(cap)) == {0.5, 1.0}
    assert np.array_equal(shock_county(net, "3304", 0.5).capacity < 1, np.ones(net.n_firms, bool))
    s = shock_firms(net, [net.firms[3], net.firms[7]], 0.25)
    assert np.flatnonzero(s.capacity < 1).tolist() == [3, 7]
    with pytest.raises(KeyError):
        shock_firms(net, ["no-such-firm"], 0.5)
    code = net.products[net.product[np.flatnonzero(~net.inside[net.supplier])[0]]]
    cut = shock_outside_suppliers(net, code).cut_links
    expected = ~net.inside[net.supplier] & (net.product == net.products.index(code))
    assert cut.any() and np.array_equal(cut, expected)


def test_capacity_recovers_on_the_schedule():
    net = random_network(n=800, seed=19)
    s = shock_firms(net, np.arange(10), 0.0)
    fast = simulate(net, s, ShockParams(days=90, recovery="linear", recovery_days=10))
    never = simulate(net, s, ShockParams(days=90, recovery="none"))
    expo = simulate(net, s, ShockParams(days=90, recovery="exponential", recovery_days=10))
    assert fast.recovery_day is not None and fast.recovery_day <= 90
    np.testing.assert_allclose(fast.output[11:, :10], np.broadcast_to(fast.baseline[:10], (80, 10)), rtol=0.2)
    assert never.recovery_day is None and np.all(never.output[1:, :10] == 0)
    assert fast.direct_loss < expo.direct_loss < never.direct_loss
    assert fast.loss.sum() == pytest.approx(fast.direct_loss + fast.indirect_loss)


def test_simulation_is_deterministic_and_seeded():
    net = random_network(n=600, seed=23)
    s = shock_county(net, "330481", 0.2)
    a = simulate(net, s, ShockParams(days=30, seed=4, rationing="soothing"))
    b = simulate(net, s, ShockParams(days=30, seed=4, rationing="soothing"))
    c = simulate(net, s, ShockParams(days=30, seed=5, rationing="soothing"))
    assert np.array_equal(a.output, b.output)
    assert not np.array_equal(a.output, c.output)
    ss = steady_state(net, ShockParams(seed=4))
    assert ss.inventory_days.min() >= 2 and abs(ss.inventory_days.mean() - 15) < 1


def test_bad_inputs_are_refused():
    net = random_network(n=50, seed=29)
    with pytest.raises(ValueError):
        ShockParams(rationing="random")
    with pytest.raises(ValueError):
        simulate(net, Shock(capacity=np.ones(3)))
    with pytest.raises(ValueError):
        simulate(net, Shock(capacity=-np.ones(net.n_firms)))

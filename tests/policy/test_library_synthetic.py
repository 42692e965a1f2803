"""The whole shipped library evaluated on a small synthetic province (3,000 enterprises): no
errors, one row per enterprise with indicators in the year, and counts that agree with what the
province holds (the registry, first entries, certified tiers)."""

from __future__ import annotations

import ibis
import pyarrow.compute as pc
import pytest

from zhizao.data import synth
from zhizao.policy import available_policies, evaluate_many, load_library

Y = 2024
VERDICTS = {"eligible", "not_eligible", "unknown", "conflict"}


def _province(code):
    from zhizao.land import evaluate_years, load_method

    d = synth.generate(enterprises=3000, province=code, months=False)
    tables = {k: ibis.memtable(d[k]) for k in ("enterprises", "indicators", "parcels")}
    # the land lever's result, as `zhizao land evaluate --method shandong` writes it (every year,
    # with the method id), for land_differential_price
    ev = evaluate_years(tables, load_method("shandong"), years=[Y - 2, Y - 1, Y])
    tables["result_land_evaluation"] = ev.mutate(method_id=ibis.literal("shandong"))
    d["result_land_evaluation"] = tables["result_land_evaluation"].to_pyarrow()
    lib = load_library()
    res = evaluate_many(tables, list(lib), year=Y, library=lib)
    return d, {pid: t.to_pyarrow() for pid, t in res.items()}


@pytest.fixture(scope="module")
def zhejiang():
    return _province("330000")


@pytest.fixture(scope="module")
def shanghai():
    return _province("310000")


def _verdicts(t):
    return {v["values"]: v["counts"] for v in pc.value_counts(t["verdict"]).to_pylist()}


def _current(d):
    ind = d["indicators"]
    return ind.filter(pc.equal(ind["year"], Y))


def test_every_shipped_policy_evaluates_with_one_row_per_enterprise(zhejiang):
    d, res = zhejiang
    assert set(res) == set(available_policies()) == {
        "above_scale", "small_to_above", "innovative_sme", "specialized_sme", "little_giant",
        "growth_voucher_shanghai", "land_differential_price", "growth_voucher_zhejiang",
        "land_differential_price_zhejiang"}
    n = _current(d).num_rows
    for pid, t in res.items():
        assert t.num_rows == n, pid
        assert set(_verdicts(t)) <= VERDICTS - {"conflict"}, pid
        assert len(pc.unique(t["uscc"])) == n


def test_above_scale_follows_the_registry(zhejiang):
    d, res = zhejiang
    flagged = pc.sum(pc.cast(_current(d)["above_scale"], "int64")).as_py()
    assert _verdicts(res["above_scale"]).get("eligible") == flagged
    assert 0.03 * 3000 < flagged < 0.3 * 3000


def test_small_to_above_candidates_are_a_small_share_of_below_scale_firms(zhejiang):
    d, res = zhejiang
    v = _verdicts(res["small_to_above"])
    below = _current(d).num_rows - _verdicts(res["above_scale"])["eligible"]
    assert 0 < v["eligible"] < 0.15 * below
    routes = set(pc.unique(res["small_to_above"]["route"]).to_pylist()) - {None}
    assert routes <= {"at_line", "near_line"}


def test_tier_counts_are_plausible(zhejiang):
    d, res = zhejiang
    ent = d["enterprises"]
    tiers = {v["values"]: v["counts"] for v in pc.value_counts(ent["certified_tier"]).to_pylist()}
    inn, spe, lg = (_verdicts(res[p]) for p in ("innovative_sme", "specialized_sme", "little_giant"))
    # 创新型: some firms qualify by each route; not more than a third of the province
    assert 30 < inn["eligible"] < 1000
    routes = pc.value_counts(res["innovative_sme"]["route"].drop_null()).to_pylist()
    assert {r["values"] for r in routes} == {"direct", "score"}
    # 专精特新: far fewer than 创新型
    assert 0 < spe["eligible"] < inn["eligible"]
    # 小巨人: only certified little giants can be eligible (the review groups are unknown otherwise)
    assert lg.get("eligible", 0) <= tiers.get("little_giant", 0)
    assert lg["not_eligible"] > 0.9 * res["little_giant"].num_rows
    # unknown is a first-class outcome, and the data's gaps show up in `missing`
    assert inn["unknown"] > 0
    miss = res["innovative_sme"].filter(pc.equal(res["innovative_sme"]["verdict"], "unknown"))["missing"]
    assert pc.sum(pc.cast(pc.not_equal(miss, ""), "int64")).as_py() > 0.9 * len(miss)


def test_voucher_reaches_nobody_outside_shanghai(zhejiang):
    _, res = zhejiang
    t = res["growth_voucher_shanghai"]
    assert _verdicts(t) == {"not_eligible": t.num_rows}
    assert pc.all(pc.invert(t["rule_shanghai"])).as_py()


def test_voucher_in_shanghai_reaches_exactly_the_first_year_entrants(shanghai):
    d, res = shanghai
    t = res["growth_voucher_shanghai"]
    cur = _current(d)
    ent = d["enterprises"]
    since = dict(zip(ent["uscc"].to_pylist(), ent["above_scale_since"].to_pylist()))
    first = {u for u, a in zip(cur["uscc"].to_pylist(), cur["above_scale"].to_pylist())
             if a and since.get(u) is not None and since[u].year == Y}
    eligible = set(t.filter(pc.equal(t["verdict"], "eligible"))["uscc"].to_pylist())
    assert eligible == first and len(first) > 0
    assert pc.sum(t["benefit_yuan"]).as_py() == 500_000 * len(first)


def test_the_differential_price_charges_exactly_the_d_class(zhejiang):
    d, res = zhejiang
    ev = d["result_land_evaluation"]
    d_now = ev.filter(pc.and_(pc.equal(ev["year"], Y), pc.equal(ev["land_class"], "D")))
    t = res["land_differential_price"]
    assert d_now.num_rows > 0
    assert _verdicts(t).get("eligible") == d_now.num_rows
    charged = t.filter(pc.equal(t["verdict"], "eligible"))
    assert pc.max(charged["benefit_yuan"]).as_py() <= 0          # a charge: negative
    assert set(pc.unique(charged["var_surcharge_per_kwh"]).to_pylist()) <= {0.05, 0.1, 0.15}

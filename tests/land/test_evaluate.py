"""Evaluation: Huangyan formulas by hand on small cases, and the contract's table on a province."""

from __future__ import annotations

import pytest

from tests.land.conftest import a_method, a_tables
from zhizao.land import evaluate, load_method

U = ["91330624MA000000%02d" % k for k in range(40)]
HY = {"tax_per_mu": (30, 24.097, "万元/亩"), "va_per_mu": (20, 136.16, "万元/亩"),
      "va_per_energy": (20, 2.694, "万元/tce"), "va_per_emission": (10, 4929.81, "万元/t"),
      "labour_productivity": (10, 18.14, "万元/人"), "rd_ratio": (10, 0.0302, "ratio")}


def _item(i, w, bench, unit=None, cap=None, **kw):
    b = {"kind": "fixed", "value": bench, "unit": unit} if bench is not None else {"kind": "county_average"}
    return {"id": i, "weight": w, "benchmark": b, "cap": cap, "source": "test", **kw}


def _method(items, classing=None, **changes):
    classing = classing or {"kind": "quota", "shares": {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}, "source": "t"}
    seg = {"name_zh": "规上", "name_en": "above", "items": items, "classing": classing, "source": "test"}
    return a_method(segments={"above_scale": seg, "below_scale_large": seg, "below_scale_small": seg,
                              "tenant": seg}, **changes)


def _huangyan_fixed(cap=None):
    return _method([_item(i, w, b, u, cap=cap, missing="segment_average_score" if i == "va_per_emission" else "zero")
                    for i, (w, b, u) in HY.items()])


def _firm(k, area=10.0, county="330624", **ind):
    figures = {"taxes": 300e4, "value_added": 1500e4, "energy_tce": 500.0, "emissions_t": 3.0, "employees": 80,
               "rd_expenditure": 60e4, "main_revenue": 2000e4, "revenue": 2100e4, "electricity_kwh": 1e6}
    return ({"uscc": U[k], "registered_on": None, "region_code": county},
            {"uscc": U[k], **figures, **ind},
            {"parcel_id": f"P{k:03d}", "holder_uscc": U[k], "area_mu": area, "region_code": county})


@pytest.fixture(scope="module")
def a_hy():
    """Huangyan 2022 weights with fixed benchmarks; one county per scenario, evaluated once."""
    firms = [_firm(0, county="330101"), _firm(1, county="330102", value_added=-100e4),
             _firm(2, county="330103", emissions_t=3.0), _firm(3, county="330103", emissions_t=6.0),
             _firm(4, county="330103", emissions_t=None), _firm(5, county="330104", employees=0)]
    return _run(firms, _huangyan_fixed())


def _run(firms, method, extra_parcels=(), year=2024):
    e, i, p = zip(*firms)
    p = [x for x in p if x is not None]
    return {r["uscc"]: r for r in evaluate(a_tables(list(e), list(i), p + list(extra_parcels)),
                                            method, year=year).to_pyarrow().to_pylist()}


def test_huangyan_2022_six_item_scores_and_total_match_a_hand_calculation(a_hy):
    r = a_hy[U[0]]
    hand = {"tax_per_mu": 30 / 24.097 * 30, "va_per_mu": 150 / 136.16 * 20, "va_per_energy": 3 / 2.694 * 20,
            "va_per_emission": 500 / 4929.81 * 10, "labour_productivity": 18.75 / 18.14 * 10,
            "rd_ratio": 0.03 / 0.0302 * 10}
    for k, v in hand.items():
        assert r[f"{k}_score"] == pytest.approx(v)
    assert r["tax_per_mu_value"] == pytest.approx(300_000.0)  # yuan/mu
    assert r["tax_per_mu_benchmark"] == pytest.approx(240_970.0)
    assert r["total_score"] == pytest.approx(sum(hand.values()))
    assert r["segment"] == "above_scale" and r["graded"] and r["tax_per_kwh_score"] is None


def test_item_score_is_capped_at_cap_times_weight_and_flagged():
    r = _run([_firm(0, taxes=3000e4)], _huangyan_fixed(cap=1.5))[U[0]]
    assert r["tax_per_mu_score"] == pytest.approx(45.0)
    assert "capped:tax_per_mu" in r["flags"].split(";")


def test_negative_value_added_is_floored_at_zero(a_hy):
    r = a_hy[U[1]]
    assert r["va_per_mu_score"] == 0.0 and "floored:va_per_mu" in r["flags"]


def test_missing_emissions_get_the_segment_average_emissions_score(a_hy):
    s2, s3 = 500 / 4929.81 * 10, 250 / 4929.81 * 10
    assert a_hy[U[4]]["va_per_emission_score"] == pytest.approx((s2 + s3) / 2)
    assert "missing_va_per_emission_avg_score" in a_hy[U[4]]["flags"]
    assert a_hy[U[4]]["va_per_emission_value"] is None


def test_zero_denominator_counts_as_missing_and_scores_zero_under_rule_zero(a_hy):
    r = a_hy[U[5]]
    assert r["labour_productivity_score"] == 0.0 and "missing_labour_productivity_zero" in r["flags"]


def test_missing_rule_exclude_leaves_the_firm_not_graded_with_reason_no_data():
    m = _method([_item("tax_per_mu", 50, 10, "万元/亩"), _item("va_per_energy", 50, 1, "万元/tce", missing="exclude")])
    r = _run([_firm(0, energy_tce=None), _firm(1)], m)
    assert r[U[0]]["exempt_reason"] == "no_data" and not r[U[0]]["graded"] and r[U[0]]["land_class"] is None
    assert r[U[1]]["graded"]


def test_a_veto_sends_the_best_firm_to_d():
    firms = [_firm(k, taxes=(10 + k) * 1e5) for k in range(4)]
    ent = [dict(f[0], major_incident_3y=(k == 3)) for k, f in enumerate(firms)]
    r = _run([(ent[k], firms[k][1], firms[k][2]) for k in range(4)],
             _method([_item("tax_per_mu", 100, None)]))
    assert r[U[3]]["rank"] == 1 and r[U[3]]["land_class"] == "D"
    assert "veto:safety_incident" in r[U[3]]["flags"]


def test_quota_classes_follow_rank_with_ties_sharing_the_better_class():
    # taxes: firm 0 and 1 tie at the top; 4 firms, quota 25 % each
    taxes = [40e4, 40e4, 20e4, 10e4]
    r = _run([_firm(k, taxes=t) for k, t in enumerate(taxes)], _method([_item("tax_per_mu", 100, None)]))
    assert [r[U[k]]["rank"] for k in range(4)] == [1, 1, 3, 4]
    assert [r[U[k]]["land_class"] for k in range(4)] == ["A", "A", "C", "D"]
    assert r[U[0]]["rank_of"] == 4 and r[U[2]]["percentile"] == pytest.approx(0.75)


def test_firm_exactly_at_a_score_band_boundary_gets_the_higher_class():
    bands = {"kind": "bands", "bands": {"A": 120, "B": 100, "C": 60, "D": 0}, "source": "以上 inclusive"}
    m = _method([_item("tax_per_mu", 100, 10, "万元/亩", cap=2.0)], classing=bands)
    # 12 万元/亩 ÷ 10 × 100 = 120 exactly; 11.9 → 119; 5 → 50
    r = _run([_firm(0, taxes=120e4), _firm(1, taxes=119e4), _firm(2, taxes=50e4)], m)
    assert [r[U[k]]["land_class"] for k in range(3)] == ["A", "B", "D"]


def test_county_average_benchmark_is_the_ratio_of_sums():
    firms = [_firm(0, area=10, taxes=100e4), _firm(1, area=30, taxes=100e4)]
    r = _run(firms, _method([_item("tax_per_mu", 100, None)]))
    assert r[U[0]]["tax_per_mu_benchmark"] == pytest.approx(200e4 / 40)  # not the mean of 10e4 and 3.33e4
    assert r[U[0]]["tax_per_mu_score"] == pytest.approx(10e4 / 5e4 * 100)


def test_reverse_indicator_scores_two_minus_ratio_and_zero_beyond_twice_the_benchmark():
    m = _method([_item("tax_per_kwh", 10, 1, "元/kWh", direction="reverse")])
    r = _run([_firm(0, taxes=0.5e6, electricity_kwh=1e6), _firm(1, taxes=3e6, electricity_kwh=1e6)], m)
    assert r[U[0]]["tax_per_kwh_score"] == pytest.approx((2 - 0.5) * 10)
    assert r[U[1]]["tax_per_kwh_score"] == 0.0


@pytest.fixture(scope="module")
def a_default():
    """The shipped default method on hand-made firms: one county per scenario, evaluated once."""
    from datetime import date

    t = []  # tenants: firm 10 holds 12 mu, firms 11 and 12 rent on it
    f10 = _firm(10, area=12.0, county="330201")
    f11, f12 = (_firm(k, county="330201", above_scale=False) for k in (11, 12))
    parcel = dict(f10[2], tenant_usccs=f"{U[11]};{U[12]}")
    t += [(f10[0], f10[1], parcel), (f11[0], f11[1], None), (f12[0], f12[1], None)]
    e, i, p = _firm(13, county="330202")
    t.append((dict(e, industry_code="4411"), i, p))  # utility
    e, i, p = _firm(14, county="330202")
    t.append((dict(e, registered_on=date(2024, 3, 1)), i, p))  # start-up
    e, i, p = _firm(15, county="330202")
    t.append((e, i, dict(p, status="under_construction", contract_production_date=date(2025, 6, 30))))
    e, i, p = _firm(16, county="330202")
    t.append((e, i, None))  # no land
    t.append(_firm(17, county="330202"))
    e, i, p = _firm(18, county="330202")
    t.append((e, i, dict(p, status="under_construction", contract_production_date=date(2023, 6, 30))))
    t += [_firm(19, area=3.0, county="330203", above_scale=False),
          _firm(20, area=2.99, county="330203", above_scale=False)]
    return _run(t, load_method("zhejiang-county-default"))


def test_tenants_get_an_equal_share_of_the_parcel_and_the_holder_keeps_the_rest(a_default):
    assert [a_default[U[k]]["area_mu"] for k in (10, 11, 12)] == pytest.approx([4.0, 4.0, 4.0])
    assert a_default[U[11]]["segment"] == "tenant" and a_default[U[10]]["segment"] == "above_scale"
    assert "leased_area_allocated" in a_default[U[11]]["flags"]


def test_tenant_allocation_by_employees_splits_in_proportion_to_headcount():
    m = a_method(land={"tenant_allocation": "employees", "combine_shared_parcels": False, "source": "t"})
    parcel = {"parcel_id": "P000", "holder_uscc": U[0], "tenant_usccs": U[1], "area_mu": 10.0}
    f0, f1 = _firm(0, employees=30), _firm(1, employees=10)
    r = {x["uscc"]: x for x in evaluate(a_tables([f0[0], f1[0]], [f0[1], f1[1]], [parcel]), m,
                                        year=2024).to_pyarrow().to_pylist()}
    assert r[U[0]]["area_mu"] == pytest.approx(7.5) and r[U[1]]["area_mu"] == pytest.approx(2.5)


def test_several_firms_on_one_parcel_are_combined_into_one_shared_result():
    m = a_method(land={"tenant_allocation": "equal", "combine_shared_parcels": True, "source": "Suichang"})
    parcel = {"parcel_id": "P000", "holder_uscc": U[0], "tenant_usccs": U[1], "area_mu": 10.0}
    f0, f1, f2 = _firm(0, taxes=100e4), _firm(1, taxes=50e4, above_scale=False), _firm(2, area=5.0)
    out = evaluate(a_tables([f0[0], f1[0], f2[0]], [f0[1], f1[1], f2[1]], [parcel, f2[2]]), m, year=2024)
    r = {x["uscc"]: x for x in out.to_pyarrow().to_pylist()}
    assert r[U[0]]["unit_id"] == r[U[1]]["unit_id"] == "P:P000"
    assert r[U[0]]["taxes"] == r[U[1]]["taxes"] == 150e4 and r[U[0]]["area_mu"] == 10.0
    assert r[U[0]]["total_score"] == r[U[1]]["total_score"] and "shared_parcel" in r[U[1]]["flags"]
    assert r[U[0]]["rank_of"] == 2  # the shared unit is ranked once, beside firm 2


@pytest.mark.parametrize("k, reason", [(13, "utility"), (14, "startup"), (15, "under_construction"),
                                       (16, "no_land")])
def test_exempt_categories_are_not_graded_and_say_why(a_default, k, reason):
    r = a_default[U[k]]
    assert r["exempt_reason"] == reason and r["segment"] == "exempt" and not r["graded"]
    assert r["total_score"] is None and r["land_class"] is None and r["rank"] is None
    assert a_default[U[17]]["graded"]


def test_construction_past_its_contractual_production_date_is_evaluated(a_default):
    assert a_default[U[18]]["graded"] and a_default[U[18]]["area_mu"] == 10.0


def test_below_scale_firms_split_at_three_mu_inclusive(a_default):
    assert a_default[U[19]]["segment"] == "below_scale_large"
    assert a_default[U[20]]["segment"] == "below_scale_small"


CORE = {"year": "int64", "uscc": "string", "name": "string", "unit_id": "string", "region_code": "string",
        "park": "string", "division": "string", "industry_code": "string", "segment": "string",
        "area_mu": "float64", "taxes": "float64", "value_added": "float64", "revenue": "float64",
        "main_revenue": "float64", "employees": "int64", "energy_tce": "float64", "emissions_t": "float64",
        "electricity_kwh": "float64", "total_score": "float64", "rank": "int64", "rank_of": "int64",
        "percentile": "float64", "land_class": "string", "graded": "boolean", "exempt_reason": "string",
        "flags": "string"}


@pytest.fixture(scope="module")
def a_province_eval(a_province):
    t = evaluate(a_province.tables(), load_method("zhejiang-county-default"), year=2024)
    return t.schema(), t.to_pyarrow()


@pytest.fixture(scope="module")
def a_shared_eval(province_db):
    """The evaluation of the shared synthetic province (``province_db``, opened read only)."""
    from zhizao.data import store

    with store.open_warehouse(province_db, read_only=True) as wh:
        t = evaluate(wh.tables(), load_method("zhejiang-county-default"), year=2024)
        return t.schema(), t.to_pyarrow()


def test_province_evaluation_has_the_contract_columns_and_every_class(a_shared_eval):
    schema, r = a_shared_eval
    for c, ty in CORE.items():
        assert str(schema[c]).lower().startswith(ty), c
    for i in ("tax_per_mu", "va_per_mu", "labour_productivity", "va_per_energy", "va_per_emission", "rd_ratio",
              "tax_per_kwh", "revenue_per_mu"):
        for s in ("value", "benchmark", "score"):
            assert str(schema[f"{i}_{s}"]).lower().startswith("float64")
    assert r.num_rows == len(set(r.column("uscc").to_pylist()))
    graded = [x for x in r.to_pylist() if x["graded"]]
    assert {x["land_class"] for x in graded} == {"A", "B", "C", "D"}
    assert {x["segment"] for x in graded} == {"above_scale", "below_scale_large", "below_scale_small", "tenant"}


# on the private 20,000-firm province: at 5,000 firms most county × segment groups have < 10 规上 firms
# and get no A class (rank/n > 10.7 %), so the A share there is ~3 %, not the quota's 10.7 %
def test_province_quota_shares_are_close_to_the_tiantai_shares(a_province_eval):
    r = a_province_eval[1].to_pylist()
    above = [x for x in r if x["segment"] == "above_scale"]
    share_a = sum(x["land_class"] == "A" for x in above) / len(above)
    assert 0.08 < share_a < 0.13


def test_evaluate_years_stacks_one_table_per_year(province_db):
    from zhizao.data import store
    from zhizao.land import evaluate_years

    with store.open_warehouse(province_db, read_only=True) as wh:
        t = evaluate_years(wh.tables(), load_method("zhejiang-county-default"), years=[2023, 2024])
        years = t.group_by("year").aggregate(n=t.count()).to_pyarrow().to_pylist()
    assert sorted(y["year"] for y in years) == [2023, 2024]

"""上海市成长券 (growth_voucher_shanghai.yaml, 2023–2025, and its 2022 predecessor
growth_voucher_shanghai@2022.yaml) against hand-built enterprises (policy-methods.md §6.2): first
year on the 规上 registry (首次小升规 or 新建入统), in Shanghai, industrial; the amount is the
announced maximum 50万元; missing inputs."""

from __future__ import annotations

from datetime import date

from tests.policy.conftest import tables_from_rows
from zhizao.policy import evaluate, load_library

LIB = load_library()
PUDONG = "310115"


def run(firms, year=2024):
    ents, rows = [], []
    for i, (ent, cur) in enumerate(firms):
        u = f"E{i}"
        ents.append({"uscc": u, "region_code": PUDONG, "registered_on": date(2010, 5, 1), **ent})
        rows.append({"uscc": u, "year": year, "above_scale": True, **cur})
    t = evaluate(tables_from_rows(ents, rows), LIB.get("growth_voucher_shanghai", year=year), year=year, library=LIB)
    out = {r["uscc"]: r for r in t.to_pyarrow().to_pylist()}
    return [out[f"E{i}"] for i in range(len(firms))]


def test_first_year_on_the_registry_gets_up_to_500k():
    old, new = run([({"above_scale_since": date(2024, 3, 1)}, {}),
                    ({"above_scale_since": date(2024, 9, 1), "registered_on": date(2023, 4, 1)}, {})])
    assert (old["verdict"], old["route"], old["benefit_yuan"]) == ("eligible", "small_to_above", 500_000)
    assert (new["verdict"], new["route"], new["benefit_yuan"]) == ("eligible", "new_build", 500_000)
    assert old["version"] == "2023-2025"


def test_unknown_registration_date_only_labels_the_route():
    (r,) = run([({"above_scale_since": date(2024, 1, 1), "registered_on": None}, {})])
    assert (r["verdict"], r["route"]) == ("eligible", "small_to_above")


def test_second_year_on_the_registry_or_not_registered_gets_nothing():
    second, off = run([({"above_scale_since": date(2023, 12, 31)}, {}),
                       ({"above_scale_since": date(2024, 1, 1)}, {"above_scale": False})])
    assert second["var_years_on_registry"] == 1 and second["verdict"] == "not_eligible"
    assert off["verdict"] == "not_eligible" and off["benefit_yuan"] is None


def test_outside_shanghai_or_not_industrial_gets_nothing():
    zj, services = run([({"above_scale_since": date(2024, 1, 1), "region_code": "330624"}, {}),
                        ({"above_scale_since": date(2024, 1, 1), "industry_code": "7310"}, {})])
    assert zj["rule_shanghai"] is False and zj["verdict"] == "not_eligible"
    assert services["rule_industrial"] is False and services["verdict"] == "not_eligible"


def test_shanghai_is_the_gb2260_prefix_31_any_district():
    # region_in(region_code, '310000'): every 3101xx district (Chongming 310151 too), no other province
    firms = [({"above_scale_since": date(2024, 1, 1), "region_code": c}, {})
             for c in ("310101", "310151", "310115", "320100", "330624", "370000")]
    assert [r["rule_shanghai"] for r in run(firms)] == [True, True, True, False, False, False]


def test_missing_first_entry_date_is_unknown_and_named():
    (r,) = run([({"above_scale_since": None}, {})])
    assert r["verdict"] == "unknown" and r["missing"] == "above_scale_since" and r["benefit_yuan"] is None


def test_2022_predecessor_reward_applies_to_the_2022_evaluation():
    (r,) = run([({"above_scale_since": date(2022, 6, 1)}, {})], year=2022)
    assert r["version"] == "2022" and r["verdict"] == "eligible" and r["benefit_yuan"] == 500_000


def test_co_payment_and_catalogue_are_declared_not_decidable():
    p = LIB["growth_voucher_shanghai"]
    ids = {n.id for n in p.not_decidable}
    assert {"co_payment", "service_catalogue"} <= ids
    assert all("[U]" in n.source for n in p.not_decidable if n.id in ("co_payment", "new_build_definition"))
    for it in [p, *p.rules, *p.variables.values(), p.benefit]:
        assert any(tag in it.source for tag in ("[C]", "[C-3p]", "[U]")), it

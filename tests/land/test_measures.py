from __future__ import annotations

import ibis
import pytest

from zhizao.land.measures import apply_schedule, consecutive_years_in_class, measure_totals
from zhizao.land.method import MeasureRule, MeasureSchedule, ScheduleStep

SRC = "济南日报 2022-03-03 report of 鲁政字〔2019〕235号"


def d_rule(**kw):
    base = dict(id="d_electricity", name_zh="D类加价电费", name_en="D-class electricity surcharge",
                land_class="D", resource="electricity", unit="yuan/kWh", source=SRC,
                steps=[ScheduleStep(min_years=1, amount=0.05), ScheduleStep(min_years=2, amount=0.10),
                       ScheduleStep(min_years=3, amount=0.15)])
    return MeasureRule(**{**base, **kw})


SHANDONG = MeasureSchedule(rules=[d_rule()], source=SRC)


def history(uscc, classes: dict[int, str | None], **kw):
    return [{"uscc": uscc, "year": y, "land_class": c, **kw} for y, c in classes.items()]


def years_of(c_eval, rows, uscc, year):
    t = consecutive_years_in_class(c_eval(rows)).to_pyarrow().to_pylist()
    return next(r["years_in_class"] for r in t if r["uscc"] == uscc and r["year"] == year)


def test_consecutive_years_count_up_while_the_class_stays(c_eval):
    rows = history("X", {2021: "D", 2022: "D", 2023: "D", 2024: "D"})
    assert years_of(c_eval, rows, "X", 2024) == 4


def test_a_gap_year_resets_consecutive_years(c_eval):
    rows = history("X", {2021: "D", 2022: "D", 2024: "D"})
    assert years_of(c_eval, rows, "X", 2024) == 1


def test_a_year_in_another_class_resets_consecutive_years(c_eval):
    rows = history("X", {2021: "D", 2022: "C", 2023: "D", 2024: "D"})
    assert years_of(c_eval, rows, "X", 2024) == 2


def test_an_ungraded_year_resets_and_has_no_years_in_class(c_eval):
    rows = history("X", {2022: "D", 2023: None, 2024: "D"})
    assert years_of(c_eval, rows, "X", 2023) is None
    assert years_of(c_eval, rows, "X", 2024) == 1


def test_consecutive_years_are_counted_per_enterprise(c_eval):
    rows = history("X", {2023: "D", 2024: "D"}) + history("Y", {2024: "D"})
    assert (years_of(c_eval, rows, "X", 2024), years_of(c_eval, rows, "Y", 2024)) == (2, 1)


def charges(c_eval, rows, schedule=SHANDONG, year=2024, others=None):
    return apply_schedule(c_eval(rows), schedule, year=year, other_surcharges=others).to_pyarrow().to_pylist()


@pytest.mark.parametrize(("years", "per_kwh"), [(1, 0.05), (2, 0.10), (3, 0.15), (5, 0.15)])
def test_d_surcharge_step_follows_consecutive_years(c_eval, years, per_kwh):
    rows = history("X", {2024 - i: "D" for i in range(years)}, electricity_kwh=2_000_000.0)
    (r,) = charges(c_eval, rows)
    assert r["schedule_per_unit"] == pytest.approx(per_kwh)
    assert r["step_min_years"] == min(years, 3)
    assert r["extra_charge_yuan"] == pytest.approx(per_kwh * 2_000_000)


def test_firms_outside_the_rule_class_are_not_charged(c_eval):
    rows = history("X", {2024: "C"}) + history("Y", {2024: None})
    assert charges(c_eval, rows) == []


def test_the_highest_surcharge_wins_without_stacking(c_eval):
    rows = history("X", {2024: "D"}, electricity_kwh=1_000_000.0)  # schedule 0.05
    others = ibis.memtable({"uscc": ["X", "X"], "year": [2024, 2024], "resource": ["electricity"] * 2,
                            "name": ["差别电价", "阶梯电价"], "amount_per_unit": [0.10, 0.03]})
    (r,) = charges(c_eval, rows, others=others)
    assert r["charged_per_unit"] == pytest.approx(0.10)
    assert r["charged_by"] == "差别电价"
    assert r["charge_yuan"] == pytest.approx(100_000)
    assert r["extra_charge_yuan"] == pytest.approx(0.0)


def test_the_schedule_wins_over_a_lower_other_surcharge_and_adds_only_the_difference(c_eval):
    rows = history("X", {2022: "D", 2023: "D", 2024: "D"}, electricity_kwh=1_000_000.0)  # 0.15
    others = ibis.memtable({"uscc": ["X"], "year": [2024], "resource": ["electricity"],
                            "name": ["惩罚性电价"], "amount_per_unit": [0.10]})
    (r,) = charges(c_eval, rows, others=others)
    assert (r["charged_by"], r["charged_per_unit"]) == ("schedule", pytest.approx(0.15))
    assert r["extra_charge_yuan"] == pytest.approx(50_000)


def test_other_surcharges_of_another_year_or_resource_are_ignored(c_eval):
    rows = history("X", {2024: "D"}, electricity_kwh=1_000_000.0)
    others = ibis.memtable({"uscc": ["X", "X"], "year": [2023, 2024], "resource": ["electricity", "water"],
                            "name": ["差别电价", "差别水价"], "amount_per_unit": [0.5, 0.5]})
    (r,) = charges(c_eval, rows, others=others)
    assert (r["charged_by"], r["charge_yuan"]) == ("schedule", pytest.approx(50_000))


def test_sum_combine_stacks_surcharges(c_eval):
    rows = history("X", {2024: "D"}, electricity_kwh=1_000_000.0)
    others = ibis.memtable({"uscc": ["X"], "year": [2024], "resource": ["electricity"],
                            "name": ["差别电价"], "amount_per_unit": [0.10]})
    stacked = MeasureSchedule(rules=[d_rule()], combine="sum", source=SRC)
    (r,) = charges(c_eval, rows, schedule=stacked, others=others)
    assert r["charged_per_unit"] == pytest.approx(0.15)
    assert r["extra_charge_yuan"] == pytest.approx(50_000)


def test_a_rebate_is_a_negative_charge(c_eval):
    rebate = MeasureSchedule(rules=[d_rule(id="a_rebate", land_class="A",
                                           steps=[ScheduleStep(min_years=1, amount=-0.02)])], source=SRC)
    rows = history("X", {2024: "A"}, electricity_kwh=1_000_000.0)
    (r,) = charges(c_eval, rows, schedule=rebate)
    assert r["extra_charge_yuan"] == pytest.approx(-20_000)


def test_a_rebate_is_not_compared_away_by_another_surcharge(c_eval):
    rebate = MeasureSchedule(rules=[d_rule(id="a_rebate", land_class="A",
                                           steps=[ScheduleStep(min_years=1, amount=-0.02)])], source=SRC)
    rows = history("X", {2024: "A"}, electricity_kwh=1_000_000.0)
    others = ibis.memtable({"uscc": ["X"], "year": [2024], "resource": ["electricity"],
                            "name": ["阶梯电价"], "amount_per_unit": [0.05]})
    (r,) = charges(c_eval, rows, schedule=rebate, others=others)
    assert r["charged_per_unit"] == pytest.approx(0.03)
    assert r["extra_charge_yuan"] == pytest.approx(-20_000)


def test_water_and_gas_rules_price_the_water_and_gas_use(c_eval):
    # D after 1 year: +0.05 yuan per m³ (d_rule's first step) on 5,000 m³ of water / 20,000 m³ of gas
    for resource, use in (("water", 5_000.0), ("gas", 20_000.0)):
        sched = MeasureSchedule(rules=[d_rule(id=f"d_{resource}", resource=resource, unit="yuan/m3")], source=SRC)
        (r,) = charges(c_eval, history("X", {2024: "D"}), schedule=sched)
        assert r["computable"] is True and r["resource_use"] == pytest.approx(use)
        assert r["extra_charge_yuan"] == pytest.approx(0.05 * use)


def test_missing_water_use_is_not_computable_with_the_reason(c_eval):
    water = MeasureSchedule(rules=[d_rule(id="d_water", resource="water", unit="yuan/t")], source=SRC)
    (r,) = charges(c_eval, history("X", {2024: "D"}, water_m3=None), schedule=water)
    assert r["computable"] is False
    assert r["not_computable_reason"] == "missing_water_m3"
    assert r["extra_charge_yuan"] is None


def test_missing_electricity_use_is_not_computable(c_eval):
    (r,) = charges(c_eval, history("X", {2024: "D"}, electricity_kwh=None))
    assert (r["computable"], r["not_computable_reason"]) == (False, "missing_electricity_kwh")


def test_totals_add_up_by_county_and_class(c_eval):
    rows = (history("X", {2024: "D"}, electricity_kwh=1_000_000.0)
            + history("Y", {2023: "D", 2024: "D"}, electricity_kwh=1_000_000.0)
            + history("Z", {2024: "D"}, electricity_kwh=1_000_000.0, region_code="330481"))
    t = apply_schedule(c_eval(rows), SHANDONG, year=2024)
    totals = {r["region_code"]: r for r in measure_totals(t).to_pyarrow().to_pylist()}
    assert totals["330624"]["firms"] == 2
    assert totals["330624"]["extra_charge_yuan"] == pytest.approx(150_000)
    assert totals["330481"]["extra_charge_yuan"] == pytest.approx(50_000)


def test_firms_evaluated_together_share_the_unit_electricity_equally(c_eval):
    rows = [{"uscc": u, "unit_id": "P:9", "land_class": "D", "electricity_kwh": 2_000_000.0} for u in "XY"]
    out = charges(c_eval, rows)
    assert [r["extra_charge_yuan"] for r in out] == [pytest.approx(50_000)] * 2

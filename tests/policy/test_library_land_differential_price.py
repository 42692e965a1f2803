"""亩均效益 differential electricity price (land_differential_price.yaml, policy-methods.md §1.5) over
the land lever's result: hand-built result_land_evaluation rows (class by year, Shandong method),
the surcharge by consecutive years in class at each step (1, 2, 3 and beyond), a gap year and a
change of class restarting the run, exempt and not-evaluated enterprises, the charge's sign, and
the schedule's figures equal to the land method's measure schedule (methods/land/shandong.yaml)."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from tests.policy.conftest import tables_from_rows
from zhizao.policy import PolicyError, dependencies, evaluate, load_library

Y = 2024
LIB = load_library()
KWH = 1_000_000.0


def run(history: dict[str, list], *, kwh=KWH, method="shandong"):
    """``history``: uscc → classes of Y-len+1 … Y (None = evaluated but not graded, "-" = not evaluated)."""
    usccs = sorted(history)
    t = tables_from_rows([{"uscc": u} for u in usccs], [{"uscc": u, "electricity_kwh": kwh} for u in usccs])
    rows = []
    for u, classes in history.items():
        for i, c in enumerate(classes):
            if c != "-":
                rows.append({"uscc": u, "year": Y - len(classes) + 1 + i, "method_id": method,
                             "land_class": c, "graded": c is not None})
    schema = pa.schema([("uscc", pa.string()), ("year", pa.int64()), ("method_id", pa.string()),
                        ("land_class", pa.string()), ("graded", pa.bool_())])
    t["result_land_evaluation"] = ibis.memtable(pa.Table.from_pylist(rows, schema=schema))
    out = evaluate(t, LIB.get("land_differential_price", year=Y), year=Y, library=LIB).to_pyarrow().to_pylist()
    return {r["uscc"]: r for r in out}


@pytest.mark.parametrize(("classes", "years", "per_kwh"), [
    (["D"], 1, 0.05),
    (["A", "D"], 1, 0.05),
    (["D", "D"], 2, 0.10),
    (["D", "D", "D"], 3, 0.15),
    (["D", "D", "D", "D", "D"], 5, 0.15),
    (["D", "-", "D"], 1, 0.05),   # a year not evaluated starts a new run
    (["D", "C", "D"], 1, 0.05),   # so does a year in another class
])
def test_d_class_surcharge_by_consecutive_years_in_class(classes, years, per_kwh):
    r = run({"E1": classes})["E1"]
    assert (r["verdict"], r["rule_class_d"], r["var_years_in_class"]) == ("eligible", True, years)
    assert r["var_surcharge_per_kwh"] == pytest.approx(per_kwh, abs=1e-12)
    # a charge: benefit_yuan is what the enterprise pays, negative
    assert r["benefit_yuan"] == pytest.approx(-per_kwh * KWH)


def test_other_classes_exempt_and_not_evaluated():
    r = run({"A1": ["A"], "C1": ["D", "C"], "X1": [None], "N1": ["-"]})
    assert (r["A1"]["verdict"], r["A1"]["benefit_yuan"]) == ("not_eligible", None)
    assert r["C1"]["verdict"] == "not_eligible"   # the Shandong schedule charges the D class only
    assert (r["X1"]["verdict"], r["X1"]["exc_class_d"]) == ("not_eligible", "not_graded")
    # not in the land evaluation: unknown, with the land inputs named
    assert (r["N1"]["verdict"], r["N1"]["missing"]) == ("unknown", "land.graded;land.land_class")


def test_missing_electricity_use_leaves_the_amount_unknown():
    r = run({"E1": ["D"]}, kwh=None)["E1"]
    assert r["verdict"] == "eligible" and r["benefit_yuan"] is None


def test_rows_of_another_land_method_are_not_read():
    r = run({"E1": ["D"]}, method="zhejiang-county-default")["E1"]
    assert r["verdict"] == "unknown"


def test_the_figures_are_the_land_methods_measure_schedule():
    from zhizao.land.method import load_method

    rule = next(r for r in load_method("shandong").measures.rules if r.resource == "electricity")
    assert rule.land_class == "D"
    steps = {s.min_years: s.amount for s in rule.steps}
    history = {f"E{n}": ["D"] * n for n in range(1, 6)}
    r = run(history)
    for n in range(1, 6):
        expected = steps[max(k for k in steps if k <= n)]
        assert r[f"E{n}"]["var_surcharge_per_kwh"] == pytest.approx(expected, abs=1e-12)


def test_without_the_land_result_the_error_names_the_command():
    t = tables_from_rows([{"uscc": "E1"}], [{"uscc": "E1"}])
    with pytest.raises(PolicyError, match=r"result_land_evaluation.*run `zhizao land evaluate` first"):
        evaluate(t, LIB.get("land_differential_price", year=Y), year=Y, library=LIB)


def test_the_dependency_graph_lists_the_land_result():
    d = dependencies(LIB["land_differential_price"], LIB)
    assert d.input_tables == (("land", "result_land_evaluation", "zhizao land evaluate"),)
    assert d.tables["result_land_evaluation"] == ("graded", "land_class", "years_in_class")
    assert d.tables["indicators"] == ("electricity_kwh",)


def test_every_item_carries_a_tagged_source():
    p = LIB["land_differential_price"]
    items = [p, *p.variables.values(), *p.rules, *[x for r in p.rules for x in r.exceptions], p.benefit,
             *p.not_decidable, *p.inputs.values()]
    for it in items:
        assert it.source and any(tag in it.source for tag in ("[C]", "[C-3p]", "[U]")), it
    assert p.benefit.kind == "charge"


def test_the_explanation_shows_the_land_class_and_years_in_class():
    from zhizao.policy.explain import explain, render

    usccs = ["E1"]
    t = tables_from_rows([{"uscc": u} for u in usccs], [{"uscc": u, "electricity_kwh": KWH} for u in usccs])
    rows = [{"uscc": "E1", "year": Y - 1 + i, "method_id": "shandong", "land_class": "D", "graded": True}
            for i in range(2)]
    schema = pa.schema([("uscc", pa.string()), ("year", pa.int64()), ("method_id", pa.string()),
                        ("land_class", pa.string()), ("graded", pa.bool_())])
    t["result_land_evaluation"] = ibis.memtable(pa.Table.from_pylist(rows, schema=schema))
    tree = explain(t, LIB.get("land_differential_price", year=Y), uscc="E1", year=Y, library=LIB)
    seen = {k: v["value"] for s in tree["rules"] for k, v in (s.get("inputs") or {}).items()}
    assert seen.get("land.land_class") == "D"
    text = render(tree, lang="zh")
    assert "land.land_class" in text and "D" in text

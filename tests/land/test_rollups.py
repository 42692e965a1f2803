from __future__ import annotations

import ibis
import pytest

from zhizao.data.synth import load_calibration
from zhizao.land.rollups import class_rollup, clusters_from_synth_calibration, d_class_land, transition_matrix


def firms(spec: str, **kw):
    """'A B B D' → graded firms F0… in those classes ('-' = exempt)."""
    return [{"uscc": f"F{i}", "land_class": None if c == "-" else c,
             "exempt_reason": "startup" if c == "-" else None, **kw}
            for i, c in enumerate(spec.split())]


def rows_of(t):
    return t.to_pyarrow().to_pylist()


def test_class_shares_of_graded_firms_sum_to_one_per_county(c_eval):
    rows = firms("A B B D -", region_code="330624") + [
        {**r, "uscc": "G" + r["uscc"]} for r in firms("C C D", region_code="330481")]
    out = rows_of(class_rollup(c_eval(rows)))
    for county in ("330624", "330481"):
        assert sum(r["share"] for r in out if r["region_code"] == county) == pytest.approx(1.0)


def test_exempt_firms_are_not_counted_in_the_class_shares(c_eval):
    out = rows_of(class_rollup(c_eval(firms("A B - -"))))
    assert {r["land_class"]: r["firms"] for r in out} == {"A": 1, "B": 1}
    assert out[0]["graded_firms"] == 2


def test_land_tax_and_value_added_are_summed_by_class(c_eval):
    rows = firms("D D A", area_mu=10.0, taxes=100.0, value_added=1000.0)
    d = next(r for r in rows_of(class_rollup(c_eval(rows))) if r["land_class"] == "D")
    assert (d["area_mu"], d["taxes"], d["value_added"], d["tax_per_mu"]) == (20.0, 200.0, 2000.0, 10.0)


def test_a_shared_parcel_counts_its_land_once(c_eval):
    rows = [{"uscc": "X", "unit_id": "P:1", "land_class": "B", "area_mu": 30.0},
            {"uscc": "Y", "unit_id": "P:1", "land_class": "B", "area_mu": 30.0}]
    (b,) = rows_of(class_rollup(c_eval(rows)))
    assert (b["firms"], b["area_mu"]) == (2, 30.0)


@pytest.mark.parametrize("by", [("park",), ("division",), ("region_code", "park")])
def test_rollup_groups_by_park_and_division(c_eval, by):
    rows = (firms("A B", park="P1", division="34")
            + [{**r, "uscc": "G" + r["uscc"]} for r in firms("D", park="P2", division="17")])
    out = rows_of(class_rollup(c_eval(rows), by=by))
    assert sum(r["firms"] for r in out) == 3
    assert all(set(by) <= set(r) for r in out)


def test_cluster_rollup_counts_firms_whose_industry_starts_with_a_cluster_prefix_in_its_regions(c_eval):
    clusters = ibis.memtable({"cluster_id": ["bearings", "bearings"], "region_code": ["330624", "330624"],
                              "industry_prefix": ["345", "3451"]})
    rows = [{"uscc": "IN", "industry_code": "3451", "land_class": "A"},
            {"uscc": "OTHER_IND", "industry_code": "1761", "land_class": "D"},
            {"uscc": "OTHER_REGION", "industry_code": "3451", "region_code": "330481", "land_class": "D"}]
    out = rows_of(class_rollup(c_eval(rows), by=("cluster",), clusters=clusters))
    assert [(r["cluster"], r["land_class"], r["firms"]) for r in out] == [("bearings", "A", 1)]


def test_cluster_rollup_without_clusters_fails_with_a_message(c_eval):
    with pytest.raises(ValueError, match="clusters table"):
        class_rollup(c_eval(firms("A")), by=("cluster",))


def test_synth_calibration_clusters_become_a_table_of_region_and_industry_prefixes():
    t = clusters_from_synth_calibration(load_calibration()).to_pyarrow().to_pylist()
    bearings = {r["industry_prefix"] for r in t if r["cluster_id"] == "xinchang_bearings"}
    assert bearings == {"3451", "3452", "3453"}
    assert all(r["region_code"] == "330624" for r in t if r["cluster_id"] == "xinchang_bearings")


def test_transition_matrix_counts_moves_including_new_gone_and_not_graded(c_eval):
    y1 = c_eval([{"uscc": "S", "land_class": "A", "year": 2023}, {"uscc": "M", "land_class": "C", "year": 2023},
                 {"uscc": "G", "land_class": "D", "year": 2023}, {"uscc": "X", "land_class": None, "year": 2023}])
    y2 = c_eval([{"uscc": "S", "land_class": "A"}, {"uscc": "M", "land_class": "D"},
                 {"uscc": "X", "land_class": "B"}, {"uscc": "N", "land_class": "B"}])
    cells = {(r["from_class"], r["to_class"]): r["firms"] for r in rows_of(transition_matrix(y1, y2))}
    assert cells == {("A", "A"): 1, ("C", "D"): 1, ("D", "gone"): 1, ("not_graded", "B"): 1, ("new", "B"): 1}


def test_transition_matrix_row_shares_sum_to_one(c_eval):
    y1 = c_eval(firms("D D D C", year=2023))
    y2 = c_eval(firms("D C", year=2024))
    out = rows_of(transition_matrix(y1, y2))
    d = {r["to_class"]: r["row_share"] for r in out if r["from_class"] == "D"}
    assert d == pytest.approx({"D": 1 / 3, "C": 1 / 3, "gone": 1 / 3})


def test_d_class_land_is_the_land_of_d_firms_per_county(c_eval):
    rows = firms("D D A", area_mu=10.0) + [
        {**r, "uscc": "G" + r["uscc"]} for r in firms("B", region_code="330481", area_mu=5.0)]
    out = {r["region_code"]: r for r in rows_of(d_class_land(c_eval(rows)))}
    assert (out["330624"]["d_firms"], out["330624"]["d_area_mu"]) == (2, 20.0)
    assert out["330624"]["d_area_share"] == pytest.approx(2 / 3)
    assert (out["330481"]["d_firms"], out["330481"]["d_area_mu"]) == (0, 0.0)


def test_a_shared_parcel_counts_its_taxes_and_value_added_once(c_eval):
    rows = [{"uscc": u, "unit_id": "P:1", "land_class": "B", "taxes": 600.0, "value_added": 900.0} for u in "XYZ"]
    (b,) = rows_of(class_rollup(c_eval(rows)))
    assert (b["taxes"], b["value_added"]) == (600.0, 900.0)

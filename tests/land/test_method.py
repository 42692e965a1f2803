"""Land methods: the shipped files load, units convert, malformed files name file and field."""

from __future__ import annotations

import pytest

from zhizao.land.method import MethodError, available_methods, load_method, parse_method


def test_the_three_shipped_methods_load_and_cite_sources():
    assert set(available_methods()) >= {"zhejiang-county-default", "linhai-fixed", "shandong"}
    for mid in ("zhejiang-county-default", "linhai-fixed", "shandong"):
        m = load_method(mid)
        assert m.source and all(it.source for s in m.segments.values() for it in s.items)


def test_huangyan_default_has_the_2022_weights():
    seg = load_method("zhejiang-county-default").segments["above_scale"]
    assert {it.id: it.weight for it in seg.items} == {"tax_per_mu": 30, "va_per_mu": 20, "va_per_energy": 20,
                                                       "va_per_emission": 10, "labour_productivity": 10,
                                                       "rd_ratio": 10}


def test_fixed_benchmarks_written_in_wan_yuan_per_mu_convert_to_yuan_per_mu():
    seg = load_method("linhai-fixed").segments["below_scale_small"]
    b = {it.id: it.benchmark_value for it in seg.items}
    assert b == {"tax_per_mu": pytest.approx(150_000), "revenue_per_mu": pytest.approx(3_000_000),
                 "tax_per_kwh": pytest.approx(2.0)}


def test_linhai_water_item_reads_water_use_at_0_1_wan_yuan_per_tonne_and_totals_100_points():
    seg = load_method("linhai-fixed").segments["above_scale"]
    items = {it.id: it for it in seg.items}
    assert items["va_per_water"].benchmark_value == pytest.approx(1_000.0)   # 0.1 万元/t, 1 t of water = 1 m³
    assert sum(it.weight for it in seg.items) == pytest.approx(100)


def test_shandong_carries_the_d_electricity_surcharge_schedule():
    m = load_method("shandong")
    rule = m.measures.rules[0]
    assert rule.land_class == "D" and [s.amount for s in rule.steps] == [0.05, 0.10, 0.15]
    assert m.classes["B"].name_zh == "支持发展"


def test_a_malformed_method_file_names_the_file_and_the_field(tmp_path):
    text = load_method("zhejiang-county-default").model_dump_json().replace('"weight":30.0', '"weight":-1')
    f = tmp_path / "broken.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(MethodError) as e:
        load_method(f)
    assert e.value.file == str(f) and e.value.line == 1       # JSON: one line
    assert f"broken.yaml:1: segments.above_scale.items[0].weight: expected a value greater than 0 (got -1)" \
        in str(e.value)


def test_an_unknown_key_is_refused():
    with pytest.raises(MethodError, match=r"x.yaml:2: wieght: unknown field `wieght`"):
        parse_method("id: x\nwieght: 3\n", origin="x.yaml")


def test_an_unknown_benchmark_unit_is_refused_with_its_field():
    text = load_method("linhai-fixed").model_dump_json().replace("万元/亩", "furlongs/亩", 1)
    with pytest.raises(MethodError, match=r"x.yaml:1: segments\.\w+\.items\[\d+\]\.benchmark\.unit: unknown unit"):
        parse_method(text, origin="x.yaml")


def test_quota_shares_must_add_up_to_one():
    text = load_method("zhejiang-county-default").model_dump_json().replace('"A":0.107', '"A":0.5', 1)
    with pytest.raises(MethodError, match="add up to 1"):
        parse_method(text, origin="x.yaml")

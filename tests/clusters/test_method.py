"""Cluster sets, tier criteria and diagnosis settings: shipped files validate; errors name file and field."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from zhizao.clusters.method import (
    ClusterSet,
    MethodError,
    available,
    cluster_table,
    clusters_from_synth,
    format_values,
    load_clusters,
    load_diagnosis_settings,
    load_tier_criteria,
    parse_clusters,
    parse_diagnosis_settings,
    parse_tier_criteria,
)
from zhizao.data.synth import load_calibration


def test_shipped_files_are_listed():
    assert {"zhejiang-415x", "jiangsu", "tiers-zhejiang", "diagnosis-default"} <= set(available())


def test_zhejiang_415x_has_four_world_class_groups_and_fourteen_named_specialty_clusters():
    s = load_clusters("zhejiang-415x")
    tiers = [c.tier_claimed for c in s.clusters]
    assert tiers.count("world_class") == 4
    assert tiers.count("provincial") == 14  # one of the 15 is not identified (policy-methods.md §7)
    assert s.province == "330000"


def test_zhejiang_unconfirmed_clusters_carry_the_u_label():
    s = load_clusters("zhejiang-415x")
    unconfirmed = {c.name_zh for c in s.clusters if c.confidence == "U"}
    assert unconfirmed == {"节能与新能源汽车及零部件", "节能环保与新能源装备", "高端船舶与海工装备", "现代家居与智能家电"}


def test_every_mapping_has_a_note_and_every_cluster_a_source():
    for set_id in ("zhejiang-415x", "jiangsu"):
        for c in load_clusters(set_id).clusters:
            assert c.source
            assert all(m.note for m in c.industries)


def test_software_is_listed_but_not_profiled():
    s = load_clusters("zhejiang-415x")
    sw = s.get("high_end_software")
    assert not sw.profiled and "65" in sw.unmapped
    assert "high_end_software" not in set(cluster_table(s).column("cluster_id").to_pylist())


def test_jiangsu_holds_thirteen_plus_three_provincial_and_ten_national_clusters():
    s = load_clusters("jiangsu")
    tiers = [c.tier_claimed for c in s.clusters]
    assert tiers.count("provincial") == 16 and tiers.count("national") == 10
    added = [c for c in s.clusters if c.tier_claimed == "provincial" and c.confidence == "U"]
    assert {c.name_zh for c in added} == {"软件和信息服务", "绿色食品", "新能源"}
    assert s.get("ntyz_offshore_ships").regions == ["320600", "321200", "321000"]


def test_cluster_table_gives_a_whole_row_and_one_per_region_for_a_several_region_cluster():
    t = cluster_table(load_clusters("jiangsu"))
    t = t.filter(pc.equal(t.column("cluster_id"), "tlw_biomedicine"))
    rows = {(r["region_label"], r["scope"], r["region_prefix"]) for r in t.to_pylist()}
    assert rows == {("321200;320700;320200", "cluster", "3212"), ("321200;320700;320200", "cluster", "3207"),
                    ("321200;320700;320200", "cluster", "3202"), ("321200", "region", "3212"),
                    ("320700", "region", "3207"), ("320200", "region", "3202")}


def test_all_regions_means_the_province_prefix():
    t = cluster_table(load_clusters("zhejiang-415x"))
    assert set(t.column("region_prefix").to_pylist()) == {"33"}
    assert set(t.column("region_label").to_pylist()) == {"all"}


def test_synthetic_clusters_come_from_the_calibration():
    s = clusters_from_synth(load_calibration())
    assert len(s.clusters) == 15
    socks = s.get("zhuji_socks")
    assert socks.name_zh == "诸暨大唐袜业" and socks.regions == ["330681"]
    assert [m.code for m in socks.industries] == ["1763"]


_SET = """
id: t
name_zh: 测试
name_en: test
province: "330000"
source: test
clusters:
  - id: a
    name_zh: 甲
    name_en: A
    regions: ["330681"]
    source: test
    industries:
      - {code: "%s", note: "n"}
"""


def test_an_unknown_industry_code_names_the_file_and_field():
    with pytest.raises(MethodError) as e:
        parse_clusters(_SET % "9999", origin="my.yaml")
    assert e.value.file == "my.yaml" and e.value.line == 14
    assert "my.yaml:14: clusters[0].industries[0].code" in str(e.value)


def test_a_section_letter_is_not_an_industry_prefix():
    with pytest.raises(MethodError, match="2–4 digits"):
        parse_clusters(_SET % "C")


def test_a_region_outside_the_province_is_refused():
    text = (_SET % "1763").replace('"330681"', '"320500"')
    with pytest.raises(MethodError, match="outside province 330000"):
        parse_clusters(text)


def test_an_unknown_region_code_is_refused():
    with pytest.raises(MethodError, match=r"<string>:11: clusters\[0\]\.regions: '339999'"):
        parse_clusters((_SET % "1763").replace('"330681"', '"339999"'))


def test_a_cluster_without_industries_must_say_why():
    text = _SET.replace('    industries:\n      - {code: "%s", note: "n"}\n', "")
    with pytest.raises(MethodError, match="unmapped"):
        parse_clusters(text)


def test_repeated_cluster_ids_are_refused():
    data = parse_clusters(_SET % "1763").model_dump()
    data["clusters"] = data["clusters"] * 2
    with pytest.raises(ValueError, match="ids repeated"):
        ClusterSet.model_validate(data)


def test_tier_thresholds_convert_published_units():
    crit = load_tier_criteria("tiers-zhejiang")
    assert [t.id for t in crit.tiers] == ["world_class", "provincial", "new_star"]
    first = crit.tiers[0].rules[0].conditions[0]
    assert first.threshold == pytest.approx(1e12)          # 10,000 亿元 = 1 万亿
    growth = crit.tiers[2].rules[0].conditions[1]
    assert growth.threshold == pytest.approx(0.084)        # 8.4 %
    assert crit.scaling.reference_yuan == pytest.approx(97968e8)


def test_every_tier_rule_and_condition_has_a_source():
    crit = load_tier_criteria()
    for t in crit.tiers:
        for r in t.rules:
            assert r.source and all(c.source for c in r.conditions)


_CRIT = """
id: t
name_zh: t
name_en: t
source: s
scaling: {kind: none, source: s}
tiers:
  - id: provincial
    name_zh: 省级
    name_en: provincial
    rules:
      - id: r
        source: s
        conditions: [{metric: %s, op: ">=", value: 1, unit: %s, source: s}]
"""


def test_an_unknown_metric_in_the_criteria_is_refused_with_its_path():
    with pytest.raises(MethodError) as e:
        parse_tier_criteria(_CRIT % ("turnover", "亿元"), origin="tiers.yaml")
    assert "tiers.yaml:14: tiers[0].rules[0].conditions[0]: unknown metric 'turnover'" in str(e.value)


def test_a_unit_that_does_not_fit_the_metric_is_refused():
    with pytest.raises(MethodError, match="does not fit"):
        parse_tier_criteria(_CRIT % ("revenue", "亩"))


def test_a_condition_without_source_is_refused():
    with pytest.raises(MethodError, match="source"):
        parse_tier_criteria((_CRIT % ("revenue", "亿元")).replace(", source: s}", "}"))


def test_diagnosis_settings_name_four_strength_dimensions():
    s = load_diagnosis_settings()
    assert list(s.dimensions) == ["productivity", "innovation", "profitability", "leading_firms"]
    assert 0 < s.weak_percentile < s.strong_percentile <= 100
    assert s.national == {}


def test_a_national_benchmark_is_converted_to_the_profile_unit():
    text = load_diagnosis_settings().model_dump_json()
    import json

    data = json.loads(text)
    data["national"] = {"va_per_employee": {"value": 20, "unit": "万元/人", "year": 2023, "source": "s"}}
    import yaml

    s = parse_diagnosis_settings(yaml.safe_dump(data, allow_unicode=True))
    assert s.national_value("va_per_employee") == pytest.approx(200_000)
    assert s.national_value("profit_margin") is None


def test_format_values_shows_money_in_yi_and_shares_in_percent():
    assert format_values("revenue", [1.2345e10]).tolist() == ["123.45亿元"]
    assert format_values("va_per_employee", [177_500.0]).tolist() == ["17.75万元/人"]
    assert format_values("lq", [float("nan")], lang="en").tolist() == ["n/a"]

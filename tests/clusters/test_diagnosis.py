"""The 大而不强 diagnosis: percentiles, verdicts, weak points; 诸暨袜业 on the synthetic province."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
import yaml

from zhizao.clusters.diagnosis import diagnose, percentiles, render
from zhizao.clusters.method import load_diagnosis_settings, parse_diagnosis_settings

_METRICS = ("revenue", "employees", "firms", "va_per_employee", "rd_intensity", "invention_patents_per_10k",
            "new_product_share", "profit_margin", "top5_revenue_mean", "specialised_share")


def _prof(rows: dict[str, dict], bench: dict | None = None) -> pa.Table:
    ids = list(rows)
    recs = [dict(rows[i], cluster_id=i, scope="cluster") for i in ids]
    if bench is not None:
        recs.append(dict(bench, cluster_id="manufacturing", scope="benchmark"))
    return pa.table({
        "cluster_id": [r["cluster_id"] for r in recs], "name_zh": [r["cluster_id"] for r in recs],
        "name_en": [r["cluster_id"] for r in recs], "region_code": ["330681"] * len(recs),
        "scope": [r["scope"] for r in recs],
        **{m: pa.array([r.get(m) for r in recs], pa.float64()) for m in _METRICS},
    })


def _strength(x):
    return {"va_per_employee": x, "rd_intensity": x, "invention_patents_per_10k": x, "new_product_share": x,
                "profit_margin": x, "top5_revenue_mean": x, "specialised_share": x}


def test_percentiles_are_mid_ranks():
    # 4 values: ranks 1, 2.5, 2.5, 4 → (r − ½) / 4 × 100
    assert percentiles([1.0, 5.0, 5.0, 9.0]).tolist() == [12.5, 50.0, 50.0, 87.5]
    assert np.isnan(percentiles([np.nan, 1.0])[0])
    assert percentiles([], higher_is_better=False).shape == (0,)


def test_the_four_verdicts():
    big = {"revenue": 100.0, "employees": 100.0, "firms": 100.0}
    small = {"revenue": 1.0, "employees": 1.0, "firms": 1.0}
    p = _prof({"bs": {**big, **_strength(9.0)}, "bw": {**big, **_strength(1.0)},
               "ss": {**small, **_strength(8.0)}, "sw": {**small, **_strength(2.0)}})
    r = diagnose(p, load_diagnosis_settings())
    got = {c: r.verdict_of(c) for c in ("bs", "bw", "ss", "sw")}
    assert got == {"bs": "大而强", "bw": "大而不强", "ss": "小而强", "sw": "小而弱"}
    row = {x["cluster_id"]: x for x in r.clusters.to_pylist()}
    assert row["bw"]["scale_percentile"] == 75.0 and row["bw"]["strength_percentile"] == 12.5
    assert row["bw"]["verdict_en"] == "big but not strong"
    assert row["bw"]["weak_dimensions"] == "productivity;innovation;profitability;leading_firms"
    assert row["bs"]["weak_dimensions"] == ""


def test_weak_points_come_with_the_provincial_benchmark_and_a_national_one_when_given():
    p = _prof({"a": dict(revenue=9.0, employees=9.0, firms=9.0, **_strength(2.0), ),
               "b": dict(revenue=1.0, employees=1.0, firms=1.0, **_strength(4.0))},
              bench={"va_per_employee": 8.0, "profit_margin": 0.5})
    data = json.loads(load_diagnosis_settings().model_dump_json())
    data["national"] = {"va_per_employee": {"value": 10, "source": "test"}}
    s = parse_diagnosis_settings(yaml.safe_dump(data, allow_unicode=True))
    r = diagnose(p, s)
    w = [x for x in r.weaknesses.to_pylist() if x["cluster_id"] == "a"]
    va = next(x for x in w if x["metric"] == "va_per_employee")
    assert va["dimension"] == "productivity" and va["percentile"] == 25.0
    assert (va["value"], va["province_benchmark"], va["ratio_to_province"]) == (2.0, 8.0, 0.25)
    assert (va["national_benchmark"], va["ratio_to_national"]) == (10.0, 0.2)
    rd = next(x for x in w if x["metric"] == "rd_intensity")
    assert rd["province_benchmark"] is None and rd["national_benchmark"] is None
    assert not [x for x in r.weaknesses.to_pylist() if x["cluster_id"] == "b"]


def test_a_lower_is_better_metric_ranks_reversed():
    data = json.loads(load_diagnosis_settings().model_dump_json())
    data["dimensions"] = {"concentration": {"name_zh": "集中度", "name_en": "concentration", "source": "t",
                                            "metrics": [{"column": "hhi", "direction": "lower_is_better"}]}}
    s = parse_diagnosis_settings(yaml.safe_dump(data, allow_unicode=True))
    p = _prof({"a": {"revenue": 1.0, "employees": 1.0, "firms": 1.0}, "b": {"revenue": 2.0, "employees": 2.0, "firms": 2.0}})
    p = p.append_column("hhi", pa.array([0.9, 0.1]))
    r = {x["cluster_id"]: x for x in diagnose(p, s).clusters.to_pylist()}
    assert r["a"]["concentration_percentile"] == 25.0 and r["b"]["concentration_percentile"] == 75.0


@pytest.fixture(scope="module")
def c_diagnosis(c_profiles):
    return diagnose(c_profiles, load_diagnosis_settings("diagnosis-default"))


def test_zhuji_socks_is_big_but_not_strong_on_the_synthetic_province(c_diagnosis):
    assert c_diagnosis.verdict_of("zhuji_socks") == "大而不强"
    row = next(r for r in c_diagnosis.clusters.to_pylist() if r["cluster_id"] == "zhuji_socks")
    assert row["scale_percentile"] >= 75 and row["strength_percentile"] < 30
    weak = row["weak_dimensions"].split(";")
    assert "productivity" in weak and "innovation" in weak


def test_zhuji_socks_weak_productivity_is_named_against_the_province(c_diagnosis):
    w = [x for x in c_diagnosis.weaknesses.to_pylist()
         if x["cluster_id"] == "zhuji_socks" and x["metric"] == "va_per_employee"]
    assert len(w) == 1 and w[0]["ratio_to_province"] < 0.6


def test_every_synthetic_cluster_gets_a_verdict(c_diagnosis):
    v = c_diagnosis.clusters.column("verdict").to_pylist()
    assert len(v) == 15 and set(v) <= {"大而强", "大而不强", "小而强", "小而弱"}
    d = c_diagnosis.to_dicts()
    assert {x["cluster_id"] for x in d} == set(c_diagnosis.clusters.column("cluster_id").to_pylist())


def test_render_in_chinese_and_english(c_diagnosis):
    zh = render(c_diagnosis, cluster_id="zhuji_socks")
    assert zh.startswith("诸暨大唐袜业（330681）：大而不强。")
    assert "短板" in zh and "全员劳动生产率" in zh and "全省制造业" in zh
    en = render(c_diagnosis, lang="en", cluster_id="zhuji_socks")
    assert "big but not strong" in en and "value added per employee" in en
    assert len(render(c_diagnosis).splitlines()) == 15
    with pytest.raises(ValueError):
        render(c_diagnosis, lang="fr")

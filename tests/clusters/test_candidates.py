"""Candidate clusters and new-star candidates from region × industry matrices."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from zhizao.clusters.candidates import detect_clusters, new_star_candidates
from zhizao.clusters.complexity import complexity
from zhizao.clusters.matrix import RegionIndustryMatrix, build_matrix


def _m(X, regions=None, industries=None, measure="employees"):
    X = np.asarray(X, dtype=np.float64)
    X = X[None] if X.ndim == 2 else X
    R, I = X.shape[1:]
    return RegionIndustryMatrix(X, tuple(range(2024 - X.shape[0] + 1, 2025)),
                                regions or tuple("ABCDEFG"[:R]), industries or tuple(str(i + 1) for i in range(I)),
                                measure, "county", "division")


# Region A is specialised in industries 1 and 2, B in 3, C in 4; 3 and 4 are related (both in C's mix).
X1 = [[50., 40., 0., 10.], [5., 5., 60., 30.], [5., 5., 30., 60.]]


def test_related_specialisations_of_a_region_merge():
    t = detect_clusters(_m(X1), lq_min=1.25, min_share=0.3, proximity_min=0.5).to_pylist()
    # LQ of A: 50/100 ÷ 60/300 = 2.5 and 40/100 ÷ 50/300 = 2.4; proximity(1, 2) = 1 (both only in A)
    a = t[0]
    assert (a["region"], a["industries"], a["n_industries"], a["value"]) == ("A", "1;2", 2, 90.0)
    assert a["lq"] == pytest.approx((90 / 100) / (110 / 300))
    assert (a["lq_min"], a["lq_max"]) == (pytest.approx(2.4), pytest.approx(2.5))
    assert a["province_share"] == pytest.approx(90 / 110) and a["mean_proximity"] == pytest.approx(1.0)
    assert [r["candidate_id"] for r in t] == ["A:1", "B:3", "C:4"]


def test_unrelated_specialisations_stay_apart():
    t = detect_clusters(_m(X1), lq_min=1.25, min_share=0.3, proximity_min=1.01).to_pylist()
    assert [r["industries"] for r in t] == ["3", "4", "1", "2"]   # by value: 60 (B), 60 (C), 50 and 40 (A)
    assert t[0]["mean_proximity"] is None or np.isnan(t[0]["mean_proximity"])


def test_scale_and_firm_thresholds_filter_cells():
    # shares of the province's industry: A·1 50/60, A·2 40/50, B·3 60/90, C·4 60/100
    assert detect_clusters(_m(X1), lq_min=1.25, min_share=0.9).num_rows == 0
    assert detect_clusters(_m(X1), lq_min=1.25, min_share=0.7).column("region").to_pylist() == ["A"]
    firms = _m([[3, 30, 0, 1], [1, 1, 30, 30], [1, 1, 30, 30]], measure="firms")
    t = detect_clusters(_m(X1), lq_min=1.25, min_share=0.3, proximity_min=0.5, firms=firms, min_firms=10)
    assert [(r["region"], r["industries"], r["firms"]) for r in t.to_pylist()] == \
        [("B", "3", 30.0), ("C", "4", 30.0), ("A", "2", 30.0)]


def test_firms_matrix_must_share_the_axes():
    with pytest.raises(ValueError, match="same axes"):
        detect_clusters(_m(X1), firms=_m([[1.0, 2.0]]))


def test_the_year_picks_the_slice():
    X = np.stack([np.asarray(X1)[::-1], np.asarray(X1)])
    assert detect_clusters(_m(X), year=2023, lq_min=1.25, min_share=0.3).column("region").to_pylist()[:1] == ["C"]


X2 = [[9., 9., 0., 1.], [9., 0., 9., 1.], [0., 9., 9., 1.], [1., 1., 1., 9.]]


def test_new_star_candidates_are_unspecialised_and_ranked_by_outlook_gain():
    m = _m(X2)
    t = new_star_candidates(m, density_quantile=0.0, top=None).to_pylist()
    cx = complexity(np.asarray(X2))
    for r in t:
        i, k = m.regions.index(r["region"]), m.industries.index(r["industry"])
        assert r["rca"] < 1 and r["rca"] == cx.rca[i, k]
        assert r["density"] == cx.density[i, k] and r["cog"] == cx.cog[i, k]
    by_region: dict = {}
    for r in t:
        by_region.setdefault(r["region"], []).append(r)
    for rows in by_region.values():
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        assert all(a["cog"] >= b["cog"] for a, b in itertools.pairwise(rows))
    # A lacks industry 3, the one its two specialisations (1, 2) are each related to elsewhere
    assert by_region["A"][0]["industry"] == "3"


def test_density_quantile_keeps_the_most_related_industries():
    t = new_star_candidates(_m(X2), density_quantile=1.0, top=None).to_pylist()
    a = [r for r in t if r["region"] == "A"]
    assert [r["industry"] for r in a] == ["3"] and a[0]["density_percentile"] == pytest.approx(75.0)


def test_top_limits_the_candidates_per_region():
    t = new_star_candidates(_m(X2), density_quantile=0.0, top=1)
    assert sorted(t.column("region").to_pylist()) == ["A", "B", "C", "D"]


def _planted_cells_passing(data, *, year, min_firms, lq_min, min_share):
    """The planted clusters' (county, class) cells that pass the detection thresholds, measured
    straight from the raw tables with pandas (not through ``build_matrix``), by cluster id."""
    from zhizao.data.synth import load_calibration

    ind = data["indicators"].to_pandas()
    ind = ind[ind.year == year]
    ent = data["enterprises"].to_pandas()[["uscc", "region_code", "industry_code"]]
    j = ind.merge(ent, on="uscc")
    j["cls"] = j.industry_code.str[:4]
    j["revenue"] = j.revenue.fillna(0.0)
    x = j.groupby(["region_code", "cls"]).revenue.sum()
    n = j.groupby(["region_code", "cls"]).size()
    x_r, x_i, total = x.groupby(level=0).sum(), x.groupby(level=1).sum(), x.sum()
    out = {}
    for cl in load_calibration().clusters:
        for c in cl.classes:
            key = (cl.county, c)
            if key not in x.index or x[key] <= 0:
                continue
            lq = (x[key] / x_r[cl.county]) / (x_i[c] / total)
            if n[key] >= min_firms and lq >= lq_min and x[key] / x_i[c] >= min_share:
                out.setdefault(cl.id, set()).add(key)
    return out


def test_planted_clusters_are_detected_on_the_synthetic_province(c_tables, c_data):
    from zhizao.data.synth import load_calibration

    m = build_matrix(c_tables, years=[2024], measure="revenue", industry_level="class")
    f = build_matrix(c_tables, years=[2024], measure="firms", industry_level="class")
    t = detect_clusters(m, firms=f, min_firms=5, lq_min=2.0, min_share=0.1).to_pylist()
    found = {(r["region"], c) for r in t for c in r["industries"].split(";")}
    want = _planted_cells_passing(c_data, year=2024, min_firms=5, lq_min=2.0, min_share=0.1)
    planted = {(cl.county, c) for cl in load_calibration().clusters for c in cl.classes}
    # exactly the planted cells that pass the thresholds are found (each passing cell lies in a candidate)
    assert found & planted == set().union(*want.values())
    assert ("330681", "1763") in want["zhuji_socks"]       # 诸暨 socks, the largest planted cluster
    assert len(want) > len(load_calibration().clusters) / 2  # most planted clusters stand out


def test_new_star_candidates_on_the_synthetic_province(c_tables):
    m = build_matrix(c_tables, years=[2024], measure="revenue", industry_level="class")
    t = new_star_candidates(m, top=5)
    assert t.num_rows > 0
    assert max(t.column("rank").to_pylist()) <= 5
    assert all(x < 1 for x in t.column("rca").to_pylist())

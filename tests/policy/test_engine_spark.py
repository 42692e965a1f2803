"""The policy engine gives the same evaluation table on DuckDB and on Spark."""

from __future__ import annotations

import pytest

from zhizao.data import store
from zhizao.policy import evaluate_many, load_library

from tests.policy.conftest import FIXTURES, tables_from_rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _rows(table):
    out = {}
    for r in table.to_pyarrow().to_pylist():
        out[r["uscc"]] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()}
    return out


def _both(tables_duck, spark_session, data):
    lib = load_library(FIXTURES / "lib")
    ids = ["demo_sme", "demo_giant", "demo_award"]
    d = {k: _rows(v) for k, v in evaluate_many(tables_duck, ids, year=2024, library=lib).items()}
    spark = store.open_spark_warehouse(spark_session)
    for name, table in data.items():
        spark.replace(name, table)
    s = {k: _rows(v) for k, v in evaluate_many(spark.tables(), ids, year=2024, library=lib).items()}
    return d, s


def test_evaluation_on_spark_matches_duckdb_on_a_small_synthetic_province(tmp_path, spark_session):
    from zhizao.data.synth import generate

    data = generate(enterprises=400, seed=5, years=(2023, 2024), months=False)
    data = {k: data[k] for k in ("enterprises", "indicators")}
    with store.open_warehouse(tmp_path / "w.duckdb") as duck:
        for name, table in data.items():
            duck.replace(name, table)
        d, s = _both(duck.tables(), spark_session, data)
    assert d["demo_sme"].keys() == s["demo_sme"].keys() and len(d["demo_sme"]) > 300
    verdicts = {r["verdict"] for r in d["demo_sme"].values()}
    assert {"eligible", "not_eligible"} <= verdicts  # the province exercises both outcomes
    for pid in d:
        assert d[pid] == s[pid], pid


def test_unknowns_exceptions_and_budget_ties_match_on_spark(spark_session):
    import datetime as dt

    ent = [{"uscc": "A", "is_sme": True, "on_abnormal_list": False, "is_high_tech": True,
            "high_tech_valid_until": dt.date(2023, 6, 30)},
           {"uscc": "B", "is_sme": True, "on_abnormal_list": False, "st_award_level": "national"},
           {"uscc": "C", "is_sme": True, "on_abnormal_list": False, "is_high_tech": True},
           {"uscc": "D", "is_sme": None}]
    ind = [{"uscc": u, "revenue": 2e8, "rd_expenditure": 1e7, "ip_class1": 1} for u in "ABCD"] + \
          [{"uscc": u, "year": 2023, "revenue": 1.5e8} for u in "AB"]
    t = tables_from_rows(ent, ind)
    data = {k: v.to_pyarrow() for k, v in t.items()}
    d, s = _both(t, spark_session, data)
    assert d["demo_sme"]["A"]["exc_high_tech"] == "expired"
    assert d["demo_sme"]["D"]["verdict"] == "unknown"
    for pid in d:
        assert d[pid] == s[pid], pid

"""The evaluation gives the same classes and scores on DuckDB and on Spark."""

from __future__ import annotations

import pytest

from zhizao.data import store
from zhizao.land import evaluate, load_method

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _rows(table):
    out = {}
    for r in table.to_pylist():
        out[r["uscc"]] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()}
    return out


@pytest.mark.parametrize("method_id", ["zhejiang-county-default"])
def test_evaluation_on_spark_matches_duckdb_on_a_small_province(tmp_path, spark_session, method_id):
    from zhizao.data.synth import generate

    data = generate(enterprises=400, seed=5, years=(2024,), months=False)
    method = load_method(method_id)
    with store.open_warehouse(tmp_path / "w.duckdb") as duck:
        for name in ("enterprises", "indicators", "parcels"):
            duck.replace(name, data[name])
        d = _rows(evaluate(duck.tables(), method, year=2024).to_pyarrow())
    spark = store.open_spark_warehouse(spark_session)
    for name in ("enterprises", "indicators", "parcels"):
        spark.replace(name, data[name])
    s = _rows(evaluate(spark.tables(), method, year=2024).to_pyarrow())
    assert d.keys() == s.keys()
    assert {u: r["land_class"] for u, r in d.items()} == {u: r["land_class"] for u, r in s.items()}
    assert {u: r["total_score"] for u, r in d.items()} == {u: r["total_score"] for u, r in s.items()}
    assert {u: sorted(r["flags"].split(";")) for u, r in d.items()} == \
        {u: sorted(r["flags"].split(";")) for u, r in s.items()}
    assert d == s

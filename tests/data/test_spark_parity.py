"""The same import and the same read functions give the same result on DuckDB and on Spark."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from zhizao.codes import uscc
from zhizao.data import ingest, queries, store

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _write_files(tmp_path):
    """A small enterprise list (GBK CSV, Chinese headers) and indicators in 万元 with one bad row."""
    codes = uscc.generate_usccs(6, rng=np.random.default_rng(7), region_codes=["330481"] * 3 + ["330624"] * 3)
    industries = ["1761", "1761", "3451", "3451", "3451", "2710"]
    ent = ["统一社会信用代码,企业名称,行政区划代码,行业代码"] + [
        f"{c},（合成）企业{i},{c[2:8]},{industries[i]}" for i, c in enumerate(codes)
    ]
    (tmp_path / "企业名录.csv").write_bytes("\n".join(ent).encode("gb18030"))
    ind = ["统一社会信用代码,年度,是否规上,营业收入（万元）,主营业务收入（万元）,工业增加值（万元）,年平均职工人数"]
    for i, c in enumerate(codes):
        for year in (2023, 2024):
            ind.append(f"{c},{year},{'是' if i % 2 == 0 else '否'},{1000 + 100 * i + year % 10},{900 + 90 * i},{250 + i},{50 + i}")
    ind.append(f"{codes[0]},2022,是,一千,900,250,50")  # text in a numeric column: quarantined on both
    (tmp_path / "年度指标.csv").write_text("\n".join(ind), encoding="utf-8-sig")
    return [tmp_path / "企业名录.csv", tmp_path / "年度指标.csv"]


def _import_and_aggregate(wh, files):
    report = ingest.import_files(wh, files)
    t = wh.tables()
    totals = queries.totals_by(t["enterprises"], t["indicators"], year=2024,
                               measures=("revenue", "main_revenue", "value_added", "employees"))
    by_prefecture = queries.totals_by(t["enterprises"], t["indicators"], year=2023, by=("prefecture",),
                                      above_scale_only=True, measures=("revenue",))
    return report, totals.to_pyarrow(), by_prefecture.to_pyarrow(), wh.counts()


def _normalise(table: pa.Table) -> list[dict]:
    rows = table.to_pylist()
    return [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]


@pytest.fixture
def spark(spark_session):
    """A Spark warehouse with every table empty."""
    wh = store.open_spark_warehouse(spark_session)
    for name, table in store.TABLES.items():
        wh.replace(name, store.arrow_schema(table).empty_table())
    return wh


def test_import_and_aggregation_give_the_same_result_on_duckdb_and_spark(tmp_path, spark):
    files = _write_files(tmp_path)
    with store.open_warehouse(tmp_path / "w.duckdb") as duck:
        d_report, d_totals, d_pref, d_counts = _import_and_aggregate(duck, files)
    s_report, s_totals, s_pref, s_counts = _import_and_aggregate(spark, files)

    assert d_counts == s_counts
    assert d_counts["enterprises"] == 6 and d_counts["indicators"] == 12 and d_counts["quarantine"] == 1
    assert d_report.totals["quarantined"] == s_report.totals["quarantined"] == 1
    assert _normalise(d_totals) == _normalise(s_totals)
    assert _normalise(d_pref) == _normalise(s_pref)
    # units converted on both: 营业收入 in 万元 → yuan; first group is 330481 × division 17 (firms 0 and 1)
    assert d_totals.slice(0, 1).to_pylist()[0] | {"revenue": None} == {
        "region_code": "330481", "division": "17", "revenue": None, "main_revenue": (900 + 990) * 1e4,
        "value_added": (250 + 251) * 1e4, "employees": 50 + 51, "enterprises": 2, "above_scale_enterprises": 1}
    assert d_totals.column("revenue")[0].as_py() == pytest.approx((1004 + 1104) * 1e4)


def test_re_import_on_spark_changes_nothing(tmp_path, spark):
    files = _write_files(tmp_path)
    ingest.import_files(spark, files)
    report = ingest.import_files(spark, files)
    assert report.totals["inserted"] == 0 and report.totals["updated"] == 0
    assert spark.counts()["indicators"] == 12

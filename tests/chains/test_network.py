"""The supply network from arrays and from the warehouse (one Ibis aggregation; DuckDB = Spark)."""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow.compute as pc
import pytest

from zhizao.chains.network import build_network, network_from_arrays


def _tables(links: dict, enterprises: dict, indicators: dict) -> dict:
    return {"links": ibis.memtable(links), "enterprises": ibis.memtable(enterprises),
            "indicators": ibis.memtable(indicators)}


def _small_tables():
    ent = {"uscc": ["a", "b", "c"], "region_code": ["330681", "330102", "330681"],
           "industry_code": ["1763", "3451", "3311"]}
    ind = {"uscc": ["a", "b", "b", "c"], "year": [2024, 2024, 2023, 2023],
           "revenue": [100.0, None, 70.0, 10.0], "gross_output": [None, 40.0, None, None]}
    links = {"supplier_uscc": ["b", "b", "x", "a", "a", "b"], "buyer_uscc": ["a", "a", "a", "y", "a", "a"],
             "year": [2024, 2024, 2024, 2024, 2024, 2023],
             "product_class": ["3451", "3451", "3973", "1763", "1763", "3451"],
             "amount": [20.0, 25.0, 5.0, 8.0, 3.0, 99.0],
             "supplier_region_code": ["330102", "330102", "310115", "330681", "330681", "330102"],
             "buyer_region_code": ["330681", "330681", "330681", "440305", "330681", "330681"]}
    return _tables(links, ent, ind)


def test_links_of_a_year_are_summed_per_supplier_buyer_and_product_and_self_links_dropped():
    net = build_network(_small_tables(), year=2024)
    pairs = sorted(zip(net.firms[net.supplier], net.firms[net.buyer], net.product_codes(), net.amount))
    # b→a twice (20 + 25); a→a is a self-link, dropped; the 2023 link is another year
    assert pairs == [("a", "y", "1763", 8.0), ("b", "a", "3451", 45.0), ("x", "a", "3973", 5.0)]


def test_outside_supplier_and_buyer_are_nodes_with_the_links_region_and_their_main_product():
    net = build_network(_small_tables(), year=2024)
    i = net.index(["x", "y"])
    assert net.inside[i].tolist() == [False, False]
    assert net.region[i].tolist() == ["310115", "440305"]
    assert net.sector_codes()[i].tolist() == ["3973", ""]      # y only buys: no product known


def test_firm_without_indicators_or_links_that_year_is_not_a_node():
    net = build_network(_small_tables(), year=2024)
    assert net.index(["c"]).tolist() == [-1]
    assert net.firms.tolist() == ["a", "b", "x", "y"]


def test_output_is_revenue_else_gross_output_raised_to_link_sales():
    net = build_network(_small_tables(), year=2024)
    out = dict(zip(net.firms, net.output))
    # a: revenue 100 (sells 8); b: no revenue → gross output 40, but sells 45 on links; x, y: link sales
    assert out == {"a": 100.0, "b": 45.0, "x": 5.0, "y": 0.0}


def test_sectors_and_products_share_one_code_tuple_at_the_level_asked():
    net = build_network(_small_tables(), year=2024, level="division")
    assert net.sectors == net.products == ("", "17", "34", "39")
    assert net.product_codes().tolist() == ["17", "34", "39"]
    assert net.sector_codes()[net.index(["a", "b"])].tolist() == ["17", "34"]


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="level"):
        build_network(_small_tables(), year=2024, level="section")


def test_network_from_arrays_checks_indices_and_amounts():
    with pytest.raises(ValueError, match="out of range"):
        network_from_arrays([0], [3], [1.0], n=2)
    with pytest.raises(ValueError, match="≥ 0"):
        network_from_arrays([0], [1], [-1.0])


def test_network_from_arrays_defaults_output_to_the_larger_of_sales_and_purchases(chain):
    from zhizao.chains.network import network_from_arrays

    net = network_from_arrays(chain.supplier, chain.buyer, chain.amount)
    # X sells 20; A sells 40; B sells 10; C buys 60 and sells 60; D buys 10, sells 20; E buys 80
    assert net.output.tolist() == [20.0, 40.0, 10.0, 60.0, 20.0, 80.0]
    assert net.sales().tolist() == [20.0, 40.0, 10.0, 60.0, 20.0, 0.0]
    assert net.purchases().tolist() == [0.0, 0.0, 0.0, 60.0, 10.0, 80.0]


def test_synthetic_province_network_keeps_every_link_amount_and_every_outside_supplier(q_net, q_data):
    links = q_data["links"].filter(pc.equal(q_data["links"]["year"], 2024))
    assert q_net.amount.sum() == pytest.approx(pc.sum(links["amount"]).as_py(), rel=1e-12)
    ent = set(q_data["enterprises"]["uscc"].to_pylist())
    ends = set(links["supplier_uscc"].to_pylist()) | set(links["buyer_uscc"].to_pylist())
    outside = set(q_net.firms[~q_net.inside].tolist())
    assert outside == ends - ent
    assert not any(r.startswith("33") for r in q_net.region[~q_net.inside])
    assert all(r.startswith("33") for r in q_net.region[q_net.inside])
    # the steady state of the shock model needs output ≥ sales on the links
    assert np.all(q_net.output >= q_net.sales() - 1e-6)


@pytest.mark.spark
@pytest.mark.slow
def test_network_on_spark_matches_duckdb(q_data, q_net, spark_session):
    from zhizao.data import store

    spark = store.open_spark_warehouse(spark_session)
    for name in ("enterprises", "indicators", "links"):
        spark.replace(name, q_data[name])
    s = build_network(spark.tables(), year=2024)
    assert s.firms.tolist() == q_net.firms.tolist()
    assert s.region.tolist() == q_net.region.tolist()
    assert s.inside.tolist() == q_net.inside.tolist()
    assert s.sectors == q_net.sectors
    np.testing.assert_allclose(s.output, q_net.output, rtol=1e-12)
    assert (s.supplier.tolist(), s.buyer.tolist(), s.product.tolist()) == \
        (q_net.supplier.tolist(), q_net.buyer.tolist(), q_net.product.tolist())
    np.testing.assert_allclose(s.amount, q_net.amount, rtol=1e-12)

"""zhizao compiles Ibis expressions without fusing SELECTs (zhizao.sqlgen), wherever they come from."""

import ibis
import pyarrow as pa

from zhizao.land import evaluate, load_method


def test_the_modules_that_build_expressions_set_the_option():
    import zhizao.data.store  # noqa: F401
    import zhizao.policy.engine  # noqa: F401

    assert ibis.options.sql.fuse_selects is False


def test_each_stage_is_its_own_select_and_computed_once():
    """Unfused, a derived column is defined once and read by name: the land evaluation's SQL names
    every item's capped-score column once as an output of its own stage."""
    from zhizao.data.schema import TABLES, arrow_schema

    con = ibis.duckdb.connect()
    tables = {name: con.create_table(name, arrow_schema(TABLES[name]).empty_table())
              for name in ("enterprises", "indicators", "parcels")}
    method = load_method("zhejiang-county-default")
    sql = ibis.to_sql(evaluate(tables, method, year=2024))
    for i in method.indicator_ids:
        assert sql.count(f'AS "{i}__s"') == 1, i
    # and the statement runs (empty province, empty result with the contract's columns)
    out = con.to_pyarrow(evaluate(tables, method, year=2024))
    assert isinstance(out, pa.Table) and out.num_rows == 0
    assert "land_class" in out.column_names

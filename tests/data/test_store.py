import pyarrow as pa
import pytest

from zhizao.data import queries, store


def _ent(usccs, region="330481", industry="1761"):
    n = len(usccs)
    return pa.table({"uscc": usccs, "name": [f"（合成）企业{i}" for i in range(n)],
                     "region_code": [region] * n, "industry_code": [industry] * n})


def test_new_warehouse_has_every_schema_table_empty(empty_wh):
    counts = empty_wh.counts()
    assert set(counts) == set(store.TABLES)
    assert all(v == 0 for v in counts.values())


def test_upsert_counts_inserted_then_unchanged_then_updated(empty_wh):
    data = _ent(["A", "B"])
    assert empty_wh.upsert("enterprises", data) == store.UpsertResult(2, 0, 0)
    assert empty_wh.upsert("enterprises", data) == store.UpsertResult(0, 0, 2)
    changed = data.set_column(1, "name", pa.array(["（合成）新名称", "（合成）企业1"]))
    assert empty_wh.upsert("enterprises", changed) == store.UpsertResult(0, 1, 1)
    names = dict(zip(*empty_wh.to_arrow("enterprises").select(["uscc", "name"]).to_pydict().values()))
    assert names == {"A": "（合成）新名称", "B": "（合成）企业1"}


def test_upsert_treats_null_to_value_as_a_change(empty_wh):
    empty_wh.upsert("enterprises", _ent(["A"]))
    with_park = _ent(["A"]).append_column("park", pa.array(["（合成）园区"]))
    assert empty_wh.upsert("enterprises", with_park).updated == 1


def test_upsert_rejects_a_batch_that_repeats_a_key(empty_wh):
    with pytest.raises(store.WarehouseError, match="repeat a key"):
        empty_wh.upsert("enterprises", _ent(["A", "A"]))
    assert empty_wh.counts()["enterprises"] == 0


def test_upsert_names_the_missing_required_column(empty_wh):
    with pytest.raises(store.WarehouseError, match="region_code"):
        empty_wh.upsert("enterprises", pa.table({"uscc": ["A"], "name": ["x"], "industry_code": ["1761"]}))


def test_transaction_rolls_back_everything_on_error(empty_wh):
    empty_wh.upsert("enterprises", _ent(["A"]))
    with pytest.raises(RuntimeError):
        with empty_wh.transaction():
            empty_wh.upsert("enterprises", _ent(["B", "C"]))
            raise RuntimeError("boom")
    assert empty_wh.counts()["enterprises"] == 1


def test_unknown_table_is_named_in_the_error(empty_wh):
    with pytest.raises(store.WarehouseError, match="no table 'firms'"):
        empty_wh.table("firms")


def test_read_only_open_of_a_missing_file_says_what_to_run(tmp_path):
    with pytest.raises(store.WarehouseError, match="zhizao synth"):
        store.open_warehouse(tmp_path / "none.duckdb", read_only=True)


def test_default_path_follows_zhizao_db(monkeypatch, tmp_path):
    monkeypatch.setenv("ZHIZAO_DB", str(tmp_path / "x.duckdb"))
    assert store.default_db_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("ZHIZAO_DB")
    assert store.default_db_path() == store.DEFAULT_DB


def test_totals_by_region_and_division_sum_indicators(empty_wh):
    empty_wh.upsert("enterprises", pa.concat_tables([_ent(["A", "B"]), _ent(["C"], "330624", "3451")]))
    empty_wh.upsert("indicators", pa.table({
        "uscc": ["A", "B", "C", "A"], "year": [2024, 2024, 2024, 2023],
        "revenue": [1.0, 2.0, 4.0, 8.0], "main_revenue": [3e7, 1e6, 2.5e7, 1.0],
        "above_scale": [True, False, True, True]}))
    t = empty_wh.tables()
    got = queries.totals_by(t["enterprises"], t["indicators"], year=2024, measures=("revenue",)).to_pyarrow()
    assert got.to_pylist() == [
        {"region_code": "330481", "division": "17", "revenue": 3.0, "enterprises": 2, "above_scale_enterprises": 1},
        {"region_code": "330624", "division": "34", "revenue": 4.0, "enterprises": 1, "above_scale_enterprises": 1},
    ]


def test_replace_refuses_rows_that_repeat_a_key_and_keeps_the_old_content(empty_wh):
    empty_wh.replace("enterprises", _ent(["A"]))
    with pytest.raises(store.WarehouseError, match="repeat a key"):
        empty_wh.replace("enterprises", _ent(["B", "B"]))
    assert empty_wh.to_arrow("enterprises").column("uscc").to_pylist() == ["A"]


def test_key_stays_unique_across_replace_and_repeated_upserts(empty_wh):
    empty_wh.replace("enterprises", _ent(["A", "B"]))
    for name in ("（合成）一", "（合成）二"):
        empty_wh.upsert("enterprises", _ent(["B", "C"]).set_column(1, "name", pa.array([name, name])))
    keys = empty_wh.to_arrow("enterprises").column("uscc").to_pylist()
    assert sorted(keys) == ["A", "B", "C"]


def test_quarantine_summary_counts_rows_and_entries_per_reason(empty_wh):
    from datetime import datetime

    def entry(row, column, reason):
        return {"source_file": "a.csv#1234abcd", "sheet": "", "row_number": row, "column": column,
                "reason_code": reason, "target_table": "indicators", "reason_zh": "z", "reason_en": "e",
                "imported_at": datetime(2026, 11, 27)}

    empty_wh.append_quarantine(pa.Table.from_pylist([
        entry(2, "revenue", "bad_number"), entry(2, "taxes", "bad_number"), entry(3, "uscc", "bad_uscc")]))
    got = queries.quarantine_summary(empty_wh.table("quarantine"), file="a.csv").to_pyarrow().to_pylist()
    assert [(r["reason_code"], r["rows"], r["entries"]) for r in got] == [("bad_number", 1, 2), ("bad_uscc", 1, 1)]
    assert queries.quarantine_summary(empty_wh.table("quarantine"), file="b.csv").count().execute() == 0


def test_release_memtables_drops_only_the_ones_no_expression_uses(empty_wh):
    """Ibis 12 keeps every executed memtable registered until exit; a long-running server
    releases the unused ones (``Warehouse.release_memtables``) and keeps those still in use."""
    import gc

    import ibis
    import pyarrow as pa

    def registered():
        return len(empty_wh.raw.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND "
                                        "view_name LIKE 'ibis_%memtable_%'").fetchall())

    keep = ibis.memtable(pa.table({"a": [1, 2]}))
    assert empty_wh.con.to_pyarrow(keep.a.sum()).as_py() == 3
    for i in range(5):
        t = ibis.memtable(pa.table({"a": [i]}))
        empty_wh.con.to_pyarrow(t.a.sum())
        del t
    gc.collect()
    assert registered() == 6
    assert empty_wh.release_memtables() >= 5
    assert registered() == 1
    assert empty_wh.con.to_pyarrow(keep.a.sum()).as_py() == 3

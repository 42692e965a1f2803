"""``Service`` (``zhizao.services.service``): the caches keyed on the warehouse generations, and what
nearly every operation needs (years, an enterprise, whether the data is synthetic)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from zhizao.errors import InvalidInput, NoData, NotFound
from zhizao.services import Service, open_service, runs


def enterprises(*usccs, name="（合成）企业"):
    n = len(usccs)
    return pa.table({"uscc": list(usccs), "name": [f"{name}{i}" for i in range(n)],
                     "region_code": ["330481"] * n, "industry_code": ["1761"] * n})


def indicators(*years, uscc="A"):
    return pa.table({"uscc": [uscc] * len(years), "year": list(years)})


class Counter:
    """A compute function that counts its calls and returns the count."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.calls


def a_result(svc):
    return runs.record(svc, lever="land", analysis="test.memo", tables={"t_memo": pa.table({"x": [1]})})


@pytest.fixture
def svc(empty_wh):
    return Service(empty_wh)


# --- memo ----------------------------------------------------------------------------------------------
def test_memo_computes_once_per_key_while_the_warehouse_is_unchanged(svc):
    c = Counter()
    assert svc.memo("k", c) == 1
    assert svc.memo("k", c) == 1
    assert c.calls == 1
    assert (svc.hits, svc.misses) == (1, 1)


def test_memo_computes_each_key_separately(svc):
    a, b = Counter(), Counter()
    svc.memo(("a", 1), a)
    svc.memo(("a", 2), b)
    svc.memo(("a", 1), a)
    assert (a.calls, b.calls) == (1, 1)


def test_a_result_write_recomputes_entries_but_keeps_data_only_ones(svc):
    everything, data_only = Counter(), Counter()
    svc.memo("all", everything)
    svc.memo("data", data_only, data_only=True)
    before = (svc.wh.generation, svc.wh.data_generation)
    a_result(svc)
    assert svc.wh.generation == before[0] + 1 and svc.wh.data_generation == before[1]
    assert svc.memo("all", everything) == 2
    assert svc.memo("data", data_only, data_only=True) == 1


@pytest.mark.parametrize("write", ["upsert", "replace"])
def test_a_data_write_recomputes_every_entry(svc, write):
    everything, data_only = Counter(), Counter()
    svc.memo("all", everything)
    svc.memo("data", data_only, data_only=True)
    getattr(svc.wh, write)("enterprises", enterprises("A"))
    assert svc.memo("all", everything) == 2
    assert svc.memo("data", data_only, data_only=True) == 2
    assert svc.memo("data", data_only, data_only=True) == 2    # and once only after the write


def test_the_cache_drops_the_least_recently_used_entry_beyond_its_bound(empty_wh):
    svc = Service(empty_wh, cache_entries=2)
    a, b, c = Counter(), Counter(), Counter()
    svc.memo("a", a)
    svc.memo("b", b)
    svc.memo("a", a)         # a is now the most recently used
    svc.memo("c", c)         # over the bound: b, the least recently used, goes
    assert len(svc._cache) == 2
    svc.memo("a", a)
    svc.memo("c", c)
    assert (a.calls, c.calls) == (1, 1)
    svc.memo("b", b)
    assert b.calls == 2


def test_the_cache_drops_the_oldest_when_nothing_was_reused(empty_wh):
    svc = Service(empty_wh, cache_entries=3)
    counters = [Counter() for _ in range(4)]
    for i, c in enumerate(counters):
        svc.memo(i, c)
    svc.memo(3, counters[3])
    svc.memo(1, counters[1])
    assert [c.calls for c in counters[1:]] == [1, 1, 1]
    svc.memo(0, counters[0])
    assert counters[0].calls == 2


def test_close_empties_the_cache_and_leaves_a_warehouse_it_does_not_own_open(empty_wh):
    svc = Service(empty_wh)
    svc.memo("k", Counter())
    svc.close()
    assert len(svc._cache) == 0
    assert empty_wh.counts()["enterprises"] == 0     # still usable


# --- years -----------------------------------------------------------------------------------------------
def test_resolve_year_on_an_empty_warehouse_raises_no_data(svc):
    with pytest.raises(NoData, match="no indicators"):
        svc.resolve_year(None)
    with pytest.raises(NoData):
        svc.resolve_year(2024)


def test_resolve_year_of_a_missing_year_names_the_years_present(svc):
    svc.wh.upsert("indicators", indicators(2022, 2024))
    with pytest.raises(InvalidInput, match="2023") as e:
        svc.resolve_year(2023)
    assert "2022, 2024" in e.value.en and "2022, 2024" in e.value.zh
    assert e.value.where == "--year"


def test_resolve_year_gives_the_latest_year_and_the_years_up_to_it(svc):
    svc.wh.upsert("indicators", indicators(2024, 2022, 2023))
    assert svc.years() == [2022, 2023, 2024]
    assert svc.resolve_year(None) == (2024, [2022, 2023, 2024])
    assert svc.resolve_year(2023) == (2023, [2022, 2023])
    assert svc.resolve_year("2022") == (2022, [2022])


def test_years_follow_an_import_of_a_new_year(svc):
    svc.wh.upsert("indicators", indicators(2023))
    assert svc.resolve_year(None) == (2023, [2023])
    svc.wh.upsert("indicators", indicators(2024))
    assert svc.resolve_year(None) == (2024, [2023, 2024])


# --- enterprise ------------------------------------------------------------------------------------------
def test_enterprise_of_an_unknown_uscc_raises_not_found(svc):
    svc.wh.upsert("enterprises", enterprises("A"))
    with pytest.raises(NotFound, match="NOPE") as e:
        svc.enterprise("NOPE")
    assert e.value.where == "NOPE"


def test_enterprise_gives_the_stored_row(svc):
    svc.wh.upsert("enterprises", enterprises("A", "B"))
    row = svc.enterprise("B")
    assert (row["uscc"], row["name"], row["region_code"]) == ("B", "（合成）企业1", "330481")


def test_an_enterprise_imported_after_a_miss_is_found(svc):
    with pytest.raises(NotFound):
        svc.enterprise("A")
    svc.wh.upsert("enterprises", enterprises("A"))
    assert svc.enterprise("A")["uscc"] == "A"


# --- open ------------------------------------------------------------------------------------------------
def test_opening_a_missing_file_read_only_raises_not_found_and_creates_nothing(tmp_path):
    path = tmp_path / "none" / "warehouse.duckdb"
    with pytest.raises(NotFound, match="zhizao synth") as e:
        Service.open(path, read_only=True)
    assert e.value.where == str(path)
    assert not path.exists() and not path.parent.exists()
    with pytest.raises(NotFound):
        open_service(path, read_only=True)


def test_open_creates_the_warehouse_and_closes_it_with_the_service(tmp_path):
    path = tmp_path / "w.duckdb"
    with Service.open(path) as svc:
        assert svc.path == path and svc.backend == "duckdb"
        svc.wh.upsert("enterprises", enterprises("A"))
    with Service.open(path, read_only=True) as svc:      # the writer closed: the file opens again
        assert svc.enterprise("A")["uscc"] == "A"


# --- synthetic -------------------------------------------------------------------------------------------
def test_the_synthetic_province_is_synthetic(province_db):
    with Service.open(province_db, read_only=True) as svc:
        assert svc.is_synthetic() is True


def test_enterprises_without_the_synthetic_mark_are_not_synthetic(svc):
    svc.wh.upsert("enterprises", enterprises("A", "B", name="台州某机械有限公司"))
    assert svc.is_synthetic() is False


def test_an_empty_warehouse_is_not_synthetic(svc):
    assert svc.is_synthetic() is False

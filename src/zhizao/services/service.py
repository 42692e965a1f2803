"""``Service``: the warehouse handle every service function takes, with the caches that make a
second call fast.

The CLI opens one per command (a cold start: every cache empty); the web app holds one for its
lifetime (warm: the warehouse stays open, compiled expressions and computed evaluations are
reused). A cache entry is keyed on the warehouse's ``generation``, which every write bumps, so a
cached value is never served after the data it came from changed.

No terminal, HTTP or file IO here beyond opening the warehouse.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from zhizao.errors import InvalidInput, NoData, NotFound

__all__ = ["Service", "open_service"]

CACHE_ENTRIES = 128   # compiled expressions and evaluations kept (least recently used dropped)


class Service:
    """A warehouse (``zhizao.data.store.Warehouse`` or ``SparkWarehouse``) plus caches.

    ``Service(wh)`` wraps an open warehouse (the caller closes it); ``Service.open(path)`` opens
    one and closes it with the service (``with Service.open(p) as svc: …``).
    """

    def __init__(self, wh, *, owns: bool = False, cache_entries: int = CACHE_ENTRIES):
        self.wh = wh
        self._owns = owns
        self._cache: OrderedDict = OrderedDict()
        self._cache_entries = cache_entries
        self.hits = 0
        self.misses = 0

    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = False) -> Service:
        """Open the DuckDB warehouse at ``path`` (default ``$ZHIZAO_DB``, else
        ``.zhizao/warehouse.duckdb``). ``read_only`` needs an existing file (``NotFound`` else)."""
        from zhizao.data import store

        p = Path(path) if path is not None else store.default_db_path()
        if read_only and not p.exists():
            raise NotFound(f"数据仓库 {p} 不存在：请先运行 `zhizao synth` 或 `zhizao import`",
                           f"warehouse {p} does not exist: run `zhizao synth` or `zhizao import` first",
                           where=str(p))
        return cls(store.open_warehouse(p, read_only=read_only), owns=True)

    @property
    def path(self) -> Path | None:
        return getattr(self.wh, "path", None)

    @property
    def backend(self) -> str:
        return getattr(self.wh, "backend", "duckdb")

    def close(self) -> None:
        self._cache.clear()
        if self._owns:
            self.wh.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- caching -----------------------------------------------------------------------------
    def memo(self, key: Hashable, compute: Callable[[], Any], *, data_only: bool = False) -> Any:
        """``compute()`` once per ``key`` and warehouse generation (least recently used entries
        beyond ``cache_entries`` are dropped). ``data_only``: the value is computed from the data
        tables alone (not from stored results), so it is kept across result writes and dropped
        only when the data change (an import)."""
        k = (("data", getattr(self.wh, "data_generation", 0)) if data_only else ("all", self.wh.generation), key)
        if k in self._cache:
            self._cache.move_to_end(k)
            self.hits += 1
            return self._cache[k]
        self.misses += 1
        value = compute()
        self._cache[k] = value
        while len(self._cache) > self._cache_entries:
            self._cache.popitem(last=False)
        return value

    # -- what nearly every operation needs ----------------------------------------------------
    def tables(self) -> dict:
        """The warehouse tables as Ibis tables, by name (the levers' input)."""
        return self.memo("tables", self.wh.tables, data_only=True)

    def years(self) -> list[int]:
        """Years with indicators, ascending."""
        return self.memo("years", self.wh.indicator_years, data_only=True)

    def resolve_year(self, year: int | None) -> tuple[int, list[int]]:
        """``year`` (or the latest with indicators) and the years up to it; ``NoData`` for an empty
        warehouse, ``InvalidInput`` for a year it lacks."""
        years = self.years()
        if not years:
            raise NoData("数据仓库中没有企业年度指标：请先运行 `zhizao synth` 或 `zhizao import`",
                         "the warehouse has no indicators: run `zhizao synth` or `zhizao import` first",
                         where="indicators")
        year = years[-1] if year is None else int(year)
        if year not in years:
            have = ", ".join(map(str, years))
            raise InvalidInput(f"数据仓库中没有 {year} 年的指标（现有年份：{have}）",
                               f"no indicators for {year} in the warehouse (years present: {have})",
                               where="--year")
        return year, [y for y in years if y <= year]

    def query(self, key: Hashable, build: Callable[[dict], Any], **params: str):
        """``build(params)`` (an Ibis expression using the string ``params`` as literals) as a
        pyarrow table, compiled once per ``key`` and warehouse generation (``Warehouse.query``)."""
        return self.wh.query((self.wh.generation, key), build, params)

    def enterprise(self, uscc: str) -> dict:
        """The ``enterprises`` row of ``uscc``; ``NotFound`` when the warehouse has none."""
        def read():
            def build(p):
                e = self.tables()["enterprises"]
                return e.filter(e.uscc == p["uscc"])

            rows = self.query("service.enterprise", build, uscc=uscc).to_pylist()
            return rows[0] if rows else None

        row = self.memo(("enterprise", uscc), read, data_only=True)
        if row is None:
            raise NotFound(f"数据仓库中没有统一社会信用代码为 {uscc} 的企业",
                           f"no enterprise with USCC {uscc} in the warehouse", where=uscc)
        return row

    def is_synthetic(self) -> bool:
        """Whether the warehouse's enterprises are the synthetic generator's (its mark in the first
        1,000 names): pages and reports then say the data is synthetic."""
        def read():
            from zhizao.data.synth.names import SYNTHETIC_MARK

            names = self.tables()["enterprises"].select("name").limit(1000).to_pyarrow().column("name").to_pylist()
            return any(isinstance(n, str) and SYNTHETIC_MARK in n for n in names)

        return self.memo("synthetic", read, data_only=True)


def open_service(path: str | Path | None = None, *, read_only: bool = False) -> Service:
    """``Service.open`` as a function."""
    return Service.open(path, read_only=read_only)

"""Shared helpers of tests/policy (P1 owns this file; P2 and P3 import ``tables_from_rows``).

``tables_from_rows`` builds the two warehouse tables the policy engine reads from a few hand-written
row dicts, with the warehouse schema (``zhizao.data.schema``): every column not given is null, so a
test states exactly the inputs a rule reads and the rest is *missing* (→ ``unknown`` where a rule
needs it). Import it as ``from tests.policy.conftest import tables_from_rows``, or use the fixture
``tables`` (the same function).
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
COUNTY = "330624"


def _memtable(name: str, rows: list[dict]):
    import ibis
    import pyarrow as pa

    from zhizao.data import store

    table = store.TABLES[name]
    schema = store.arrow_schema(table)
    unknown = sorted({k for r in rows for k in r} - set(schema.names))
    if unknown:
        raise KeyError(f"table {name} has no column(s) {', '.join(unknown)}")
    cols = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}
    return ibis.memtable(store.conform(table, pa.table(cols)))


def tables_from_rows(enterprises: list[dict], indicators: list[dict]) -> dict:
    """Ibis memtables ``{"enterprises": …, "indicators": …}`` with the warehouse schema.

    Only the required identity columns get defaults: an enterprise's ``name`` (``企业<uscc>``),
    ``region_code`` (330624) and ``industry_code`` (3451); an indicator row's ``year`` (2024).
    Every other column not given is null. Dates are ``datetime.date`` values. A key that is not a
    warehouse column raises ``KeyError`` (a typo would otherwise be a silent null).
    """
    ent = [{"name": f"企业{e['uscc']}", "region_code": COUNTY, "industry_code": "3451", **e}
           for e in enterprises]
    ind = [{"year": 2024, **i} for i in indicators]
    return {"enterprises": _memtable("enterprises", ent), "indicators": _memtable("indicators", ind)}


@pytest.fixture
def tables():
    """``tables_from_rows`` as a fixture."""
    return tables_from_rows


@pytest.fixture
def fixtures_dir() -> Path:
    """tests/policy/fixtures: the tiny test policy library of the engine tests."""
    return FIXTURES

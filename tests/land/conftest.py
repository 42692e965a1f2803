"""Shared fixtures of tests/land (append-only; each engineer's fixtures carry their letter)."""

from __future__ import annotations

import pytest


# --- Engineer C: fixture evaluation tables (the contract's core columns) and a synthetic warehouse ---
C_CORE_COLUMNS = {
    "year": "int64", "uscc": "string", "name": "string", "unit_id": "string", "region_code": "string",
    "park": "string", "division": "string", "industry_code": "string", "segment": "string",
    "area_mu": "float64", "taxes": "float64", "value_added": "float64", "revenue": "float64",
    "main_revenue": "float64", "employees": "int64", "energy_tce": "float64", "emissions_t": "float64",
    "electricity_kwh": "float64", "water_m3": "float64", "gas_m3": "float64", "total_score": "float64", "rank": "int64", "rank_of": "int64",
    "percentile": "float64", "land_class": "string", "graded": "bool", "exempt_reason": "string",
    "flags": "string",
}
C_INDICATORS = ("tax_per_mu", "va_per_mu", "labour_productivity", "va_per_energy", "va_per_emission",
                "rd_ratio", "tax_per_kwh", "revenue_per_mu")


def c_evaluation_rows(rows: list[dict]):
    """A pyarrow evaluation table with every core and indicator column; unspecified values are
    sensible defaults (a graded 规上 firm in county 330624 with 10 mu)."""
    import pyarrow as pa

    defaults = {
        "year": 2024, "name": None, "region_code": "330624", "park": None, "division": "34",
        "industry_code": "3451", "segment": "above_scale", "area_mu": 10.0, "taxes": 1_000_000.0,
        "value_added": 5_000_000.0, "revenue": 20_000_000.0, "main_revenue": 19_000_000.0, "employees": 50,
        "energy_tce": 100.0, "emissions_t": 1.0, "electricity_kwh": 1_000_000.0, "water_m3": 5_000.0,
        "gas_m3": 20_000.0, "total_score": 100.0,
        "rank": 1, "rank_of": 1, "percentile": 1.0, "land_class": "B", "exempt_reason": None, "flags": "",
    }
    full = []
    for r in rows:
        row = {**defaults, **r}
        row.setdefault("unit_id", row["uscc"])
        row["name"] = row["name"] or f"企业{row['uscc']}"
        row.setdefault("graded", row["land_class"] is not None)
        full.append(row)
    arrays = {c: pa.array([r.get(c) for r in full], type=pa.from_numpy_dtype(_c_np(t)) if t != "string" else pa.string())
              for c, t in C_CORE_COLUMNS.items()}
    for ind in C_INDICATORS:
        for suffix in ("value", "benchmark", "score"):
            col = f"{ind}_{suffix}"
            arrays[col] = pa.array([r.get(col) for r in full], type=pa.float64())
    return pa.table(arrays)


def _c_np(t):
    import numpy as np

    return {"int64": np.int64, "float64": np.float64, "bool": np.bool_}[t]


@pytest.fixture
def c_eval():
    """Build an Ibis evaluation table from a few row dicts (see ``c_evaluation_rows``)."""
    import ibis

    return lambda rows: ibis.memtable(c_evaluation_rows(rows))


@pytest.fixture(scope="session")
def c_wh(province_db):
    """The shared synthetic province's DuckDB warehouse file (``province_db``; read it only)."""
    return province_db


@pytest.fixture
def c_db(province_copy):
    """A private copy of the shared province's warehouse (``province_copy``) for a test that writes."""
    return province_copy


@pytest.fixture
def c_arrow():
    """``c_evaluation_rows`` as a fixture: row dicts → a pyarrow evaluation table."""
    return c_evaluation_rows


# --- Engineer A: hand-made tables, a method builder and a 20,000-enterprise synthetic warehouse ---
A_COUNTY = "330624"


def a_tables(enterprises: list[dict], indicators: list[dict], parcels: list[dict]) -> dict:
    """Ibis memtables with the warehouse schema from a few hand-written rows (missing columns null)."""
    import ibis
    import pyarrow as pa

    from zhizao.data import store

    def t(name, rows):
        table = store.TABLES[name]
        schema = store.arrow_schema(table)
        cols = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}
        return ibis.memtable(store.conform(table, pa.table(cols)))

    ent = [{"name": f"企业{e['uscc']}", "region_code": A_COUNTY, "industry_code": "3451", **e} for e in enterprises]
    ind = [{"year": 2024, "above_scale": True, **i} for i in indicators]
    par = [{"region_code": A_COUNTY, "status": "producing", **p} for p in parcels]
    return {"enterprises": t("enterprises", ent), "indicators": t("indicators", ind), "parcels": t("parcels", par)}


def a_method(base: str = "zhejiang-county-default", **changes):
    """A shipped method with top-level fields replaced (values as plain dicts are validated)."""
    from zhizao.land.method import LandMethod, load_method

    data = load_method(base).model_dump(mode="json")
    data.update(changes)
    return LandMethod.model_validate(data)


@pytest.fixture(scope="session")
def a_province(tmp_path_factory):
    """A 20,000-enterprise synthetic province in a DuckDB warehouse (read only by the tests).

    Private, not the shared ``province``: quota shares only approach the method's shares when the
    county × segment groups are large (rank/n ≤ 10.7 % gives no A class in a county of fewer than ten
    规上 firms), which needs about 20,000 firms; read-only tests of anything else use ``province_db``."""
    from zhizao.data import store
    from zhizao.data.synth import generate

    wh = store.open_warehouse(tmp_path_factory.mktemp("a_land") / "w.duckdb")
    for name, table in generate(enterprises=20_000, seed=11, months=False).items():
        wh.replace(name, table)
    yield wh
    wh.close()

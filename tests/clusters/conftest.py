"""Shared fixtures of tests/clusters (helper C): the shared synthetic province, read only.

The province is the session's shared one (``province`` / ``province_db`` of tests/conftest.py:
5,000 enterprises, 2022–2024), handed out as pyarrow tables (``c_data``), in-memory Ibis tables
(``c_tables``) and as a DuckDB warehouse file (``c_wh_path``).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def c_data(province):
    """The shared synthetic province as pyarrow tables by name (2022–2024)."""
    return province


@pytest.fixture(scope="session")
def c_tables(c_data):
    """``enterprises`` and ``indicators`` of the synthetic province as Ibis memtables."""
    import ibis

    return {name: ibis.memtable(c_data[name]) for name in ("enterprises", "indicators")}


@pytest.fixture(scope="session")
def c_wh_path(province_db):
    """The shared province's DuckDB warehouse file (open it read only)."""
    return province_db


@pytest.fixture(scope="session")
def c_profiles(c_tables):
    """Profiles of the synthetic province's 15 clusters in 2024, growth from 2022."""
    from zhizao.clusters.method import clusters_from_synth
    from zhizao.data.synth import load_calibration
    from zhizao.clusters.profile import cluster_profiles

    return cluster_profiles(c_tables, clusters_from_synth(load_calibration()), year=2024, base_year=2022)


def c_small_tables(enterprises: list[dict], indicators: list[dict]) -> dict:
    """Ibis memtables with the warehouse schema from a few hand-written rows (missing columns null)."""
    import ibis
    import pyarrow as pa

    from zhizao.data import store

    def t(name, rows):
        table = store.TABLES[name]
        schema = store.arrow_schema(table)
        cols = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}
        return ibis.memtable(store.conform(table, pa.table(cols)))

    ent = [{"name": f"企业{e['uscc']}", "region_code": "330681", "industry_code": "1763", **e} for e in enterprises]
    ind = [{"year": 2024, "above_scale": True, **i} for i in indicators]
    return {"enterprises": t("enterprises", ent), "indicators": t("indicators", ind)}

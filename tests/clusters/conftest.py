"""Shared fixtures of tests/clusters (helper C): a small synthetic province, read only.

The province is generated once per session (``zhizao.data.synth.generate``, 6,000 enterprises,
seed 11, no monthly table) and handed out as in-memory Ibis tables (``c_tables``) and as a DuckDB
warehouse file (``c_wh_path``), like tests/land/conftest.py does.
"""

from __future__ import annotations

import pytest

C_ENTERPRISES = 6000
C_SEED = 11


@pytest.fixture(scope="session")
def c_data():
    """The synthetic province as pyarrow tables by name (2022–2024)."""
    from zhizao.data.synth import generate

    return generate(enterprises=C_ENTERPRISES, seed=C_SEED, months=False)


@pytest.fixture(scope="session")
def c_tables(c_data):
    """``enterprises`` and ``indicators`` of the synthetic province as Ibis memtables."""
    import ibis

    return {name: ibis.memtable(c_data[name]) for name in ("enterprises", "indicators")}


@pytest.fixture(scope="session")
def c_wh_path(c_data, tmp_path_factory):
    """The synthetic province in a DuckDB warehouse file (open it read only)."""
    from zhizao.data import store

    path = tmp_path_factory.mktemp("c_clusters") / "warehouse.duckdb"
    with store.open_warehouse(path) as wh:
        for name in ("enterprises", "indicators"):
            wh.replace(name, c_data[name])
    return path


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

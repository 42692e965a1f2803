"""Shared fixtures of tests/chains (helper Q2): a 6-firm chain worked by hand, and the shared
synthetic province (``province`` / ``province_db`` of tests/conftest.py) in a DuckDB warehouse (read only).

The chain (amounts and outputs in yuan/year; X lies outside the province)::

    X (310115, chips 3973, outside) ──20──┐
    A (330681, 3311, output 100) ──30──► C (330681, 3821, output 200) ──60──► E (330102, 3849, output 500)
      │                   B (330681, 3311, 50) ──10──► C                            ▲
      └──10──► D (330602, 3821, output 80) ──────────────────────20────────────────┘

Purchases: C 60 (X 20, A 30, B 10), D 10 (A), E 80 (C 60, D 20). Sales: X 20, A 40, B 10, C 60, D 20.
Counties: A, B, C in 330681 (诸暨, prefecture 3306), D in 330602 (越城, 3306), E in 330102 (杭州).
"""

from __future__ import annotations

import pytest

CHAIN_FIRMS = ["X", "A", "B", "C", "D", "E"]
CHAIN_CLUSTERS_YAML = """
id: chain-test
name_zh: 测试集群
name_en: test clusters
province: "330000"
source: tests/chains/conftest.py
clusters:
  - id: zhuji_chain
    name_zh: 诸暨链
    name_en: Zhuji chain
    regions: ["330681"]
    industries:
      - {code: "3311", note: parts}
      - {code: "3821", note: assemblers}
    source: test
"""


def chain_network(**overrides):
    from zhizao.chains.network import network_from_arrays

    kw = dict(
        firms=CHAIN_FIRMS,
        region=["310115", "330681", "330681", "330681", "330602", "330102"],
        sector=[0, 1, 1, 2, 2, 3], sectors=["3973", "3311", "3821", "3849"],
        inside=[False, True, True, True, True, True],
        output=[20.0, 100.0, 50.0, 200.0, 80.0, 500.0],
        year=2024,
    )
    kw.update(overrides)
    #            X→C   A→C   B→C   A→D   C→E   D→E
    supplier = [0, 1, 2, 1, 3, 4]
    buyer = [3, 3, 3, 4, 5, 5]
    amount = [20.0, 30.0, 10.0, 10.0, 60.0, 20.0]
    return network_from_arrays(supplier, buyer, amount, **kw)


@pytest.fixture
def chain():
    """The 6-firm chain of the module docstring."""
    return chain_network()


@pytest.fixture
def chain_clusters():
    """One cluster: classes 3311 and 3821 in county 330681 (members A, B, C)."""
    from zhizao.clusters.method import parse_clusters

    return parse_clusters(CHAIN_CLUSTERS_YAML, origin="conftest")


@pytest.fixture(scope="session")
def q_data(province):
    """The shared synthetic province (5,000 enterprises, 2022–2024) as pyarrow tables."""
    return province


@pytest.fixture(scope="session")
def q_wh_path(province_db):
    """The shared province's DuckDB warehouse file (open it read only, or copy it)."""
    return province_db


@pytest.fixture(scope="session")
def q_net(q_wh_path):
    """The synthetic province's 2024 supply network (class level)."""
    from zhizao.chains.network import build_network
    from zhizao.data import store

    with store.open_warehouse(q_wh_path, read_only=True) as wh:
        return build_network(wh.tables(), year=2024)

"""Fixtures for tests/data. Import fixtures are named ``ingest_*`` (synthetic-data ones ``synth_*``)."""

from __future__ import annotations

from datetime import datetime

import pytest


@pytest.fixture
def ingest_wh(tmp_path):
    """A fresh, empty warehouse file for one import test."""
    from zhizao.data import store

    with store.open_warehouse(tmp_path / "w.duckdb") as wh:
        yield wh


@pytest.fixture(scope="session")
def ingest_usccs() -> list[str]:
    """Twelve valid, distinct USCCs registered in 海宁市 (330481); fixed seed."""
    import numpy as np

    from zhizao.codes.uscc import generate_usccs

    return [str(u) for u in generate_usccs(12, rng=np.random.default_rng(20240601), region_codes=["330481"])]


@pytest.fixture(scope="session")
def ingest_now() -> datetime:
    """The import clock for tests: years after 2025 are in the future."""
    return datetime(2025, 6, 30, 12, 0, 0)

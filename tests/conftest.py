"""Shared test fixtures and marker handling.

Markers (pyproject.toml): ``pg`` needs ``ZHIZAO_TEST_PG_URL``; ``spark`` needs Java for a local
Spark session. Where the service is missing the test is skipped with the reason — except in CI,
where ``.ci/run`` sets ``ZHIZAO_REQUIRE_SPARK=1`` so a missing Java fails instead of hiding.
"""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_collection_modifyitems(config, items):
    have_java = shutil.which("java") is not None
    require_spark = os.environ.get("ZHIZAO_REQUIRE_SPARK") == "1"
    pg_url = os.environ.get("ZHIZAO_TEST_PG_URL")
    require_pdf = os.environ.get("ZHIZAO_REQUIRE_PDF") == "1"
    pdf_reason = None
    if any("pdf" in item.keywords for item in items):
        from zhizao.report.policy_package import pdf_unavailable_reason

        pdf_reason = pdf_unavailable_reason()
    for item in items:
        if "pdf" in item.keywords and pdf_reason and not require_pdf:
            item.add_marker(pytest.mark.skip(reason=pdf_reason))
        if "spark" in item.keywords and not have_java and not require_spark:
            item.add_marker(pytest.mark.skip(reason="Spark needs Java 17 (`java` not on PATH)"))
        if "pg" in item.keywords and not pg_url:
            item.add_marker(pytest.mark.skip(reason="ZHIZAO_TEST_PG_URL is not set"))


@pytest.fixture
def empty_wh(tmp_path):
    """A fresh, empty DuckDB warehouse for a test that writes."""
    from zhizao.data import store

    with store.open_warehouse(tmp_path / "warehouse.duckdb") as wh:
        yield wh


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    """One local Spark session for every ``spark`` test of a worker (its catalog in a tmp dir)."""
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("zhizao-tests")
               .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
               .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _wide_consoles():
    """Rich consoles 250 columns wide in every test, whatever the terminal (TERM=dumb, xdist
    workers and CI give 80), so CLI output is not wrapped mid-word."""
    from zhizao.cli import _shell as shell

    saved = [(c, c._width, c._height) for c in (shell.out, shell.err)]
    for c, _, _ in saved:
        c.size = (250, 50)
    yield
    for c, w, h in saved:
        c._width, c._height = w, h


# --- the shared synthetic province (issue 11) -------------------------------------------------------
#: Size and seed of the one synthetic province every read-only test shares (2022–2024, with the
#: monthly table). Tests that write get their own copy (``province_copy``) or their own warehouse.
PROVINCE_ENTERPRISES = 5_000
PROVINCE_SEED = 20261127


@pytest.fixture(scope="session")
def province():
    """The shared synthetic province as pyarrow tables by name (read it only)."""
    from zhizao.data import synth

    return synth.generate(enterprises=PROVINCE_ENTERPRISES, seed=PROVINCE_SEED)


@pytest.fixture(scope="session")
def province_db(province, tmp_path_factory):
    """The shared province in a DuckDB warehouse file. Open it read only (``read_only=True``,
    ``Service.open(path, read_only=True)``); a test that writes uses ``province_copy``."""
    from zhizao.data import store

    path = tmp_path_factory.mktemp("province") / "warehouse.duckdb"
    with store.open_warehouse(path) as wh:
        for name, table in province.items():
            wh.replace(name, table)
    return path


@pytest.fixture
def province_copy(province_db, tmp_path):
    """A private copy of the shared province's warehouse, for a test that writes to it."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(province_db, path)
    return path

"""Fixtures of tests/report: report tests render hand-made result tables, built by the land tests'
row helper (one definition, in tests/land/conftest.py)."""

from __future__ import annotations

import pytest

from tests.land.conftest import c_evaluation_rows


@pytest.fixture
def c_arrow():
    """Row dicts → a pyarrow land evaluation table with every contract column."""
    return c_evaluation_rows

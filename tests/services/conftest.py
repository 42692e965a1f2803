"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def county(province):
    """The county with the most enterprises in the shared province (ties: the smaller code)."""
    counts: dict[str, int] = {}
    for code in province["enterprises"].column("region_code").to_pylist():
        counts[code] = counts.get(code, 0) + 1
    return min(counts, key=lambda c: (-counts[c], c))

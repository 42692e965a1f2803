"""The registry of levers (杠杆): what each one is, the result tables it declares and its
standard run — the one list the demo, the contract test, the API and the pages walk.

A lever registers itself in its service module (``zhizao.services.land`` …) with ``LEVER =
Lever(...)``; ``levers()`` imports the service modules in order and returns them by name.
``standard_run(svc, year)`` runs the lever's standard analyses on a warehouse (storing them as
runs) and returns a ``LeverRun``: the runs and the summary tables the demo shows.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from zhizao.contract import ResultTable

__all__ = ["Lever", "LeverRun", "levers", "result_table", "SERVICE_MODULES"]

#: The service modules that declare a lever, in the order the demo runs them.
SERVICE_MODULES = ("overview", "land", "clusters", "chains", "policy")


@dataclass(frozen=True)
class LeverRun:
    """What a lever's standard run gives: its runs (``zhizao.services.runs.Run``), summary tables
    (name → pyarrow, small) and one-line findings (zh/en) for the demo's summary."""

    runs: list = field(default_factory=list)
    summaries: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)


@dataclass(frozen=True)
class Lever:
    name: str
    zh: str
    en: str
    tables: tuple[ResultTable, ...]
    standard_run: Callable            # (svc, year) -> LeverRun

    def table(self, name: str) -> ResultTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"lever {self.name} declares no table {name!r}")


def levers() -> dict[str, Lever]:
    """Every registered lever, by name, in the demo's order."""
    out = {}
    for mod in SERVICE_MODULES:
        lever = getattr(importlib.import_module(f"zhizao.services.{mod}"), "LEVER", None)
        if lever is not None:
            out[lever.name] = lever
    return out


def result_table(name: str) -> ResultTable | None:
    """The declaration of a result table (``result_land_evaluation``) by whichever lever declares
    it; None when none does. A name matching a declared pattern (``result_policy_*``) counts."""
    import fnmatch

    for lever in levers().values():
        for t in lever.tables:
            if t.name == name or fnmatch.fnmatchcase(name, t.name):
                return t
    return None

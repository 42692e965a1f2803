"""What a lever promises about its results: declared result tables, column by column.

Each lever declares, in its own ``results.py``, the warehouse tables it writes: for every column
its type, unit, Chinese and English label and a one-line meaning. The services write, the API
and the pages render and the contract test checks results against these declarations
(``check_table``), so a column cannot appear, vanish or change type unnoticed.

Plain data, no IO: levers import this module; it imports nothing of zhizao.

>>> t = ResultTable("result_demo", "演示", "demo", "one row per thing",
...                 (Column("uscc", "string", "统一社会信用代码", "USCC", "the enterprise"),
...                  Column("score", "float64", "得分", "score", "the total", unit="points")),
...                 key=("uscc",))
>>> import pyarrow as pa
>>> check_table(t, pa.table({"uscc": ["a"], "score": [1.0], "run_id": ["r1"]}))
[]
>>> check_table(t, pa.table({"uscc": ["a"], "points": [1]}))[:2]
['result_demo: column score declared but missing', 'result_demo: column points is not declared']
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

__all__ = ["Column", "ResultTable", "RUN_COLUMN", "check_table", "TYPES"]

#: The column every stored result carries: the id of the run that wrote the row (``result_runs``).
RUN_COLUMN = "run_id"

#: Declared type → the pyarrow type names that satisfy it.
TYPES = {
    "string": ("string", "large_string"),
    "int64": ("int64", "int32", "int16", "int8", "uint8", "uint16", "uint32"),
    "float64": ("double", "float", "int64", "int32"),   # an all-integer float column may arrive as int
    "boolean": ("bool",),
    "date": ("date32[day]", "date32", "date64"),
    "timestamp": ("timestamp[us]", "timestamp[ns]", "timestamp[ms]", "timestamp[s]", "timestamp[us, tz=UTC]"),
    "null": ("null",),
    "any": (),        # decided by the method file (a policy variable: number, condition or text)
}


@dataclass(frozen=True)
class Column:
    """One declared column. ``name`` may be a pattern (``rule_*``) for the columns a method file
    decides (one per rule of a policy); ``unit`` is the stored unit (yuan, mu, tce, share …);
    ``optional``: present only where the method file asks for it (a policy's budget columns)."""

    name: str
    type: str
    zh: str
    en: str
    meaning: str
    unit: str | None = None
    optional: bool = False

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}; expected one of {', '.join(TYPES)}")

    @property
    def is_pattern(self) -> bool:
        return any(ch in self.name for ch in "*?[")


@dataclass(frozen=True)
class ResultTable:
    """One result table: its name in the warehouse, labels, what one row is, the columns and the
    key that is unique within one run."""

    name: str
    zh: str
    en: str
    meaning: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    def column(self, name: str) -> Column | None:
        """The declaration of ``name`` (a fixed column, else the first pattern matching it)."""
        for c in self.columns:
            if not c.is_pattern and c.name == name:
                return c
        for c in self.columns:
            if c.is_pattern and fnmatch.fnmatchcase(name, c.name):
                return c
        return None

    @property
    def fixed_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.is_pattern)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """The fixed columns every stored table has (not the optional ones)."""
        return tuple(c.name for c in self.columns if not c.is_pattern and not c.optional)

    def to_dict(self) -> dict:
        """The declaration as JSON-able data (what the API publishes)."""
        return {"name": self.name, "zh": self.zh, "en": self.en, "meaning": self.meaning, "key": list(self.key),
                "columns": [{"name": c.name, "type": c.type, "unit": c.unit, "zh": c.zh, "en": c.en,
                             "meaning": c.meaning, "optional": c.optional} for c in self.columns]}


def check_table(decl: ResultTable, data) -> list[str]:
    """Every way ``data`` (a pyarrow table) departs from ``decl``: declared fixed columns missing,
    undeclared columns, wrong types, a key repeated. Empty when it conforms. ``run_id`` is allowed
    (the store adds it)."""
    problems = []
    names = data.schema.names
    for c in decl.required_columns:
        if c not in names:
            problems.append(f"{decl.name}: column {c} declared but missing")
    for field in data.schema:
        if field.name == RUN_COLUMN:
            continue
        col = decl.column(field.name)
        if col is None:
            problems.append(f"{decl.name}: column {field.name} is not declared")
            continue
        got = str(field.type)
        if got != "null" and col.type != "any" and got not in TYPES[col.type]:
            problems.append(f"{decl.name}: column {field.name} is {got}, declared {col.type}")
    if decl.key and all(k in names for k in decl.key) and data.num_rows:
        keys = data.select(list(decl.key)).group_by(list(decl.key)).aggregate([])
        if keys.num_rows != data.num_rows:
            problems.append(f"{decl.name}: key ({', '.join(decl.key)}) repeats "
                            f"({data.num_rows - keys.num_rows} duplicate rows)")
    return problems

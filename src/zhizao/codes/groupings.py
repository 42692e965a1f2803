"""NBS groupings of GB/T 4754-2017 manufacturing classes: 装备制造业 and 高技术制造业.

* ``equipment`` — 装备制造业 (equipment manufacturing): divisions 33–40; division 43 (repair) is
  not included (composition not confirmed in an official text [U]).
* ``high_tech`` — 高技术制造业 (high-technology manufacturing) per 《高技术产业（制造业）分类（2017）》
  (国统字〔2017〕200号), the union of its six categories ``high_tech.1`` … ``high_tech.6``
  (six categories [C]; their GB/T 4754 codes [U]). The classification works at class (小类) level; several categories
  take only part of a division.

The definitions are data: ``data/groupings.yaml``, validated by :class:`GroupingsFile` (frozen,
unknown keys rejected). Each grouping carries its ``source`` (document, clause and a confidence tag
from the methods legend). Members given as divisions or groups are expanded to their classes through
the GB/T 4754-2017 table, and every member must exist there.

Examples
--------
>>> sorted(groupings_of("3841"))
['equipment', 'high_tech', 'high_tech.3']
>>> in_grouping("4350", "equipment")
False
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhizao.codes import industries

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = [
    "GROUPINGS",
    "Grouping",
    "GroupingSource",
    "GroupingSpec",
    "GroupingsFile",
    "grouping_table",
    "groupings_of",
    "in_grouping",
    "load_groupings",
]

_ID_PATTERN = r"^[a-z_]+(\.[0-9a-z_]+)*$"


class GroupingSource(BaseModel):
    """Where a grouping is defined: document, clause, and a confidence tag (C / C-3p / U)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str = Field(min_length=1)
    clause: str | None = None
    confidence: Literal["C", "C-3p", "U"]
    note: str | None = None

    def __str__(self) -> str:
        return self.document if self.clause is None else f"{self.document}, {self.clause}"


class GroupingSpec(BaseModel):
    """One grouping as written in the YAML file (members not yet expanded)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID_PATTERN)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    source: GroupingSource
    members: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _members_are_codes(self) -> GroupingSpec:
        if not self.members and not self.includes:
            raise ValueError(f"grouping {self.id!r} has neither members nor includes")
        for code in self.members:
            if not (code.isdigit() and 2 <= len(code) <= 4):
                raise ValueError(f"grouping {self.id!r}: member {code!r} is not a 2–4 digit code")
        return self


class GroupingsFile(BaseModel):
    """The whole ``groupings.yaml``: the edition it refers to and the groupings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    edition: Literal["GB/T 4754-2017"]
    groupings: tuple[GroupingSpec, ...]

    @model_validator(mode="after")
    def _ids_unique_and_includes_resolve(self) -> GroupingsFile:
        ids = [g.id for g in self.groupings]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate grouping ids: {dupes}")
        for g in self.groupings:
            missing = [i for i in g.includes if i not in ids]
            if missing:
                raise ValueError(f"grouping {g.id!r} includes unknown ids {missing}")
            if g.id in g.includes:
                raise ValueError(f"grouping {g.id!r} includes itself")
        return self


@dataclass(frozen=True)
class Grouping:
    """A grouping with its members expanded to GB/T 4754-2017 classes (小类)."""

    id: str
    name_zh: str
    name_en: str
    source: GroupingSource
    classes: frozenset[str]


def load_groupings(spec: GroupingsFile) -> dict[str, Grouping]:
    """Expand a validated :class:`GroupingsFile` into :class:`Grouping` objects, keyed by id."""
    by_id = {g.id: g for g in spec.groupings}

    @functools.cache
    def classes_of(gid: str, _seen: frozenset[str] = frozenset()) -> frozenset[str]:
        if gid in _seen:
            raise ValueError(f"grouping includes form a cycle through {gid!r}")
        g = by_id[gid]
        out: set[str] = set()
        for code in g.members:
            out.update(_classes_under(code))  # raises UnknownIndustryCode for a member not in the table
        for other in g.includes:
            out |= classes_of(other, _seen | {gid})
        return frozenset(out)

    return {
        g.id: Grouping(g.id, g.name_zh, g.name_en, g.source, classes_of(g.id))
        for g in spec.groupings
    }


@functools.cache
def _groupings() -> dict[str, Grouping]:
    path = importlib.resources.files("zhizao.codes") / "data" / "groupings.yaml"
    spec = GroupingsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return load_groupings(spec)


class _LazyGroupings(Mapping[str, Grouping]):
    """``GROUPINGS``: read-only mapping id → :class:`Grouping`, loaded on first use."""

    def __getitem__(self, key: str) -> Grouping:
        try:
            return _groupings()[key]
        except KeyError:
            raise KeyError(
                f"unknown grouping {key!r}; known: {', '.join(_groupings())}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(_groupings())

    def __len__(self) -> int:
        return len(_groupings())

    def __repr__(self) -> str:
        return f"GROUPINGS({', '.join(_groupings())})"


GROUPINGS: Mapping[str, Grouping] = _LazyGroupings()


@functools.cache
def _class_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for g in _groupings().values():
        for c in g.classes:
            index.setdefault(c, set()).add(g.id)
    return {c: frozenset(ids) for c, ids in index.items()}


def _classes_under(code: str) -> list[str]:
    """The classes (小类) at or below ``code``, in code order."""
    ind = industries.industry(code)
    if ind.level == "class":
        return [ind.code]
    return [c for kid in industries.children(ind.code) for c in _classes_under(kid.code)]


def groupings_of(code: object) -> frozenset[str]:
    """Ids of the groupings that contain ``code``.

    For a class (小类): the groupings listing it. For a division, group or section: the groupings
    that cover *all* of its classes ("3841" and "39" are in ``equipment``; "27" is in
    ``high_tech.1``; "38" is only in ``equipment``). Unknown codes raise
    :class:`~zhizao.codes.industries.UnknownIndustryCode`.
    """
    index = _class_index()
    members = _classes_under(industries.industry(code).code)
    sets = [index.get(c, frozenset()) for c in members]
    return frozenset.intersection(*sets) if sets else frozenset()


def in_grouping(code: object, grouping_id: str) -> bool:
    """True if ``code`` is (entirely) inside grouping ``grouping_id``; unknown ids raise KeyError."""
    GROUPINGS[grouping_id]  # noqa: B018 - raises KeyError with the known ids
    return grouping_id in groupings_of(code)


@functools.cache
def grouping_table() -> pa.Table:
    """Long table (class_code, grouping) of every class in every grouping, for warehouse joins."""
    import pyarrow as pa

    pairs = sorted((c, g.id) for g in _groupings().values() for c in g.classes)
    return pa.table({
        "class_code": pa.array([c for c, _ in pairs], pa.string()),
        "grouping": pa.array([g for _, g in pairs], pa.string()),
    })

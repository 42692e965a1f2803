"""GB/T 4754-2017 《国民经济行业分类》 (Industrial classification for national economic activities).

The table ``data/gbt4754_2017.csv`` holds sections B (采矿业 mining), C (制造业 manufacturing) and
D (电力、热力、燃气及水生产和供应业 utilities) in full: every 门类 section, 大类 division (2 digits),
中类 group (3 digits) and 小类 class (4 digits). Together B + C + D are 工业 (industry) in Chinese
statistics. Other sections (A, E–T) are not in the table; their codes are recognised as valid
GB/T 4754 codes outside the table, so that :func:`is_industrial` can answer ``False`` for them.

Counts (GB/T 4754-2017 clause 5, "国民经济行业分类和代码表"):

======= ========= ====== =======
section divisions groups classes
======= ========= ====== =======
B       7         19     39
C       31        179    609
D       3         9      18
======= ========= ====== =======

Codes follow clause 4 of the standard (编码方法和代码结构): a section is one Latin letter, a division
two digits, a group three (division + 1), a class four (group + 1). A group with a single class
carries the same name as that class, whose code ends in 0 (e.g. 134 / 1340 制糖业). Codes are stored
without the section letter ("3411", not "C3411").

Provenance. Codes and Chinese names were transcribed from two independent public copies of the
2017 edition (a MySQL dump of an ``industry`` table dated 2020-07-17, and a Python tree of the
classification), which agree on every code in B, C and D. They differed on six names (15, 203, 204,
339, 349, 395); each was settled by the majority of further independent copies, e.g. 395
非专业视听设备制造 and 339 铸造及其他金属制品制造. Whether the sources include the 2019 amendment
(GB/T 4754-2017《第1号修改单》) could not be verified; no code in B, C or D differs between them as
far as these sources show. English titles exist for sections and divisions only; they are our own
renderings. See ``docs/codes.md``.

Examples
--------
>>> industry("C3411").name_zh
'锅炉及辅助设备制造'
>>> division_of("3411")
'34'
>>> check_industry_code("34", level="class")
"'34' 是大类，不是小类 / '34' is a division, not a class"
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from zhizao.codes._columns import is_missing, reasons_by_distinct

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = [
    "EDITION",
    "LEVELS",
    "Industry",
    "UnknownIndustryCode",
    "ancestors",
    "check_industry_code",
    "check_industry_codes",
    "children",
    "classes",
    "division_of",
    "divisions",
    "industry",
    "industry_level",
    "industry_name",
    "industry_table",
    "is_industrial",
    "is_manufacturing",
    "normalize_industry_code",
    "parent",
]

EDITION = "GB/T 4754-2017"
Level = Literal["section", "division", "group", "class"]
LEVELS: tuple[Level, ...] = ("section", "division", "group", "class")
_LEVEL_ZH = {"section": "门类", "division": "大类", "group": "中类", "class": "小类"}
_PLURAL = {"section": "sections", "division": "divisions", "group": "groups", "class": "classes"}
_LEVEL_BY_LENGTH: dict[int, Level] = {1: "section", 2: "division", 3: "group", 4: "class"}
TABLE_SECTIONS = ("B", "C", "D")
INDUSTRIAL_SECTIONS = frozenset(TABLE_SECTIONS)  # 工业 = 采矿业 + 制造业 + 电力、热力、燃气及水生产和供应业

# All twenty sections of GB/T 4754-2017 with their division ranges (clause 5), so that a valid code
# outside the table can be told apart from a code that does not exist at all.
_SECTIONS: dict[str, tuple[int, int, str]] = {
    "A": (1, 5, "农、林、牧、渔业"),
    "B": (6, 12, "采矿业"),
    "C": (13, 43, "制造业"),
    "D": (44, 46, "电力、热力、燃气及水生产和供应业"),
    "E": (47, 50, "建筑业"),
    "F": (51, 52, "批发和零售业"),
    "G": (53, 60, "交通运输、仓储和邮政业"),
    "H": (61, 62, "住宿和餐饮业"),
    "I": (63, 65, "信息传输、软件和信息技术服务业"),
    "J": (66, 69, "金融业"),
    "K": (70, 70, "房地产业"),
    "L": (71, 72, "租赁和商务服务业"),
    "M": (73, 75, "科学研究和技术服务业"),
    "N": (76, 79, "水利、环境和公共设施管理业"),
    "O": (80, 82, "居民服务、修理和其他服务业"),
    "P": (83, 83, "教育"),
    "Q": (84, 85, "卫生和社会工作"),
    "R": (86, 90, "文化、体育和娱乐业"),
    "S": (91, 96, "公共管理、社会保障和社会组织"),
    "T": (97, 97, "国际组织"),
}

_CODE_RE = re.compile(r"^(?:[A-T]|\d{2,4})$")
_PREFIXED_RE = re.compile(r"^([A-T])(\d{2,4})$")
_EXCEL_FLOAT_RE = re.compile(r"^([A-T]?\d+)\.0*$")
_SHAPE_REASON = "代码应为 2–4 位数字或门类字母 / codes are 2–4 digits or a section letter"


class UnknownIndustryCode(ValueError):
    """A code that is not in the GB/T 4754-2017 table; the message says why (zh / en)."""


@dataclass(frozen=True)
class Industry:
    """One row of GB/T 4754-2017: a section, division (大类), group (中类) or class (小类)."""

    code: str
    level: Level
    name_zh: str
    name_en: str | None
    parent: str | None
    section: str


# --- the table -------------------------------------------------------------------------------


@functools.cache
def _table() -> dict[str, Industry]:
    path = importlib.resources.files("zhizao.codes") / "data" / "gbt4754_2017.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = {
            r["code"]: Industry(
                code=r["code"],
                level=r["level"],  # type: ignore[arg-type]
                name_zh=r["name_zh"],
                name_en=r["name_en"] or None,
                parent=r["parent"] or None,
                section=r["section"],
            )
            for r in csv.DictReader(fh)
        }
    return rows


@functools.cache
def _children_index() -> dict[str, tuple[Industry, ...]]:
    index: dict[str, list[Industry]] = {}
    for ind in _table().values():
        if ind.parent is not None:
            index.setdefault(ind.parent, []).append(ind)
    return {k: tuple(sorted(v, key=lambda i: i.code)) for k, v in index.items()}


def _section_of_division(division: int) -> str | None:
    for letter, (lo, hi, _) in _SECTIONS.items():
        if lo <= division <= hi:
            return letter
    return None


# --- normalisation and reasons ---------------------------------------------------------------


def normalize_industry_code(code: object) -> str:
    """Clean one industry code as typed or exported from a spreadsheet.

    Accepts a section letter prefix ("C3411", "c 3411"), full-width characters ("３４１１"),
    inner spaces, and Excel's float rendering ("3411.0", ``3411.0``). A leading zero lost by a
    spreadsheet (``610`` for "0610") cannot be restored here; :func:`check_industry_code` hints at
    it. Raises :class:`UnknownIndustryCode` when the text cannot be a code at all, or when the
    section letter contradicts the division (GB/T 4754-2017 clause 4).

    >>> normalize_industry_code(" c 3411.0 ")
    '3411'
    """
    if isinstance(code, bool) or code is None:
        raise UnknownIndustryCode(f"{code!r}: {_SHAPE_REASON}")
    if isinstance(code, int):
        text = str(code)
    elif isinstance(code, float):
        if not code.is_integer():
            raise UnknownIndustryCode(f"{code!r}: {_SHAPE_REASON}")
        text = str(int(code))
    elif isinstance(code, str):
        text = unicodedata.normalize("NFKC", code)
        text = "".join(text.split()).upper()
    else:
        raise UnknownIndustryCode(f"{code!r}: {_SHAPE_REASON}")
    if m := _EXCEL_FLOAT_RE.match(text):
        text = m.group(1)
    if m := _PREFIXED_RE.match(text):
        letter, text = m.groups()
        actual = _section_of_division(int(text[:2]))
        if actual is not None and actual != letter:
            raise UnknownIndustryCode(
                f"'{code}' 的门类字母 {letter} 与大类 {text[:2]}（门类 {actual}）不符 / "
                f"'{code}': section letter {letter} does not match division {text[:2]} "
                f"(section {actual})"
            )
    if not _CODE_RE.match(text):
        raise UnknownIndustryCode(f"'{code}' 不是代码：代码应为 2–4 位数字或门类字母 / "
                                  f"'{code}' is not a code: codes are 2–4 digits or a section letter")
    return text


def _span(codes: Sequence[str]) -> str:
    return ", ".join(codes) if len(codes) <= 6 else f"{codes[0]}–{codes[-1]}"


def _unknown_reason(code: str) -> str:
    """Why a well-formed ``code`` is not in the table (zh / en)."""
    table = _table()
    if code.isalpha():
        name = _SECTIONS[code][2]
        return (f"门类 {code}（{name}）不在本表（仅含 B、C、D 门类） / "
                f"section {code} ({name}) is outside this table (sections B, C, D only)")
    hint_zh = hint_en = ""
    if len(code) <= 3 and "0" + code in table:
        hint_zh = f"；是否丢失了前导 0（'0{code}'）？"
        hint_en = f"; lost a leading zero ('0{code}')?"
    division = int(code[:2])
    section = _section_of_division(division)
    what_zh, what_en = _LEVEL_ZH[_LEVEL_BY_LENGTH[len(code)]], _LEVEL_BY_LENGTH[len(code)]
    if section is None:
        return (f"'{code}' 不是 {EDITION} 代码：不存在大类 {code[:2]}{hint_zh} / "
                f"'{code}' is not a {EDITION} code: there is no division {code[:2]}{hint_en}")
    if section not in TABLE_SECTIONS:
        name = _SECTIONS[section][2]
        return (f"'{code}' 属门类 {section}（{name}），不在本表（仅含 B、C、D 门类）{hint_zh} / "
                f"'{code}' is in section {section} ({name}), outside this table "
                f"(sections B, C, D only){hint_en}")
    for prefix_len in (3, 2):
        prefix = code[:prefix_len]
        if prefix_len < len(code) and prefix in table:
            kids = [k.code for k in _children_index().get(prefix, ())]
            p = table[prefix]
            kid_level = _LEVEL_BY_LENGTH[prefix_len + 1]
            if len(code) == 4 and prefix_len == 2:
                kids = [c for c, i in table.items() if i.level == "class" and c[:2] == prefix]
                kid_level = "class"
            return (f"'{code}' 不是 {EDITION} 的{what_zh}（{_LEVEL_ZH[p.level]} {prefix} {p.name_zh} "
                    f"下的{_LEVEL_ZH[kid_level]}为 {_span(kids)}）{hint_zh} / "
                    f"'{code}' is not a {EDITION} {what_en} ({p.level} {prefix} has "
                    f"{_PLURAL[kid_level]} {_span(kids)}){hint_en}")
    return f"'{code}' 不是 {EDITION} 代码{hint_zh} / '{code}' is not a {EDITION} code{hint_en}"


def _lookup(code: object) -> Industry:
    norm = normalize_industry_code(code)
    found = _table().get(norm)
    if found is None:
        raise UnknownIndustryCode(_unknown_reason(norm))
    return found


def _check_level(level: str | None) -> None:
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS} or None, got {level!r}")


# --- public API ------------------------------------------------------------------------------


def industry(code: object) -> Industry:
    """The table row for ``code`` (any accepted spelling); raises :class:`UnknownIndustryCode`."""
    return _lookup(code)


def industry_name(code: object, default: str | None = None) -> str:
    """The industry's Chinese title for display; ``default`` (the code itself when None) for an
    unknown or malformed code.

    >>> industry_name("1763"), industry_name("9999", "")
    ('针织或钩针编织品制造', '')
    """
    try:
        return _lookup(code).name_zh
    except (KeyError, ValueError, TypeError):
        return str(code) if default is None else default


def industry_level(code: object) -> Level:
    """'section', 'division', 'group' or 'class' for a code in the table."""
    return _lookup(code).level


@functools.lru_cache(maxsize=65536)
def _reason(code: object, level: str | None) -> str | None:
    try:
        ind = _lookup(code)
    except UnknownIndustryCode as exc:
        return str(exc)
    if level is not None and ind.level != level:
        return (f"'{ind.code}' 是{_LEVEL_ZH[ind.level]}，不是{_LEVEL_ZH[level]} / "
                f"'{ind.code}' is a {ind.level}, not a {level}")
    return None


def check_industry_code(code: object, *, level: str | None = None) -> str | None:
    """``None`` if ``code`` is in the table (and at ``level`` when given), else the reason.

    The reason reads "中文原因 / English reason", e.g. for an empty cell, a malformed code, a code
    outside sections B–D, or a code at the wrong level.
    """
    _check_level(level)
    if is_missing(code) or (isinstance(code, str) and not code.strip()):
        return "行业代码为空 / industry code is empty"
    try:
        return _reason(code, level)
    except TypeError:  # unhashable input
        return _reason(repr(code), level)


def check_industry_codes(
    codes: pa.Array | pa.ChunkedArray | Sequence[object], *, level: str | None = "class"
) -> list[str | None]:
    """Vectorised :func:`check_industry_code` for a whole column: one reason (or ``None``) per value.

    The column is dictionary-encoded with pyarrow, each distinct value is checked once, and the
    reasons are taken back to the rows, so 1,000,000 codes cost about as much as their distinct
    values. Integer or float columns (codes that went through Excel) are accepted.
    """
    _check_level(level)
    return reasons_by_distinct(codes, lambda v: check_industry_code(v, level=level))


def parent(code: object) -> Industry | None:
    """The row one level up (class → group → division → section); ``None`` for a section."""
    ind = _lookup(code)
    return None if ind.parent is None else _table()[ind.parent]


def children(code: object) -> list[Industry]:
    """The rows one level down, in code order (a class has none)."""
    return list(_children_index().get(_lookup(code).code, ()))


def ancestors(code: object) -> list[Industry]:
    """All rows above ``code``, from the section down to its parent: "3411" → [C, 34, 341]."""
    out: list[Industry] = []
    node = parent(code)
    while node is not None:
        out.append(node)
        node = parent(node.code)
    return out[::-1]


def division_of(code: object) -> str:
    """The division (大类) of a division, group or class: "3411" → "34"."""
    ind = _lookup(code)
    if ind.level == "section":
        raise UnknownIndustryCode(
            f"门类 {ind.code} 没有所属大类 / section {ind.code} has no division"
        )
    return ind.code[:2]


def classes(*, section: str | None = "C") -> list[Industry]:
    """All classes (小类) of ``section`` ("B", "C" or "D"), or of the whole table for ``None``."""
    if section is not None and section not in TABLE_SECTIONS:
        raise ValueError(f"section must be one of {TABLE_SECTIONS} or None, got {section!r}")
    return [i for i in _table().values()
            if i.level == "class" and (section is None or i.section == section)]


def divisions(*, sections: Sequence[str] = TABLE_SECTIONS) -> list[Industry]:
    """All divisions (大类) of the given sections, in code order."""
    bad = set(sections) - set(TABLE_SECTIONS)
    if bad:
        raise ValueError(f"sections must be among {TABLE_SECTIONS}, got {sorted(bad)}")
    return [i for i in _table().values() if i.level == "division" and i.section in sections]


def _section_or_outside(code: object) -> str:
    """Section letter of a table code, or the section of a valid code outside the table."""
    norm = normalize_industry_code(code)
    found = _table().get(norm)
    if found is not None:
        return found.section
    section = norm if norm.isalpha() else _section_of_division(int(norm[:2]))
    if section is None or section in TABLE_SECTIONS:
        raise UnknownIndustryCode(_unknown_reason(norm))
    return section


def is_industrial(code: object) -> bool:
    """True for 工业 (industry): sections B, C and D of GB/T 4754-2017.

    Codes of other sections give ``False``; codes that do not exist raise
    :class:`UnknownIndustryCode`.
    """
    return _section_or_outside(code) in INDUSTRIAL_SECTIONS


def is_manufacturing(code: object) -> bool:
    """True for 制造业 (manufacturing), section C (divisions 13–43)."""
    return _section_or_outside(code) == "C"


@functools.cache
def industry_table() -> pa.Table:
    """The whole table as a pyarrow Table (code, level, name_zh, name_en, parent, section)."""
    import pyarrow as pa

    rows = list(_table().values())
    return pa.table({
        "code": [r.code for r in rows],
        "level": [r.level for r in rows],
        "name_zh": [r.name_zh for r in rows],
        "name_en": [r.name_en for r in rows],
        "parent": [r.parent for r in rows],
        "section": [r.section for r in rows],
    })

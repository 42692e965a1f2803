"""Units of measure and conversion to the canonical units (计量单位).

The warehouse stores every quantity in one canonical unit per kind (docs/architecture.md,
"Conventions"): money in yuan (元), land in mu (亩; 1 亩 = 10000/15 m² ≈ 666.67 m²), energy in
tonnes of standard coal equivalent (吨标准煤, tce), electricity in kWh (千瓦时), mass in tonnes,
people in persons, shares as fractions 0–1. A file may declare another unit in its header
(``营业收入（万元）``); import multiplies by the factor listed here.

Sources: 1 亩 = 1/15 公顷 (《中华人民共和国法定计量单位》, 市制 conversion); 万/亿 are 10⁴/10⁸.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MU_PER_M2 = 15.0 / 10_000.0  # 1 公顷 = 15 亩 = 10,000 m²


@dataclass(frozen=True)
class UnitKind:
    """A kind of quantity with its canonical unit and the aliases a header may use."""

    name: str
    canonical: str
    canonical_zh: str
    factors: dict[str, float]  # normalised alias -> multiply by this to get the canonical unit


def _n(s: str) -> str:
    return normalize_token(s)


def normalize_token(text: str) -> str:
    """Fold a header or unit token: NFKC (full-width → half-width), lower case, no spaces."""
    text = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", text).lower()


def _kind(name: str, canonical: str, canonical_zh: str, table: dict[str, float]) -> UnitKind:
    return UnitKind(name, canonical, canonical_zh, {_n(k): v for k, v in table.items()})


UNIT_KINDS: dict[str, UnitKind] = {
    k.name: k
    for k in [
        _kind(
            "money", "yuan", "元",
            {"元": 1, "yuan": 1, "rmb": 1, "cny": 1, "千元": 1e3, "万元": 1e4, "10kyuan": 1e4,
             "10thousandyuan": 1e4, "百万元": 1e6, "millionyuan": 1e6, "千万元": 1e7,
             "亿元": 1e8, "100millionyuan": 1e8, "100myuan": 1e8},
        ),
        _kind(
            "area", "mu", "亩",
            {"亩": 1, "mu": 1, "平方米": MU_PER_M2, "m2": MU_PER_M2, "m²": MU_PER_M2, "㎡": MU_PER_M2,
             "sqm": MU_PER_M2, "公顷": 15, "ha": 15, "hectare": 15, "hectares": 15,
             "平方公里": 15 * 100, "km2": 15 * 100, "km²": 15 * 100, "万平方米": 1e4 * MU_PER_M2},
        ),
        _kind(
            "floor_area", "m2", "平方米",
            {"平方米": 1, "m2": 1, "m²": 1, "㎡": 1, "sqm": 1, "万平方米": 1e4},
        ),
        _kind(
            "energy", "tce", "吨标准煤",
            {"吨标准煤": 1, "吨标煤": 1, "tce": 1, "t标准煤": 1, "万吨标准煤": 1e4, "万吨标煤": 1e4,
             "10ktce": 1e4, "千克标准煤": 1e-3, "kgce": 1e-3},
        ),
        _kind(
            "electricity", "kWh", "千瓦时",
            {"千瓦时": 1, "度": 1, "kwh": 1, "kw·h": 1, "kw.h": 1, "万千瓦时": 1e4, "万度": 1e4,
             "mwh": 1e3, "亿千瓦时": 1e8, "gwh": 1e6},
        ),
        _kind("mass", "t", "吨", {"吨": 1, "t": 1, "tonnes": 1, "tons": 1, "千克": 1e-3, "公斤": 1e-3,
                                  "kg": 1e-3, "万吨": 1e4}),
        # water is reported in 吨 as often as in 立方米 (1 t of water ≈ 1 m³)
        _kind("water", "m3", "立方米", {"立方米": 1, "m3": 1, "m³": 1, "方": 1, "吨": 1, "t": 1, "万立方米": 1e4,
                                       "万方": 1e4, "万吨": 1e4, "亿立方米": 1e8}),
        _kind("gas", "m3", "立方米", {"立方米": 1, "m3": 1, "m³": 1, "方": 1, "nm3": 1, "标方": 1,
                                     "万立方米": 1e4, "万方": 1e4, "亿立方米": 1e8}),
        _kind("persons", "persons", "人", {"人": 1, "persons": 1, "person": 1, "人数": 1, "万人": 1e4}),
        _kind("share", "share", "比例", {"比例": 1, "share": 1, "ratio": 1, "%": 0.01, "百分比": 0.01,
                                         "percent": 0.01, "pct": 0.01}),
        _kind("percent", "%", "%", {"%": 1, "百分比": 1, "percent": 1, "pct": 1}),
        _kind("count", "count", "个", {"个": 1, "件": 1, "项": 1, "count": 1, "家": 1}),
        _kind("plain", "", "", {"": 1}),
    ]
}


def unit_factor(kind: str, unit: str) -> float | None:
    """Factor that converts a value in ``unit`` to ``kind``'s canonical unit, or None if unknown.

    >>> unit_factor("money", "万元")
    10000.0
    >>> round(unit_factor("area", "m²"), 6)
    0.0015
    """
    factor = UNIT_KINDS[kind].factors.get(_n(unit))
    return None if factor is None else float(factor)

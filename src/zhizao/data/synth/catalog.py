"""Geography and industry catalogues the generator draws from (real codes only).

Counties come from GB/T 2260 (``zhizao.codes.regions``), classes from GB/T 4754-2017
(``zhizao.codes.industries``). Everything is resolved once into arrays indexed by position, so
the generator works on integer indices and turns them into codes and names at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhizao.codes import groupings, industries, regions
from zhizao.data.synth.calibration import Calibration

_SUFFIXES = ("自治县", "市", "县", "区")


def short_name(name: str) -> str:
    """County name without its administrative suffix when two characters or more remain."""
    for s in _SUFFIXES:
        if name.endswith(s) and len(name) - len(s) >= 2:
            return name[: -len(s)]
    return name


@dataclass(frozen=True)
class Geography:
    province: str
    counties: tuple[str, ...]
    county_names: tuple[str, ...]
    county_short: tuple[str, ...]
    prefecture_of_county: np.ndarray  # index into prefectures
    prefectures: tuple[str, ...]
    prefecture_names: tuple[str, ...]
    lon: np.ndarray
    lat: np.ndarray
    county_prob: np.ndarray  # share of enterprises by county

    @property
    def n(self) -> int:
        return len(self.counties)

    @property
    def prefecture_share(self) -> np.ndarray:
        """Share of enterprises by prefecture (sum of its counties' ``county_prob``)."""
        return np.bincount(self.prefecture_of_county, weights=self.county_prob, minlength=len(self.prefectures))


def build_geography(province: str, cal: Calibration, rng: np.random.Generator) -> Geography:
    prov = regions.region(province)
    if prov.level != "province":
        raise ValueError(f"province must be a province-level code, got {province!r}")
    counties = regions.subregions(province, level="county")
    if not counties:
        raise ValueError(f"no counties under {province}")
    pref_codes: list[str] = []
    pref_idx = np.empty(len(counties), dtype=np.int64)
    for i, c in enumerate(counties):
        p = regions.prefecture_of(c.code) or province
        if p not in pref_codes:
            pref_codes.append(p)
        pref_idx[i] = pref_codes.index(p)
    pref_names = tuple(regions.region(p).name for p in pref_codes)

    # coordinates: the county's, else its prefecture's, else the province's
    lon = np.empty(len(counties))
    lat = np.empty(len(counties))
    for i, c in enumerate(counties):
        src = c
        if src.lon is None or src.lat is None:
            src = regions.region(pref_codes[pref_idx[i]])
        if src.lon is None or src.lat is None:
            src = prov
        lon[i] = src.lon if src.lon is not None else 120.0
        lat[i] = src.lat if src.lat is not None else 30.0

    same = cal.province == province
    shares = cal.geography.prefecture_output_share.value if same else {}
    default_share = 1.0 / len(pref_codes)
    pref_share = np.array([shares.get(p, default_share if not shares else 0.005) for p in pref_codes])
    pref_share = pref_share / pref_share.sum()
    weights = cal.geography.county_weight.value if same else {}
    cw = np.array([weights.get(c.code, 1.0) for c in counties], dtype=np.float64)
    cw *= np.exp(rng.normal(0.0, cal.geography.county_noise_sd.value, len(counties)))
    within = cw / np.bincount(pref_idx, weights=cw)[pref_idx]
    prob = pref_share[pref_idx] * within
    return Geography(
        province=province,
        counties=tuple(c.code for c in counties),
        county_names=tuple(c.name for c in counties),
        county_short=tuple(short_name(c.name) for c in counties),
        prefecture_of_county=pref_idx,
        prefectures=tuple(pref_codes),
        prefecture_names=pref_names,
        lon=lon,
        lat=lat,
        county_prob=prob / prob.sum(),
    )


@dataclass(frozen=True)
class IndustryCatalog:
    divisions: tuple[str, ...]           # division codes with enterprises ("13", …)
    division_names: tuple[str, ...]
    classes: tuple[str, ...]             # every class the generator may use
    class_names: tuple[str, ...]
    class_division: np.ndarray           # index into divisions
    class_weight: np.ndarray             # draw weight within its division (0 = never drawn)
    class_high_tech: np.ndarray          # bool, NBS 高技术制造业
    class_equipment: np.ndarray          # bool, 装备制造业
    division_weight: np.ndarray          # share of enterprises

    def division_index(self, code: str) -> int:
        return self.divisions.index(code)

    def class_index(self, code: str) -> int:
        return self.classes.index(code)

    def div_param(self, values: dict[str, float], default: float = 0.0) -> np.ndarray:
        return np.array([float(values.get(d, default)) for d in self.divisions], dtype=np.float64)


def build_industry(cal: Calibration, rng: np.random.Generator) -> IndustryCatalog:
    weights = cal.industry.count_weight.value
    divs = [d for d in weights if weights[d] > 0]
    divs.sort()
    excluded = {s.product_class for s in cal.links.single_source.value}
    cluster_classes = {k for c in cal.clusters for k in c.classes}
    classes: list[str] = []
    names: list[str] = []
    cdiv: list[int] = []
    cw: list[float] = []
    for di, d in enumerate(divs):
        kids = sorted((c for c in industries.classes(section=None) if c.code[:2] == d), key=lambda c: c.code)
        w = rng.gamma(0.8, 1.0, len(kids))
        for k, wk in zip(kids, w):
            classes.append(k.code)
            names.append(k.name_zh)
            cdiv.append(di)
            cw.append(0.0 if k.code in excluded else float(wk))
    # classes that only appear as links' product classes (single-source inputs)
    for code in sorted(excluded | cluster_classes):
        if code not in classes:
            ind = industries.industry(code)
            d = industries.division_of(code)
            if d not in divs:
                continue
            classes.append(code)
            names.append(ind.name_zh)
            cdiv.append(divs.index(d))
            cw.append(0.0)
    class_division = np.array(cdiv, dtype=np.int64)
    class_weight = np.array(cw)
    tot = np.bincount(class_division, weights=class_weight, minlength=len(divs))
    if (tot <= 0).any():
        raise ValueError("every division needs at least one class that may be drawn")
    class_weight = class_weight / tot[class_division]
    gs = [groupings.groupings_of(c) for c in classes]
    dw = np.array([weights[d] for d in divs], dtype=np.float64)
    return IndustryCatalog(
        divisions=tuple(divs),
        division_names=tuple(industries.industry(d).name_zh for d in divs),
        classes=tuple(classes),
        class_names=tuple(names),
        class_division=class_division,
        class_weight=class_weight,
        class_high_tech=np.array(["high_tech" in g for g in gs]),
        class_equipment=np.array(["equipment" in g for g in gs]),
        division_weight=dw / dw.sum(),
    )

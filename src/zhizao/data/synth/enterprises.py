"""The ``enterprises`` table: identity, place, industry and slowly changing attributes.

Optional attributes are left null for a realistic share of firms (``attributes.missing``), so
policy rules that need them must answer "unknown" for those firms.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from zhizao.data import schema
from zhizao.data.synth._util import (
    bool_array,
    date_array,
    day,
    float_array,
    int_array,
    take_strings,
)
from zhizao.data.synth.calibration import Calibration
from zhizao.data.synth.catalog import Geography, IndustryCatalog
from zhizao.data.synth.names import enterprise_names
from zhizao.data.synth.panel import Panel
from zhizao.data.synth.population import Population
from zhizao.data.synth.traits import TIER_LITTLE_GIANT, TIER_SPECIALIZED, Traits

PARK_KINDS = ("经济开发区", "高新技术产业园区", "小微企业园")
CERT_ORDER = ("ISO9001", "ISO14001", "ISO45001", "IATF16949", "ISO13485", "GB/T29490")


def _levels(rng: np.random.Generator, score: np.ndarray, group: np.ndarray,
            shares: dict[bool, tuple[float, float, float, float]]) -> np.ndarray:
    """Assign national/provincial/municipal/below_municipal/none (0..4) by score rank in group."""
    out = np.full(len(score), 4, dtype=np.int64)
    for g, sh in shares.items():
        idx = np.flatnonzero(group == g)
        if len(idx) == 0:
            continue
        key = score[idx] + rng.gumbel(0.0, 0.7, len(idx))
        order = idx[np.argsort(-key, kind="stable")]
        cuts = np.round(np.cumsum(sh) * len(idx)).astype(np.int64)
        lo = 0
        for level, hi in enumerate(cuts):
            out[order[lo:hi]] = level
            lo = hi
    return out


def build_enterprises(uscc: pa.Array, pop: Population, tr: Traits, panel: Panel, geo: Geography,
                      cat: IndustryCatalog, cal: Calibration, rng: np.random.Generator) -> pa.Table:
    n = pop.n
    y_last = pop.years[-1]
    above = tr.above_last
    tiered = tr.tier > 0
    att = cal.attributes
    miss = {k: v for k, v in att.missing.value.items() if "." not in k}

    def null(col: str) -> np.ndarray | None:
        share = miss.get(col, 0.0)
        if share <= 0:
            return None
        return rng.random(n) < np.where(tiered, share / 2, share)

    # last-year figures for SME status and registered capital
    last_rows = panel.year_idx == tr.last[panel.firm]
    emp_last = np.zeros(n)
    rev_last = np.zeros(n)
    emp_last[panel.firm[last_rows]] = panel.cols["employees"][last_rows]
    rev_last[panel.firm[last_rows]] = panel.cols["revenue"][last_rows]
    rd_last = np.zeros(n)
    rd_last[panel.firm[last_rows]] = panel.cols["rd_expenditure"][last_rows]
    is_sme = ~((emp_last >= 1000) & (rev_last >= 4e8))  # 工信部联企业〔2011〕300号, industry

    # names: big firms are 股份/集团, innovative firms often 科技
    suffix = np.where(tr.size_last >= 1e9, np.where(rng.random(n) < 0.5, 2, 1),
                      np.where((tr.size_last >= 1e8) & (rng.random(n) < 0.35), 1, 0))
    tech = (tr.high_tech | (tr.tier > 0)) & (rng.random(n) < 0.55) | (rng.random(n) < 0.05)
    names = enterprise_names(rng, geo.county_short, pop.county, cat.classes, pop.cls, tech, suffix)

    # parks
    park_table = [f"{s}{k}" for s in geo.county_short for k in PARK_KINDS]
    kind_above = np.searchsorted(np.cumsum([0.5, 0.3, 0.2]), rng.random(n), side="right")
    kind_below = np.searchsorted(np.cumsum([0.3, 0.15, 0.55]), rng.random(n), side="right")
    kind = np.minimum(np.where(above, kind_above, kind_below), 2)
    in_park = rng.random(n) < np.where(above, att.park_share.value["above"], att.park_share.value["below"])
    park = take_strings(park_table, pop.county * len(PARK_KINDS) + kind, ~in_park)

    # ownership
    own_names = schema.OWNERSHIP
    own = np.empty(n, dtype=np.int64)
    for grp, mask in (("above", above), ("below", ~above)):
        probs = np.array([att.ownership.value[grp][o] for o in own_names])
        own[mask] = np.minimum(np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(int(mask.sum())), side="right"), 2)

    # registered capital, rounded to 万元
    ratio, sd = cal.ratios.registered_capital_to_revenue.value
    cap = np.clip(tr.size_last * ratio * np.exp(rng.normal(0.0, sd, n)), 1e5, 5e9)
    cap = np.round(cap, -4)

    # high-tech certificate (3 years); a few firms hold a lapsed one
    issue = day(y_last - 2, 1, 1) + (rng.random(n) * 3 * 365).astype(np.int64)
    valid_until = issue + 3 * 365 - 1
    lapsed = ~tr.high_tech & (rng.random(n) < 0.03)
    valid_until = np.where(lapsed, day(y_last - 1, 1, 1) + (rng.random(n) * 365).astype(np.int64), valid_until)
    has_cert = tr.high_tech | lapsed

    # R&D institution level by R&D size
    rd_score = np.log1p(rd_last) + 1.5 * (tr.tier >= TIER_SPECIALIZED) + 1.0 * tr.high_tech
    rd_level = _levels(rng, rd_score, above, {True: (0.003, 0.07, 0.15, 0.15), False: (0.0, 0.002, 0.02, 0.05)})
    lgc = (tr.tier == TIER_LITTLE_GIANT) & tr.compliant
    rd_level = np.where(lgc, np.minimum(rd_level, 2), rd_level)
    quality = _levels(rng, np.log1p(tr.size_last), above, {True: (0.002, 0.015, 0.05, 0.06), False: (0.0, 0.0, 0.005, 0.015)})
    award = _levels(rng, rd_score, above, {True: (0.001, 0.01, 0.03, 0.03), False: (0.0, 0.0005, 0.003, 0.01)})

    # certifications as a bit set → "ISO9001;ISO14001"
    rates = att.certification_rates.value
    auto = pop.division == cat.division_index("36") if "36" in cat.divisions else np.zeros(n, bool)
    medical = np.array([c.startswith("358") for c in cat.classes])[pop.cls]
    allowed = {"IATF16949": auto, "ISO13485": medical, "GB/T29490": tr.high_tech}
    bits = np.zeros(n, dtype=np.int64)
    for b, name in enumerate(CERT_ORDER):
        r = rates.get(name, (0.0, 0.0))
        p = np.where(above, r[0], r[1])
        if name in allowed:
            p = np.where(allowed[name], p, 0.0)
        if name != "ISO9001":
            p = np.where(bits & 1, p, p * 0.3)  # mostly on top of ISO9001
        hit = rng.random(n) < p
        if name == "ISO9001":
            hit |= lgc
        bits |= hit.astype(np.int64) << b
    combos = [";".join(c for b, c in enumerate(CERT_ORDER) if k >> b & 1) or "none"  # none: known, no certificate
              for k in range(1 << len(CERT_ORDER))]
    certs = take_strings(combos, bits, null("certifications"))

    own_brand = rng.random(n) < np.where(above, 0.6, 0.25)
    own_brand |= lgc
    std_lambda = np.where(above, 0.3 + 2.0 * (tr.tier >= TIER_SPECIALIZED) + 0.5 * tr.high_tech, 0.05)
    standards = rng.poisson(std_lambda)

    niche_start = pop.reg_year + rng.geometric(0.3, n) - 1
    niche_start = np.where(tr.compliant & (tr.tier == TIER_LITTLE_GIANT), np.minimum(niche_start, y_last - 3), niche_start)
    niche_start = np.where(tr.compliant & (tr.tier == TIER_SPECIALIZED), np.minimum(niche_start, y_last - 2), niche_start)
    niche_start = np.clip(niche_start, 1950, y_last)
    niche_share = rng.beta(1.0, 25.0, n)
    niche_share = np.where(lgc, 0.10 + rng.beta(2.0, 8.0, n) * 0.3, niche_share)

    dl = np.empty(n, dtype=np.int64)
    for grp, mask in (("above", above), ("below", ~above)):
        probs = np.array(att.digital_level.value[grp])
        dl[mask] = 1 + np.minimum(np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(int(mask.sum())), side="right"), 3)
    dl = np.where(tr.compliant & (tr.tier >= TIER_SPECIALIZED), np.maximum(dl, 2), dl)

    hi = cat.class_high_tech[pop.cls]
    eq = cat.class_equipment[pop.cls]
    strategic = rng.random(n) < np.where(hi, 0.8, np.where(eq, 0.35, 0.08))

    abnormal = (rng.random(n) < att.abnormal_list_share.value) & ~tr.compliant
    incident = (rng.random(n) < att.major_incident_share.value) & ~tr.compliant

    status = np.array(["operating", "closed", "suspended"])[pop.status]
    jitter = cal.geography.location_jitter_deg.value
    lon = np.round(geo.lon[pop.county] + rng.normal(0.0, jitter, n), 5)
    lat = np.round(geo.lat[pop.county] + rng.normal(0.0, jitter * 0.8, n), 5)

    levels = list(schema.RD_LEVELS)
    cols = {
        "uscc": pa.array(uscc, pa.string()),
        "name": names,
        "region_code": take_strings(list(geo.counties), pop.county),
        "industry_code": take_strings(list(cat.classes), pop.cls),
        "park": park,
        "registered_on": date_array(pop.reg_day),
        "registered_capital": float_array(cap, null("registered_capital")),
        "ownership": take_strings(list(own_names), own, null("ownership")),
        "is_sme": bool_array(is_sme),
        "above_scale_since": date_array(np.maximum(pop.above_since, 0), pop.above_since < 0),
        "is_high_tech": bool_array(tr.high_tech),
        "high_tech_valid_until": date_array(valid_until, ~has_cert),
        "rd_institution_level": take_strings(levels, rd_level, null("rd_institution_level")),
        "certifications": certs,
        "own_brand": bool_array(own_brand, null("own_brand")),
        "standards_drafted": int_array(standards, null("standards_drafted")),
        "quality_award_level": take_strings(levels, quality, null("quality_award_level")),
        "niche_start_year": int_array(niche_start, null("niche_start_year")),
        "niche_market_share": float_array(np.round(niche_share, 4), null("niche_market_share")),
        "digital_level": int_array(dl, null("digital_level")),
        "strategic_emerging": bool_array(strategic, null("strategic_emerging")),
        "st_award_level": take_strings(levels, award, null("st_award_level")),
        "on_abnormal_list": bool_array(abnormal, null("on_abnormal_list")),
        "major_incident_3y": bool_array(incident, null("major_incident_3y")),
        "certified_tier": take_strings(list(schema.TIERS), tr.tier.astype(np.int64)),
        "certified_tier_year": int_array(np.maximum(tr.tier_year, 2000), tr.tier == 0),
        "status": pa.array(status, pa.string()),
        "lon": float_array(lon),
        "lat": float_array(lat),
    }
    return pa.table(cols, schema=schema.arrow_schema(schema.ENTERPRISES))

"""Cluster tiers (集群梯度): world-class → provincial → new star, by configurable criteria.

``assign_tiers`` reads the ``cluster`` rows of a profile table (``cluster_profiles``) and the tier
criteria (``methods/clusters/tiers-*.yaml``). Tiers are tried from the top; a cluster takes the
first tier one of whose rules holds (all of the rule's conditions; a missing value fails). Each
row says which rule placed it, with the values against the thresholds and the rule's source, and,
for the tier just above, which conditions were missed (of the rule that came closest: fewest
conditions failed, the first such rule on a tie).

Money thresholds marked ``scaled`` are multiplied by the criteria's scaling factor, the province
in the data over the reference province (``scaling``), so a smaller (synthetic) province is tiered
on the same relative scale. Vectorised over clusters: a loop runs only over the criteria's tiers,
rules and conditions.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhizao.clusters.method import (
    METRIC_LABELS,
    Condition,
    TierCriteria,
    format_values,
)

__all__ = ["NO_TIER", "TIER_COLUMNS", "assign_tiers", "cluster_rows"]

NO_TIER = "none"
TIER_COLUMNS = ("cluster_id", "name_zh", "name_en", "region_code", "tier_claimed", "tier", "tier_zh", "tier_en",
                "rule", "rule_source", "evidence", "next_tier", "next_tier_missing", "matches_claim", "scale_factor")
_OPS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
_SHOW = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def cluster_rows(profiles) -> pa.Table:
    """The ``scope == "cluster"`` rows of a profile table (Arrow or Ibis), one per cluster."""
    t = profiles if isinstance(profiles, pa.Table) else profiles.to_pyarrow()
    return t.filter(pc.equal(t.column("scope"), "cluster"))


def _col(t: pa.Table, name: str) -> np.ndarray:
    if name not in t.column_names:
        raise KeyError(f"the profile table has no column {name!r}")
    return t.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _scale_factor(t: pa.Table, criteria: TierCriteria) -> np.ndarray:
    s = criteria.scaling
    if s.kind == "none":
        return np.ones(t.num_rows)
    return _col(t, s.kind) / s.reference_yuan


def _join(parts: list[np.ndarray], sep: str) -> np.ndarray:
    """Element-wise join of string arrays, skipping empty strings."""
    out = np.full(len(parts[0]) if parts else 0, "", dtype=object)
    for p in parts:
        p = p.astype(object)
        out = np.where(out == "", p, np.where(p == "", out, out + sep + p))
    return out


def _condition(t: pa.Table, c: Condition, factor: np.ndarray, lang: str = "zh"):
    """(passes, "name value ≥ threshold", "name value, needs ≥ threshold") of one condition, all rows."""
    x = _col(t, c.metric)
    thr = c.threshold * (factor if c.scaled else 1.0)
    with np.errstate(invalid="ignore"):
        ok = _OPS[c.op](x, thr) & ~np.isnan(x)
    name = METRIC_LABELS[c.metric][0 if lang == "zh" else 1]
    head = np.char.add(f"{name} ", format_values(c.metric, x, lang=lang))
    tail = np.char.add(f"{_SHOW[c.op]} ", format_values(c.metric, np.broadcast_to(thr, x.shape), lang=lang))
    held = np.char.add(np.char.add(head, " "), tail)
    missed = np.char.add(np.char.add(head, "，需 " if lang == "zh" else ", needs "), tail)
    return ok, held.astype(object), missed.astype(object)


def assign_tiers(profiles, criteria: TierCriteria) -> pa.Table:
    """The tier of every cluster, the rule that placed it and why the next tier up was missed.

    Parameters
    ----------
    profiles
        A profile table (``cluster_profiles``; Arrow or Ibis); its ``cluster`` rows are tiered.
    criteria
        :class:`~zhizao.clusters.method.TierCriteria`, validated (``load_tier_criteria(id or path)``).

    Returns
    -------
    pyarrow.Table
        Columns ``TIER_COLUMNS``: ``tier`` (a tier id or ``none``) with ``tier_zh`` / ``tier_en``;
        ``rule`` (the rule id that placed it, null for ``none``), ``rule_source``, ``evidence``
        (each condition of that rule: value op threshold, ``；``-joined, thresholds after scaling);
        ``next_tier`` (the tier just above, null at the top) and ``next_tier_missing`` (the
        conditions missed by the closest rule of that tier); ``matches_claim`` (tier equals the
        claimed tier; null without a claim); ``scale_factor`` (the threshold multiplier).

    >>> import pyarrow as pa
    >>> from zhizao.clusters.method import parse_tier_criteria
    >>> crit = parse_tier_criteria('''
    ... id: t
    ... name_zh: 示例
    ... name_en: example
    ... source: doctest
    ... scaling: {kind: none, source: doctest}
    ... tiers:
    ...   - id: provincial
    ...     name_zh: 省级
    ...     name_en: provincial
    ...     rules:
    ...       - id: big
    ...         source: doctest
    ...         conditions: [{metric: above_scale_revenue, op: ">=", value: 1000, unit: 亿元, source: doctest}]
    ... ''')
    >>> prof = pa.table({"cluster_id": ["a", "b"], "name_zh": ["甲", "乙"], "name_en": ["A", "B"],
    ...                  "region_code": ["all", "all"], "scope": ["cluster", "cluster"],
    ...                  "tier_claimed": [None, "provincial"], "above_scale_revenue": [1.2e11, 5e10]})
    >>> r = assign_tiers(prof, crit)
    >>> r.column("tier").to_pylist(), r.column("next_tier_missing").to_pylist()
    (['provincial', 'none'], [None, '规上营业收入 500.00亿元，需 ≥ 1000.00亿元'])
    """
    if not isinstance(criteria, TierCriteria):
        raise TypeError(f"criteria: expected TierCriteria (zhizao.clusters.load_tier_criteria), "
                        f"got {type(criteria).__name__}")
    crit = criteria
    t = cluster_rows(profiles)
    n = t.num_rows
    factor = _scale_factor(t, crit)
    tiers = crit.tiers
    nt = len(tiers)
    tier_pass = np.zeros((nt + 1, n), dtype=bool)
    tier_pass[nt] = True  # "none" always holds
    placed_rule = np.full((nt, n), None, dtype=object)
    placed_src = np.full((nt, n), None, dtype=object)
    evidence = np.full((nt, n), None, dtype=object)
    missing = np.full((nt, n), None, dtype=object)
    for k, tier in enumerate(tiers):
        best_fail = np.full(n, np.iinfo(np.int64).max)
        for rule in tier.rules:
            res = [_condition(t, c, factor) for c in rule.conditions]
            ok = np.logical_and.reduce([r[0] for r in res])
            fails = np.sum([~r[0] for r in res], axis=0)
            first = ok & ~tier_pass[k]
            placed_rule[k][first] = rule.id
            placed_src[k][first] = rule.source
            evidence[k][first] = _join([r[1] for r in res], "；")[first]
            closer = fails < best_fail
            missing[k][closer] = _join([np.where(r[0], "", r[2]) for r in res], "；")[closer]
            best_fail = np.where(closer, fails, best_fail)
            tier_pass[k] |= ok
    placed = np.argmax(tier_pass, axis=0)                     # first tier from the top that holds
    ids = np.array([ti.id for ti in tiers] + [NO_TIER], dtype=object)
    zh = np.array([ti.name_zh for ti in tiers] + [crit.none_name_zh], dtype=object)
    en = np.array([ti.name_en for ti in tiers] + [crit.none_name_en], dtype=object)
    cols = np.arange(n)
    at = np.minimum(placed, nt - 1)
    has = placed < nt
    up = placed - 1
    has_up = up >= 0
    upc = np.maximum(up, 0)
    tier = ids[placed]
    claimed = t.column("tier_claimed").to_numpy(zero_copy_only=False) if "tier_claimed" in t.column_names \
        else np.full(n, None, dtype=object)
    match = np.where(pc.is_null(pa.array(claimed, pa.string())).to_numpy(zero_copy_only=False), None,
                     claimed == tier)

    def arr(x, typ=None):
        return pa.array(np.asarray(x, dtype=object), typ or pa.string())

    return pa.table({
        "cluster_id": t.column("cluster_id"), "name_zh": t.column("name_zh"), "name_en": t.column("name_en"),
        "region_code": t.column("region_code"), "tier_claimed": arr(claimed),
        "tier": arr(tier), "tier_zh": arr(zh[placed]), "tier_en": arr(en[placed]),
        "rule": arr(np.where(has, placed_rule[at, cols], None)),
        "rule_source": arr(np.where(has, placed_src[at, cols], None)),
        "evidence": arr(np.where(has, evidence[at, cols], None)),
        "next_tier": arr(np.where(has_up, ids[upc], None)),
        "next_tier_missing": arr(np.where(has_up, missing[upc, cols], None)),
        "matches_claim": arr(match, pa.bool_()),
        "scale_factor": pa.array(factor, pa.float64()),
    })

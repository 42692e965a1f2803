"""Explanation of one enterprise's 亩均 result (评价结果说明): data first, text rendered at the edge.

``explain`` reads the evaluation row of the enterprise (computing the evaluation if given the
warehouse tables) and the method, and returns a tree: one step per indicator item (inputs, value,
benchmark, weight, raw score, cap, score, flags, clause/source), the adjustments, the total, the
rank and the class boundaries of its county × segment. ``next_class_gap`` says what each indicator
alone would need to reach the next class up at the current benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field


from zhizao.land.method import INDICATORS, LandMethod, display_value


@dataclass(frozen=True)
class ItemStep:
    indicator: str
    name_zh: str
    name_en: str
    inputs: dict[str, float | None]
    value: float | None
    benchmark: float | None
    benchmark_kind: str
    weight: float
    raw_score: float | None
    cap: float | None
    cap_applied: bool
    score: float | None
    flags: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Gap:
    indicator: str
    current_value: float | None
    needed_value: float | None
    increase_pct: float | None
    reachable: bool
    note: str


@dataclass(frozen=True)
class Explanation:
    uscc: str
    name: str
    year: int
    method_id: str
    segment: str
    graded: bool
    exempt_reason: str | None
    area_mu: float
    steps: tuple[ItemStep, ...]
    adjustments: tuple[str, ...]
    total_score: float | None
    rank: int | None
    rank_of: int | None
    land_class: str | None
    class_name_zh: str | None
    class_name_en: str | None
    boundaries: dict[str, float] = field(default_factory=dict)  # class → lowest total score in it
    classing_source: str = ""
    flags: tuple[str, ...] = ()


def _evaluation(tables_or_evaluation, method: LandMethod, year: int):
    from zhizao.land.evaluate import evaluate

    if isinstance(tables_or_evaluation, dict):
        return evaluate(tables_or_evaluation, method, year=year)
    return tables_or_evaluation


def _rows(t, **eq) -> list[dict]:
    from zhizao.data.queries import rows_where

    return rows_where(t, **eq)


def explain(tables_or_evaluation, method: LandMethod, *, uscc: str, year: int) -> Explanation:
    """How ``uscc`` got its score and class in ``year`` under ``method``."""
    ev = _evaluation(tables_or_evaluation, method, year)
    rows = _rows(ev, uscc=uscc, year=year)
    if not rows:
        raise KeyError(f"{uscc} has no evaluation row for {year}")
    r = rows[0]
    flags = tuple(f for f in (r["flags"] or "").split(";") if f)
    steps: list[ItemStep] = []
    boundaries: dict[str, float] = {}
    classing_source = ""
    seg = method.segments.get(r["segment"])
    if seg is not None:
        for it in seg.items:
            d = INDICATORS[it.id]
            v, b = r.get(f"{it.id}_value"), r.get(f"{it.id}_benchmark")
            raw = None
            if v is not None and b:
                ratio = v / b
                raw = ratio * it.weight if it.direction == "higher_is_better" else max((2 - ratio) * it.weight, 0.0)
            steps.append(ItemStep(
                it.id, d.name_zh, d.name_en,
                {d.numerator: r.get(d.numerator), d.denominator: r.get(d.denominator)},
                v, b, it.benchmark.kind, it.weight, raw, it.cap, f"capped:{it.id}" in flags, r.get(f"{it.id}_score"),
                tuple(f for f in flags if it.id in f), it.source))
        peers = _rows(ev, year=year, region_code=r["region_code"], segment=r["segment"])
        for p in peers:
            c, s = p["land_class"], p["total_score"]
            vetoed = any(f.startswith("veto:") for f in (p["flags"] or "").split(";"))
            if c is not None and s is not None and not vetoed:
                boundaries[c] = min(boundaries.get(c, s), s)
        if seg.classing.kind == "bands":
            boundaries = dict(seg.classing.bands)
        boundaries = {c: boundaries[c] for c in method.classes if c in boundaries}
        classing_source = seg.classing.source
    adjustments = tuple(f for f in flags if f.split(":")[0] in ("bonus", "penalty", "veto"))
    cls = method.classes.get(r["land_class"]) if r["land_class"] else None
    return Explanation(
        uscc, r["name"], year, method.id, r["segment"], bool(r["graded"]), r["exempt_reason"], r["area_mu"],
        tuple(steps), adjustments, r["total_score"], r["rank"], r["rank_of"], r["land_class"],
        cls.name_zh if cls else None, cls.name_en if cls else None, boundaries, classing_source, flags)


def next_class_gap(expl: Explanation, method: LandMethod) -> list[Gap]:
    """For a graded firm below the first class: what each indicator alone would need (value and %
    increase) to lift the total to the next class up's boundary score, at the current benchmarks;
    "not reachable by this indicator alone" where the cap (or a missing benchmark) prevents it."""
    codes = list(method.classes)
    if not expl.graded or expl.land_class not in codes or codes.index(expl.land_class) == 0:
        return []
    target = expl.boundaries.get(codes[codes.index(expl.land_class) - 1])
    if target is None or expl.total_score is None:
        return []
    gap = target - expl.total_score
    out = []
    for s in expl.steps:
        if s.value is None:
            out.append(Gap(s.indicator, None, None, None, False, "no data for this indicator"))
            continue
        need = (s.score or 0.0) + gap
        limit = s.cap * s.weight if s.cap else float("inf")
        if need > limit + 1e-9 or not s.benchmark:
            out.append(Gap(s.indicator, s.value, None, None, False, "not reachable by this indicator alone"))
            continue
        ratio = need / s.weight if s.weight else None
        dirn = next(it.direction for it in method.segments[expl.segment].items if it.id == s.indicator)
        needed = ratio * s.benchmark if dirn == "higher_is_better" else (2 - ratio) * s.benchmark
        pct = (needed / s.value - 1) * 100 if s.value else None
        out.append(Gap(s.indicator, s.value, needed, pct, True, ""))
    return out


def render(expl: Explanation, lang: str = "zh") -> str:
    """The explanation as plain text (``zh`` or ``en``)."""
    zh = lang == "zh"
    lines = [f"{expl.name}（{expl.uscc}）{expl.year} — {expl.method_id}" if zh else
             f"{expl.name} ({expl.uscc}) {expl.year} — {expl.method_id}"]
    if not expl.graded:
        lines.append(f"不参评：{expl.exempt_reason}" if zh else f"Not graded: {expl.exempt_reason}")
        return "\n".join(lines)
    lines.append((f"分类 {expl.segment}，用地 {expl.area_mu:.2f} 亩" if zh else
                  f"Segment {expl.segment}, land {expl.area_mu:.2f} mu"))
    for s in expl.steps:
        name = s.name_zh if zh else s.name_en
        v = display_value(s.indicator, s.value)
        b = display_value(s.indicator, s.benchmark)
        sc = "—" if s.score is None else f"{s.score:.2f}"
        cap = ("（封顶）" if zh else " (capped)") if s.cap_applied else ""
        extra = f" [{';'.join(s.flags)}]" if s.flags else ""
        lines.append(f"  {name}: {v} ÷ {b} × {s.weight:g} = {sc}{cap}{extra}  ({s.source})")
    for a in expl.adjustments:
        lines.append(f"  {'加减分/否决' if zh else 'adjustment'}: {a}")
    name = expl.class_name_zh if zh else expl.class_name_en
    lines.append((f"总分 {expl.total_score:.2f}，排名 {expl.rank}/{expl.rank_of}，{expl.land_class} 类（{name}）" if zh else
                  f"Total {expl.total_score:.2f}, rank {expl.rank}/{expl.rank_of}, class {expl.land_class} ({name})"))
    if expl.boundaries:
        bounds = ", ".join(f"{c} ≥ {v:.2f}" for c, v in expl.boundaries.items())
        lines.append(("分类界线：" if zh else "Class boundaries: ") + bounds + f"  ({expl.classing_source})")
    return "\n".join(lines)

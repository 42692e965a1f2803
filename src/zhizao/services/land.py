"""The 亩均效益 (per-mu performance, 亩均论英雄) operations users run: evaluate, explain, flag
low-efficiency land, track redevelopment, price the differentiated measures.

Each function takes a ``Service`` and plain values and returns a frozen dataclass that the CLI,
the web app and the reports render without computing. Every stored table is recorded as a run
(``zhizao.services.runs``); where an operation needs the evaluation (explain, lowland, measures)
it goes through ``runs.stored_or_compute`` — a stored evaluation run of the same method file
(hash) covering the years is used, else the evaluation is computed (once per warehouse
generation in a warm service). Methods are loaded once per service through the loaders
(``zhizao.land.load_method`` …) and kept in the service's cache.

The evaluation is stored as ``result_land_evaluation`` with a ``method_id`` column, so one table
holds the evaluation of each method side by side and a policy reads the one it needs
(``where: {method_id: shandong}``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from zhizao.errors import InvalidInput, MethodError, NotFound, ZhizaoError
from zhizao.land.results import SEGMENT_LABELS, TABLES
from zhizao.services import runs
from zhizao.services.registry import Lever, LeverRun

__all__ = ["LEVER", "evaluate", "explain", "lowland", "progress", "measures", "standard_run", "load_method",
           "evaluation_sheets", "LandEvaluation", "SegmentClasses", "LandExplanation", "LandLowland",
           "LowlandCounty", "LandProgress", "TargetProgress", "CountyProgress", "LandMeasures", "MeasureTotal",
           "EvaluationSheet"]

LEVER_NAME = "land"
EVALUATE = "land.evaluate"
Progress = Callable[[str, float], None]


def _quiet(stage: str, fraction: float) -> None:
    pass


def _region(code) -> str:
    from zhizao.codes.regions import region_label

    if code is None or code == "":
        return "—"
    try:
        return region_label(code)
    except (ValueError, KeyError):
        return str(code)


# --- methods ---------------------------------------------------------------------------------------
def _file_key(arg) -> Hashable:
    """The cache key of a method argument: a file by its path and modification time (an edited
    file is read again), a shipped id by itself."""
    if arg is None:
        return None
    p = Path(str(arg))
    try:
        if p.is_file():
            return (str(p.resolve()), p.stat().st_mtime_ns)
    except OSError:
        pass
    return str(arg)


def _guarded(what_zh: str, what_en: str, arg, load):
    """``load()``, its non-domain errors said as domain errors (a file that is missing, a method
    that does not validate)."""
    try:
        return load()
    except ZhizaoError:
        raise
    except FileNotFoundError:
        raise NotFound(f"{what_zh}文件 {arg} 不存在", f"{what_en} file {arg} does not exist",
                       where=str(arg)) from None
    except (OSError, ValueError) as e:   # pydantic's ValidationError is a ValueError
        raise MethodError(f"{what_zh} {arg}：{e}", f"{what_en} {arg}: {e}",
                          file=str(arg) if arg is not None else None) from None


def load_method(svc, method=None):
    """The land method (``zhizao.land.load_method``: a shipped id or a YAML file; default the
    Zhejiang county method), loaded once per service."""
    from zhizao import land

    if isinstance(method, land.LandMethod):
        return method
    arg = method or land.DEFAULT_METHOD
    return svc.memo(("land.method", _file_key(arg)),
                    lambda: _guarded("亩均评价方法", "land method", arg, lambda: land.load_method(arg)))


def _load_rules(svc, rules=None):
    from zhizao.land import lowland as lw

    if isinstance(rules, lw.LowlandRules):
        return rules
    return svc.memo(("land.lowland_rules", _file_key(rules)),
                    lambda: _guarded("低效用地认定规则", "low-efficiency-land rules", rules or lw.DEFAULT_RULES_PATH,
                                     lambda: lw.load_lowland_rules(rules)))


def _load_targets(svc, targets=None, share: float | None = None):
    from zhizao.land import redevelop

    return svc.memo(("land.targets", _file_key(targets), share),
                    lambda: _guarded("再开发目标", "target plan", targets or redevelop.DEFAULT_TARGETS_PATH,
                                     lambda: redevelop.load_targets(targets, share=share)))


def _methods_with_schedule() -> tuple[str, ...]:
    """The shipped land methods that carry a differentiated-measure schedule."""
    from zhizao import land

    return tuple(m for m in land.available_methods() if land.load_method(m).measures is not None)


# --- the evaluation (stored or computed) -----------------------------------------------------------
def _covered_years(method, year: int, years: list[int]) -> list[int]:
    """The years up to ``year`` the method covers; ``InvalidInput`` when it does not cover ``year``."""
    if not method.covers(year):
        until = method.valid_to.isoformat() if method.valid_to else "…"
        raise InvalidInput(f"方法 {method.id} 适用于 {method.valid_from.isoformat()}–{until}，不适用于 {year} 年",
                           f"method {method.id} is valid {method.valid_from.isoformat()}–{until}, not for {year}",
                           where="--year")
    return [y for y in years if method.covers(y)]


def _compute_evaluation(svc, method, years: list[int], progress: Progress) -> dict[str, pa.Table]:
    """The evaluation of each year (stacked, with ``method_id``) and its class roll-up by county."""
    import ibis

    from zhizao import land
    from zhizao.land.rollups import class_rollup

    tables = svc.tables()
    parts = []
    for i, y in enumerate(years):
        progress(str(y), i / len(years))
        try:
            parts.append(land.evaluate(tables, method, year=y).to_pyarrow())
        except ZhizaoError:
            raise
        except ValueError as e:
            raise InvalidInput(f"方法 {method.id}：{e}", f"method {method.id}: {e}", where=method.id) from None
    progress("done", 1.0)
    evaluation = pa.concat_tables(parts, promote_options="default")
    rollup = class_rollup(ibis.memtable(evaluation)).to_pyarrow()
    evaluation = evaluation.append_column("method_id", pa.array([method.id] * evaluation.num_rows, pa.string()))
    return {"land_evaluation": evaluation, "land_class_rollup": rollup}


def _evaluation(svc, method, years: list[int], *, store: bool, reuse: bool = True,
                progress: Progress = _quiet) -> runs.Stored:
    """THE evaluation of ``years`` under ``method``: the stored run when one covers them, else
    computed (and, with ``store``, recorded as a run of ``land.evaluate``)."""
    return runs.stored_or_compute(svc, lever=LEVER_NAME, analysis=EVALUATE, method=method, years=years,
                                  compute=lambda: _compute_evaluation(svc, method, years, progress),
                                  store=store, reuse=reuse)


# --- evaluate --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SegmentClasses:
    """Class counts of one segment in the year (``not_graded``: evaluated, no class)."""

    segment: str
    label: str                       # 规上企业 …
    counts: dict[str, int]           # class code → firms, in the method's class order
    not_graded: int
    total: int


@dataclass(frozen=True)
class LandEvaluation:
    """What ``evaluate`` gives: the run, the year's class counts by segment and the year's rows."""

    run: runs.Run
    method: object                   # LandMethod
    year: int
    years: tuple[int, ...]
    class_counts: tuple[SegmentClasses, ...]
    classes: tuple[tuple[str, str], ...]    # (code, name_zh) in class order
    rows: int                        # rows stored in result_land_evaluation (every year)
    rollup_rows: int
    synthetic: bool
    year_table: pa.Table             # the year's evaluation rows (for the XLSX workbook)
    table: str = "result_land_evaluation"
    rollup_table: str = "result_land_class_rollup"


def _class_counts(year_rows: pa.Table, method) -> tuple[SegmentClasses, ...]:
    counted = year_rows.select(["segment", "land_class", "year"]).group_by(["segment", "land_class"]) \
        .aggregate([("year", "count")]).to_pylist()
    n = {(r["segment"], r["land_class"]): r["year_count"] for r in counted}
    out = []
    for seg in [s for s in SEGMENT_LABELS if any(k[0] == s for k in n)]:
        counts = {c: n.get((seg, c), 0) for c in method.classes}
        total = sum(v for k, v in n.items() if k[0] == seg)
        out.append(SegmentClasses(seg, SEGMENT_LABELS[seg], counts, total - sum(counts.values()), total))
    return tuple(out)


def evaluate(svc, *, year: int | None = None, method=None, progress: Progress | None = None) -> LandEvaluation:
    """Evaluate every enterprise (亩均效益综合评价) for ``year`` (default: the latest) and every
    earlier year with indicators that the method covers (so consecutive years in class can be
    counted), and store it as a new run of ``land.evaluate`` (replacing the method's earlier run):
    ``result_land_evaluation`` (with ``method_id``) and ``result_land_class_rollup``.

    ``progress``: an optional ``callback(stage, fraction)``."""
    m = load_method(svc, method)
    year, years = svc.resolve_year(year)
    years = _covered_years(m, year, years)
    got = _evaluation(svc, m, years, store=True, reuse=False, progress=progress or _quiet)
    ev = got["land_evaluation"]
    year_rows = ev.filter(ev.year == year).drop("run_id", "method_id").to_pyarrow()
    rows = int(ev.count().to_pyarrow().as_py())
    return LandEvaluation(run=got.run, method=m, year=year, years=tuple(years),
                          class_counts=_class_counts(year_rows, m),
                          classes=tuple((c, k.name_zh) for c, k in m.classes.items()),
                          rows=rows, rollup_rows=got.run.row_count - rows, synthetic=svc.is_synthetic(),
                          year_table=year_rows)


# --- the XLSX layout of an evaluation --------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationSheet:
    """One sheet of the published evaluation workbook: a segment (in one county with
    ``by_county``), its rows in rank order and the firms per class for the 合计 row."""

    name: str
    segment: str
    region_code: str | None
    rows: tuple[dict, ...]
    class_counts: dict[str, int]


def evaluation_sheets(evaluation: pa.Table, method, *,
                      by_county: bool = False) -> tuple[int | None, tuple[EvaluationSheet, ...]]:
    """The sheets of the county workbook (``zhizao.report.land_xlsx``) from an evaluation of one
    year (several years given: the latest): ``(year, sheets)`` — one sheet per segment present
    (or per county × segment), rows by county, rank and USCC, class counts per sheet."""
    rows = evaluation.to_pylist()
    year = max((r["year"] for r in rows if r.get("year") is not None), default=None)
    rows = [r for r in rows if r.get("year") == year]
    rows.sort(key=lambda r: (r.get("region_code") or "", r.get("rank") is None, r.get("rank") or 0,
                             r.get("uscc") or ""))
    segments = [s for s in SEGMENT_LABELS if any(r.get("segment") == s for r in rows)]
    if not segments:
        segments = [s for s in SEGMENT_LABELS if s in method.segments]

    def sheet(name, seg, county, part):
        counts = {c: 0 for c in method.classes}
        for r in part:
            if r.get("land_class"):
                counts[r["land_class"]] = counts.get(r["land_class"], 0) + 1
        return EvaluationSheet(name, seg, county, tuple(part), counts)

    sheets = []
    for seg in segments:
        seg_rows = [r for r in rows if r.get("segment") == seg]
        if by_county:
            for county in sorted({r.get("region_code") or "" for r in seg_rows}):
                sheets.append(sheet(f"{county}-{SEGMENT_LABELS[seg]}", seg, county,
                                    [r for r in seg_rows if (r.get("region_code") or "") == county]))
        else:
            sheets.append(sheet(SEGMENT_LABELS[seg], seg, None, seg_rows))
    return year, tuple(sheets)


# --- explain ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LandExplanation:
    """How one enterprise got its class (the lever's ``Explanation``), what each indicator alone
    would need for the next class up (``gaps``, towards ``next_class``) and the run the figures
    came from (None when computed for this answer and not stored)."""

    explanation: object              # zhizao.land.Explanation
    gaps: tuple                      # zhizao.land.explain.Gap, one per indicator of the segment
    next_class: str | None
    region_code: str | None
    region: str                      # 湖州市吴兴区 330502
    method: object                   # LandMethod
    run: runs.Run | None
    reused: bool                     # a stored run was used


def _county_rows(svc, got: runs.Stored, method, year: int, region: str | None) -> pa.Table:
    """The evaluation rows of one county in ``year`` (an enterprise's row and its peers), read
    with one filtered query — never the whole table — and kept in the service per (run or
    computed evaluation, year, county)."""
    from zhizao.methodfile import fingerprint

    source = got.run.run_id if got.run is not None else ("computed", fingerprint(method).sha256)
    counties = svc.memo(("land.county_rows", source, year), dict)   # one cache entry: county → rows
    if region not in counties:
        ev = got["land_evaluation"]
        counties[region] = ev.filter((ev.year == year) & (ev.region_code == region)).to_pyarrow()
    return counties[region]


def _explained_evaluation(svc, method, year: int) -> runs.Stored:
    """The evaluation an explanation reads (stored run, else computed and not stored), looked up
    once per warehouse generation in a warm service."""
    from zhizao.methodfile import fingerprint

    return svc.memo(("land.explained_evaluation", fingerprint(method).sha256, year),
                    lambda: _evaluation(svc, method, [year], store=False))


def explain(svc, uscc: str, *, year: int | None = None, method=None) -> LandExplanation:
    """Explain ``uscc``'s class in ``year`` (default: the latest): each indicator, benchmark and
    score, the class boundaries of its county × segment, and the gap to the next class up.

    Reads only the enterprise's county's rows of the stored evaluation run (or of the evaluation
    computed for the year, kept in a warm service); writes nothing."""
    from zhizao.land import explain as lever_explain
    from zhizao.land import next_class_gap

    m = load_method(svc, method)
    year, _ = svc.resolve_year(year)
    _covered_years(m, year, [year])
    region = svc.enterprise(uscc).get("region_code")      # NotFound when the warehouse has no such firm
    got = _explained_evaluation(svc, m, year)
    try:
        if region is None:                                   # no county: the enterprise's own row only
            ev = got["land_evaluation"]
            ex = lever_explain(ev.filter(ev.year == year), m, uscc=uscc, year=year)
        else:
            ex = lever_explain(_county_rows(svc, got, m, year, region), m, uscc=uscc, year=year)
    except KeyError:
        raise NotFound(f"企业 {uscc} 在 {year} 年没有亩均评价结果（该年无指标）",
                       f"enterprise {uscc} has no per-mu evaluation in {year} (no indicators that year)",
                       where=uscc) from None
    gaps = tuple(next_class_gap(ex, m))
    codes = list(m.classes)
    up = codes[codes.index(ex.land_class) - 1] if gaps and ex.land_class in codes[1:] else None
    return LandExplanation(ex, gaps, up, region, _region(region), m, got.run, got.reused)


# --- low-efficiency land ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LowlandCounty:
    """Flagged area of one county: reason → (亩, parcels); ``any`` counts each parcel once."""

    region_code: str
    region: str
    by_reason: dict[str, tuple[float, int]]


@dataclass(frozen=True)
class LandLowland:
    year: int
    method: object
    rules: object                          # LowlandRules
    reasons: tuple[str, ...]               # the reasons found, ``any`` last
    reason_names: dict[str, str]           # reason → Chinese name (``any`` → 合计)
    counties: tuple[LowlandCounty, ...]
    by_reason: pa.Table                    # reason, parcels, area_mu (province)
    flagged_parcels: int
    tables: dict                           # land_lowland_flags / _parcels / _totals (pyarrow)
    run: runs.Run
    evaluation_run: runs.Run | None
    synthetic: bool


def lowland(svc, *, year: int | None = None, method=None, rules=None,
            progress: Progress | None = None) -> LandLowland:
    """Flag low-efficiency industrial land (低效工业用地) with every reason that applies, by the
    ``rules`` (default: the shipped Zhejiang rules) over the evaluation of ``year`` and the years
    before it; store ``result_land_lowland_flags`` / ``_parcels`` / ``_totals`` as a run."""
    import ibis

    from zhizao.land import lowland as lw
    from zhizao.methodfile import fingerprint

    cb = progress or _quiet
    m = load_method(svc, method)
    r = _load_rules(svc, rules)
    year, years = svc.resolve_year(year)
    years = _covered_years(m, year, years)
    cb("evaluation", 0.05)
    got = _evaluation(svc, m, years, store=True)
    ev = got["land_evaluation"]
    ev = ev.filter(ev.year <= year)
    t = svc.tables()
    cb("flags", 0.2)
    flags = lw.flag_parcels(t["parcels"], ev, t["enterprises"], r, year=year).to_pyarrow()
    cb("parcels", 0.5)
    parcels = lw.lowland_parcels(t["parcels"], ev, t["enterprises"], r, year=year).to_pyarrow()
    cb("totals", 0.8)
    flags_t = ibis.memtable(flags)
    totals = lw.area_totals(flags_t).order_by(["region_code", "reason"]).to_pyarrow()
    by_reason = lw.area_totals(flags_t, by=("reason",)).order_by("reason").to_pyarrow()
    tables = {"land_lowland_flags": flags, "land_lowland_parcels": parcels, "land_lowland_totals": totals}
    run = runs.record(svc, lever=LEVER_NAME, analysis="land.lowland", tables=tables, method=m, years=[year],
                      parameters={"year": year, "rules": r.id, "rules_sha256": fingerprint(r).sha256,
                                  "evaluation_run": got.run.run_id if got.run else None},
                      key={"rules": r.id})
    cb("done", 1.0)
    rows = totals.to_pylist()
    reasons = tuple(sorted({x["reason"] for x in rows}, key=lambda x: (x == "any", x)))
    counties = tuple(
        LowlandCounty(c, _region(c), {x["reason"]: (x["area_mu"], x["parcels"]) for x in rows if x["region_code"] == c})
        for c in sorted({x["region_code"] for x in rows if x["region_code"] is not None}))
    names = {x: "合计" if x == "any" else lw.REASON_ZH.get(x, x) for x in reasons}
    return LandLowland(year, m, r, reasons, names, counties, by_reason, parcels.num_rows, tables, run, got.run,
                       svc.is_synthetic())


# --- redevelopment progress ------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetProgress:
    target: str
    name_zh: str
    name_en: str
    target_mu: float
    done_mu: float
    share_of_target: float
    elapsed_share: float
    projected_mu: float
    projected_share: float
    remaining_mu: float
    on_track: bool


@dataclass(frozen=True)
class CountyProgress:
    target: str
    region_code: str
    region: str
    done_mu: float
    parcels: int


@dataclass(frozen=True)
class LandProgress:
    """Progress against the plan's area targets as of ``as_of``.

    ``moved_from``: the day asked for (today) when the status history has nothing in its year, so
    that ``as_of`` moved back to the history's last change. ``dated_history``: completions dated
    by ``parcel_status``; without it parcels now redeveloped / revived count as done in the year
    (an assumption). ``unknown_parcels``: ids in the history that ``parcels`` lacks."""

    as_of: date
    moved_from: date | None
    plan: object                     # TargetPlan
    targets: tuple[TargetProgress, ...]
    by_county: tuple[CountyProgress, ...]
    dated_history: bool
    unknown_parcels: tuple[str, ...]
    tables: dict
    run: runs.Run


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"--as-of {value!r}：日期应写作 2024-06-30",
                           f"--as-of {value!r}: expected a date such as 2024-06-30", where="--as-of") from None


def _last_change(history) -> date | None:
    last = history.changed_on.max().execute()
    if last is None or last != last:   # NaT / NaN
        return None
    return last.date() if hasattr(last, "date") and callable(last.date) else last


def progress(svc, *, as_of=None, targets=None, share: float | None = None, today: date | None = None,
             progress: Progress | None = None) -> LandProgress:
    """Redevelopment (低效用地再开发) and revival (盘活) against the plan's area targets (default:
    the shipped Zhejiang plan, scaled by ``share``), with a linear year-end projection, stored as a
    run: ``result_land_redevelopment_progress`` and ``result_land_redevelopment_by_county``.

    Completions are dated by ``parcel_status`` and counted from 1 January of ``as_of``'s year up
    to ``as_of`` (a date or ``YYYY-MM-DD``). Without ``as_of``: ``today`` (default the current
    date), unless the history has nothing in that year — then the day of its last change."""
    import ibis

    from zhizao.land import redevelop

    cb = progress or _quiet
    asked = _as_date(as_of)
    when = asked or today or date.today()
    plan = _load_targets(svc, targets, share)
    t = svc.tables()
    parcels, history = t["parcels"], t["parcel_status"]
    dated = int(history.count().execute()) > 0
    moved = None
    if dated and asked is None:
        last = _last_change(history)
        if last is not None and last < date(when.year, 1, 1):
            moved, when = when, last
    cb("completions", 0.2)
    unknown: tuple[str, ...] = ()
    if dated:
        done = redevelop.dated_completions(parcels, history)
        unknown = tuple(redevelop.unknown_history_parcels(parcels, history).to_pyarrow()
                        .column("parcel_id").to_pylist())
        in_year = (done.date >= date(when.year, 1, 1)) & (done.date <= when)
    else:
        done = parcels.select("parcel_id", "region_code", "area_mu", kind=parcels.status,
                              month=ibis.literal(f"{when.year}-01"))
        in_year = done.month <= f"{when.year}-{when.month:02d}"
    done = done.mutate(_in_year=in_year)
    rows, county_rows = [], []
    for i, target in enumerate(plan.targets):
        cb(target.id, 0.3 + 0.6 * i / len(plan.targets))
        d = done.filter(done.kind.isin(list(target.statuses)))
        row = redevelop.progress(d.drop("_in_year"), plan.scaled_mu(target.id), as_of=when).to_pyarrow().to_pylist()[0]
        rows.append({"target": target.id, "name_zh": target.name_zh, **row, "as_of": when, "dated_history": dated})
        y = d.filter(d._in_year)
        per = y.group_by("region_code").aggregate(done_mu=y.area_mu.sum(), parcels=y.parcel_id.nunique().cast("int64"))
        for r in per.order_by([ibis.desc("done_mu"), "region_code"]).to_pyarrow().to_pylist():
            county_rows.append({"target": target.id, **r, "as_of": when})
    progress_t = pa.Table.from_pylist(rows, schema=_PROGRESS_SCHEMA)
    county_t = pa.Table.from_pylist(county_rows, schema=_BY_COUNTY_SCHEMA)
    tables = {"land_redevelopment_progress": progress_t, "land_redevelopment_by_county": county_t}
    run = runs.record(svc, lever=LEVER_NAME, analysis="land.progress", tables=tables, method=plan,
                      years=[when.year], parameters={"as_of": when.isoformat(), "share": plan.share,
                                                     "dated_history": dated})
    cb("done", 1.0)
    names_en = {x.id: x.name_en for x in plan.targets}
    figures = tuple(TargetProgress(r["target"], r["name_zh"], names_en[r["target"]], r["target_mu"], r["done_mu"],
                                   r["share_of_target"], r["elapsed_share"], r["projected_mu"], r["projected_share"],
                                   r["remaining_mu"], bool(r["on_track"])) for r in rows)
    counties = tuple(CountyProgress(r["target"], r["region_code"], _region(r["region_code"]), r["done_mu"] or 0.0,
                                    r["parcels"]) for r in county_rows)
    return LandProgress(when, moved, plan, figures, counties, dated, unknown, tables, run)


_PROGRESS_SCHEMA = pa.schema([
    ("target", pa.string()), ("name_zh", pa.string()), ("target_mu", pa.float64()), ("done_mu", pa.float64()),
    ("share_of_target", pa.float64()), ("elapsed_share", pa.float64()), ("projected_mu", pa.float64()),
    ("projected_share", pa.float64()), ("remaining_mu", pa.float64()), ("on_track", pa.bool_()),
    ("as_of", pa.date32()), ("dated_history", pa.bool_())])
_BY_COUNTY_SCHEMA = pa.schema([
    ("target", pa.string()), ("region_code", pa.string()), ("done_mu", pa.float64()), ("parcels", pa.int64()),
    ("as_of", pa.date32())])


# --- differentiated measures -----------------------------------------------------------------------
@dataclass(frozen=True)
class MeasureTotal:
    region_code: str
    region: str
    land_class: str
    rule_id: str
    resource: str
    firms: int
    computable_firms: int
    resource_use: float
    charge_yuan: float
    extra_charge_yuan: float


@dataclass(frozen=True)
class LandMeasures:
    """The method's differentiated measures (差别化措施) for the year. A method without a
    schedule gives ``has_schedule=False`` and the shipped methods that have one; nothing else."""

    method: object
    has_schedule: bool
    methods_with_schedule: tuple[str, ...]
    year: int | None = None
    totals: tuple[MeasureTotal, ...] = ()
    total_extra_yuan: float = 0.0
    charge_rows: int = 0
    not_computable: int = 0          # enterprise × rule rows that could not be priced
    tables: dict = field(default_factory=dict)
    run: runs.Run | None = None
    evaluation_run: runs.Run | None = None


def measures(svc, *, year: int | None = None, method=None, progress: Progress | None = None) -> LandMeasures:
    """The surcharge or rebate per enterprise under the method's schedule, by class and
    consecutive years in class, with totals by county and class; stored as a run
    (``result_land_measures``, ``result_land_measure_totals``)."""
    import ibis

    from zhizao.land.measures import apply_schedule, measure_totals

    cb = progress or _quiet
    m = load_method(svc, method)
    if m.measures is None:
        return LandMeasures(m, False, _methods_with_schedule())
    year, years = svc.resolve_year(year)
    years = _covered_years(m, year, years)
    cb("evaluation", 0.05)
    got = _evaluation(svc, m, years, store=True)
    ev = got["land_evaluation"]
    ev = ev.filter(ev.year <= year)
    cb("schedule", 0.3)
    charges = apply_schedule(ev, m.measures, year=year).to_pyarrow()
    cb("totals", 0.8)
    totals = measure_totals(ibis.memtable(charges)).to_pyarrow()
    tables = {"land_measures": charges, "land_measure_totals": totals}
    run = runs.record(svc, lever=LEVER_NAME, analysis="land.measures", tables=tables, method=m, years=[year],
                      parameters={"year": year, "evaluation_run": got.run.run_id if got.run else None})
    cb("done", 1.0)
    rows = tuple(MeasureTotal(r["region_code"], _region(r["region_code"]), r["land_class"], r["rule_id"],
                              r["resource"], r["firms"], r["computable_firms"] or 0, r["resource_use"] or 0.0,
                              r["charge_yuan"] or 0.0, r["extra_charge_yuan"] or 0.0) for r in totals.to_pylist())
    return LandMeasures(m, True, _methods_with_schedule(), year, rows, sum(r.extra_charge_yuan for r in rows),
                        charges.num_rows, sum(r.firms - r.computable_firms for r in rows), tables, run, got.run)


# --- the lever -------------------------------------------------------------------------------------
def standard_run(svc, year: int) -> LeverRun:
    """What the demo runs for land: the default method's evaluation of the years up to ``year``
    and the low-efficiency land of ``year`` (two runs); summaries: classes by segment, classes by
    county, low-efficiency land by reason."""
    e = evaluate(svc, year=year)
    lw = lowland(svc, year=year)
    ev = runs.rows(svc, e.run, "result_land_evaluation")
    latest = ev.filter(ev.year == year)
    by_segment = (latest.group_by(["segment", "land_class"])
                  .aggregate(firms=latest.count(), area_mu=latest.area_mu.sum())
                  .order_by(["segment", "land_class"]).to_pyarrow())
    rollup = runs.rows(svc, e.run, "result_land_class_rollup")
    by_county = (rollup.filter(rollup.year == year).drop("run_id")
                 .order_by(["year", "region_code", "land_class"]).to_pyarrow())
    classes = {}
    for s in e.class_counts:
        for c, n in s.counts.items():
            classes[c] = classes.get(c, 0) + n
    text = " ".join(f"{c} {n:,}" for c, n in classes.items())
    any_row = next((r for r in lw.by_reason.to_pylist() if r["reason"] == "any"), None)
    zh = f"{year} 亩均效益分类：{text}"
    en = f"{year} per-mu classes: {text}"
    if any_row:
        zh += f"；低效用地 {any_row['parcels']:,} 宗 {any_row['area_mu']:,.0f} 亩"
        en += f"; low-efficiency land: {any_row['parcels']:,} parcels, {any_row['area_mu']:,.0f} mu"
    return LeverRun(runs=[e.run, lw.run],
                    summaries={"land_classes_by_segment": by_segment, "land_class_by_county": by_county,
                               "land_lowland_by_reason": lw.by_reason},
                    findings=[f"{zh} / {en}"])


LEVER = Lever(name="land", zh="亩均效益", en="per-mu performance", tables=TABLES, standard_run=standard_run)

"""Redevelopment of low-efficiency land (低效用地再开发): paths, progress against targets, what-if.

* :func:`parcel_paths` — each parcel's path flagged → redeveloping (改造中) → redeveloped (已改造) /
  revived (已盘活), from the dated status history (the warehouse's ``parcel_status`` table:
  parcel_id, changed_on, status; or yearly snapshots: parcel_id, year, status) and the current
  ``parcels`` table (its ``status`` is the status in ``year``);
* :func:`dated_completions` — each redevelopment / revival with its date, for progress;
* :func:`redevelopment_events` and :func:`area_by_year` — area completed per year;
* :func:`progress` / :func:`progress_figures` — area done against a target, the share done, a
  linear run-rate projection to year end and an on-track flag (targets in
  ``methods/land/lowland/targets-zhejiang.yaml``);
* :func:`relet_what_if` — re-let flagged land at the county's A/B-class yield (腾笼换鸟): tax and
  value added gained per county and in total.

Pure functions: Ibis tables in, lazy Ibis tables out (``progress_figures`` is plain arithmetic).
"""

from __future__ import annotations

from calendar import isleap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
from pydantic import Field

from zhizao import methodfile
from zhizao.errors import InvalidInput
from zhizao.methodfile import MethodModel

DEFAULT_TARGETS_PATH = (Path(__file__).resolve().parents[1] / "methods" / "land" / "lowland"
                        / "targets-zhejiang.yaml")
#: Statuses (schema.PARCEL_STATUS) that put a parcel on the low-efficiency path by themselves.
FLAGGED_STATUSES = ("idle", "stopped")
STAGES = ("flagged", "redeveloping", "redeveloped", "revived")
#: Statuses under which a parcel yields what its holder yields per mu (the rest yields nothing now).
YIELDING_STATUSES = ("producing", "revived", "redeveloped")


# --- targets -------------------------------------------------------------------------------------

class AreaTarget(MethodModel):
    id: str
    name_zh: str
    name_en: str
    area_mu: float = Field(gt=0)
    statuses: tuple[str, ...]  # parcel statuses whose completion counts toward the target
    source: str


class TargetPlan(MethodModel):
    """Yearly area targets (年度目标) and the share of the province they are scaled to."""

    id: str
    name_zh: str
    name_en: str
    source: str
    share: float = Field(1.0, gt=0, le=1)
    targets: tuple[AreaTarget, ...]

    def target(self, target_id: str) -> AreaTarget:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(target_id)

    def scaled_mu(self, target_id: str) -> float:
        """The target's area times ``share`` (the synthetic province's fraction of the province)."""
        return self.target(target_id).area_mu * self.share


def load_targets(path: str | Path | None = None, *, share: float | None = None) -> TargetPlan:
    """Read the target plan: a YAML path or a shipped id (default: the shipped Zhejiang file,
    ``targets-zhejiang``); ``MethodError`` with the file, line and what was expected. ``share``
    overrides the file's (the plan then no longer carries the file's hash: its fingerprint is of
    the content)."""
    plan = methodfile.load("targets", path)
    if share is None:
        return plan
    if not 0 < share <= 1:
        raise InvalidInput(f"份额 {share:g} 不在 (0, 1] 之内", f"share {share:g}: expected a fraction in (0, 1]",
                           where="share")
    out = plan.model_copy(update={"share": float(share)})
    out._source_sha256 = None
    return out


def share_of_province(synthetic: float, province: float) -> float:
    """The fraction a synthetic province is of the real one (land in mu, or enterprise counts)."""
    if province <= 0:
        raise ValueError("province total must be positive")
    return min(synthetic / province, 1.0)


# --- paths ---------------------------------------------------------------------------------------

def parcel_paths(parcels: ir.Table, *, year: int, status_history: ir.Table | None = None,
                 flagged: ir.Table | None = None) -> ir.Table:
    """Each parcel's redevelopment path (再开发路径) up to ``year``.

    ``status_history`` is the warehouse's dated ``parcel_status`` table (parcel_id, changed_on,
    status; rows after ``year`` are ignored), or yearly snapshots (parcel_id, year, status; rows for
    ``year`` or later are ignored). The current ``parcels.status`` is the status in ``year``.
    ``flagged`` (any table with ``parcel_id``, e.g. :func:`zhizao.land.lowland.lowland_parcels`)
    marks parcels flagged in ``year``; a status in :data:`FLAGGED_STATUSES` (idle, stopped) or
    ``flagged`` in the history marks them in any year.

    Columns: ``parcel_id, region_code, park, area_mu, status, first_year`` (first record),
    ``flagged_year, redeveloping_year, redeveloped_year, revived_year`` (first year in that state;
    a completion year is null when it is known only from the current status and the parcel is
    already done in its first record: when it was done is unknown; a dated history row always
    gives the year), ``stage`` (flagged | redeveloping | redeveloped | revived | null) and
    ``path`` (the stages seen, joined with ``>``).
    """
    def snap(t: ir.Table, yr: ir.Value, status: ir.Value, dated: bool) -> ir.Table:
        return t.select(parcel_id=t.parcel_id.cast("!string").cast("string"), year=yr.cast("int64"),
                        status=status.cast("string"), dated=ibis.literal(dated))

    snaps = snap(parcels, ibis.literal(year), parcels.status, False)
    if status_history is not None:
        if "changed_on" in status_history.columns:
            h = status_history.filter(status_history.changed_on.year() <= year)
            snaps = snap(h, h.changed_on.year(), h.status, True).union(snaps)
        else:
            h = status_history.filter(status_history.year < year)
            snaps = snap(h, h.year, h.status, False).union(snaps)
    if flagged is not None:
        f = flagged.select("parcel_id").distinct()
        snaps = snaps.union(snap(f, ibis.literal(year), ibis.literal("flagged"), False))
    s = snaps
    status = s.status.fill_null("")

    def first(cond: ir.BooleanValue) -> ir.Value:
        return s.year.min(where=cond)

    agg = s.group_by(s.parcel_id.name("a_parcel")).aggregate(
        first_year=s.year.min(),
        flagged_year=first(status.isin((*FLAGGED_STATUSES, "flagged"))),
        redeveloping_year=first(status == "redeveloping"),
        redeveloped_dated=first((status == "redeveloped") & s.dated),
        redeveloped_snap=first((status == "redeveloped") & ~s.dated),
        revived_dated=first((status == "revived") & s.dated),
        revived_snap=first((status == "revived") & ~s.dated),
    )
    p = parcels.select("parcel_id", "region_code", "park", "area_mu", "status")
    t = p.left_join(agg, p.parcel_id == agg.a_parcel).drop("a_parcel")
    known = {f"{k}_year": t[f"{k}_dated"].coalesce(
        ibis.ifelse(t[f"{k}_snap"] > t.first_year, t[f"{k}_snap"], ibis.null("int64")))
        for k in ("redeveloped", "revived")}
    t = t.mutate(**known).drop("redeveloped_dated", "redeveloped_snap", "revived_dated", "revived_snap")
    t = t.relocate("redeveloped_year", "revived_year", after="redeveloping_year")
    st = t.status.fill_null("")
    stage = ibis.cases(
        (st.isin(("redeveloping", "redeveloped", "revived")), st),
        (t.flagged_year.notnull() & (st.isin(FLAGGED_STATUSES) | (t.flagged_year == year)), "flagged"),
        else_=ibis.null("string"))
    seen = {"flagged": t.flagged_year.notnull(), "redeveloping": t.redeveloping_year.notnull(),
            "redeveloped": t.redeveloped_year.notnull() | (st == "redeveloped"),
            "revived": t.revived_year.notnull() | (st == "revived")}
    path = None
    for name, cond in seen.items():
        piece = ibis.ifelse(cond, ibis.literal(">" + name), ibis.literal(""))
        path = piece if path is None else path + piece
    return t.mutate(stage=stage, path=path.substr(1))


def dated_completions(parcels: ir.Table, status_history: ir.Table) -> ir.Table:
    """Completions with their dates, from the dated ``parcel_status`` history.

    One row per parcel and kind (the first date it was redeveloped / revived): ``parcel_id,
    region_code, park, area_mu, kind`` (redeveloped | revived), ``date``. Feed it to
    :func:`progress` (which counts the rows of the as-of year up to the as-of date). History rows
    for parcels not in ``parcels`` are left out (their area is unknown); see
    :func:`unknown_history_parcels`.
    """
    h = status_history.filter(status_history.status.isin(("redeveloped", "revived")))
    first = h.group_by(c_parcel=h.parcel_id, kind=h.status).aggregate(date=h.changed_on.min())
    p = parcels.select("parcel_id", "region_code", "park", "area_mu")
    j = first.inner_join(p, first.c_parcel == p.parcel_id)
    return j.select("parcel_id", "region_code", "park", "area_mu", "kind", "date")


def unknown_history_parcels(parcels: ir.Table, status_history: ir.Table) -> ir.Table:
    """Parcel ids in the history that ``parcels`` does not hold (``parcel_id, rows``)."""
    h = status_history
    known = parcels.select(k_parcel=parcels.parcel_id)
    j = h.left_join(known, h.parcel_id == known.k_parcel)
    j = j.filter(j.k_parcel.isnull())
    return j.group_by("parcel_id").aggregate(rows=j.parcel_id.count().cast("int64")).order_by("parcel_id")


def redevelopment_events(paths: ir.Table) -> ir.Table:
    """One row per parcel completed in a known year: ``parcel_id, region_code, park, area_mu,
    kind`` (redeveloped | revived), ``year``."""
    cols = ("parcel_id", "region_code", "park", "area_mu")
    a = paths.filter(paths.redeveloped_year.notnull()).select(
        *cols, kind=ibis.literal("redeveloped"), year=paths.redeveloped_year)
    b = paths.filter(paths.revived_year.notnull()).select(
        *cols, kind=ibis.literal("revived"), year=paths.revived_year)
    return a.union(b)


def area_by_year(events: ir.Table, *, by: Sequence[str] = ("region_code",)) -> ir.Table:
    """Area completed per year (and ``by``): ``year, *by, redeveloped_mu, revived_mu, total_mu, parcels``."""
    e = events
    keys = ["year", *by]
    return e.group_by(keys).aggregate(
        redeveloped_mu=e.area_mu.sum(where=e.kind == "redeveloped").fill_null(0.0),
        revived_mu=e.area_mu.sum(where=e.kind == "revived").fill_null(0.0),
        total_mu=e.area_mu.sum(),
        parcels=e.parcel_id.nunique().cast("int64"),
    ).order_by(keys)


# --- progress ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProgressFigures:
    """Progress (进度) against a yearly target, with a linear run-rate projection to 31 December."""

    target_mu: float
    done_mu: float
    share_of_target: float
    elapsed_share: float     # days elapsed (1 January … as_of, inclusive) ÷ days in the year
    projected_mu: float      # done ÷ elapsed_share
    projected_share: float
    remaining_mu: float      # max(target − done, 0)
    on_track: bool           # projected ≥ target


def elapsed_share(as_of: date) -> float:
    """Share of the calendar year elapsed at the end of ``as_of`` (31 December → 1.0)."""
    return as_of.timetuple().tm_yday / (366 if isleap(as_of.year) else 365)


def progress_figures(done_mu: float, target_mu: float, *, as_of: date) -> ProgressFigures:
    """Pure arithmetic of :func:`progress`.

    >>> f = progress_figures(20_000, 50_000, as_of=date(2025, 7, 2))   # day 183 of 365
    >>> round(f.projected_mu, 1), f.on_track
    (39890.7, False)
    """
    el = elapsed_share(as_of)
    proj = done_mu / el
    return ProgressFigures(target_mu=target_mu, done_mu=done_mu, share_of_target=done_mu / target_mu,
                           elapsed_share=el, projected_mu=proj, projected_share=proj / target_mu,
                           remaining_mu=max(target_mu - done_mu, 0.0), on_track=proj >= target_mu)


def progress(done: ir.Table, target_mu: float, *, as_of: date, by: Sequence[str] = ()) -> ir.Table:
    """Area done in the year of ``as_of`` up to ``as_of`` against ``target_mu`` (one row, or one per ``by``).

    ``done`` holds ``area_mu`` and either ``date`` (dated events: one row per completion) or
    ``month`` ("YYYY-MM": area done in that month; the month of ``as_of`` counts in full). Rows of
    other years or later than ``as_of`` are ignored.

    Columns: ``*by, target_mu, done_mu, share_of_target, elapsed_share, projected_mu,
    projected_share, remaining_mu, on_track`` (see :class:`ProgressFigures`).
    """
    if "date" in done.columns:
        d = done.filter((done.date >= date(as_of.year, 1, 1)) & (done.date <= as_of))
    elif "month" in done.columns:
        d = done.filter((done.month >= f"{as_of.year}-01") & (done.month <= f"{as_of.year}-{as_of.month:02d}"))
    else:
        raise ValueError("`done` needs a `date` or a `month` column")
    aggs = {"done_mu": d.area_mu.sum()}
    t = d.group_by(list(by)).aggregate(**aggs) if by else d.aggregate(**aggs)
    t = t.mutate(done_mu=t.done_mu.fill_null(0.0).cast("float64"))
    el = elapsed_share(as_of)
    target = ibis.literal(float(target_mu))
    proj = t.done_mu / el
    return t.select(
        *by, target_mu=target, done_mu=t.done_mu, share_of_target=t.done_mu / target,
        elapsed_share=ibis.literal(el), projected_mu=proj, projected_share=proj / target,
        remaining_mu=ibis.greatest(target - t.done_mu, 0.0), on_track=proj >= target,
    )


# --- what-if ---------------------------------------------------------------------------------------

def relet_what_if(lowland: ir.Table, evaluation: ir.Table, *, year: int, classes: Sequence[str] = ("A", "B"),
                  only_where_better: bool = True, with_total: bool = True) -> ir.Table:
    """Re-let flagged land at the county's A/B-class yield (腾笼换鸟 what-if), per county.

    ``lowland`` has one row per flagged parcel (``parcel_id, region_code, area_mu, holder_uscc,
    status``: :func:`zhizao.land.lowland.lowland_parcels`). The county yield is the ratio of sums
    over the county's firms of ``classes`` in ``year``: Σ taxes ÷ Σ area_mu and Σ value_added ÷ Σ
    area_mu. What the land yields now: for a parcel in production (status in
    :data:`YIELDING_STATUSES`), its holder's own taxes (value added) per mu in ``year`` × the
    parcel's area; 0 for land not in production (approved, supplied, idle, under construction,
    stopped, redeveloping) or without a holder; unknown when a producing parcel's holder is not in
    the evaluation. Parcels whose current yield is unknown, or whose county has no A/B firm, are not
    estimated (``parcels_not_estimated`` / ``area_not_estimated``).

    With ``only_where_better`` (default) a parcel is re-let only where the county's A/B tax per mu
    beats its current tax per mu (otherwise it keeps its current yield and gains 0); without it
    every estimated parcel is re-let and a gain can be negative.

    Columns: ``region_code, parcels`` (estimated), ``parcels_relet, area_mu`` (estimated),
    ``area_relet, ab_tax_per_mu, ab_va_per_mu, current_taxes, current_value_added, relet_taxes,
    relet_value_added`` (yield after the what-if), ``gain_taxes, gain_value_added,
    parcels_not_estimated, area_not_estimated``; with ``with_total`` a last row ``region_code =
    "total"`` (its per-mu columns are the implied averages over the re-let area).
    """
    ev = evaluation.filter(evaluation.year == year)
    ab = ev.filter(ev.land_class.isin(list(classes)) & (ev.area_mu > 0))
    yld = ab.group_by(ab.region_code.name("y_region")).aggregate(
        ab_tax_per_mu=ab.taxes.sum() / ab.area_mu.sum(), ab_va_per_mu=ab.value_added.sum() / ab.area_mu.sum())
    hold = ev.filter(ev.area_mu > 0).select(
        h_uscc=ev.uscc, h_tpm=ev.taxes / ev.area_mu, h_vpm=ev.value_added / ev.area_mu)
    lw = lowland.select("parcel_id", "region_code", "area_mu", "holder_uscc", "status")
    t = lw.left_join(yld, lw.region_code == yld.y_region).left_join(hold, lw.holder_uscc == hold.h_uscc)
    idle_now = t.holder_uscc.isnull() | ~t.status.fill_null("").isin(YIELDING_STATUSES)
    cur_tax = ibis.ifelse(idle_now, 0.0, t.h_tpm * t.area_mu)
    cur_va = ibis.ifelse(idle_now, 0.0, t.h_vpm * t.area_mu)
    ok = cur_tax.notnull() & cur_va.notnull() & t.ab_tax_per_mu.notnull() & t.ab_va_per_mu.notnull()
    ab_tax, ab_va = t.ab_tax_per_mu * t.area_mu, t.ab_va_per_mu * t.area_mu
    relet = ok & (ab_tax > cur_tax) if only_where_better else ok
    t = t.mutate(ok=ok, relet=relet.fill_null(False), cur_tax=cur_tax, cur_va=cur_va,
                 new_tax=ibis.ifelse(relet, ab_tax, cur_tax), new_va=ibis.ifelse(relet, ab_va, cur_va))

    def sums(g: ir.Table) -> dict:
        return dict(
            parcels=g.parcel_id.count(where=g.ok).cast("int64"),
            parcels_relet=g.parcel_id.count(where=g.relet).cast("int64"),
            area_mu=g.area_mu.sum(where=g.ok).fill_null(0.0),
            area_relet=g.area_mu.sum(where=g.relet).fill_null(0.0),
            current_taxes=g.cur_tax.sum(where=g.ok).fill_null(0.0),
            current_value_added=g.cur_va.sum(where=g.ok).fill_null(0.0),
            relet_taxes=g.new_tax.sum(where=g.ok).fill_null(0.0),
            relet_value_added=g.new_va.sum(where=g.ok).fill_null(0.0),
            parcels_not_estimated=g.parcel_id.count(where=~g.ok).cast("int64"),
            area_not_estimated=g.area_mu.sum(where=~g.ok).fill_null(0.0),
        )

    per = t.group_by("region_code").aggregate(ab_tax_per_mu=t.ab_tax_per_mu.max(), ab_va_per_mu=t.ab_va_per_mu.max(),
                                               **sums(t))
    cols = ("region_code", "parcels", "parcels_relet", "area_mu", "area_relet", "ab_tax_per_mu", "ab_va_per_mu",
            "current_taxes", "current_value_added", "relet_taxes", "relet_value_added", "gain_taxes",
            "gain_value_added", "parcels_not_estimated", "area_not_estimated")

    def finish(x: ir.Table) -> ir.Table:
        return x.mutate(gain_taxes=x.relet_taxes - x.current_taxes,
                        gain_value_added=x.relet_value_added - x.current_value_added).select(*cols)

    per = finish(per)
    if not with_total:
        return per.order_by("region_code")
    tot = t.aggregate(**sums(t))
    relet_t = t.filter(t.relet)
    implied = relet_t.aggregate(i_tax=(relet_t.ab_tax_per_mu * relet_t.area_mu).sum() / relet_t.area_mu.sum(),
                                i_va=(relet_t.ab_va_per_mu * relet_t.area_mu).sum() / relet_t.area_mu.sum())
    tot = tot.cross_join(implied)
    tot = tot.mutate(region_code=ibis.literal("total"), ab_tax_per_mu=tot.i_tax, ab_va_per_mu=tot.i_va)
    return per.union(finish(tot))

"""Roll-ups of the 亩均效益 evaluation (汇总): classes by county, park, division and cluster.

Class counts and shares, land, tax and value added by class; the class transition matrix
(等级变动) between two years; the land held by D-class (整治提升) firms. Pure: Ibis tables in,
lazy Ibis tables out. Inputs follow the evaluation table of ``zhizao.land.evaluate``.

Where several enterprises on one parcel are evaluated together (``unit_id`` = "P:<parcel>"),
each row carries the unit's combined land, taxes and value added; these are therefore counted
once per unit (divided equally among its rows), so totals never double count a shared parcel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

__all__ = ["NEW", "GONE", "NOT_GRADED", "class_rollup", "clusters_from_synth_calibration", "d_class_land",
           "transition_matrix"]

if TYPE_CHECKING:
    from zhizao.data.synth.calibration import Calibration

NEW = "new"                # not in the first year's evaluation (新增)
GONE = "gone"              # not in the second year's evaluation (退出)
NOT_GRADED = "not_graded"  # evaluated but exempt / not graded (不定等级)

BY_CHOICES = ("region_code", "park", "division", "cluster")


def _per_member(t: ir.Table) -> ir.Table:
    """Land, taxes and value added of a row, counting a shared unit's figures once."""
    n = t.uscc.count().over(group_by=[t.year, t.unit_id])
    return t.mutate(_land=t.area_mu / n, _taxes=t.taxes / n, _va=t.value_added / n)


def clusters_from_synth_calibration(calibration: Calibration) -> ir.Table:
    """The synthetic province's clusters (产业集群) as (cluster_id, name_zh, region_code, industry_prefix).

    From the ``clusters`` key of a calibration (``zhizao.data.synth.load_calibration()``: the
    shipped ``methods/synth/zhejiang.yaml``): one row per cluster county × industry class.
    """
    cal = calibration
    rows = [(c.id, c.name_zh, c.county, code) for c in cal.clusters for code in c.classes]
    return ibis.memtable({
        "cluster_id": [r[0] for r in rows], "name_zh": [r[1] for r in rows],
        "region_code": [r[2] for r in rows], "industry_prefix": [r[3] for r in rows],
    })


def _with_cluster(evaluation: ir.Table, clusters: ir.Table | None) -> ir.Table:
    """Each evaluation row once per cluster it belongs to (industry code starts with a prefix of
    the cluster, in one of its regions); rows outside every cluster drop out."""
    if clusters is None:
        raise ValueError("by=('cluster',) needs a clusters table (cluster_id, region_code, industry_prefix)")
    c = clusters.select(cluster=clusters.cluster_id, _c_region=clusters.region_code,
                        _c_prefix=clusters.industry_prefix)
    j = evaluation.inner_join(
        c, [evaluation.region_code == c._c_region, evaluation.industry_code.startswith(c._c_prefix)])
    # one row per (firm, cluster), even where two prefixes of a cluster match the same firm
    j = j.drop("_c_region", "_c_prefix").distinct(on=["year", "uscc", "cluster"], keep="first")
    return j


def class_rollup(evaluation: ir.Table, *, by: tuple[str, ...] = ("region_code",),
                 clusters: ir.Table | None = None) -> ir.Table:
    """Class counts and shares, land, tax and value added by class, per group.

    Parameters
    ----------
    evaluation
        The evaluation table (one or more years; ``year`` is always a grouping key).
    by
        Grouping columns among ``region_code`` (county), ``park``, ``division`` and ``cluster``.
    clusters
        (``cluster_id``, ``region_code``, ``industry_prefix``); needed for ``cluster``.

    Returns
    -------
    ibis.Table
        ``year``, ``by``…, ``land_class`` (graded firms only), ``firms``, ``graded_firms``
        (of the group), ``share`` (firms / graded firms; sums to 1 per group), ``area_mu``,
        ``area_share``, ``taxes``, ``value_added``, ``tax_per_mu`` (yuan/mu).
    """
    unknown = [b for b in by if b not in BY_CHOICES]
    if unknown:
        raise ValueError(f"by: unknown grouping {unknown}; choose from {BY_CHOICES}")
    t = _per_member(evaluation)
    if "cluster" in by:
        t = _with_cluster(t, clusters)
    t = t.filter(t.graded & t.land_class.notnull())
    keys = ["year", *by]
    g = t.group_by([*keys, "land_class"]).aggregate(
        firms=t.uscc.count(), area_mu=t._land.sum(), taxes=t._taxes.sum(), value_added=t._va.sum())
    graded = g.firms.sum().over(group_by=[g[k] for k in keys])
    area = g.area_mu.sum().over(group_by=[g[k] for k in keys])
    g = g.mutate(graded_firms=graded, share=g.firms / graded,
                 area_share=ibis.ifelse(area > 0, g.area_mu / area, ibis.null("float64")),
                 tax_per_mu=ibis.ifelse(g.area_mu > 0, g.taxes / g.area_mu, ibis.null("float64")))
    return g.select(*keys, "land_class", "firms", "graded_firms", "share", "area_mu", "area_share", "taxes",
                    "value_added", "tax_per_mu").order_by([*keys, "land_class"])


def _state(t: ir.Table) -> ir.StringValue:
    return ibis.ifelse(t.land_class.notnull() & t.graded, t.land_class, NOT_GRADED)


def transition_matrix(eval_y1: ir.Table, eval_y2: ir.Table) -> ir.Table:
    """Class transition matrix (等级变动矩阵) from one year's evaluation to another's.

    Rows are the first year's class, columns the second's; besides the class codes,
    ``new`` (not evaluated in the first year), ``gone`` (not in the second year) and
    ``not_graded`` (evaluated but exempt / not graded).

    Returns
    -------
    ibis.Table
        Long form: ``from_class``, ``to_class``, ``firms``, ``row_share`` (firms / all firms
        of ``from_class``; ``new`` is its own row).
    """
    a = eval_y1.select(_u1=eval_y1.uscc, from_class=_state(eval_y1))
    b = eval_y2.select(_u2=eval_y2.uscc, to_class=_state(eval_y2))
    j = a.outer_join(b, a._u1 == b._u2)
    j = j.select(from_class=ibis.ifelse(j._u1.isnull(), NEW, j.from_class),
                 to_class=ibis.ifelse(j._u2.isnull(), GONE, j.to_class))
    m = j.group_by(["from_class", "to_class"]).aggregate(firms=j.from_class.count())
    m = m.mutate(row_share=m.firms / m.firms.sum().over(group_by=m.from_class))
    return m.order_by(["from_class", "to_class"])


def d_class_land(evaluation: ir.Table, *, by: tuple[str, ...] = ("region_code",),
                 clusters: ir.Table | None = None) -> ir.Table:
    """Land held by D-class (整治提升) firms, per group and year.

    Returns ``year``, ``by``…, ``d_firms``, ``d_area_mu``, ``graded_area_mu`` (land of all
    graded firms in the group) and ``d_area_share``.
    """
    r = class_rollup(evaluation, by=by, clusters=clusters)
    keys = ["year", *by]
    g = r.group_by(keys).aggregate(
        d_firms=(r.firms * (r.land_class == "D").cast("int64")).sum(),
        d_area_mu=ibis.ifelse(r.land_class == "D", r.area_mu, 0.0).sum(),
        graded_area_mu=r.area_mu.sum(),
    )
    g = g.mutate(d_area_share=ibis.ifelse(g.graded_area_mu > 0, g.d_area_mu / g.graded_area_mu,
                                          ibis.null("float64")))
    return g.order_by(keys)

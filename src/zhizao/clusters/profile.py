"""Cluster profiles (产业集群画像): size, growth, specialisation, concentration, leading firms,
innovation, productivity, profitability and high-tech share of each cluster in each region.

The sums run on the backend as one Ibis expression: enterprises ⋈ indicators are first summed to
region × class cells (year, county, GB/T 4754 class), the cells are matched to the clusters (class
code starts with one of the cluster's industry prefixes, county code with one of its region
prefixes) and summed per cluster. Only the firm-level part, the concentration of firms (HHI and
top-4 share, through ``zhizao.clusters.concentration.firm_concentration``) and the five leading
firms, brings the clusters' firms (uscc, name, revenue) to NumPy.

Ratios are ratios of sums over the firms that report both figures (a firm without R&D data does
not dilute R&D intensity), as the 亩均 county averages are. The profile table also holds one
``benchmark`` row: all manufacturing (GB/T 4754 section C, divisions 13–43) of the province, the
yardstick of the diagnosis (its firm-concentration and leading-firm columns are null: they are
not comparable with a cluster's).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhizao.clusters.concentration import firm_concentration
from zhizao.clusters.method import ClusterSet, cluster_table
from zhizao.codes import industries as _ind
from zhizao.codes.groupings import GROUPINGS

__all__ = ["BENCHMARK_ID", "PROFILE_COLUMNS", "cluster_profiles"]

BENCHMARK_ID = "manufacturing"
LEADERS = 5
#: Columns of the profile table, in order.
PROFILE_COLUMNS = (
    "year", "base_year", "cluster_id", "name_zh", "name_en", "scope", "region_code", "tier_claimed", "confidence",
    "firms", "above_scale_firms", "employees", "revenue", "above_scale_revenue", "output", "value_added", "profit",
    "revenue_share", "province_revenue", "province_above_scale_revenue",
    "revenue_base", "output_base", "employees_base", "revenue_growth", "revenue_cagr", "output_growth",
    "employees_growth", "lq", "lq_employees", "hhi", "top4_share", "top5_revenue_mean", "leading_firms",
    "leading_usccs", "rd_intensity", "invention_patents_per_10k", "new_product_share", "va_per_employee",
    "profit_margin", "high_tech_share", "specialised_firms", "specialised_share", "firms_over_1bn",
)
_SUMS = ("firms", "above_scale_firms", "employees", "revenue", "above_scale_revenue", "output", "value_added",
         "profit", "va_n", "va_d", "rd_n", "rd_d", "pat_n", "pat_d", "np_n", "np_d", "pm_n", "pm_d", "ht_n", "ht_d",
         "specialised_firms", "firms_over_1bn")


def _both(num: ir.NumericValue, den: ir.NumericValue) -> tuple[ir.NumericValue, ir.NumericValue]:
    """Numerator and denominator where both are reported (0 elsewhere), for a ratio of sums."""
    ok = num.notnull() & den.notnull()
    return ok.ifelse(num.cast("float64"), 0.0), ok.ifelse(den.cast("float64"), 0.0)


def _firm_rows(tables: dict, years: list[int]) -> ir.Table:
    ent, ind = tables["enterprises"], tables["indicators"]
    ind = ind.filter(ind.year.isin(years))
    e = ent.select("uscc", "name", "region_code", "industry_code",
                   specialised=ent.certified_tier.isin(["specialized", "little_giant"]).fill_null(False))
    j = ind.join(e, "uscc")
    above = j.above_scale.fill_null(False)
    rev = j.revenue.cast("float64")
    va_n, va_d = _both(j.value_added, j.employees)
    rd_n, rd_d = _both(j.rd_expenditure, j.revenue)
    pat_n, pat_d = _both(j.invention_patents, j.employees)
    np_n, np_d = _both(j.new_product_revenue, j.revenue)
    pm_n, pm_d = _both(j.profit, j.revenue)
    high_tech = sorted(GROUPINGS["high_tech"].classes)
    out = j.gross_output.cast("float64")
    return j.select(
        year=j.year.cast("int64"), uscc=j.uscc, name=j.name, region_code=j.region_code,
        industry_code=j.industry_code, div=j.industry_code.substr(0, 2),
        firms=ibis.literal(1, "int64"), above_scale_firms=above.cast("int64"),
        employees=j.employees.cast("float64").fill_null(0.0), revenue=rev.fill_null(0.0),
        above_scale_revenue=above.ifelse(rev.fill_null(0.0), 0.0), output=out.fill_null(0.0),
        value_added=j.value_added.cast("float64").fill_null(0.0), profit=j.profit.cast("float64").fill_null(0.0),
        va_n=va_n, va_d=va_d, rd_n=rd_n, rd_d=rd_d, pat_n=pat_n, pat_d=pat_d, np_n=np_n, np_d=np_d,
        pm_n=pm_n, pm_d=pm_d,
        ht_n=(out.notnull() & j.industry_code.isin(high_tech)).ifelse(out, 0.0), ht_d=out.fill_null(0.0),
        specialised_firms=j.specialised.cast("int64"),
        firms_over_1bn=(rev.fill_null(0.0) >= 1e9).cast("int64"),
    )


def _membership(clusters: ClusterSet) -> pa.Table:
    """``cluster_table`` plus the benchmark (all manufacturing of the province)."""
    t = cluster_table(clusters)
    divs = [d.code for d in _ind.divisions(sections=("C",))]
    n = len(divs)
    bench = pa.table({
        "cluster_id": [BENCHMARK_ID] * n, "name_zh": ["全省制造业"] * n, "name_en": ["all manufacturing"] * n,
        "tier_claimed": pa.nulls(n, pa.string()), "confidence": ["C"] * n, "region_label": ["all"] * n,
        "scope": ["benchmark"] * n, "region_prefix": [clusters.province[:2]] * n, "industry_prefix": divs,
    }, schema=t.schema)
    t = pa.concat_tables([t, bench])
    return t.append_column("m_div", pc.utf8_slice_codeunits(t.column("industry_prefix"), 0, 2))


def _match_industry(rows: ir.Table, m: ir.Table) -> ir.Table:
    """Rows whose class starts with an industry prefix of ``m`` and whose county starts with its
    region prefix (an equi-join on the division first, then the prefix tests)."""
    j = rows.join(m, rows.div == m.m_div)
    j = j.filter(j.industry_code.startswith(j.industry_prefix) & j.region_code.startswith(j.region_prefix))
    return j


def cluster_profiles(tables: dict, clusters: ClusterSet, *, year: int, base_year: int | None = None) -> pa.Table:
    """Profile of every cluster (and of each of its regions) in ``year``.

    Parameters
    ----------
    tables
        Ibis tables by name (``Warehouse.tables()``): ``enterprises`` and ``indicators``.
    clusters
        A :class:`~zhizao.clusters.method.ClusterSet` (``load_clusters``, ``clusters_from_synth``);
        clusters without industry codes (``unmapped``) are left out.
    year, base_year
        The profile year and the year growth is measured from (none: growth columns null).

    Returns
    -------
    pyarrow.Table
        One row per cluster (``scope`` ``cluster``: all its regions together; ``region_code`` is
        its region, ``all``, or the ``;``-joined regions), one per region of a cluster with several
        (``scope`` ``region``), and the ``benchmark`` row (``cluster_id`` ``manufacturing``). Columns
        ``PROFILE_COLUMNS``: sizes ``firms``, ``above_scale_firms`` (规上), ``employees``, ``revenue``,
        ``above_scale_revenue``, ``output`` (工业总产值), ``value_added``, ``profit`` (yuan, persons);
        ``revenue_share`` of the province's revenue, ``province_revenue``,
        ``province_above_scale_revenue``; ``*_base`` and growth (``revenue_growth`` = x₁/x₀ − 1,
        ``revenue_cagr`` annualised, ``output_growth``, ``employees_growth``); ``lq`` (区位商 on
        revenue: the cluster's share of its regions' revenue over its industries' share of the
        province's) and ``lq_employees``; ``hhi`` (0–1) and ``top4_share`` of firms' revenue;
        ``top5_revenue_mean``, ``leading_firms`` / ``leading_usccs`` (the five largest by revenue,
        ``；``-joined); ``rd_intensity`` (研发投入强度 = R&D ÷ revenue), ``invention_patents_per_10k``
        (万人发明专利), ``new_product_share`` (new-product revenue ÷ revenue), ``va_per_employee``
        (yuan/person), ``profit_margin`` (profit ÷ revenue), ``high_tech_share`` (gross output in
        高技术制造业 classes ÷ gross output), ``specialised_firms`` (专精特新 / 小巨人) and
        ``specialised_share``, ``firms_over_1bn`` (revenue ≥ 10亿).
    """
    year = int(year)
    years = [year] if base_year is None else sorted({year, int(base_year)})
    prov = clusters.province[:2]
    rows = _firm_rows(tables, years)
    cells = rows.group_by(["year", "region_code", "industry_code", "div"]).aggregate(
        **{k: rows[k].sum() for k in _SUMS})
    mem = _membership(clusters)
    m = ibis.memtable(mem)
    keys = ["year", "cluster_id", "region_label"]

    # sums per cluster × region label (a cell once per label even where two prefixes match it)
    j = _match_industry(cells, m)
    j = j.distinct(on=["year", "region_code", "industry_code", "cluster_id", "region_label"], keep="first")
    stats = j.group_by(keys).aggregate(**{k: j[k].sum() for k in _SUMS})

    # LQ denominators: the labels' regions (all industries), the clusters' industries (province)
    labels = m.select("cluster_id", "region_label", "region_prefix").distinct()
    rc = cells.cross_join(labels)
    rc = rc.filter(rc.region_code.startswith(rc.region_prefix))
    rc = rc.distinct(on=["year", "region_code", "industry_code", "cluster_id", "region_label"], keep="first")
    reg_tot = rc.group_by(keys).aggregate(reg_rev=rc.revenue.sum(), reg_emp=rc.employees.sum())
    im = m.select("cluster_id", "industry_prefix", "m_div", region_prefix=ibis.literal(prov)).distinct()
    ic = _match_industry(cells, im)
    ic = ic.distinct(on=["year", "region_code", "industry_code", "cluster_id"], keep="first")
    ind_tot = ic.group_by(["year", "cluster_id"]).aggregate(ind_rev=ic.revenue.sum(), ind_emp=ic.employees.sum())
    pc_ = cells.filter(cells.region_code.startswith(prov))
    prov_tot = pc_.group_by("year").aggregate(province_revenue=pc_.revenue.sum(),
                                              province_above_scale_revenue=pc_.above_scale_revenue.sum(),
                                              prov_emp=pc_.employees.sum())
    s = stats.join(reg_tot, keys).join(ind_tot, ["year", "cluster_id"]).join(prov_tot, "year")

    def ratio(a, b, times=1.0):
        return ibis.ifelse(b > 0, a * times / b.nullif(0), ibis.null("float64"))

    lq = ratio(ratio(s.revenue, s.reg_rev), ratio(s.ind_rev, s.province_revenue))
    lq_e = ratio(ratio(s.employees, s.reg_emp), ratio(s.ind_emp, s.prov_emp))
    cur = s.filter(s.year == year)
    cur = cur.mutate(
        revenue_share=ratio(cur.revenue, cur.province_revenue), lq=lq, lq_employees=lq_e,
        rd_intensity=ratio(cur.rd_n, cur.rd_d), invention_patents_per_10k=ratio(cur.pat_n, cur.pat_d, 10_000.0),
        new_product_share=ratio(cur.np_n, cur.np_d), va_per_employee=ratio(cur.va_n, cur.va_d),
        profit_margin=ratio(cur.pm_n, cur.pm_d), high_tech_share=ratio(cur.ht_n, cur.ht_d),
        specialised_share=ratio(cur.specialised_firms.cast("float64"), cur.firms.cast("float64")),
    )
    if base_year is not None and int(base_year) != year:
        b = s.filter(s.year == int(base_year))
        b = b.select("cluster_id", "region_label", revenue_base=b.revenue, output_base=b.output,
                     employees_base=b.employees)
        cur = cur.left_join(b, ["cluster_id", "region_label"])
        cur = cur.drop(*[c for c in cur.columns if c.endswith("_right")])
        span = float(year - int(base_year))
        g = ratio(cur.revenue, cur.revenue_base)
        cur = cur.mutate(
            base_year=ibis.literal(int(base_year), "int64"), revenue_growth=g - 1.0,
            revenue_cagr=ibis.ifelse(g > 0, g.pow(1.0 / span) - 1.0, ibis.null("float64")) if span > 0
            else ibis.null("float64"),
            output_growth=ratio(cur.output, cur.output_base) - 1.0,
            employees_growth=ratio(cur.employees, cur.employees_base) - 1.0)
    else:
        nul = ibis.null("float64")
        cur = cur.mutate(base_year=ibis.null("int64"), revenue_base=nul, output_base=nul, employees_base=nul,
                         revenue_growth=nul, revenue_cagr=nul, output_growth=nul, employees_growth=nul)
    out = cur.to_pyarrow()
    out = out.rename_columns(["region_code" if c == "region_label" else c for c in out.column_names])

    # names, scope, claimed tier from the membership table
    info = mem.select(["cluster_id", "name_zh", "name_en", "tier_claimed", "confidence", "region_label", "scope"])
    info = info.group_by(["cluster_id", "region_label"], use_threads=False).aggregate(
        [(c, "first") for c in ("name_zh", "name_en", "tier_claimed", "confidence", "scope")])
    info = info.rename_columns([c.removesuffix("_first") if c != "region_label" else "region_code"
                                for c in info.column_names])
    out = out.join(info, ["cluster_id", "region_code"])
    out = out.join(_firm_level(rows, m, year), ["cluster_id", "region_code"], join_type="left outer")
    order = pc.sort_indices(out, [("scope", "ascending"), ("cluster_id", "ascending"), ("region_code", "ascending")])
    out = out.take(order)
    cols = {c: out.column(c) for c in out.column_names}
    return pa.table({c: cols[c] for c in PROFILE_COLUMNS})


def _firm_level(rows: ir.Table, m: ir.Table, year: int) -> pa.Table:
    """HHI, top-4 share, top-5 mean revenue and the five leading firms per cluster × region."""
    r = rows.filter(rows.year == year)
    mm = m.filter(m.scope != "benchmark")
    j = _match_industry(r, mm)
    j = j.distinct(on=["uscc", "cluster_id", "region_label"], keep="first")
    f = j.select("cluster_id", "region_label", "uscc", "name", "revenue").to_pyarrow()
    key = pc.binary_join_element_wise(f.column("cluster_id"), f.column("region_label"), "\x1f")
    groups, g = np.unique(key.to_numpy(zero_copy_only=False).astype(str), return_inverse=True)
    rev = np.clip(f.column("revenue").to_numpy(zero_copy_only=False).astype(np.float64), 0.0, None)
    n = len(groups)
    conc = firm_concentration(g, rev, n, top=(4,))
    # the five largest firms of each group: sort by group, then revenue descending (uscc breaks ties)
    order = np.lexsort((f.column("uscc").to_numpy(zero_copy_only=False).astype(str), -rev, g))
    gs = g[order]
    start = np.searchsorted(gs, np.arange(n))
    rank = np.arange(len(gs)) - start[gs]
    top = order[rank < LEADERS]
    top_sum = np.bincount(g[top], weights=rev[top], minlength=n)
    top_n = np.bincount(g[top], minlength=n)
    lead = pa.table({"k": pa.array(g[top]), "name": f.column("name").take(pa.array(top)),
                     "uscc": f.column("uscc").take(pa.array(top))})
    lead = lead.group_by("k", use_threads=False).aggregate([("name", "list"), ("uscc", "list")]).sort_by("k")
    names = pa.array([None] * n, pa.string())
    usccs = names
    if lead.num_rows:
        idx = lead.column("k").to_numpy()
        full_n = np.full(n, None, dtype=object)
        full_u = np.full(n, None, dtype=object)
        full_n[idx] = pc.binary_join(lead.column("name_list"), "；").to_numpy(zero_copy_only=False)
        full_u[idx] = pc.binary_join(lead.column("uscc_list"), "；").to_numpy(zero_copy_only=False)
        names, usccs = pa.array(full_n, pa.string()), pa.array(full_u, pa.string())
    parts = np.char.partition(groups, "\x1f")[:, [0, 2]] if n else np.empty((0, 2), dtype=str)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean5 = np.where(top_n > 0, top_sum / np.maximum(top_n, 1), np.nan)
    return pa.table({
        "cluster_id": pa.array(parts[:, 0], pa.string()), "region_code": pa.array(parts[:, 1], pa.string()),
        "hhi": pa.array(conc.hhi, from_pandas=True), "top4_share": pa.array(conc.top_share[4], from_pandas=True),
        "top5_revenue_mean": pa.array(mean5, from_pandas=True), "leading_firms": names, "leading_usccs": usccs,
    })

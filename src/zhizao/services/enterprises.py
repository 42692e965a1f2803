"""Enterprises as a user looks them up (企业查询与一企一档): search by name or USCC with filters, and
one enterprise's profile — indicators over the years, land class, clusters, tier, policies with
verdicts, suppliers and customers.

Every read is restricted to the viewer's ``Scope`` inside the query; an enterprise outside it
answers ``NotFound`` exactly as one that does not exist, so its existence is not disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zhizao.contract import Column
from zhizao.errors import InvalidInput, NotFound
from zhizao.services.labels import industry_label as _industry_name
from zhizao.services.labels import region_label as _region_label
from zhizao.services.paging import Page, check_paging, schema_columns

__all__ = ["search", "search_rows", "profile", "EnterpriseProfile", "SEARCH_COLUMNS", "INDICATOR_COLUMNS"]

SEARCH_COLUMNS = ("uscc", "name", "region_code", "industry_code", "park", "status", "certified_tier", "is_sme")
INDICATOR_COLUMNS = ("year", "above_scale", "revenue", "value_added", "taxes", "profit", "employees",
                     "rd_expenditure", "energy_tce", "electricity_kwh", "exports", "invention_patents")

_REGION_NAME = Column("region_name", "string", "所在区县", "county", "county name (GB/T 2260)")
_INDUSTRY_NAME = Column("industry_name", "string", "行业名称", "industry", "GB/T 4754-2017 class name")


def _filters(*, q=None, region=None, industry=None, status=None, tier=None) -> dict[str, str]:
    """The search filters, checked and normalised, as the string parameters of the query."""
    p: dict[str, str] = {}
    if q is not None and q.strip():
        q = q.strip()
        if len(q) > 100:
            raise InvalidInput("搜索词过长（最多 100 个字符）", "the search text is too long (100 characters at most)",
                               where="q")
        p["q"] = q
        if q.isascii() and q.replace(" ", "").isalnum():
            p["q_uscc"] = q.upper()
    if region:
        from zhizao.codes.regions import UnknownRegionCode, region_prefix

        try:
            p["region"] = region_prefix(region)
        except UnknownRegionCode as e:
            raise InvalidInput(f"区划代码 {region} 无效：{e}", f"region code {region} is not valid: {e}",
                               where="region") from None
    if industry:
        if not (str(industry).isdigit() and 1 <= len(str(industry)) <= 4):
            raise InvalidInput(f"行业代码 {industry} 无效（GB/T 4754 的 1–4 位数字前缀）",
                               f"industry code {industry} is not valid (a GB/T 4754 prefix of 1–4 digits)",
                               where="industry")
        p["industry"] = str(industry)
    if status:
        p["status"] = str(status)
    if tier:
        p["tier"] = str(tier)
    return p


def _search_expr(svc, scope, p: dict):
    t = scope.filter(svc.tables()["enterprises"])
    if "q" in p:
        cond = t.name.contains(p["q"])
        if "q_uscc" in p:
            cond = cond | t.uscc.startswith(p["q_uscc"])
        t = t.filter(cond)
    if "region" in p:
        t = t.filter(t.region_code.startswith(p["region"]))
    if "industry" in p:
        t = t.filter(t.industry_code.startswith(p["industry"]))
    if "status" in p:
        t = t.filter(t.status == p["status"])
    if "tier" in p:
        t = t.filter(t.certified_tier == p["tier"])
    return t


def search(svc, scope, *, q: str | None = None, region: str | None = None, industry: str | None = None,
           status: str | None = None, tier: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """Enterprises in ``scope`` whose name contains ``q`` or whose USCC starts with it, in
    ``region`` (any level) and ``industry`` (a GB/T 4754 prefix), page by page, by name. One
    query (the page and the total, by a window count), compiled once per shape of the filters."""
    import ibis

    check_paging(page, page_size)
    params = _filters(q=q, region=region, industry=industry, status=status, tier=tier)
    cols = schema_columns("enterprises", SEARCH_COLUMNS)

    def build(p):
        t = _search_expr(svc, scope, p).select(list(SEARCH_COLUMNS))
        t = t.mutate(_total=ibis._.count().over())
        return t.order_by(["name", "uscc"]).limit(page_size, offset=(page - 1) * page_size)

    key = ("enterprises.search", scope, tuple(sorted(params)), page, page_size)
    got = svc.query(key, build, **params).to_pylist()
    total = got[0]["_total"] if got else _count(svc, scope, params)
    rows = [{**{k: r[k] for k in SEARCH_COLUMNS}, "region_name": _region_label(r["region_code"]),
             "industry_name": _industry_name(r["industry_code"])} for r in got]
    cols = cols[:2] + (_REGION_NAME, _INDUSTRY_NAME) + cols[4:] + cols[2:4]
    return Page(cols, rows, int(total), page, page_size)


def _count(svc, scope, params: dict) -> int:
    """The total of a search whose page is empty (a page past the end)."""
    def build(p):
        return _search_expr(svc, scope, p).aggregate(n=lambda t: t.count())

    got = svc.query(("enterprises.count", scope, tuple(sorted(params))), build, **params)
    return int(got.column("n")[0].as_py()) if got.num_rows else 0


def search_rows(svc, scope, **filters):
    """Every enterprise ``search`` would find, batch by batch (for a download): (columns, batches)."""
    cols = schema_columns("enterprises", SEARCH_COLUMNS)
    params = _filters(**filters)
    data = svc.query(("enterprises.all", scope, tuple(sorted(params))),
                     lambda p: _search_expr(svc, scope, p).select(list(SEARCH_COLUMNS)).order_by(["name", "uscc"]),
                     **params)

    def gen():
        for b in data.to_batches(max_chunksize=10_000):
            yield b.to_pylist()

    return cols, gen()


# --- the profile ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkRow:
    """One supplier or customer of the enterprise in a year."""

    uscc: str
    name: str | None
    region_code: str | None
    region: str
    product_class: str | None
    amount: float | None


@dataclass(frozen=True)
class EnterpriseProfile:
    """一企一档: who the enterprise is, its figures by year and what each lever says of it."""

    enterprise: dict                         # the enterprises row
    region: str                              # 湖州市吴兴区 330502
    industry: str                            # 行业名称
    indicators: Page                         # one row per year
    land: tuple[dict, ...]                   # per year: land_class, total_score, rank, method_id, run_id
    land_note: str | None                    # why there is no land class (no stored run …)
    clusters: tuple[dict, ...]               # cluster_id, name_zh, name_en
    tier: str | None                         # the certified tier
    policies: tuple[dict, ...]               # services.policy.PolicyVerdict as dicts
    policy_year: int | None
    suppliers: tuple[LinkRow, ...]
    customers: tuple[LinkRow, ...]
    link_year: int | None
    synthetic: bool
    runs: tuple[str, ...] = field(default=())  # the run ids the figures came from


def _visible_row(svc, scope, uscc: str) -> dict:
    uscc = str(uscc).strip().upper()

    def build(p):
        e = scope.filter(svc.tables()["enterprises"])
        return e.filter(e.uscc == p["uscc"])

    rows = svc.query(("enterprises.visible", scope), build, uscc=uscc).to_pylist()
    if not rows:
        raise NotFound(f"没有统一社会信用代码为 {uscc} 的企业（或不在您的权限范围内）",
                       f"no enterprise with USCC {uscc} (or it is outside your scope)", where=uscc)
    return rows[0]


def _indicators(svc, uscc: str) -> Page:
    cols = schema_columns("indicators", INDICATOR_COLUMNS)

    def build(p):
        ind = svc.tables()["indicators"]
        return ind.filter(ind.uscc == p["uscc"]).select(list(INDICATOR_COLUMNS)).order_by("year")

    rows = svc.query("enterprises.indicators", build, uscc=uscc).to_pylist()
    return Page(cols, rows, len(rows), 1, max(len(rows), 1))


def _links(svc, uscc: str, side: str, year: int | None) -> tuple[tuple[LinkRow, ...], int | None]:
    mine, other = ("buyer_uscc", "supplier_uscc") if side == "suppliers" else ("supplier_uscc", "buyer_uscc")
    region_col = "supplier_region_code" if side == "suppliers" else "buyer_region_code"

    def build(p):
        t = svc.tables()
        links, ents = t["links"], t["enterprises"]
        sel = links.filter(links[mine] == p["uscc"])
        if year is not None:
            sel = sel.filter(sel.year == year)
        else:                                   # the latest year with a link of this side
            sel = sel.filter(sel.year == sel.year.max().over())
        j = sel.left_join(ents.select(o_uscc=ents.uscc, o_name=ents.name, o_region=ents.region_code),
                          sel[other] == ents.uscc)
        rows = j.select(uscc=j[other], name=j.o_name, region_code=j.o_region.fill_null(j[region_col]),
                        product_class=j.product_class, amount=j.amount, year=j.year)
        return rows.order_by([rows.amount.desc(), rows.uscc]).limit(20)

    got = svc.query(("enterprises.links", side, year), build, uscc=uscc).to_pylist()
    out = tuple(LinkRow(r["uscc"], r["name"], r["region_code"], _region_label(r["region_code"]),
                        r["product_class"], r["amount"]) for r in got)
    return out, (got[0]["year"] if got else year)


def _land(svc, uscc: str) -> tuple[tuple[dict, ...], str | None, tuple[str, ...]]:
    from zhizao.services import runs

    current = [r for r in runs.list_runs(svc, lever="land") if "result_land_evaluation" in r.tables]
    if not current or not svc.wh.has_table("result_land_evaluation"):
        return (), "尚未计算亩均评价（运行 `zhizao land evaluate`）/ no stored land evaluation " \
                    "(run `zhizao land evaluate`)", ()
    ids = tuple(sorted(r.run_id for r in current))

    def build(p):
        t = svc.wh.result("result_land_evaluation")
        return (t.filter((t.uscc == p["uscc"]) & t.run_id.isin(list(ids)))
                .select("year", "method_id", "segment", "land_class", "total_score", "run_id")
                .order_by(["year", "method_id"]))

    rows = svc.query(("enterprises.land", ids), build, uscc=uscc).to_pylist()
    note = None if rows else "该企业不在已存储的亩均评价中 / not in the stored land evaluation"
    return tuple(rows), note, tuple(sorted({r["run_id"] for r in rows}))


def _clusters(svc, row: dict) -> tuple[dict, ...]:
    from zhizao.clusters.method import cluster_table
    from zhizao.services.clusters import cluster_set

    region, industry = row.get("region_code") or "", row.get("industry_code") or ""
    table = svc.memo(("clusters.table", "default"), lambda: cluster_table(cluster_set(svc)).to_pylist())
    seen, out = set(), []
    for r in table:
        if r["scope"] != "cluster" or r["cluster_id"] in seen:
            continue
        if region.startswith(r["region_prefix"]) and industry.startswith(r["industry_prefix"]):
            seen.add(r["cluster_id"])
            out.append({"cluster_id": r["cluster_id"], "name_zh": r["name_zh"], "name_en": r["name_en"]})
    return tuple(out)


def _policies(svc, uscc: str, year: int) -> tuple[dict, ...]:
    from dataclasses import asdict

    from zhizao.services import policy

    return tuple(asdict(v) for v in policy.verdicts(svc, uscc, year=year))


def profile(svc, scope, uscc: str, *, year: int | None = None, policies: bool = True) -> EnterpriseProfile:
    """The profile of ``uscc`` if it lies in ``scope`` (``NotFound`` otherwise, as for an unknown
    USCC). ``year`` picks the policy year (default the latest with indicators)."""
    row = _visible_row(svc, scope, uscc)
    uscc = row["uscc"]
    indicators = _indicators(svc, uscc)
    land, land_note, land_runs = _land(svc, uscc)
    pol, pol_year = (), None
    years = [r["year"] for r in indicators.rows]
    if policies and years:
        pol_year = year if year is not None else max(years)
        if pol_year not in years:
            raise InvalidInput(f"企业 {uscc} 没有 {pol_year} 年的指标（现有：{', '.join(map(str, years))}）",
                               f"enterprise {uscc} has no indicators for {pol_year} (has {', '.join(map(str, years))})",
                               where="year")
        pol = _policies(svc, uscc, pol_year)
    suppliers, link_year = _links(svc, uscc, "suppliers", None)
    customers, _ = _links(svc, uscc, "customers", link_year)
    return EnterpriseProfile(
        enterprise=row, region=_region_label(row.get("region_code")), industry=_industry_name(row.get("industry_code")),
        indicators=indicators, land=land, land_note=land_note, clusters=_clusters(svc, row),
        tier=row.get("certified_tier"), policies=pol, policy_year=pol_year, suppliers=suppliers,
        customers=customers, link_year=link_year, synthetic=svc.is_synthetic(), runs=land_runs)

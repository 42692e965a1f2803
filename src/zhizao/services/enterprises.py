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
from zhizao.services.paging import Page, batches, check_paging, paginate, schema_columns

__all__ = ["search", "search_rows", "profile", "EnterpriseProfile", "SEARCH_COLUMNS", "INDICATOR_COLUMNS"]

SEARCH_COLUMNS = ("uscc", "name", "region_code", "industry_code", "park", "status", "certified_tier", "is_sme")
INDICATOR_COLUMNS = ("year", "above_scale", "revenue", "value_added", "taxes", "profit", "employees",
                     "rd_expenditure", "energy_tce", "electricity_kwh", "exports", "invention_patents")

_REGION_NAME = Column("region_name", "string", "所在区县", "county", "county name (GB/T 2260)")
_INDUSTRY_NAME = Column("industry_name", "string", "行业名称", "industry", "GB/T 4754-2017 class name")


def _region_label(code) -> str:
    from zhizao.codes.regions import region_label

    try:
        return region_label(code) if code else "—"
    except (ValueError, KeyError):
        return str(code)


def _industry_name(code) -> str:
    from zhizao.codes.industries import industry_name

    try:
        return industry_name(code) if code else "—"
    except (ValueError, KeyError):
        return str(code)


def _search_expr(svc, scope, *, q=None, region=None, industry=None, status=None, tier=None):
    t = scope.filter(svc.tables()["enterprises"])
    if q is not None and q.strip():
        q = q.strip()
        if len(q) > 100:
            raise InvalidInput("搜索词过长（最多 100 个字符）", "the search text is too long (100 characters at most)",
                               where="q")
        cond = t.name.contains(q)
        if q.isascii() and q.replace(" ", "").isalnum():
            cond = cond | t.uscc.startswith(q.upper())
        t = t.filter(cond)
    if region:
        from zhizao.codes.regions import UnknownRegionCode, region_prefix

        try:
            t = t.filter(t.region_code.startswith(region_prefix(region)))
        except UnknownRegionCode as e:
            raise InvalidInput(f"区划代码 {region} 无效：{e}", f"region code {region} is not valid: {e}",
                               where="region") from None
    if industry:
        if not (str(industry).isdigit() and 1 <= len(str(industry)) <= 4) and not str(industry).isalpha():
            raise InvalidInput(f"行业代码 {industry} 无效（GB/T 4754 门类字母或 2–4 位数字）",
                               f"industry code {industry} is not valid (a GB/T 4754 section letter or 2–4 digits)",
                               where="industry")
        if str(industry).isdigit():
            t = t.filter(t.industry_code.startswith(str(industry)))
    if status:
        t = t.filter(t.status == status)
    if tier:
        t = t.filter(t.certified_tier == tier)
    return t


def search(svc, scope, *, q: str | None = None, region: str | None = None, industry: str | None = None,
           status: str | None = None, tier: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """Enterprises in ``scope`` whose name contains ``q`` or whose USCC starts with it, in
    ``region`` (any level) and ``industry`` (a GB/T 4754 prefix), page by page, by name."""
    check_paging(page, page_size)
    expr = _search_expr(svc, scope, q=q, region=region, industry=industry, status=status, tier=tier)
    cols = schema_columns("enterprises", SEARCH_COLUMNS)
    got = paginate(expr, cols, page=page, page_size=page_size, order_by=("name", "uscc"))
    rows = [{**r, "region_name": _region_label(r["region_code"]), "industry_name": _industry_name(r["industry_code"])}
            for r in got.rows]
    cols = cols[:3] + (_REGION_NAME,) + cols[3:4] + (_INDUSTRY_NAME,) + cols[4:]
    return Page(cols, rows, got.total, got.page, got.page_size)


def search_rows(svc, scope, **filters):
    """Every enterprise ``search`` would find, batch by batch (for a download): (columns, batches)."""
    expr = _search_expr(svc, scope, **filters)
    cols = schema_columns("enterprises", SEARCH_COLUMNS)
    return cols, batches(expr, cols, order_by=("name", "uscc"))


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
    policies: tuple[dict, ...]               # policy_id, name, section, verdict, amount_yuan
    policy_year: int | None
    suppliers: tuple[LinkRow, ...]
    customers: tuple[LinkRow, ...]
    link_year: int | None
    synthetic: bool
    runs: tuple[str, ...] = field(default=())  # the run ids the figures came from


def _visible_row(svc, scope, uscc: str) -> dict:
    uscc = str(uscc).strip().upper()
    e = scope.filter(svc.tables()["enterprises"])
    rows = e.filter(e.uscc == uscc).to_pyarrow().to_pylist()
    if not rows:
        raise NotFound(f"没有统一社会信用代码为 {uscc} 的企业（或不在您的权限范围内）",
                       f"no enterprise with USCC {uscc} (or it is outside your scope)", where=uscc)
    return rows[0]


def _links(svc, uscc: str, side: str, year: int | None) -> tuple[tuple[LinkRow, ...], int | None]:
    t = svc.tables()
    links, ents = t["links"], t["enterprises"]
    mine, other = ("buyer_uscc", "supplier_uscc") if side == "suppliers" else ("supplier_uscc", "buyer_uscc")
    region_col = "supplier_region_code" if side == "suppliers" else "buyer_region_code"
    mine_links = links.filter(links[mine] == uscc)
    if year is None:
        ys = mine_links.select("year").distinct().to_pyarrow().column("year").to_pylist()
        year = max(ys) if ys else None
    if year is None:
        return (), None
    sel = mine_links.filter(mine_links.year == year)
    j = sel.left_join(ents.select(o_uscc=ents.uscc, o_name=ents.name, o_region=ents.region_code),
                      sel[other] == ents.uscc)
    rows = j.select(uscc=j[other], name=j.o_name, region_code=j.o_region.fill_null(j[region_col]),
                    product_class=j.product_class, amount=j.amount)
    rows = rows.order_by([rows.amount.desc(), rows.uscc]).limit(20)
    out = tuple(LinkRow(r["uscc"], r["name"], r["region_code"], _region_label(r["region_code"]),
                        r["product_class"], r["amount"]) for r in rows.to_pyarrow().to_pylist())
    return out, year


def _land(svc, uscc: str) -> tuple[tuple[dict, ...], str | None, tuple[str, ...]]:
    from zhizao.services import runs

    current = [r for r in runs.list_runs(svc, lever="land") if "result_land_evaluation" in r.tables]
    if not current or not svc.wh.has_table("result_land_evaluation"):
        return (), "尚未计算亩均评价（运行 `zhizao land evaluate`）/ no stored land evaluation " \
                    "(run `zhizao land evaluate`)", ()
    t = svc.wh.result("result_land_evaluation")
    ids = [r.run_id for r in current]
    rows = (t.filter((t.uscc == uscc) & t.run_id.isin(ids))
            .select("year", "method_id", "segment", "land_class", "total_score", "run_id")
            .order_by(["year", "method_id"]).to_pyarrow().to_pylist())
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


def _policies(svc, uscc: str, year: int) -> tuple[tuple[dict, ...], tuple[str, ...]]:
    from zhizao.services import policy

    pkg = policy.package(svc, uscc, year=year)
    out = []
    for section, entries in pkg.sections.items():
        for e in entries:
            out.append({"policy_id": e.policy_id, "name_zh": e.name_zh, "name_en": e.name_en, "section": section,
                        "verdict": e.verdict, "amount_yuan": e.amount_yuan, "applies_to": e.applies_to})
    return tuple(out), ((pkg.run.run_id,) if pkg.run is not None else ())


def profile(svc, scope, uscc: str, *, year: int | None = None, policies: bool = True) -> EnterpriseProfile:
    """The profile of ``uscc`` if it lies in ``scope`` (``NotFound`` otherwise, as for an unknown
    USCC). ``year`` picks the policy year (default the latest with indicators)."""
    row = _visible_row(svc, scope, uscc)
    uscc = row["uscc"]
    ind = svc.tables()["indicators"]
    cols = schema_columns("indicators", INDICATOR_COLUMNS)
    mine = ind.filter(ind.uscc == uscc)
    indicators = paginate(mine, cols, page=1, page_size=100, order_by=("year",))
    land, land_note, land_runs = _land(svc, uscc)
    pol, pol_runs, pol_year = (), (), None
    years = [r["year"] for r in indicators.rows]
    if policies and years:
        pol_year = year if year is not None else max(years)
        if pol_year not in years:
            raise InvalidInput(f"企业 {uscc} 没有 {pol_year} 年的指标（现有：{', '.join(map(str, years))}）",
                               f"enterprise {uscc} has no indicators for {pol_year} (has {', '.join(map(str, years))})",
                               where="year")
        pol, pol_runs = _policies(svc, uscc, pol_year)
    suppliers, link_year = _links(svc, uscc, "suppliers", None)
    customers, _ = _links(svc, uscc, "customers", link_year)
    return EnterpriseProfile(
        enterprise=row, region=_region_label(row.get("region_code")), industry=_industry_name(row.get("industry_code")),
        indicators=indicators, land=land, land_note=land_note, clusters=_clusters(svc, row),
        tier=row.get("certified_tier"), policies=pol, policy_year=pol_year, suppliers=suppliers,
        customers=customers, link_year=link_year, synthetic=svc.is_synthetic(), runs=land_runs + pol_runs)

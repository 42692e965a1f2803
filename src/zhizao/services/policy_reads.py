"""Policies as the platform's users read them (政策查询、统计、推送与计算器): the library, one policy's
detail, the verdict counts and the 免申即享 push list within the viewer's scope, one enterprise's
explanation within the scope, and the policy calculator (政策计算器) for a hypothetical enterprise.

Each function takes a ``Service``, the viewer's ``Scope`` where data about enterprises is read, and
plain values, and returns a frozen dataclass (or a ``Page``) that the web app renders as it is.

Scope. The evaluation of a policy is the whole warehouse's, computed once per policy, year and
runs read by ``zhizao.services.policy`` and kept in the warm service; the rows a viewer gets are
chosen from it by ``Scope.filter`` inside an Ibis query over it (``ibis.memtable``), never by
filtering rows after they were fetched. An enterprise outside the scope answers ``NotFound`` with
the words used for an unknown one.

Disclosure. Counts of enterprises by verdict are published as they are (a verdict count says how
many firms a policy reaches, not a figure of any firm). The eligible *amount* of a county is a
sum of enterprises' benefits (or surcharges) computed from their own figures: in the per-county
comparison every county outside the viewer's scope gets its amount through
``zhizao.disclosure.protect_1d`` (k, p; secondary suppression against the total); a suppressed
amount is ``None`` with its reason, never 0.

The calculator. ``calculate`` evaluates a hypothetical enterprise (``CALC_USCC``) from posted
figures: one-row ``enterprises`` and ``indicators`` tables in the warehouse schema (cast as the
store casts, ``zhizao.data.store.conform``), evaluated by the same engine, explanation and gap as a
real enterprise (``zhizao.policy``): there is no second implementation of the rules. A policy that
reads another lever's stored result (the land evaluation …) cannot be evaluated for a hypothetical
enterprise: ``MissingRun`` says so and names the command.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from zhizao.contract import Column
from zhizao.errors import InvalidInput, MissingRun, NotFound, ZhizaoError
from zhizao.policy.results import VERDICTS
from zhizao.policy.tree import ExplanationTree, GapReport
from zhizao.services import policy as P
from zhizao.services import runs
from zhizao.services.paging import Page, batches, check_paging, paginate

__all__ = ["library_list", "library_page", "library_rows", "detail", "counts", "push_page", "push_rows",
           "explain", "calculate", "calculator_form", "calculator_submit", "overview",
           "PolicySummary", "PolicyInfo", "RuleInfo", "PolicyCounts", "CountyCell", "Explanation",
           "CalcField", "CalculatorForm", "PolicyCalculation", "PolicyOverview", "CALC_USCC",
           "LIBRARY_COLUMNS", "MAX_FIGURES"]

#: The USCC of the calculator's hypothetical enterprise (18 characters; no real USCC starts CALC).
CALC_USCC = "CALC00000000000000"
CALC_NAME = "假设企业（政策计算器）"
#: The most figures one calculation takes, and the oldest lag year it reads.
MAX_FIGURES = 200
MAX_LAG = 5

_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _label(code) -> str:
    from zhizao.codes.regions import region_label

    try:
        return region_label(code) if code else "—"
    except (ValueError, KeyError):
        return str(code)


# --- the library -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicySummary:
    """One version of a policy of the library."""

    policy_id: str
    version: str
    name_zh: str
    name_en: str
    issuer: str
    source: str                       # the official text (clause) the policy rests on
    applies_to: str                   # 全国 national / 浙江省 330000
    applies_codes: tuple[str, ...]    # GB/T 2260 codes (empty: national)
    valid_from: str
    valid_to: str | None
    has_benefit: bool
    is_charge: bool                   # a surcharge the enterprise pays (eligible = charged)
    benefit_kind: str | None          # grant / charge / None
    extends: str | None               # a province variant: the policy it extends
    requires: tuple[str, ...]         # policies whose verdicts it reads
    reads_results: bool               # reads another lever's stored result (needs its run)
    rules: int
    latest: bool                      # the latest version of its id


def _summary(p, latest: bool = True) -> PolicySummary:
    b = p.benefit
    return PolicySummary(
        policy_id=p.id, version=str(p.version or ""), name_zh=p.name_zh, name_en=p.name_en, issuer=p.issuer or "",
        source=p.source, applies_to=p.region_label, applies_codes=tuple(p.applies_to),
        valid_from=p.valid_from.isoformat(), valid_to=p.valid_to.isoformat() if p.valid_to else None,
        has_benefit=b is not None, is_charge=b is not None and b.kind == "charge",
        benefit_kind=None if b is None else b.kind, extends=p.extends, requires=tuple(p.required_policies),
        reads_results=any(s.table.startswith("result_") for s in p.inputs.values()), rules=len(p.rules),
        latest=latest)


def library_list(svc) -> tuple[PolicySummary, ...]:
    """Every version of every policy of the shipped library, by id then validity."""
    lib = P.library(svc)
    out = []
    for pid in lib:
        versions = lib.versions(pid)
        out += [_summary(v, latest=i == len(versions) - 1) for i, v in enumerate(versions)]
    return tuple(out)


def _c(name, typ, zh, en, meaning, unit=None) -> Column:
    return Column(name, typ, zh, en, meaning, unit)


#: The library as a table (the list page and the download).
LIBRARY_COLUMNS = (
    _c("policy_id", "string", "政策编号", "policy id", "id of the policy file"),
    _c("version", "string", "版本", "version", "version of the policy file"),
    _c("name_zh", "string", "政策名称", "name (zh)", "Chinese name"),
    _c("name_en", "string", "英文名称", "name (en)", "English name"),
    _c("issuer", "string", "发文机关", "issuer", "issuing authority"),
    _c("applies_to", "string", "适用地区", "applies in", "where the policy applies (GB/T 2260)"),
    _c("valid_from", "string", "生效日期", "valid from", "first day of validity"),
    _c("valid_to", "string", "失效日期", "valid to", "last day of validity (empty: open)"),
    _c("benefit_kind", "string", "兑现类型", "benefit kind", "grant, charge (surcharge) or none"),
    _c("extends", "string", "继承自", "extends", "the policy a province variant extends"),
    _c("source", "string", "依据条款", "source", "the official text the policy rests on"),
)


def _library_filtered(svc, q: str | None, applies_in: str | None) -> list[dict]:
    from dataclasses import asdict

    rows = [asdict(s) for s in library_list(svc)]
    if q and q.strip():
        needle = q.strip().lower()
        rows = [r for r in rows if needle in r["policy_id"] or needle in r["name_zh"].lower()
                or needle in r["name_en"].lower()]
    if applies_in:
        pre = _region_prefix(applies_in, "applies_in")
        lib = P.library(svc)
        rows = [r for r in rows if _version(lib, r).applies_in(pre.ljust(6, "0"))]
    return rows


def _version(lib, row: dict):
    return next(v for v in lib.versions(row["policy_id"]) if str(v.version) == row["version"])


def library_page(svc, *, q: str | None = None, applies_in: str | None = None, page: int = 1,
                 page_size: int = 50) -> Page:
    """The library, filtered by ``q`` (id or name contains) and ``applies_in`` (a region code: the
    policies that apply there), page by page. The library is not warehouse data: nothing to scope."""
    check_paging(page, page_size)
    rows = _library_filtered(svc, q, applies_in)
    start = (page - 1) * page_size
    return Page(LIBRARY_COLUMNS, rows[start:start + page_size], len(rows), page, page_size)


def library_rows(svc, *, q: str | None = None, applies_in: str | None = None):
    """The whole filtered library for a download: (columns, batches)."""
    rows = _library_filtered(svc, q, applies_in)
    return LIBRARY_COLUMNS, iter([rows])


def _policy(svc, spec: str, year: int | None = None):
    """The policy ``spec`` (an id of the shipped library only: never a path) valid in ``year``."""
    if not isinstance(spec, str) or not _ID.match(spec):
        raise NotFound(f"政策库中没有政策 {str(spec)[:64]!r}", f"no policy {str(spec)[:64]!r} in the library",
                       where="policy_id")
    return P.get_policy(svc, spec, year=year)


# --- one policy ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExceptionInfo:
    id: str
    when: str
    outcome: bool
    priority: int
    source: str


@dataclass(frozen=True)
class RuleInfo:
    """One rule: its condition (``when``, or the rules it combines), its role in the eligibility
    (floor, route or other), whether the enterprise can change it, its clause and exceptions."""

    id: str
    name_zh: str
    name_en: str
    condition: str
    role: str
    changeable: bool
    source: str
    exceptions: tuple[ExceptionInfo, ...] = ()


@dataclass(frozen=True)
class VariableInfo:
    id: str
    name_zh: str
    name_en: str
    expr: str
    unit: str
    source: str


@dataclass(frozen=True)
class RouteInfo:
    id: str
    name_zh: str
    name_en: str
    rule: str | None
    score: bool


@dataclass(frozen=True)
class PointsInfo:
    id: str
    name_zh: str
    name_en: str
    dimension: str | None
    reads: str                        # the value the bands read, or the cases
    bands: str
    source: str


@dataclass(frozen=True)
class ClauseInfo:
    """A benefit, budget, score pass mark or not-decidable condition with its clause."""

    id: str
    text_zh: str
    text_en: str
    source: str


@dataclass(frozen=True)
class PolicyInfo:
    """What ``detail`` gives: the policy with every rule and its clause, where it applies, and what
    it needs (warehouse columns, other policies, other levers' results)."""

    summary: PolicySummary
    versions: tuple[PolicySummary, ...]
    floor: tuple[str, ...]
    routes: tuple[RouteInfo, ...]
    rules: tuple[RuleInfo, ...]
    variables: tuple[VariableInfo, ...]
    points: tuple[PointsInfo, ...]
    scores: ClauseInfo | None
    benefit: ClauseInfo | None
    budget: ClauseInfo | None
    not_decidable: tuple[ClauseInfo, ...]
    columns: tuple[str, ...]          # warehouse columns read (lags as revenue@-1)
    policies: tuple[str, ...]         # policies read, in evaluation order
    input_tables: tuple[tuple[str, str, str | None], ...]   # (alias, table, command that computes it)
    region: str


def _condition(r) -> str:
    if r.when is not None:
        return str(r.when)
    if r.any:
        return "any: " + ", ".join(r.any)
    if r.all:
        return "all: " + ", ".join(r.all)
    if r.not_:
        return "not: " + r.not_
    if r.at_least is not None:
        return f"at least {r.at_least.k} of: " + ", ".join(r.at_least.of)
    return ""


def _roles(p) -> dict[str, str]:
    roles = {r: "floor" for r in p.eligibility.all}
    for route in p.eligibility.routes:
        if route.rule and route.rule not in roles:
            roles[route.rule] = "route"
    return roles


def _points_info(t) -> PointsInfo:
    if t.cases:
        reads = "; ".join(f"{c.when or 'else'} → {(c.points if c.points is not None else c.else_):g}"
                          for c in t.cases)
        bands = ""
    else:
        cmp = "≥" if t.direction == "higher_is_better" else "≤"
        reads = str(t.of)
        bands = "; ".join(f"{cmp} {th:g} → {pts:g}" if th is not None else f"else → {pts:g}" for th, pts in t.bands)
    return PointsInfo(t.id, t.name_zh or t.id, t.name_en or t.name_zh or t.id, t.dimension, reads, bands, t.source)


def detail(svc, spec: str, *, year: int | None = None) -> PolicyInfo:
    """One policy (the version valid in ``year``; the latest without one): its rules with their
    clauses (``zhizao.services.policy.show``), routes, variables, points, benefit, budget, the
    conditions the data cannot decide, and what it reads."""
    p = _policy(svc, spec, year)
    d = P.show(svc, p)
    lib = P.library(svc)
    roles = _roles(p)
    versions = lib.versions(p.id)
    rules = tuple(RuleInfo(r.id, r.name_zh or r.id, r.name_en or r.name_zh or r.id, _condition(r),
                           roles.get(r.id, "other"), bool(r.changeable), r.source,
                           tuple(ExceptionInfo(x.id, str(x.when), bool(x.outcome), int(x.priority), x.source)
                                 for x in r.exceptions)) for r in p.rules)
    b, bu, sc = p.benefit, p.budget, p.scores
    benefit = None if b is None else ClauseInfo(
        b.kind, f"{b.amount}" + (f"（上限 {b.cap:,.0f} 元）" if b.cap else ""),
        f"{b.amount}" + (f" (cap {b.cap:,.0f} yuan)" if b.cap else ""), b.source)
    budget = None if bu is None else ClauseInfo("budget", f"年度预算 {bu.total:,.0f} 元，按 {bu.order} 排序",
                                                f"yearly budget {bu.total:,.0f} yuan, ranked by {bu.order}", bu.source)
    scores = None if sc is None else ClauseInfo("scores", f"及格线 {sc.pass_:g} 分", f"pass mark {sc.pass_:g}", sc.source)
    return PolicyInfo(
        summary=_summary(p, latest=p is versions[-1]),
        versions=tuple(_summary(v, latest=i == len(versions) - 1) for i, v in enumerate(versions)),
        floor=tuple(p.eligibility.all),
        routes=tuple(RouteInfo(r.id, r.name_zh or r.id, r.name_en or r.id, r.rule, bool(r.score))
                     for r in p.eligibility.routes),
        rules=rules,
        variables=tuple(VariableInfo(k, v.name_zh, v.name_en or v.name_zh, str(v.expr), v.unit, v.source)
                        for k, v in p.variables.items()),
        points=tuple(_points_info(t) for t in p.points), scores=scores, benefit=benefit, budget=budget,
        not_decidable=tuple(ClauseInfo(n.id, n.text_zh, n.text_en or n.text_zh, n.source) for n in p.not_decidable),
        columns=tuple(d.dependencies.columns), policies=tuple(d.dependencies.policies),
        input_tables=tuple(d.dependencies.input_tables), region=d.region)


# --- the evaluation within a scope -------------------------------------------------------------------
_ROW_COLUMNS = ("uscc", "name", "region_code", "verdict", "route", "score", "benefit_yuan", "budget_rank",
                "within_budget")


def _rows(svc, pol, lib, year: int) -> tuple[object, tuple]:
    """The evaluation rows where ``pol`` applies, with the columns the reads need, the county name
    and the route name, as one Ibis in-memory table kept in the service with the evaluation (so it
    is registered on the backend once, not once per request), and the runs it read."""
    import ibis

    ev, _, used = P._evaluated(svc, pol, lib, year)

    def build():
        inside = P._in_region(ev, P._prefixes(pol))
        t = inside.select([c for c in _ROW_COLUMNS if c in inside.column_names])
        codes = t.column("region_code")
        distinct = [c for c in pc.unique(codes).to_pylist() if c is not None]
        names = {c: _label(c) for c in distinct}
        t = t.append_column("region_name", pa.array([names.get(c, "—") for c in codes.to_pylist()], pa.string()))
        route_names = {r.id: r.name_zh or r.id for r in pol.eligibility.routes}
        t = t.append_column("route_name", pa.array([route_names.get(r) if r else None
                                                    for r in t.column("route").to_pylist()], pa.string()))
        return ibis.memtable(t)

    return svc.memo(("policy_reads.rows", *P._evaluation_key(pol, lib, year, used)), build, data_only=True), used


def _region_prefix(region: str | None, where: str = "region") -> str | None:
    from zhizao.codes.regions import check_region_code, normalize_region_code, region_prefix

    if region is None or str(region).strip() == "":
        return None
    reason = check_region_code(region)
    if reason is not None:
        raise InvalidInput(f"区划代码 {region} 无效：{reason}", f"region code {region!r} is not valid: {reason}",
                           where=where)
    return region_prefix(normalize_region_code(region))


def _expr(rows, scope=None, prefix: str | None = None):
    """The rows (an Ibis table), restricted to ``scope`` and ``prefix`` inside the query."""
    t = rows
    if scope is not None:
        t = scope.filter(t)
    if prefix:
        t = t.filter(t.region_code.startswith(prefix))
    return t


def _stored_run(svc, pol, year: int, used: tuple):
    """The current stored run (``policy push`` or ``policy check`` of the whole warehouse) of this
    policy file, year and input runs, if there is one."""
    params = {"region": None, "input_runs": list(used)}
    key = {"policy": pol.id, "region": "all"}
    for analysis in ("policy.push", "policy.check"):
        r = runs.find(svc, analysis, method=pol, parameters=params, years=[year], key=key)
        if r is not None:
            return r
    return None


# --- counts ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountyCell:
    """One county of the comparison: the enterprises by verdict (published as they are) and the
    eligible amount — ``None`` when suppressed by disclosure control (``reason``: ``k``, ``p`` or
    ``secondary``), never 0. ``in_scope``: the viewer may see the enterprises of the county."""

    code: str
    name: str
    enterprises: int
    counts: dict
    amount_yuan: float | None
    suppressed: bool
    reason: str | None
    in_scope: bool


@dataclass(frozen=True)
class PolicyCounts:
    """The verdict counts of a policy in ``year`` over the enterprises where it applies and that
    lie in the viewer's scope (and in ``region`` when asked), the eligible amount; and the
    per-county comparison over every county where it applies (in ``region``), with the amounts of
    the counties outside the scope under disclosure control."""

    policy: PolicySummary
    year: int
    region: str | None                # the region asked (label)
    counts: dict                      # verdict → enterprises, VERDICTS order
    total: int
    eligible_amount: float | None     # None: the policy pays nothing (no benefit)
    within_budget_firms: int | None
    within_budget_amount: float | None
    by_county: tuple[CountyCell, ...]
    by_county_total: CountyCell | None
    controlled: bool                  # some amount was published under disclosure control
    k: int
    p: float
    synthetic: bool
    input_runs: tuple[str, ...] = ()
    run: runs.Run | None = None


def _verdict_counts(rows: list[dict]) -> dict:
    got = {v: 0 for v in VERDICTS}
    for r in rows:
        got[r["verdict"]] = got.get(r["verdict"], 0) + int(r["n"])
    return got


def _scope_totals(rows, scope, prefix) -> tuple[dict, float, int | None, float | None]:
    t = _expr(rows, scope, prefix)
    elig = t.verdict == "eligible"
    agg = t.group_by("verdict").aggregate(n=t.count(), amount=elig.ifelse(t.benefit_yuan, None).sum())
    got = agg.to_pyarrow().to_pylist()
    amount = float(sum(r["amount"] or 0.0 for r in got))
    wb_firms = wb_amount = None
    if "within_budget" in rows.columns:
        inside = t.filter(elig & t.within_budget.fill_null(False))
        w = inside.aggregate(n=inside.count(), amount=inside.benefit_yuan.sum()).to_pyarrow().to_pylist()[0]
        wb_firms, wb_amount = int(w["n"] or 0), float(w["amount"] or 0.0)
    return _verdict_counts(got), amount, wb_firms, wb_amount


def _county_cells(rows, scope, prefix, has_benefit: bool, k: int, p: float):
    import numpy as np

    from zhizao import disclosure

    t = _expr(rows, None, prefix)
    elig = t.verdict == "eligible"
    amount = elig.ifelse(t.benefit_yuan, None)
    per = t.group_by(["region_code", "region_name", "verdict"]).aggregate(
        n=t.count(), amount=amount.sum(), top=amount.abs().max(), payers=amount.count())
    cells: dict[str, dict] = {}
    for r in per.order_by(["region_code", "verdict"]).to_pyarrow().to_pylist():
        c = cells.setdefault(r["region_code"], {"name": r["region_name"], "counts": {v: 0 for v in VERDICTS},
                                                "value": 0.0, "top": 0.0, "payers": 0})
        c["counts"][r["verdict"]] = int(r["n"])
        c["value"] += float(r["amount"] or 0.0)
        c["top"] = max(c["top"], float(r["top"] or 0.0))
        c["payers"] += int(r["payers"] or 0)
    codes = sorted(cells)
    in_scope = np.array([scope.allows_region(code) for code in codes], dtype=bool)
    controlled = bool(has_benefit and codes and not in_scope.all())
    n = len(codes)
    supp = np.zeros(n + 1, dtype=bool)
    reasons = [""] * (n + 1)
    if controlled:
        prot = disclosure.protect_1d([cells[c]["payers"] for c in codes], [cells[c]["value"] for c in codes],
                                     [cells[c]["top"] for c in codes], k=k, p=p, needs_control=~in_scope)
        supp, reasons = prot.suppressed, list(prot.reason)

    def cell(i, code, name, counts, value, ok):
        amount = None if (not has_benefit or supp[i]) else value
        return CountyCell(code, name, int(sum(counts.values())), counts, amount, bool(supp[i]), reasons[i] or None,
                          bool(ok))

    out = tuple(cell(i, c, cells[c]["name"], cells[c]["counts"], cells[c]["value"], in_scope[i])
                for i, c in enumerate(codes))
    total_counts = {v: sum(x.counts[v] for x in out) for v in VERDICTS}
    total = cell(n, prefix.ljust(6, "0") if prefix else "", _label(prefix.ljust(6, "0")) if prefix else "合计 total",
                 total_counts, sum(cells[c]["value"] for c in codes), bool(in_scope.all()) if n else True)
    return out, total, controlled


def counts(svc, scope, spec: str, *, year: int | None = None, region: str | None = None, k: int = 3,
           p: float = 85.0, by_county: bool = True) -> PolicyCounts:
    """The verdict counts and eligible amount of ``spec`` in ``year`` (default: the latest) over the
    enterprises where it applies, in ``scope`` and in ``region``; with ``by_county``, the county
    comparison (amounts outside the scope under disclosure control with ``k`` and ``p``)."""
    year, _ = svc.resolve_year(year)
    lib = P.library(svc)
    pol = _policy(svc, spec, year)
    prefix = _region_prefix(region)
    rows, used = _rows(svc, pol, lib, year)
    has_benefit = pol.benefit is not None
    verdicts, amount, wb_firms, wb_amount = _scope_totals(rows, scope, prefix)
    cells, total, controlled = ((), None, False)
    if by_county:
        cells, total, controlled = _county_cells(rows, scope, prefix, has_benefit, k, p)
    return PolicyCounts(policy=_summary(pol), year=year, region=_label(region) if prefix else None, counts=verdicts,
                        total=int(sum(verdicts.values())), eligible_amount=amount if has_benefit else None,
                        within_budget_firms=wb_firms, within_budget_amount=wb_amount, by_county=cells,
                        by_county_total=total, controlled=controlled, k=int(k), p=float(p),
                        synthetic=svc.is_synthetic(), input_runs=used, run=_stored_run(svc, pol, year, used))


# --- the push list ---------------------------------------------------------------------------------
def _push_columns(pol) -> tuple[Column, ...]:
    cols = [_c("uscc", "string", "统一社会信用代码", "USCC", "unified social credit code"),
            _c("name", "string", "企业名称", "name", "enterprise name"),
            _c("region_code", "string", "行政区划代码", "region code", "county (GB/T 2260)"),
            _c("region_name", "string", "所在区县", "county", "county name (GB/T 2260)"),
            _c("route", "string", "认定途径", "route", "id of the route that qualified it"),
            _c("route_name", "string", "认定途径名称", "route name", "name of the route (zh)")]
    if pol.scores is not None:
        cols.append(_c("score", "float64", "得分", "score", "total points", "points"))
    cols.append(_c("benefit_yuan", "float64", "兑现金额" if not P._is_charge(pol) else "加价金额",
                   "benefit" if not P._is_charge(pol) else "surcharge",
                   "amount the enterprise receives (negative: a surcharge it pays)", "yuan"))
    if pol.budget is not None:
        cols += [_c("budget_rank", "int64", "预算排序", "budget rank", "rank in the budget order"),
                 _c("within_budget", "boolean", "在预算内", "within budget", "inside the yearly budget")]
    return tuple(cols)


def _push_expr(svc, scope, spec, year, region, q, route):
    year, _ = svc.resolve_year(year)
    lib = P.library(svc)
    pol = _policy(svc, spec, year)
    prefix = _region_prefix(region)
    rows, used = _rows(svc, pol, lib, year)
    t = _expr(rows, scope, prefix)
    t = t.filter(t.verdict == "eligible")
    if q is not None and q.strip():
        q = q.strip()[:100]
        cond = t.name.contains(q)
        if q.isascii() and q.isalnum():
            cond = cond | t.uscc.startswith(q.upper())
        t = t.filter(cond)
    if route:
        t = t.filter(t.route == route)
    order = ("budget_rank", "uscc") if pol.budget is not None else ("region_code", "uscc")
    return pol, year, used, t, order


def push_page(svc, scope, spec: str, *, year: int | None = None, region: str | None = None,
              q: str | None = None, route: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """The 免申即享 push list of ``spec`` in ``year``: the eligible enterprises where it applies and
    that lie in ``scope`` (in ``region``, whose name contains ``q`` or whose USCC starts with it,
    qualified by ``route``), with route, score, amount and budget rank; the stored run of the whole
    warehouse's push or check when there is one."""
    check_paging(page, page_size)
    pol, year, used, t, order = _push_expr(svc, scope, spec, year, region, q, route)
    run = _stored_run(svc, pol, year, used)
    notes = (f"{pol.name_zh}（{pol.id} {pol.version}）{year} 年；适用地区：{pol.region_label}",)
    return paginate(t, _push_columns(pol), page=page, page_size=page_size, order_by=order, run=run, notes=notes)


def push_rows(svc, scope, spec: str, *, year: int | None = None, region: str | None = None,
              q: str | None = None, route: str | None = None):
    """Every row of the push list (for a download): (columns, batches)."""
    pol, year, used, t, order = _push_expr(svc, scope, spec, year, region, q, route)
    cols = _push_columns(pol)
    return cols, batches(t, cols, order_by=order)


# --- one enterprise's explanation ------------------------------------------------------------------
@dataclass(frozen=True)
class Explanation:
    """Why one enterprise (in the viewer's scope) is or is not eligible: the tree of
    ``zhizao.policy.explain`` and the gap of ``zhizao.policy.gap`` (None when eligible)."""

    policy: PolicySummary
    year: int
    uscc: str
    name: str | None
    region: str
    applies: bool
    applies_to: str
    verdict: str | None
    tree: ExplanationTree
    gap: GapReport | None
    synthetic: bool
    hypothetical: bool = False
    input_runs: tuple[str, ...] = ()


def explain(svc, scope, spec: str, uscc: str, *, year: int | None = None) -> Explanation:
    """``zhizao.services.policy.explain`` for an enterprise inside ``scope``; ``NotFound`` with the
    words of an unknown USCC for one outside it."""
    from zhizao.services.enterprises import _visible_row

    row = _visible_row(svc, scope, uscc)
    pol = _policy(svc, spec, None)
    e = P.explain(svc, pol.id, row["uscc"], year=year)
    return Explanation(policy=_summary(e.policy), year=e.year, uscc=e.uscc, name=e.name, region=e.region,
                       applies=e.applies, applies_to=e.applies_to, verdict=e.verdict, tree=e.tree, gap=e.gap,
                       synthetic=svc.is_synthetic(), input_runs=e.input_runs)


# --- the calculator --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CalcField:
    """One input of the calculator: a warehouse column (``enterprises`` or ``indicators``; an
    indicator ``lag`` years before the evaluation year is named ``column@-lag``)."""

    name: str
    table: str
    column: str
    lag: int
    dtype: str                        # string, int64, float64, bool, date
    zh: str
    en: str
    unit: str | None
    min: float | None
    max: float | None
    allowed: tuple[str, ...]
    value: object = None              # prefilled (an enterprise's figure) or posted


@dataclass(frozen=True)
class PolicyCalculation:
    """The verdict of a hypothetical enterprise (``uscc`` is ``CALC_USCC``), with the same
    explanation tree and gap as a real one; ``figures`` as read (typed), ``unused`` the figures
    the policy does not read."""

    policy: PolicySummary
    year: int
    hypothetical: bool
    uscc: str
    note_zh: str
    note_en: str
    region_code: str | None
    applies: bool
    verdict: str
    route: str | None
    score: float | None
    amount_yuan: float | None
    missing: tuple[str, ...]
    figures: dict
    unused: tuple[str, ...]
    tree: ExplanationTree
    gap: GapReport | None
    fields: tuple[CalcField, ...] = ()


_NOTE_ZH = "假设企业：以下结论由您输入的数据计算，不代表任何真实企业，也不是正式认定。"
_NOTE_EN = "A hypothetical enterprise: the verdict is computed from the figures entered; it is no real " \
           "enterprise and no official decision."


def _schema_column(name: str):
    """``(table, Column of zhizao.data.schema, lag)`` of an input name, or None."""
    from zhizao.data.schema import ENTERPRISES, INDICATORS

    base, sep, lag = name.partition("@-")
    if sep:
        if not lag.isdigit() or not 1 <= int(lag) <= MAX_LAG or base in ("uscc", "year"):
            return None
        return ("indicators", INDICATORS.column(base), int(lag)) if base in INDICATORS.column_names else None
    if base in ("uscc", "name", "year"):
        return None
    if base in ENTERPRISES.column_names:
        return "enterprises", ENTERPRISES.column(base), 0
    if base in INDICATORS.column_names:
        return "indicators", INDICATORS.column(base), 0
    return None


def _all_names() -> list[str]:
    from zhizao.data.schema import ENTERPRISES, INDICATORS

    ent = [c for c in ENTERPRISES.column_names if c not in ("uscc", "name")]
    ind = [c for c in INDICATORS.column_names if c not in ("uscc", "year")]
    return ent + ind + [f"{c}@-{k}" for k in range(1, MAX_LAG + 1) for c in ind]


def _field(name: str, value=None) -> CalcField:
    from zhizao.policy.explain import input_label

    table, col, lag = _schema_column(name)
    unit = col.canonical_unit if col.unit not in (None, "plain", "count") else None
    return CalcField(name, table, col.name, lag, col.dtype, input_label(name, None, "zh") or col.zh,
                     input_label(name, None, "en") or col.en, unit or None, col.min, col.max,
                     tuple(col.allowed or ()), value)


def _reads(pol, lib, year: int) -> tuple[list[str], tuple]:
    """The calculator's inputs for ``pol`` (``region_code`` first, then the enterprise's columns,
    the year's indicators and the lags), and the extra input tables it reads."""
    from zhizao.policy import dependencies

    deps = dependencies(pol, lib, year=year)
    names = [c for c in deps.columns if "." not in c and _schema_column(c) is not None]
    order = {n: i for i, n in enumerate(_all_names())}
    names = sorted(set(names) | {"region_code"}, key=lambda n: (n != "region_code", order.get(n, 1 << 20)))
    return names, deps.input_tables


def _calc_year(svc, year: int | None) -> int:
    if year is None:
        try:
            return svc.resolve_year(None)[0]
        except ZhizaoError:
            return _dt.date.today().year - 1
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        raise InvalidInput(f"年度 {year!r} 无效（1990–2100）", f"year {year!r} is not valid (1990–2100)", where="year")
    return year


def _blocked(pol, lib, input_tables, year: int) -> MissingRun | None:
    if not input_tables:
        return None
    alias, table, command = input_tables[0]
    spec = next((q.inputs[alias] for q in [pol, *P._required(pol, lib, year)] if alias in q.inputs), None)
    mid = spec.where.get("method_id") if spec is not None else None
    cmd = (command or f"zhizao {table}") + (f" --method {mid}" if mid else "") + f" --year {year}"
    return MissingRun(
        f"政策 {pol.id} 读取其他模块的计算结果（{table}，输入 {alias}），计算器无法为假设企业计算该结果；"
        f"请对真实企业使用政策解释（先运行 `{cmd}`）",
        f"policy {pol.id} reads another lever's result ({table}, input {alias}), which the calculator cannot "
        f"compute for a hypothetical enterprise: explain a real enterprise instead (after `{cmd}`)",
        lever=table.removeprefix("result_").split("_")[0], command=cmd, where=f"{pol.id}.inputs.{alias}")


def _bad(name: str, col, value, what_zh: str, what_en: str) -> InvalidInput:
    shown = repr(value)[:60]
    return InvalidInput(f"字段 {name}（{col.zh}）{what_zh}，收到 {shown}",
                        f"field {name} ({col.en}) {what_en}, got {shown}", where=name)


_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def _coerce(name: str, col, value):  # noqa: C901 - one branch per schema type
    """``value`` as the schema type of ``col`` (a form's text included); ``InvalidInput`` naming
    the field for a wrong type, a value outside the schema's range or not among its values."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and len(value) > 200:
        raise _bad(name, col, value, "过长（最多 200 个字符）", "is too long (200 characters at most)")
    t = col.dtype
    if t in ("float64", "int64"):
        if isinstance(value, bool):
            raise _bad(name, col, value, "应为数值", "must be a number")
        if isinstance(value, str):
            try:
                value = float(value.strip().replace(",", "")) if t == "float64" else \
                    (int(value.strip()) if value.strip().lstrip("-").isdigit() else float(value.strip()))
            except ValueError:
                raise _bad(name, col, value, "应为数值", "must be a number") from None
        if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
            raise _bad(name, col, value, "应为数值", "must be a number")
        if t == "int64":
            if isinstance(value, float) and not value.is_integer():
                raise _bad(name, col, value, "应为整数", "must be a whole number")
            value = int(value)
            if not -(2 ** 63) < value < 2 ** 63:
                raise _bad(name, col, value, "超出整数范围", "is out of the integer range")
        else:
            value = float(value)
        if (col.min is not None and value < col.min) or (col.max is not None and value > col.max):
            lo, hi = ("…" if x is None else f"{x:g}" for x in (col.min, col.max))
            raise _bad(name, col, value, f"应在 {lo} 至 {hi} 之间", f"must be within {lo}–{hi}")
        return value
    if t == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _bad(name, col, value, "应为是/否（true/false）", "must be true or false")
    if t == "date":
        if not isinstance(value, str):
            raise _bad(name, col, value, "应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)")
        try:
            d = _dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _bad(name, col, value, "应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)") from None
        if not 1900 <= d.year <= 2100:
            raise _bad(name, col, value, "日期应在 1900–2100 年之间", "must be a date within 1900–2100")
        return d
    if not isinstance(value, str):
        raise _bad(name, col, value, "应为文本", "must be text")
    return _coerce_text(name, col, value.strip())


def _coerce_text(name: str, col, value: str) -> str:
    from zhizao.data.schema import VALUE_LABELS

    if len(value) > 200:
        raise _bad(name, col, value, "过长（最多 200 个字符）", "is too long (200 characters at most)")
    if col.allowed:
        labels = {lab: v for v in col.allowed for lab in VALUE_LABELS.get(v, ())}
        value = labels.get(value, value)
        if value not in col.allowed:
            raise _bad(name, col, value, f"应为 {'、'.join(col.allowed)} 之一", f"must be one of {', '.join(col.allowed)}")
    if col.code == "region_county":
        from zhizao.codes.regions import check_region_code, normalize_region_code

        reason = check_region_code(value, level="county")
        if reason is not None:
            raise _bad(name, col, value, f"不是现行区县代码（{reason}）", f"is not a current county code ({reason})")
        value = normalize_region_code(value)
    if col.code == "industry_class":
        from zhizao.codes.industries import check_industry_code, normalize_industry_code

        reason = check_industry_code(value, level="class")
        if reason is not None:
            raise _bad(name, col, value, f"不是 GB/T 4754 行业小类代码（{reason}）",
                       f"is not a GB/T 4754 class code ({reason})")
        value = normalize_industry_code(value)
    return value


def _unknown(name: str, reads: list[str]) -> InvalidInput:
    close = difflib.get_close_matches(name, reads, n=3, cutoff=0.6) or \
        difflib.get_close_matches(name, _all_names(), n=3, cutoff=0.6)
    hint_zh = f"（是否指 {'、'.join(close)}？）" if close else ""
    hint_en = f" (did you mean {', '.join(close)}?)" if close else ""
    shown = name[:64]
    return InvalidInput(f"未知字段 {shown!r}{hint_zh}；本政策读取：{'、'.join(reads)}",
                        f"unknown field {shown!r}{hint_en}; this policy reads: {', '.join(reads)}", where=shown)


def _figures(figures: dict, reads: list[str], extra: dict) -> dict:
    """The posted figures, typed and checked (``extra``: region_code / industry_code given apart)."""
    if not isinstance(figures, dict):
        raise InvalidInput("figures 应为 字段 → 数值 的对象", "figures must be an object of field → value",
                           where="figures")
    if len(figures) > MAX_FIGURES:
        raise InvalidInput(f"字段过多（最多 {MAX_FIGURES} 个）", f"too many figures ({MAX_FIGURES} at most)",
                           where="figures")
    out = {}
    for name, value in figures.items():
        spec = _schema_column(str(name))
        if spec is None:
            raise _unknown(str(name), reads)
        out[name] = _coerce(name, spec[1], value)
    for name, value in extra.items():
        if value is None or value == "":
            continue
        typed = _coerce(name, _schema_column(name)[1], value)
        if out.get(name) is not None and out[name] != typed:
            raise InvalidInput(f"字段 {name} 给出了两个不同的值（{out[name]} 与 {typed}）",
                               f"field {name} is given twice with different values ({out[name]} and {typed})",
                               where=name)
        out[name] = typed
    return out


@contextmanager
def _hypothetical_tables(values: dict, year: int):
    """One-row ``enterprises`` and ``indicators`` tables (the year and each lag year given) in the
    warehouse schema, cast as the store casts; dropped from the in-memory backend afterwards."""
    import ibis

    from zhizao.data.schema import TABLES
    from zhizao.data.store import conform

    ent = {"uscc": CALC_USCC, "name": CALC_NAME, "region_code": None, "industry_code": None}
    ind = {0: {"uscc": CALC_USCC, "year": year}}
    for name, v in values.items():
        table, col, lag = _schema_column(name)
        if table == "enterprises":
            ent[col.name] = v
        else:
            ind.setdefault(lag, {"uscc": CALC_USCC, "year": year - lag})[col.name] = v

    def table(name, rows):
        cols = TABLES[name].column_names
        data = pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])
        return ibis.memtable(conform(TABLES[name], data))

    tables = {"enterprises": table("enterprises", [ent]), "indicators": table("indicators", list(ind.values()))}
    try:
        yield tables
    finally:
        backend = ibis.get_backend()
        for t in tables.values():
            backend.drop_view(t.op().name, force=True)


def _jsonable(v):
    return v.isoformat() if isinstance(v, (_dt.date, _dt.datetime)) else v


def calculate(svc, spec: str, figures: dict, *, year: int | None = None, region_code: str | None = None,
              industry_code: str | None = None) -> PolicyCalculation:
    """The verdict, explanation tree and gap of a hypothetical enterprise under ``spec`` in ``year``
    (default: the latest year of the warehouse) from ``figures`` (input name → value: the columns
    of ``enterprises`` and ``indicators``, lags as ``main_revenue@-1``; text from a form is
    accepted). ``InvalidInput`` naming the field for an unknown name (with the closest), a wrong
    type or a value outside the schema's range; ``MissingRun`` for a policy that reads another
    lever's result. Reads no enterprise of the warehouse."""
    from zhizao.policy import evaluate_many
    from zhizao.policy.explain import enterprise_inputs
    from zhizao.policy.explain import explain as lever_explain
    from zhizao.policy.gap import gap

    year = _calc_year(svc, year)
    lib = P.library(svc)
    pol = _policy(svc, spec, year)
    reads, input_tables = _reads(pol, lib, year)
    blocked = _blocked(pol, lib, input_tables, year)
    if blocked is not None:
        raise blocked
    values = _figures(figures, reads, {"region_code": region_code, "industry_code": industry_code})
    try:
        with _hypothetical_tables(values, year) as tables:
            evs = evaluate_many(tables, [*P._required(pol, lib, year), pol], year=year, library=lib)
            row = evs.pop(pol.id).to_pyarrow()
            required = {pid: (ev.select("verdict").to_pyarrow().column(0).to_pylist() or [None])[0]
                        for pid, ev in evs.items()}
            tree = lever_explain(tables, pol, uscc=CALC_USCC, year=year, library=lib, evaluation=row,
                                 inputs=enterprise_inputs(tables, CALC_USCC, year, lags=MAX_LAG), required=required)
    except ZhizaoError:
        raise
    except ValueError as e:
        raise InvalidInput(f"政策 {pol.id}：{e}", f"policy {pol.id}: {e}", where=pol.id) from None
    g = gap(tree, pol) if tree["verdict"] != "eligible" else None
    code = values.get("region_code")
    return PolicyCalculation(
        policy=_summary(pol), year=year, hypothetical=True, uscc=CALC_USCC, note_zh=_NOTE_ZH, note_en=_NOTE_EN,
        region_code=code, applies=pol.applies_in(code) if code else pol.national, verdict=tree["verdict"],
        route=tree["route"], score=tree["score"], amount_yuan=(tree["benefit"] or {}).get("amount_yuan"),
        missing=tuple(tree["missing"]), figures={k: _jsonable(v) for k, v in values.items()},
        unused=tuple(sorted(k for k, v in values.items() if k not in reads and v is not None)),
        tree=tree, gap=g, fields=tuple(_field(n, _jsonable(values.get(n))) for n in reads))


# --- the calculator form -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CalculatorForm:
    """What the calculator page shows: the policies to choose from, the inputs of the chosen one
    (prefilled from an enterprise in the viewer's scope when asked, or as posted), the result of a
    calculation, or why it cannot run (``blocked``) or what was wrong with the input (``error``)."""

    policies: tuple[PolicySummary, ...]
    policy: PolicySummary | None = None
    year: int | None = None
    fields: tuple[CalcField, ...] = ()
    uscc: str | None = None
    blocked_zh: str | None = None
    blocked_en: str | None = None
    result: PolicyCalculation | None = None
    error_zh: str | None = None
    error_en: str | None = None
    error_where: str | None = None


def calculator_form(svc, scope, spec: str | None = None, *, year: int | None = None,
                    uscc: str | None = None) -> CalculatorForm:
    """The calculator's form for ``spec`` (none: only the choice of policies); with ``uscc`` (an
    enterprise in ``scope``, ``NotFound`` otherwise) the inputs carry its figures of ``year``."""
    choices = tuple(s for s in library_list(svc) if s.latest)
    if not spec:
        return CalculatorForm(choices)
    lib = P.library(svc)
    if uscc:
        from zhizao.services.enterprises import _visible_row

        uscc = _visible_row(svc, scope, uscc)["uscc"]
        year, _ = svc.resolve_year(year)
    else:
        year = _calc_year(svc, year)
    pol = _policy(svc, spec, year)
    reads, input_tables = _reads(pol, lib, year)
    blocked = _blocked(pol, lib, input_tables, year)
    if blocked is not None:
        return CalculatorForm(choices, _summary(pol), year, (), uscc, blocked.zh, blocked.en)
    env = P._inputs(svc, uscc, year) if uscc else {}
    fields = tuple(_field(n, _jsonable(env.get(n))) for n in reads)
    return CalculatorForm(choices, _summary(pol), year, fields, uscc)


def calculator_submit(svc, scope, spec: str, figures: dict, *, year: int | None = None) -> CalculatorForm:
    """The calculator page's submission: ``calculate`` with the form's figures (text), and the form
    again with the values as posted — with the result, or with the error of the input."""
    choices = tuple(s for s in library_list(svc) if s.latest)
    lib = P.library(svc)
    try:
        y = _calc_year(svc, year)
        pol = _policy(svc, spec, y)
    except InvalidInput as e:
        return CalculatorForm(choices, error_zh=e.zh, error_en=e.en, error_where=e.where)
    reads, _ = _reads(pol, lib, y)
    posted = tuple(_field(n, figures.get(n)) for n in reads)
    try:
        res = calculate(svc, spec, figures, year=y)
    except MissingRun as e:
        return CalculatorForm(choices, _summary(pol), y, (), None, e.zh, e.en)
    except InvalidInput as e:
        return CalculatorForm(choices, _summary(pol), y, posted, error_zh=e.zh, error_en=e.en, error_where=e.where)
    return CalculatorForm(choices, _summary(pol), y, posted, result=res)


# --- the detail page -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyOverview:
    """The policy page: the policy; for a viewer who may see counts, the counts and one page of the
    push list in the scope — or the run the policy needs (``needs_run``)."""

    info: PolicyInfo
    counts: PolicyCounts | None = None
    push: Page | None = None
    year: int | None = None
    needs_run_zh: str | None = None
    needs_run_en: str | None = None
    command: str | None = None


def overview(svc, scope, spec: str, *, year: int | None = None, region: str | None = None,
             with_counts: bool = False, page: int = 1, page_size: int = 50, k: int = 3,
             p: float = 85.0) -> PolicyOverview:
    """``detail``; with ``with_counts`` also ``counts`` and the page ``page`` of ``push_page``."""
    info = detail(svc, spec, year=year)
    if not with_counts:
        return PolicyOverview(info, year=year)
    try:
        c = counts(svc, scope, spec, year=year, region=region, k=k, p=p)
        got = push_page(svc, scope, spec, year=year, region=region, page=page, page_size=page_size)
    except MissingRun as e:
        return PolicyOverview(info, year=year, needs_run_zh=e.zh, needs_run_en=e.en, command=e.command)
    return PolicyOverview(info, c, got, c.year)

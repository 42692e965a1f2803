"""The 免申即享 push list (no-application list) of one policy as an XLSX workbook.

Shell only: it renders the eligible rows of a policy's evaluation table (``zhizao.policy.evaluate``,
executed to pyarrow) and computes nothing but display units. Layout:

* sheet 免申即享名单: a header block — title, 政策 (name, issuer, version), 依据 (its source), 年度,
  and, for synthetic data, the line ``本表数据为合成数据 / synthetic data`` — then one row per
  eligible enterprise: 序号, 企业名称, 统一社会信用代码, 所在区县, 认定途径, 得分 (when the policy
  scores), 兑现金额（元）, 预算排序 and 是否在预算内 (when it has a budget), then a 合计 row;
* sheet 说明: every rule and route with its condition and clause, the benefit and the budget, and
  the conditions the data cannot decide (to be verified by hand before paying).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from zhizao.report.safe_cells import neutralise_workbook
from zhizao.report.xlsx_common import SYNTHETIC_LINE, write_header

__all__ = ["write_push_xlsx", "PUSH_SHEET", "SYNTHETIC_LINE"]

PUSH_SHEET = "免申即享名单"


def _county_name(code: str | None) -> str:
    if not code:
        return ""
    try:
        from zhizao.codes.regions import region

        return f"{code} {region(code).name}"
    except (ValueError, KeyError):
        return code


def _header_block(ws, *, title: str, policy, year, synthetic: bool) -> int:
    lines = [title,
             f"政策 policy: {policy.name_zh} / {policy.name_en} ({policy.id} {policy.version})",
             f"发文机关 issuer: {getattr(policy, 'issuer', '') or ''}",
             f"依据 source: {' '.join(str(policy.source).split())}",
             f"年度 year: {year}"]
    return write_header(ws, lines, synthetic=synthetic)


def _route_names(policy) -> dict[str, str]:
    elig = getattr(policy, "eligibility", None)
    return {r.id: (getattr(r, "name_zh", None) or r.id) for r in (getattr(elig, "routes", None) or [])}


def write_push_xlsx(evaluation: pa.Table, path: str | Path, *, policy, year: int, synthetic: bool) -> Path:
    """Write the eligible rows of ``evaluation`` (one policy, one year) as the push list.

    Rows are ordered by budget rank (when the policy has a budget), then by amount (descending),
    then by USCC. Returns the path written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = [r for r in evaluation.to_pylist() if r.get("verdict") == "eligible" and r.get("year") == year]
    has_budget = "budget_rank" in evaluation.column_names
    has_score = "score" in evaluation.column_names
    rows.sort(key=lambda r: (r.get("budget_rank") is None, r.get("budget_rank") or 0,
                             -(r.get("benefit_yuan") or 0.0), r.get("uscc") or ""))
    routes = _route_names(policy)
    wb = Workbook()
    ws = wb.active
    ws.title = PUSH_SHEET
    start = _header_block(ws, title=f"{year}年度 {policy.name_zh} 免申即享名单", policy=policy, year=year,
                          synthetic=synthetic)
    headers = ["序号", "企业名称", "统一社会信用代码", "所在区县", "认定途径"]
    if has_score:
        headers.append("得分")
    headers.append("兑现金额（元）")
    if has_budget:
        headers += ["预算排序", "是否在预算内"]
    for j, h in enumerate(headers, start=1):
        ws.cell(row=start, column=j, value=h).font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    r = start
    for i, row in enumerate(rows, start=1):
        r = start + i
        route = row.get("route")
        values = [i, row.get("name"), row.get("uscc"), _county_name(row.get("region_code")),
                  f"{routes.get(route, route)}" if route else ""]
        if has_score:
            s = row.get("score")
            values.append(None if s is None else round(s, 2))
        amount = row.get("benefit_yuan")
        values.append(None if amount is None else round(amount, 2))
        if has_budget:
            inside = row.get("within_budget")
            values += [row.get("budget_rank"), "" if inside is None else ("是" if inside else "否")]
        for j, v in enumerate(values, start=1):
            ws.cell(row=r, column=j, value=v)
    total_amount = sum(x.get("benefit_yuan") or 0.0 for x in rows)
    ws.cell(row=r + 1, column=1, value="合计").font = Font(bold=True)
    ws.cell(row=r + 1, column=2, value=f"{len(rows)} 家 firms")
    ws.cell(row=r + 1, column=headers.index("兑现金额（元）") + 1, value=round(total_amount, 2))
    if has_budget:
        inside = [x for x in rows if x.get("within_budget")]
        ws.cell(row=r + 1, column=len(headers),
                value=f"预算内 {len(inside)} 家，{sum(x.get('benefit_yuan') or 0.0 for x in inside):,.0f} 元")
    for j, h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=start, column=j).column_letter].width = max(10, min(40, 3 * len(h)))
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 22
    _notes_sheet(wb, policy=policy, year=year, synthetic=synthetic)
    neutralise_workbook(wb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _notes_sheet(wb, *, policy, year, synthetic: bool) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet("说明")
    r = _header_block(ws, title=f"{policy.name_zh} — 认定条件与依据 rules and clauses", policy=policy, year=year,
                      synthetic=synthetic)
    for j, h in enumerate(("规则 rule", "名称 name", "条件 condition", "企业可改变 changeable", "依据 source"),
                          start=1):
        ws.cell(row=r, column=j, value=h).font = Font(bold=True)
    for rule in getattr(policy, "rules", None) or []:
        r += 1
        cond = rule.when if getattr(rule, "when", None) is not None else _combinator_text(rule)
        for j, v in enumerate((rule.id, rule.name_zh, cond, "是" if getattr(rule, "changeable", True) else "否",
                               rule.source), start=1):
            ws.cell(row=r, column=j, value=v)
        for e in getattr(rule, "exceptions", None) or []:
            r += 1
            for j, v in enumerate((f"  例外 {e.id}", f"优先级 {e.priority} → {'成立' if e.outcome else '不成立'}",
                                   e.when, "", e.source), start=1):
                ws.cell(row=r, column=j, value=v)
    elig = getattr(policy, "eligibility", None)
    r += 2
    ws.cell(row=r, column=1, value="认定 eligibility").font = Font(bold=True)
    r += 1
    ws.cell(row=r, column=1, value="基本条件 floor")
    ws.cell(row=r, column=3, value="、".join(getattr(elig, "all", None) or []))
    for route in getattr(elig, "routes", None) or []:
        r += 1
        ws.cell(row=r, column=1, value=f"途径 route {route.id}")
        ws.cell(row=r, column=2, value=getattr(route, "name_zh", None) or route.id)
        ws.cell(row=r, column=3, value="评分达标 score passes" if getattr(route, "score", False) else route.rule)
    benefit = getattr(policy, "benefit", None)
    if benefit is not None:
        r += 2
        ws.cell(row=r, column=1, value="兑现 benefit").font = Font(bold=True)
        cap = getattr(benefit, "cap", None)
        ws.cell(row=r, column=3, value=f"{benefit.amount}" + (f"（上限 {cap:,.0f} 元）" if cap else ""))
        ws.cell(row=r, column=5, value=benefit.source)
    budget = getattr(policy, "budget", None)
    if budget is not None:
        r += 1
        ws.cell(row=r, column=1, value="预算 budget").font = Font(bold=True)
        ws.cell(row=r, column=3, value=f"{budget.total:,.0f} 元，排序 {budget.order}")
        ws.cell(row=r, column=5, value=budget.source)
    nd = getattr(policy, "not_decidable", None) or []
    if nd:
        r += 2
        ws.cell(row=r, column=1, value="未核验条件（数据无法判断，兑现前须人工核实）").font = Font(bold=True)
        for n in nd:
            r += 1
            ws.cell(row=r, column=1, value=n.id)
            ws.cell(row=r, column=3, value=n.text_zh)
            ws.cell(row=r, column=5, value=n.source)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 48
    ws.column_dimensions["E"].width = 48


def _combinator_text(rule) -> str:
    for kind, zh in (("all", "全部"), ("any", "其一"), ("not", "非")):
        v = getattr(rule, kind, None)
        if v:
            return f"{zh}: {v if isinstance(v, str) else '、'.join(v)}"
    al = getattr(rule, "at_least", None)
    if al is not None:
        return f"至少 {al.k} 项: {'、'.join(al.of)}"
    return ""

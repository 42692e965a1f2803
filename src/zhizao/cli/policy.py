"""`zhizao policy …` and `zhizao package`: the rules-as-code policy commands.

Each command parses its arguments, calls one operation of ``zhizao.services.policy`` (library,
show, check, explain, push, package) and renders its typed result with Rich, in Chinese and
English; domain errors go to stderr with their exit code (``zhizao.cli._shell.handled``).
``zhizao.cli`` adds ``policy_app`` as ``zhizao policy`` and ``package_cmd`` as ``zhizao package``.

Tables written (each row with its run id, see ``zhizao runs``): ``result_policy_<id>`` and
``result_policy_gap_<id>`` (``check``; ``push`` writes the first), ``result_policy_package``
(``package``: one row per policy; a later package of the same enterprise and year replaces it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import SYNTHETIC_NOTE, DbOption, err, fail, handled, out, progress_bar, service

policy_app = typer.Typer(
    name="policy",
    help="惠企政策 (rules-as-code policies): list and show the policy library, check who qualifies, explain "
         "one enterprise's verdict with its gap to qualify, and write the 免申即享 push list.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

PolicyArg = Annotated[str, typer.Argument(help="Policy id (see `zhizao policy list`) or a policy YAML file.")]
UsccArg = Annotated[str, typer.Argument(help="The enterprise's 统一社会信用代码 (USCC).")]
YearOption = Annotated[Optional[int], typer.Option(
    "--year", help="Evaluation year. Default: the latest year with indicators in the warehouse.")]
LibraryOption = Annotated[Optional[Path], typer.Option(
    "--library", help="Folder of policy YAML files. Default: the shipped library (zhizao/methods/policies).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the text: zh or en.")]
RegionOption = Annotated[Optional[str], typer.Option(
    "--region", help="Only the enterprises of this region (a GB/T 2260 county or prefecture code, e.g. 330502).")]


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        fail(f"--lang {lang!r}: choose zh or en")
    return lang


def _fmt_money(v) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _window(p) -> str:
    return f"{p.valid_from} – {p.valid_to or '…'}"


def _from(p, *loc) -> list[str]:
    """For a variant (``extends``), the ``file:line`` a part was read from as one table cell (its
    own file or the base's); nothing for a policy that extends nothing."""
    if p.extends is None:
        return []
    file, line = p.origin_of(*loc)
    return [f"{file}:{line}" if line else str(file)]


def _run_line(run) -> None:
    if run is not None:
        out.print(f"批次 run: {run.label}", highlight=False)


# --- commands --------------------------------------------------------------------------------
@policy_app.command("list")
def list_cmd(library: LibraryOption = None) -> None:
    """List the policies of the library: id, version, name, issuer, validity, what each requires,
    and whether it pays a benefit; a province variant is marked with the policy it extends."""
    from zhizao.services import policy as svc_policy

    with handled():
        lib = svc_policy.library(None, library)
    t = RichTable(title=f"政策库 policy library — {lib.directory} ({len(lib)} policies)")
    for c in ("id", "版本 version", "名称 name", "发文机关 issuer", "适用地区 applies in", "有效期 valid",
              "前置 requires", "兑现 benefit"):
        t.add_column(c)
    for pid in lib:
        for p in lib.versions(pid):
            benefit = "—"
            if p.benefit is not None:
                benefit = str(p.benefit.amount) + (f" (≤ {p.benefit.cap:,.0f})" if p.benefit.cap else "")
            pid_cell = p.id + (f"\n(extends {p.extends})" if p.extends else "")
            t.add_row(pid_cell, p.version, f"{p.name_zh}\n{p.name_en}", p.issuer or "", p.region_label, _window(p),
                      ", ".join(p.required_policies) or "—", benefit)
    out.print(t)


@policy_app.command("show")
def show_cmd(policy_id: PolicyArg, library: LibraryOption = None) -> None:
    """Show one policy: its source, variables, points tables, rules with their clauses and
    exceptions, eligibility routes, benefit, budget, the conditions the data cannot decide, and
    the warehouse columns and policies it depends on. For a province variant (extends), also the
    policy it extends, what it changed, and the file and line of every item (its own or the base's)."""
    from zhizao.services import policy as svc_policy

    with handled():
        d = svc_policy.show(None, policy_id, library_path=library)
    p = d.policy
    out.print(f"[bold]{p.name_zh}[/bold] {p.name_en} — {p.id} {p.version}", highlight=False)
    out.print(f"发文机关 issuer: {p.issuer or '—'}; 有效期 valid: {_window(p)}; 适用地区 applies in: {d.region}",
              highlight=False)
    out.print(f"依据 source: {p.source}", highlight=False)
    file_col = ("文件 file",) if p.extends else ()
    if p.extends:
        out.print(f"继承 extends: {p.extends} ({p.base.file}) — {p.base.source}", highlight=False)
        out.print(f"变更 changes ({p.file}): " + "; ".join(str(c) for c in p.changes) if p.changes else
                  f"变更 changes ({p.file}): none (identity only)", highlight=False)
    if p.variables:
        t = RichTable(title="派生变量 variables")
        for c in ("id", "名称 name", "公式 formula", "单位 unit", "可改变 changeable", "依据 source", *file_col):
            t.add_column(c)
        for name, v in p.variables.items():
            t.add_row(name, v.name_zh, v.expr, v.unit, "✓" if v.changeable else "✗", v.source,
                      *_from(p, "variables", name))
        out.print(t)
    if p.points:
        t = RichTable(title="评分表 points tables")
        for c in ("id", "名称 name", "维度 dimension", "取值 of / cases", "分档 bands → points", "依据 source",
                  *file_col):
            t.add_column(c)
        for i, pt in enumerate(p.points):
            if pt.cases:
                of = "; ".join(f"{c.when or 'else'} → {c.value:g}" for c in pt.cases)
                bands = ""
            else:
                cmp = "≥" if pt.direction == "higher_is_better" else "≤"
                of = pt.of
                bands = "; ".join(f"{cmp} {th:g} → {pts:g}" if th is not None else f"else → {pts:g}"
                                  for th, pts in pt.bands)
            t.add_row(pt.id, pt.name_zh or "", pt.dimension or "", of, bands, pt.source, *_from(p, "points", i))
        out.print(t)
        if p.scores is not None:
            dims = "; ".join(f"{d}: {x.name_zh} (max {x.max if x.max is not None else '—'}, min "
                             f"{x.min if x.min is not None else '—'})" for d, x in p.scores.dimensions.items())
            out.print(f"及格 pass ≥ {p.scores.pass_:g}; {dims}  [{p.scores.source}]"
                      + "".join(f"  ({x})" for x in _from(p, "scores")), highlight=False)
    t = RichTable(title="规则 rules")
    for c in ("id", "名称 name", "条件 condition", "可改变 changeable", "依据 source", *file_col):
        t.add_column(c)
    for i, r in enumerate(p.rules):
        cond = r.when if r.kind == "when" else (f"at_least {r.at_least.k} of {', '.join(r.refs)}"
                                                if r.kind == "at_least" else f"{r.kind}: {', '.join(r.refs)}")
        for e in r.exceptions:
            cond += f"\n  例外 unless {e.id} (priority {e.priority}): {e.when} → {str(e.outcome).lower()}"
        t.add_row(r.id, r.name_zh or "", cond, "✓" if r.changeable else "✗", r.source, *_from(p, "rules", i))
    out.print(t)
    routes = "; ".join(f"{r.id} ({r.name_zh or ''}): " + " + ".join(
        ([f"rule {r.rule}"] if r.rule else []) + (["score"] if r.score else [])) for r in p.eligibility.routes)
    out.print(f"认定 eligibility: 全部 all [{', '.join(p.eligibility.all)}]"
              + (f"; 途径其一 any route: {routes}" if routes else ""), highlight=False)
    if p.benefit is not None:
        cap = f", cap {p.benefit.cap:,.0f}" if p.benefit.cap else ""
        out.print(f"兑现 benefit: {p.benefit.amount}{cap}  [{p.benefit.source}]"
                  + "".join(f"  ({x})" for x in _from(p, "benefit")), highlight=False)
    if p.budget is not None:
        out.print(f"预算 budget: {p.budget.total:,.0f} 元, order {p.budget.order}  [{p.budget.source}]"
                  + "".join(f"  ({x})" for x in _from(p, "budget")), highlight=False)
    if p.not_decidable:
        out.print("未核验条件 not decidable from the data (reported as not checked):")
        for i, n in enumerate(p.not_decidable):
            at = "".join(f"  ({x})" for x in _from(p, "not_decidable", i))
            out.print(f"  - {n.id}: {n.text_zh}  [{n.source}]{at}", highlight=False)
    deps = d.dependencies
    out.print(f"依赖 needs columns: {', '.join(deps.columns) or '—'}", highlight=False)
    if deps.policies:
        out.print(f"依赖 needs policies: {', '.join(deps.policies)}", highlight=False)


@policy_app.command("check")
def check_cmd(
    policy_id: PolicyArg,
    year: YearOption = None,
    region: RegionOption = None,
    library: LibraryOption = None,
    db: DbOption = None,
) -> None:
    """Evaluate a policy for every enterprise of a year where it applies (or of one region): counts
    eligible / not eligible / unknown, the rules that fail most, the inputs most often missing,
    and the enterprises close to qualifying.

    Writes result_policy_<id> (the evaluation table) and result_policy_gap_<id> (per not-eligible
    enterprise: each failed threshold with the change needed, the failed rules it cannot change,
    and the points missing on the score route).
    """
    from zhizao.services import policy as svc_policy

    with service(db) as svc, progress_bar(f"政策评估 {policy_id}") as cb:
        r = svc_policy.check(svc, policy_id, year=year, library_path=library, region=region, progress=cb)
    _print_check(r)
    out.print(f"{r.total:,} rows written to {r.table}; gaps of not-eligible enterprises ({r.gaps.num_rows:,} rows) "
              f"in {r.gap_table}")
    _run_line(r.run)


def _print_check(r) -> None:
    from zhizao.policy.results import VERDICT_LABELS, VERDICTS

    p = r.policy
    where = f" — {r.region}" if r.region else ""
    if r.total == 0 and r.outside:
        out.print(f"{r.year} {p.name_zh} ({p.id} {p.version}): 适用地区 applies in {r.applies}; none of the "
                  f"{r.outside:,} enterprises{' of ' + r.region if r.region else ''} is there — nothing to evaluate",
                  highlight=False)
        return
    t = RichTable(title=f"{r.year} {p.name_zh} {p.name_en} ({p.id} {p.version}){where}"
                  + (f" — {SYNTHETIC_NOTE}" if r.synthetic else ""))
    t.add_column("结论 verdict")
    t.add_column("企业 firms", justify="right")
    t.add_column("占比 share", justify="right")
    n = max(r.total, 1)
    for v in VERDICTS:
        t.add_row(VERDICT_LABELS[v], f"{r.counts[v]:,}", f"{r.counts[v] / n:.1%}")
    t.add_row("合计 total", f"{r.total:,}", "")
    out.print(t)
    if not p.national:
        line = f"适用地区 applies in: {r.applies}"
        if r.outside:
            line += f"; {r.outside:,} enterprises elsewhere are not evaluated (不适用)"
        out.print(line, highlight=False)
    eligible = r.counts["eligible"]
    if p.benefit is None and eligible:
        out.print(f"无资金兑现 no money attached: {eligible:,} enterprises qualify for the status "
                  "(认定), the policy file states no amount")
    elif p.benefit is not None and eligible:
        if p.benefit.kind == "charge":   # benefit_yuan < 0: what they pay
            line = f"加收金额 charged: {-r.eligible_amount:,.0f} 元 yuan from {eligible:,} enterprises"
        else:
            line = f"兑现金额 benefit: {r.eligible_amount:,.0f} 元 yuan to {eligible:,} eligible enterprises"
        if r.within_budget_firms is not None:
            line += (f"; within the budget: {r.within_budget_firms:,} firms, "
                     f"{r.within_budget_amount:,.0f} 元")
        out.print(line)
    if r.failing:
        rt = RichTable(title="未满足的条款 failing rules (among not eligible / unknown)")
        for c in ("规则 rule", "名称 name", "不满足 false", "无法判定 unknown", "可改变 changeable", "依据 source"):
            rt.add_column(c, justify="right" if c.startswith(("不满足", "无法")) else "left")
        for x in r.failing:
            rt.add_row(x.rule_id, x.name_zh, f"{x.false:,}", f"{x.unknown:,}", "✓" if x.changeable else "✗", x.source)
        out.print(rt)
    if r.missing_top:
        out.print("缺失最多的数据 most often missing: "
                  + ", ".join(f"{k} ({n:,})" for k, n in r.missing_top), highlight=False)
    if r.gaps.num_rows:
        out.print(f"差距 gap: {r.gap_near:,} not-eligible enterprises fail no floor condition they cannot change; "
                  f"{r.gap_fixed:,} fail one (`zhizao policy explain {p.id} USCC` for one enterprise)")


@policy_app.command("explain")
def explain_cmd(
    policy_id: PolicyArg,
    uscc: UsccArg,
    year: YearOption = None,
    lang: LangOption = "zh",
    library: LibraryOption = None,
    db: DbOption = None,
) -> None:
    """Explain one enterprise's verdict: every rule with its inputs, threshold, pass/fail and clause;
    the derived variables and points; and, when it fails, the smallest changes that would make it
    qualify and the failed rules it cannot change."""
    from zhizao.policy.explain import render
    from zhizao.policy.gap import render_gap
    from zhizao.services import policy as svc_policy

    _lang(lang)
    with service(db, read_only=True) as svc:
        r = svc_policy.explain(svc, policy_id, uscc, year=year, library_path=library)
    zh = lang == "zh"
    out.print(render(r.tree, lang=lang), highlight=False)
    out.print(("所在区县：" if zh else "County: ") + r.region, highlight=False)
    if not r.applies:
        out.print((f"注意：本政策适用于 {r.applies_to}，该企业不在适用地区（仅供参考）" if zh else
                   f"Note: the policy applies in {r.applies_to}; the enterprise is not there (for reference only)"),
                  highlight=False)
    if r.gap is not None:
        out.print("")
        out.print(render_gap(r.gap, lang=lang), highlight=False)


@policy_app.command("push")
def push_cmd(
    policy_id: PolicyArg,
    out_path: Annotated[Path, typer.Option("--out", help="The XLSX file to write (the 免申即享 list).")],
    year: YearOption = None,
    region: RegionOption = None,
    library: LibraryOption = None,
    db: DbOption = None,
) -> None:
    """Write the 免申即享 push list: every enterprise eligible for the policy without applying (where
    it applies), with its route, score, amount and budget rank, as an XLSX workbook with Chinese headers.

    Also writes result_policy_<id> (the evaluation table).
    """
    from zhizao.report.policy_xlsx import write_push_xlsx
    from zhizao.services import policy as svc_policy

    with service(db) as svc:
        r = svc_policy.push(svc, policy_id, year=year, library_path=library, region=region)
    p = r.policy
    try:
        write_push_xlsx(r.eligible, out_path, policy=p, year=r.year, synthetic=r.synthetic)
    except OSError as e:
        fail(f"cannot write {out_path}: {e}")
    n = r.eligible.num_rows
    line = (f"{r.year} {p.name_zh} 免申即享: {n:,} enterprises"
            + (f", {r.amount:,.0f} 元 yuan" if p.benefit is not None else ""))
    if r.within_budget_firms is not None and n:
        line += (f"; within the {p.budget.total:,.0f} 元 budget: {r.within_budget_firms:,} enterprises, "
                 f"{r.within_budget_amount:,.0f} 元")
    out.print(line + (f" ({SYNTHETIC_NOTE})" if r.synthetic else ""))
    out.print(f"已写出 written: {out_path}")
    _run_line(r.run)


def package_cmd(
    uscc: UsccArg,
    year: YearOption = None,
    lang: LangOption = "zh",
    out_path: Annotated[Optional[Path], typer.Option("--out", help="The HTML file to write. Default: "
                                                     "policy-package-<USCC>-<year>.html in the current folder.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF next to the HTML (needs WeasyPrint and a "
                                      "CJK font; otherwise says what is missing and exits 1).")] = False,
    library: LibraryOption = None,
    db: DbOption = None,
) -> None:
    """The enterprise's policy service package (政策服务包): every policy that applies where it is,
    with the amount and the clauses it rests on for those it qualifies for, the gap to qualify for
    those it nearly qualifies for, the data or the run the others need — and, apart, the policies of
    other regions — as an HTML page (Chinese, or English with --lang en).

    Writes the package's rows to result_policy_package (one row per policy; earlier rows of the
    same enterprise and year are replaced).
    """
    from zhizao.errors import Unavailable
    from zhizao.report.policy_package import render_html, write_pdf
    from zhizao.services import policy as svc_policy

    _lang(lang)
    with service(db) as svc, progress_bar("政策服务包 package") as cb:
        pkg = svc_policy.package(svc, uscc, year=year, library_path=library, store=True, progress=cb)
    html = render_html(pkg, lang=lang)
    path = out_path or Path(f"policy-package-{uscc}-{pkg.year}.html")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as e:
        fail(f"cannot write {path}: {e}")
    _print_package(pkg, lang)
    out.print(f"已写出 written: {path}; rows in result_policy_package")
    _run_line(pkg.run)
    if pdf:
        try:
            pdf_path = write_pdf(html, path.with_suffix(".pdf"))
        except Unavailable as e:
            err.print(f"[yellow]{e.en}[/yellow]", highlight=False)
            raise typer.Exit(1) from None
        out.print(f"已写出 written: {pdf_path}")


_SECTION_LABELS = {"qualified": "符合 eligible", "near": "接近 near", "unknown": "待补数据 unknown",
                   "needs_run": "待计算 needs a run", "out": "不符合 out", "other_region": "其他地区 elsewhere",
                   "errors": "未评估 not evaluated"}


def _print_package(pkg, lang: str) -> None:
    from zhizao.policy.explain import VERDICT_EN, VERDICT_ZH
    from zhizao.policy.results import SECTIONS

    zh = lang == "zh"
    t = RichTable(title=f"{pkg.year} 政策服务包 policy package — {pkg.name} ({pkg.uscc}, {pkg.region})"
                  + (f" — {SYNTHETIC_NOTE}" if pkg.synthetic else ""))
    for c in ("政策 policy", "结论 verdict", "途径 route", "金额 amount (元)", "说明 note"):
        t.add_column(c, justify="right" if c.startswith("金额") else "left")
    for section in SECTIONS:
        if section == "other_region":
            continue
        for e in pkg.sections[section]:
            note = ""
            if section == "near":
                n = len(e.gap["floor"]) + (1 if e.gap["routes"] else 0)
                note = f"{n} 项差距 gap item(s)"
            elif section == "unknown":
                note = ", ".join(e.missing) or ", ".join(e.conflict)
            elif section == "out":
                note = ("不适用：未被加收" if zh else "not charged") if e.charge else \
                    "、".join(f["name_zh"] if zh else f["name_en"] for f in e.fixed)
            elif section == "needs_run":
                note = f"`{e.command}`"
            elif section == "errors":
                note = (e.message if zh else e.message_en or e.message or "")[:80]
            verdict = (VERDICT_ZH if zh else VERDICT_EN).get(e.verdict, e.verdict) if e.verdict else ""
            t.add_row(f"{e.name_zh} {e.policy_id}", _SECTION_LABELS[section] + (f" / {verdict}" if verdict else ""),
                      (e.route_name_zh if zh else e.route_name_en) or "",
                      _fmt_money(e.amount_yuan) if section == "qualified" else "", note)
    out.print(t)
    out.print(f"可享合计 total: {pkg.total_amount_yuan:,.0f} 元 yuan")
    apart = pkg.sections["other_region"]
    if apart:
        out.print(("其他地区的政策（不适用于本企业所在地，未评估）：" if zh else
                   "Policies of other regions (they do not apply where the enterprise is; not evaluated): ")
                  + "; ".join(f"{e.name_zh} {e.policy_id} ({e.applies_to})" for e in apart), highlight=False)

"""`zhizao policy …` and `zhizao package`: the rules-as-code policy commands.

Shell only (STYLE.md 1.1): each command parses its arguments, calls ``zhizao.policy`` (engine,
explanation, gap-to-qualify) or ``zhizao.report`` (push list, service package), writes the
results as warehouse tables and prints a Rich summary in Chinese and English. Errors go to stderr
with exit 1. ``zhizao.cli`` adds ``policy_app`` as ``zhizao policy`` and ``package_cmd`` as
``zhizao package``.

Tables written: ``result_policy_<id>`` (the evaluation table of one policy and year; ``check``,
``push``), ``result_policy_gap_<id>`` (the gap of every not-eligible enterprise; ``check``),
``result_policy_package`` (one row per enterprise × year × policy; ``package`` replaces the rows of
its enterprise and year and keeps the others).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import SYNTHETIC_NOTE, DbOption, err, fail, has_table, is_synthetic, open_db, out, progress_bar

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

VERDICTS = ("eligible", "not_eligible", "unknown", "conflict")
VERDICT_LABELS = {"eligible": "符合 eligible", "not_eligible": "不符合 not eligible",
                  "unknown": "无法判定 unknown", "conflict": "冲突 conflict"}


# --- helpers ---------------------------------------------------------------------------------
def _library(library: Path | None):
    from zhizao.policy import PolicyError, load_library

    try:
        return load_library(library)
    except (PolicyError, OSError) as e:
        fail(str(e))


def _policy(spec: str, lib, year: int | None = None):
    """A policy by id (from the library, the version valid in ``year``) or by YAML path."""
    from zhizao.policy import PolicyError, load_policy

    try:
        if spec.endswith((".yaml", ".yml")) or Path(spec).is_file():
            return load_policy(spec)
        if spec not in lib:
            known = ", ".join(lib) or "none"
            fail(f"no policy {spec!r} in the library ({lib.directory}); policies: {known}")
        return lib.get(spec, year=year)
    except (PolicyError, OSError) as e:
        fail(str(e))


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        fail(f"--lang {lang!r}: choose zh or en")
    return lang


def _resolve_year(wh, year: int | None) -> int:
    from zhizao.cli._shell import resolve_year

    return resolve_year(wh, year)[0]


def _evaluate(wh, policy, lib, year: int):
    """The policy's evaluation table for ``year`` (pyarrow), with a progress bar."""
    from zhizao.policy import PolicyError, evaluate

    if not policy.covers(year):
        window = f"{policy.valid_from} – {policy.valid_to or '…'}"
        fail(f"policy {policy.id} ({policy.version}) is not valid in {year} (valid {window})")
    with progress_bar(f"政策评估 {policy.id}") as cb:
        cb("evaluate", 0.2)
        try:
            table = evaluate(wh.tables(), policy, year=year, library=lib).to_pyarrow()
        except (PolicyError, ValueError) as e:
            fail(str(e))
        cb("done", 1.0)
    return table


def _known_enterprise(wh, uscc: str) -> None:
    ent = wh.table("enterprises")
    if ent.filter(ent.uscc == uscc).count().to_pyarrow().as_py() == 0:
        fail(f"no enterprise with USCC {uscc} in the warehouse")


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


# --- commands --------------------------------------------------------------------------------
@policy_app.command("list")
def list_cmd(library: LibraryOption = None) -> None:
    """List the policies of the library: id, version, name, issuer, validity, what each requires,
    and whether it pays a benefit; a province variant is marked with the policy it extends."""
    lib = _library(library)
    t = RichTable(title=f"政策库 policy library — {lib.directory} ({len(lib)} policies)")
    for c in ("id", "版本 version", "名称 name", "发文机关 issuer", "有效期 valid", "前置 requires", "兑现 benefit"):
        t.add_column(c)
    for pid in lib:
        for p in lib.versions(pid):
            benefit = "—"
            if p.benefit is not None:
                benefit = str(p.benefit.amount) + (f" (≤ {p.benefit.cap:,.0f})" if p.benefit.cap else "")
            pid_cell = p.id + (f"\n(extends {p.extends})" if p.extends else "")
            t.add_row(pid_cell, p.version, f"{p.name_zh}\n{p.name_en}", p.issuer or "", _window(p),
                      ", ".join(p.required_policies) or "—", benefit)
    out.print(t)


@policy_app.command("show")
def show_cmd(policy_id: PolicyArg, library: LibraryOption = None) -> None:
    """Show one policy: its source, variables, points tables, rules with their clauses and
    exceptions, eligibility routes, benefit, budget, the conditions the data cannot decide, and
    the warehouse columns and policies it depends on. For a province variant (extends), also the
    policy it extends, what it changed, and the file and line of every item (its own or the base's)."""
    from zhizao.policy import PolicyError, dependencies

    lib = _library(library)
    p = _policy(policy_id, lib)
    out.print(f"[bold]{p.name_zh}[/bold] {p.name_en} — {p.id} {p.version}", highlight=False)
    out.print(f"发文机关 issuer: {p.issuer or '—'}; 有效期 valid: {_window(p)}", highlight=False)
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
    try:
        deps = dependencies(p, lib)
    except PolicyError as e:
        fail(str(e))
    out.print(f"依赖 needs columns: {', '.join(deps.columns) or '—'}", highlight=False)
    if deps.policies:
        out.print(f"依赖 needs policies: {', '.join(deps.policies)}", highlight=False)


@policy_app.command("check")
def check_cmd(
    policy_id: PolicyArg,
    year: YearOption = None,
    library: LibraryOption = None,
    db: DbOption = None,
) -> None:
    """Evaluate a policy for every enterprise of a year: counts eligible / not eligible / unknown,
    the rules that fail most, the inputs most often missing, and the enterprises close to
    qualifying.

    Writes result_policy_<id> (the evaluation table) and result_policy_gap_<id> (per not-eligible
    enterprise: each failed threshold with the change needed, the failed rules it cannot change,
    and the points missing on the score route).
    """
    import ibis

    from zhizao.policy.gap import gap_table

    lib = _library(library)
    with open_db(db) as wh:
        year = _resolve_year(wh, year)
        p = _policy(policy_id, lib, year)
        ev = _evaluate(wh, p, lib, year)
        gaps = gap_table(ibis.memtable(ev), p, wh.tables(), year=year).to_pyarrow()
        name = wh.write_result(f"policy_{p.id}", ev)
        gap_name = wh.write_result(f"policy_gap_{p.id}", gaps)
    _print_check(ev, gaps, p, year, is_synthetic(ev))
    out.print(f"{ev.num_rows:,} rows written to {name}; gaps of not-eligible enterprises ({gaps.num_rows:,} rows) "
              f"in {gap_name}")


def _print_check(ev, gaps, p, year: int, synthetic: bool) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = {r["values"]: r["counts"] for r in pc.value_counts(ev.column("verdict")).to_pylist()}
    t = RichTable(title=f"{year} {p.name_zh} {p.name_en} ({p.id} {p.version})"
                  + (f" — {SYNTHETIC_NOTE}" if synthetic else ""))
    t.add_column("结论 verdict")
    t.add_column("企业 firms", justify="right")
    t.add_column("占比 share", justify="right")
    n = max(ev.num_rows, 1)
    for v in VERDICTS:
        t.add_row(VERDICT_LABELS[v], f"{counts.get(v, 0):,}", f"{counts.get(v, 0) / n:.1%}")
    t.add_row("合计 total", f"{ev.num_rows:,}", "")
    out.print(t)
    if p.benefit is None and counts.get("eligible"):
        out.print(f"无资金兑现 no money attached: {counts['eligible']:,} enterprises qualify for the status "
                  "(认定), the policy file states no amount")
    elif "benefit_yuan" in ev.column_names and counts.get("eligible"):
        total = pc.sum(ev.column("benefit_yuan")).as_py() or 0.0
        if p.benefit is not None and p.benefit.kind == "charge":   # benefit_yuan < 0: what they pay
            line = f"加收金额 charged: {-total:,.0f} 元 yuan from {counts['eligible']:,} enterprises"
        else:
            line = f"兑现金额 benefit: {total:,.0f} 元 yuan to {counts['eligible']:,} eligible enterprises"
        if "within_budget" in ev.column_names:
            inside = ev.filter(pc.fill_null(ev.column("within_budget"), False))
            line += (f"; within the budget: {inside.num_rows:,} firms, "
                     f"{pc.sum(inside.column('benefit_yuan')).as_py() or 0.0:,.0f} 元")
        out.print(line)
    # reasons by rule (vectorised per rule column; loop over rules only)
    rt = RichTable(title="未满足的条款 failing rules (among not eligible / unknown)")
    for c in ("规则 rule", "名称 name", "不满足 false", "无法判定 unknown", "可改变 changeable", "依据 source"):
        rt.add_column(c, justify="right" if c.startswith(("不满足", "无法")) else "left")
    not_ok = ev.filter(pc.is_in(ev.column("verdict"), value_set=pa.array(["not_eligible", "unknown"])))
    rows = []
    for r in p.rules:
        col = f"rule_{r.id}"
        if col not in not_ok.column_names:
            continue
        c = not_ok.column(col)
        false = pc.sum(pc.cast(pc.invert(pc.fill_null(c, True)), "int64")).as_py() or 0
        unknown = c.null_count
        if false or unknown:
            rows.append((false, unknown, r))
    for false, unknown, r in sorted(rows, key=lambda x: (-x[0], -x[1], x[2].id)):
        rt.add_row(r.id, r.name_zh or "", f"{false:,}", f"{unknown:,}", "✓" if r.changeable else "✗", r.source)
    if rows:
        out.print(rt)
    missing = ev.column("missing")
    parts = pc.list_flatten(pc.split_pattern(pc.fill_null(missing, ""), ";"))
    parts = parts.filter(pc.not_equal(parts, ""))
    if len(parts):
        top = sorted(pc.value_counts(parts).to_pylist(), key=lambda x: -x["counts"])[:10]
        out.print("缺失最多的数据 most often missing: "
                  + ", ".join(f"{x['values']} ({x['counts']:,})" for x in top), highlight=False)
    if gaps.num_rows:
        blocked = pc.and_(pc.equal(gaps.column("kind"), "fixed"), pc.equal(gaps.column("role"), "floor"))
        fixed = set(gaps.filter(blocked).column("uscc").to_pylist())
        gap_firms = set(gaps.column("uscc").to_pylist())
        near = gap_firms - fixed
        out.print(f"差距 gap: {len(near):,} not-eligible enterprises fail no floor condition they cannot change; "
                  f"{len(fixed):,} fail one (`zhizao policy explain {p.id} USCC` "
                  f"for one enterprise)")


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
    from zhizao.policy import PolicyError
    from zhizao.policy.explain import explain, render
    from zhizao.policy.gap import gap, render_gap

    _lang(lang)
    lib = _library(library)
    with open_db(db) as wh:
        year = _resolve_year(wh, year)
        p = _policy(policy_id, lib, year)
        if not p.covers(year):
            fail(f"policy {p.id} ({p.version}) is not valid in {year} (valid {_window(p)})")
        _known_enterprise(wh, uscc)
        try:
            tree = explain(wh.tables(), p, uscc=uscc, year=year, library=lib)
        except KeyError as e:
            fail(str(e.args[0]) if e.args else str(e))
        except (PolicyError, ValueError) as e:
            fail(str(e))
    out.print(render(tree, lang=lang), highlight=False)
    if tree["verdict"] != "eligible":
        out.print("")
        out.print(render_gap(gap(tree, p), lang=lang), highlight=False)


@policy_app.command("push")
def push_cmd(
    policy_id: PolicyArg,
    out_path: Annotated[Path, typer.Option("--out", help="The XLSX file to write (the 免申即享 list).")],
    year: YearOption = None,
    library: LibraryOption = None,
    db: DbOption = None,
) -> None:
    """Write the 免申即享 push list: every enterprise eligible for the policy without applying, with
    its route, score, amount and budget rank, as an XLSX workbook with Chinese headers.

    Also writes result_policy_<id> (the evaluation table).
    """
    import pyarrow.compute as pc

    from zhizao.report.policy_xlsx import write_push_xlsx

    lib = _library(library)
    with open_db(db) as wh:
        year = _resolve_year(wh, year)
        p = _policy(policy_id, lib, year)
        ev = _evaluate(wh, p, lib, year)
        wh.write_result(f"policy_{p.id}", ev)
    synthetic = is_synthetic(ev)
    eligible = ev.filter(pc.equal(ev.column("verdict"), "eligible"))
    try:
        write_push_xlsx(eligible, out_path, policy=p, year=year, synthetic=synthetic)
    except OSError as e:
        fail(f"cannot write {out_path}: {e}")
    total = pc.sum(eligible.column("benefit_yuan")).as_py() if eligible.num_rows else 0.0
    line = (f"{year} {p.name_zh} 免申即享: {eligible.num_rows:,} enterprises"
            + (f", {total or 0:,.0f} 元 yuan" if p.benefit is not None else ""))
    if "within_budget" in eligible.column_names and eligible.num_rows:
        inside = eligible.filter(pc.fill_null(eligible.column("within_budget"), False))
        line += (f"; within the {p.budget.total:,.0f} 元 budget: {inside.num_rows:,} enterprises, "
                 f"{pc.sum(inside.column('benefit_yuan')).as_py() or 0:,.0f} 元")
    out.print(line + (f" ({SYNTHETIC_NOTE})" if synthetic else ""))
    out.print(f"已写出 written: {out_path}")


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
    """The enterprise's policy service package (政策服务包): every policy it qualifies for with the
    amount and the clauses it rests on, the ones it nearly qualifies for with the gap to qualify,
    the ones that need data it lacks — as an HTML page (Chinese, or English with --lang en).

    Writes the package's rows to result_policy_package (one row per policy; earlier rows of the
    same enterprise and year are replaced).
    """
    from zhizao.report.policy_package import (PdfUnavailable, build_package, package_rows, render_html,
                                              write_pdf)

    _lang(lang)
    lib = _library(library)
    with open_db(db) as wh:
        year = _resolve_year(wh, year)
        _known_enterprise(wh, uscc)
        with progress_bar("政策服务包 package") as cb:
            cb("policies", 0.2)
            try:
                pkg = build_package(wh.tables(), uscc, year=year, library=lib)
            except KeyError as e:
                fail(str(e.args[0]) if e.args else str(e))
            cb("write", 0.9)
            rows = package_rows(pkg)
            _write_package_rows(wh, rows, uscc, year)
            cb("done", 1.0)
    html = render_html(pkg, lang=lang)
    path = out_path or Path(f"policy-package-{uscc}-{year}.html")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as e:
        fail(f"cannot write {path}: {e}")
    _print_package(pkg, lang)
    out.print(f"已写出 written: {path}; rows in result_policy_package")
    if pdf:
        try:
            pdf_path = write_pdf(html, path.with_suffix(".pdf"))
        except PdfUnavailable as e:
            err.print(f"[yellow]{e}[/yellow]", highlight=False)
            raise typer.Exit(1) from None
        out.print(f"已写出 written: {pdf_path}")


def _write_package_rows(wh, rows, uscc: str, year: int) -> None:
    """Replace this enterprise-year's rows of result_policy_package, keeping the others."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if has_table(wh, "result_policy_package"):
        old = wh.con.table("result_policy_package").to_pyarrow()
        if old.schema.names == rows.schema.names:
            keep = old.filter(pc.invert(pc.and_(pc.equal(old.column("uscc"), uscc),
                                                pc.equal(old.column("year"), year))))
            rows = pa.concat_tables([keep.cast(rows.schema), rows])
    wh.write_result("policy_package", rows)


def _print_package(pkg: dict, lang: str) -> None:
    from zhizao.policy.explain import VERDICT_EN, VERDICT_ZH

    zh = lang == "zh"
    t = RichTable(title=f"{pkg['year']} 政策服务包 policy package — {pkg['name']} ({pkg['uscc']})"
                  + (f" — {SYNTHETIC_NOTE}" if pkg["synthetic"] else ""))
    for c in ("政策 policy", "结论 verdict", "途径 route", "金额 amount (元)", "说明 note"):
        t.add_column(c, justify="right" if c.startswith("金额") else "left")
    labels = {"qualified": "符合 eligible", "near": "接近 near", "unknown": "待补数据 unknown", "out": "不符合 out"}
    for section in ("qualified", "near", "unknown", "out"):
        for e in pkg[section]:
            note = ""
            if section == "near":
                n = sum(1 for f in e["gap"]["floor"]) + (1 if e["gap"]["routes"] else 0)
                note = f"{n} 项差距 gap item(s)"
            elif section == "unknown":
                note = ", ".join(e["missing"]) or ", ".join(e["conflict"])
            elif section == "out":
                note = "、".join(f["name_zh"] if zh else f["name_en"] for f in e["fixed"])
            verdict = (VERDICT_ZH if zh else VERDICT_EN).get(e["verdict"], e["verdict"])
            t.add_row(f"{e['name_zh']} {e['policy_id']}", f"{labels[section]} / {verdict}",
                      (e["route_name_zh"] if zh else e["route_name_en"]) or "",
                      _fmt_money(e["amount_yuan"]) if section == "qualified" else "", note)
    for e in pkg["errors"]:
        t.add_row(f"{e['name_zh']} {e['policy_id']}", "未评估 not evaluated", "", "", e["message"][:80])
    out.print(t)
    out.print(f"可享合计 total: {pkg['total_amount_yuan']:,.0f} 元 yuan")

"""`zhizao land …`: the 亩均效益 (per-mu performance) commands.

Shell only: each command parses its arguments, calls one operation of
``zhizao.services.land`` (evaluate, explain, lowland, progress, measures — which compute and store
the results as runs of ``result_land_…`` tables) and prints the result with Rich in Chinese and
English, with the run the figures came from. Domain errors go to stderr with their exit code.
``zhizao.cli`` adds ``land_app`` as ``zhizao land``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import SYNTHETIC_NOTE, DbOption, err, fail, out, progress_bar, service

land_app = typer.Typer(
    name="land",
    help="亩均效益 (per-mu performance, 亩均论英雄): evaluate enterprises into classes A–D, explain a "
         "class, flag low-efficiency land, track redevelopment, and price the differentiated measures.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

MethodOption = Annotated[
    Optional[str],
    typer.Option("--method", help="Method: a shipped id (zhejiang-county-default, linhai-fixed, shandong) or a "
                 "YAML file. Default: zhejiang-county-default."),
]
YearOption = Annotated[
    Optional[int],
    typer.Option("--year", help="Evaluation year. Default: the latest year with indicators in the warehouse."),
]


def _run_line(run, *, computed_note: str | None = None) -> None:
    """The last line under a result: the run its figures came from."""
    if run is not None:
        out.print(f"批次 run: {run.label}", highlight=False)
    elif computed_note:
        out.print(computed_note, highlight=False)


# --- commands --------------------------------------------------------------------------------
@land_app.command("evaluate")
def evaluate_cmd(
    year: YearOption = None,
    method: MethodOption = None,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", help="Also write the year's results as an XLSX "
                                                 "workbook in the layout counties publish.")] = None,
    by_county: Annotated[bool, typer.Option("--by-county", help="In the XLSX, one sheet per county × segment "
                                            "instead of one per segment.")] = False,
    db: DbOption = None,
) -> None:
    """Evaluate every enterprise (亩均效益综合评价) for a year and the years before it.

    Writes the warehouse tables result_land_evaluation (every year evaluated, so consecutive
    years in class can be counted) and result_land_class_rollup (classes by county), and
    prints the class counts by segment for the year.
    """
    from zhizao.services import land

    with service(db) as svc, progress_bar("亩均评价 evaluate") as cb:
        r = land.evaluate(svc, year=year, method=method, progress=cb)
    m = r.method
    t = RichTable(title=f"{r.year} 亩均评价 classes by segment — {m.name_zh}"
                  + (f" ({SYNTHETIC_NOTE})" if r.synthetic else ""))
    t.add_column("分类 segment", no_wrap=True)
    for code, name in r.classes:
        t.add_column(f"{code} {name}", justify="right")
    t.add_column("不定等级 not graded", justify="right")
    t.add_column("合计 total", justify="right")
    for s in r.class_counts:
        t.add_row(f"{s.label} {s.segment}", *(f"{s.counts[c]:,}" for c, _ in r.classes), f"{s.not_graded:,}",
                  f"{s.total:,}")
    out.print(t)
    out.print(f"{r.rows:,} rows ({', '.join(map(str, r.years))}) written to {r.table}; classes by county in "
              f"{r.rollup_table}")
    if xlsx is not None:
        from zhizao.report.land_xlsx import write_land_xlsx

        write_land_xlsx(r.year_table, xlsx, method=m, synthetic=r.synthetic, by_county=by_county)
        out.print(f"XLSX written to {xlsx}")
    _run_line(r.run)


@land_app.command("explain")
def explain_cmd(
    uscc: Annotated[str, typer.Argument(help="The enterprise's 统一社会信用代码 (USCC).")],
    year: YearOption = None,
    method: MethodOption = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the explanation: zh or en.")] = "zh",
    db: DbOption = None,
) -> None:
    """Explain one enterprise's class: each indicator, benchmark and score, and what it would need to
    reach the next class up (差距)."""
    from zhizao.land import render
    from zhizao.services import land

    if lang not in ("zh", "en"):
        fail(f"--lang {lang!r}: choose zh or en")
    with service(db, read_only=True) as svc:
        r = land.explain(svc, uscc, year=year, method=method)
    zh = lang == "zh"
    head, *rest = render(r.explanation, lang=lang).split("\n")
    out.print(head, highlight=False)
    out.print(("所在区县：" if zh else "County: ") + r.region, highlight=False)
    if rest:
        out.print("\n".join(rest), highlight=False)
    if r.gaps:
        _print_gaps(r, zh)
    m = r.method
    _run_line(r.run, computed_note=(
        f"批次 run: 未存储，按方法 {m.id} 即时计算（`zhizao land evaluate --method {m.id}` 可存储）" if zh else
        f"批次 run: none stored, computed now by method {m.id} (`zhizao land evaluate --method {m.id}` stores it)"))


def _print_gaps(r, zh: bool) -> None:
    from zhizao.land import INDICATORS
    from zhizao.land.method import display_value

    t = RichTable(title=(f"升至 {r.next_class} 类所需（单项指标，现行基准值）" if zh else
                         f"To reach class {r.next_class} (one indicator alone, current benchmarks)"))
    for c in (("指标", "现值", "所需值", "增幅", "说明") if zh else
              ("indicator", "current", "needed", "increase", "note")):
        t.add_column(c, justify="right" if c not in ("指标", "说明", "indicator", "note") else "left")
    for g in r.gaps:
        d = INDICATORS.get(g.indicator)
        name = (d.name_zh if zh else d.name_en) if d else g.indicator
        note = g.note if g.reachable or not zh else "单项无法达到（封顶）"
        t.add_row(name, display_value(g.indicator, g.current_value), display_value(g.indicator, g.needed_value),
                  "—" if g.increase_pct is None else f"{g.increase_pct:+.1f}%", note)
    out.print(t)


@land_app.command("lowland")
def lowland_cmd(
    year: YearOption = None,
    method: MethodOption = None,
    rules: Annotated[Optional[Path], typer.Option("--rules", help="Low-efficiency-land rules (YAML). Default: "
                                                  "the shipped Zhejiang rules.")] = None,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", help="Also write the flagged parcels and the area "
                                                 "totals to this XLSX file.")] = None,
    db: DbOption = None,
) -> None:
    """Flag low-efficiency industrial land (低效工业用地) with every reason that applies; totals by county.

    Writes result_land_lowland_flags (parcel × reason), result_land_lowland_parcels (one row per
    flagged parcel) and result_land_lowland_totals (area by county and reason).
    """
    from zhizao.services import land

    with service(db) as svc, progress_bar("低效用地 lowland") as cb:
        r = land.lowland(svc, year=year, method=method, rules=rules, progress=cb)
    t = RichTable(title=f"{r.year} 低效工业用地 low-efficiency land: 亩 (parcels) by county and reason")
    t.add_column("区县 county")
    for reason in r.reasons:
        t.add_column("合计 any" if reason == "any" else r.reason_names[reason], justify="right")
    for c in r.counties:
        t.add_row(c.region, *(f"{c.by_reason[x][0]:,.0f} ({c.by_reason[x][1]:,})" if x in c.by_reason else ""
                              for x in r.reasons))
    out.print(t)
    out.print(f"{r.flagged_parcels:,} flagged parcels written to result_land_lowland_parcels")
    if xlsx is not None:
        from zhizao.report.tables_xlsx import write_tables_xlsx

        write_tables_xlsx(xlsx, {"低效地块 parcels": r.tables["land_lowland_parcels"],
                                 "面积汇总 totals": r.tables["land_lowland_totals"]}, synthetic=r.synthetic)
        out.print(f"XLSX written to {xlsx}")
    if r.evaluation_run is not None:
        out.print(f"评价批次 evaluation run: {r.evaluation_run.label}", highlight=False)
    _run_line(r.run)


@land_app.command("progress")
def progress_cmd(
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Reference date YYYY-MM-DD. Default: today, or "
                                                 "the last change in the status history when it has none this year.")] = None,
    targets: Annotated[Optional[Path], typer.Option("--targets", help="Target plan (YAML). Default: the shipped "
                                                    "Zhejiang plan (50,000 mu redeveloped, 100,000 mu revived).")] = None,
    share: Annotated[Optional[float], typer.Option("--share", min=0.0, max=1.0, help="Scale the targets to this "
                                                   "share of the province (a synthetic province is a fraction "
                                                   "of Zhejiang). Default: the plan file's share.")] = None,
    by_county: Annotated[bool, typer.Option("--by-county", help="Also show the area done per county "
                                            "(result_land_redevelopment_by_county).")] = False,
    db: DbOption = None,
) -> None:
    """Redevelopment (低效用地再开发) and revival (盘活) progress against the area targets, with a
    linear year-end projection.

    Completions are dated by the parcel status history (table parcel_status: the day a parcel was
    redeveloped or revived), counted from 1 January of the --as-of year up to --as-of. Without
    --as-of: today, unless the history has nothing this year — then the day of its last change
    (said in the output), so that a warehouse last updated in an earlier year shows that year. Without
    any history, parcels whose current status is redeveloped/revived are counted as done this year
    (an assumption, stated in the output). Writes result_land_redevelopment_progress and
    result_land_redevelopment_by_county.
    """
    from zhizao.services import land

    with service(db) as svc, progress_bar("再开发 progress") as cb:
        r = land.progress(svc, as_of=as_of, targets=targets, share=share, progress=cb)
    when = r.as_of
    t = RichTable(title=f"低效用地再开发进度 redevelopment progress as of {when.isoformat()} — {r.plan.name_zh}")
    for c in ("目标 target", "目标面积 target (亩)", "已完成 done (亩)", "完成率 share", "年底预计 projected (亩)",
              "按期 on track"):
        t.add_column(c, justify="left" if c.startswith("目标 target") else "right")
    for p in r.targets:
        t.add_row(f"{p.name_zh} {p.target}", f"{p.target_mu:,.0f}", f"{p.done_mu:,.0f}",
                  f"{p.share_of_target:.1%}", f"{p.projected_mu:,.0f}", "✓" if p.on_track else "✗")
    out.print(t)
    if by_county:
        ct = RichTable(title="按区县 by county")
        for c in ("目标 target", "区县 county", "已完成 done (亩)", "地块 parcels"):
            ct.add_column(c, justify="right" if c.startswith(("已完成", "地块")) else "left")
        for c in r.by_county:
            ct.add_row(c.target, c.region, f"{c.done_mu:,.0f}", f"{c.parcels:,}")
        out.print(ct)
    if r.moved_from is not None:
        moved = r.moved_from
        out.print(f"状态历史止于 {when.isoformat()}，{moved.year} 年尚无记录：进度按 {when.year} 年计 / the status "
                  f"history ends on {when.isoformat()} with nothing in {moved.year}: progress is shown as of that "
                  f"day (--as-of {moved.isoformat()} for this year)")
    if r.dated_history:
        out.print(f"按地块状态变更日期计 / dated by the parcel status history (parcel_status), "
                  f"1 January – {when.isoformat()}")
        ids = r.unknown_parcels
        if ids:
            err.print(f"parcel_status: {len(ids):,} parcel id(s) not in parcels, their area is unknown and not "
                      f"counted: {', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}")
    else:
        out.print("无地块状态历史 / no parcel status history (table parcel_status is empty): parcels now "
                  f"redeveloped or revived are counted as done in {when.year} (assumption)")
    if r.plan.share != 1.0:
        out.print(f"targets scaled to {r.plan.share:.2%} of the province")
    _run_line(r.run)


@land_app.command("measures")
def measures_cmd(
    year: YearOption = None,
    method: MethodOption = None,
    db: DbOption = None,
) -> None:
    """Differentiated measures (差别化政策): the surcharge or rebate per enterprise under the method's
    schedule, by class and consecutive years in class, with totals by county and class.

    Writes result_land_measures (per enterprise and rule) and result_land_measure_totals.
    """
    from zhizao.services import land

    with service(db) as svc, progress_bar("差别化措施 measures") as cb:
        r = land.measures(svc, year=year, method=method, progress=cb)
    m = r.method
    if not r.has_schedule:
        with_one = ", ".join(r.methods_with_schedule)
        example = f" (e.g. --method {r.methods_with_schedule[0]})" if r.methods_with_schedule else ""
        out.print(f"方法 {m.id} 没有差别化措施表 / method {m.id} has no measure schedule; "
                  f"methods with one: {with_one or '—'}{example}")
        return
    t = RichTable(title=f"{r.year} 差别化措施 measures — {m.name_zh}")
    for c in ("区县 county", "等级 class", "规则 rule", "企业 firms", "可计算 computable", "用量 use",
              "加价/返还 extra (元 yuan)"):
        t.add_column(c, justify="left" if c.startswith(("区县", "等级", "规则")) else "right")
    for x in r.totals:
        t.add_row(x.region, x.land_class, x.rule_id, f"{x.firms:,}", f"{x.computable_firms:,}",
                  f"{x.resource_use:,.0f}", f"{x.extra_charge_yuan:,.0f}")
    out.print(t)
    out.print(f"合计 total: {r.total_extra_yuan:,.0f} 元 yuan; {r.charge_rows:,} enterprise × rule rows"
              + (f"; {r.not_computable:,} not computable (see not_computable_reason)" if r.not_computable else ""))
    if r.not_computable:
        err.print(f"{r.not_computable:,} rows could not be priced: the resource use is missing or not in the schema")
    if r.evaluation_run is not None:
        out.print(f"评价批次 evaluation run: {r.evaluation_run.label}", highlight=False)
    _run_line(r.run)

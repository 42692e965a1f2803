"""`zhizao land …`: the 亩均效益 (per-mu performance) commands.

Shell only (STYLE.md 1.1): each command parses its arguments, calls ``zhizao.land`` (A: evaluate,
explain; B: low-efficiency land, redevelopment; C: measures, roll-ups), writes the results as
warehouse tables (``result_land_…``) and prints a Rich summary in Chinese and English. Errors
go to stderr with exit 1. ``zhizao.cli`` adds ``land_app`` as ``zhizao land``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import (
    SYNTHETIC_NOTE,
    DbOption,
    err,
    fail,
    has_table,
    is_synthetic,
    open_db,
    out,
    progress_bar,
    resolve_year,
)

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

METHODS_WITH_MEASURES = ("shandong",)


# --- helpers ---------------------------------------------------------------------------------
def _load_method(method: str | None):
    from zhizao.land import DEFAULT_METHOD, MethodError, load_method

    try:
        return load_method(method or DEFAULT_METHOD)
    except (MethodError, OSError) as e:
        fail(str(e))


def _evaluate(wh, method, years: list[int]):
    """The evaluation table of each year the method covers (pyarrow, stacked), with progress."""
    import pyarrow as pa

    from zhizao.land import evaluate

    tables = wh.tables()
    years = [y for y in years if method.covers(y)]
    if not years:
        fail(f"method {method.id} does not cover the years asked")
    parts = []
    with progress_bar("亩均评价 evaluate") as cb:
        for i, y in enumerate(years):
            cb(str(y), i / len(years))
            try:
                parts.append(evaluate(tables, method, year=y).to_pyarrow())
            except ValueError as e:
                fail(str(e))
        cb("done", 1.0)
    return pa.concat_tables(parts, promote_options="default")


def _stored_or_fresh(wh, method, year: int, years: list[int]):
    """The stored ``result_land_evaluation`` when it holds ``year`` under ``method``, else a fresh run."""
    import ibis

    t = wh.con.table("result_land_evaluation") if has_table(wh, "result_land_evaluation") else None
    if t is not None and "method_id" in t.columns:
        stored = t.filter((t.method_id == method.id) & (t.year <= year))
        have = set(stored.select("year").distinct().to_pyarrow().column("year").to_pylist())
        if year in have and set(years) <= have | {y for y in years if not method.covers(y)}:
            return ibis.memtable(stored.drop("method_id").to_pyarrow())
    return ibis.memtable(_evaluate(wh, method, years))


def _with_method_id(table, method):
    import pyarrow as pa

    return table.append_column("method_id", pa.array([method.id] * table.num_rows, pa.string()))


def _print_class_counts(evaluation, method, year: int, synthetic: bool) -> None:
    import pyarrow.compute as pc

    latest = evaluation.select(["year", "segment", "land_class"])
    latest = latest.filter(pc.equal(latest.column("year"), year))
    counted = latest.group_by(["segment", "land_class"]).aggregate([("year", "count")]).to_pylist()
    n = {(r["segment"], r["land_class"]): r["year_count"] for r in counted}
    codes = list(method.classes)
    t = RichTable(title=f"{year} 亩均评价 classes by segment — {method.name_zh}"
                  + (f" ({SYNTHETIC_NOTE})" if synthetic else ""))
    t.add_column("分类 segment", no_wrap=True)
    for c in codes:
        t.add_column(f"{c} {method.classes[c].name_zh}", justify="right")
    t.add_column("不定等级 not graded", justify="right")
    t.add_column("合计 total", justify="right")
    from zhizao.report.land_xlsx import SEGMENT_SHEETS

    for seg in [s for s in SEGMENT_SHEETS if any(k[0] == s for k in n)]:
        counts = [n.get((seg, c), 0) for c in codes]
        total = sum(v for k, v in n.items() if k[0] == seg)
        t.add_row(f"{SEGMENT_SHEETS[seg]} {seg}", *(f"{c:,}" for c in counts), f"{total - sum(counts):,}",
                  f"{total:,}")
    out.print(t)


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
    import ibis

    from zhizao.land.rollups import class_rollup

    m = _load_method(method)
    with open_db(db) as wh:
        year, years = resolve_year(wh, year)
        evaluation = _evaluate(wh, m, years)
        rollup = class_rollup(ibis.memtable(evaluation)).to_pyarrow()
        name = wh.write_result("land_evaluation", _with_method_id(evaluation, m))
        wh.write_result("land_class_rollup", rollup)
    synthetic = is_synthetic(evaluation)
    _print_class_counts(evaluation, m, year, synthetic)
    out.print(f"{evaluation.num_rows:,} rows ({', '.join(map(str, sorted(set(evaluation.column('year').to_pylist()))))}) "
              f"written to {name}; classes by county in result_land_class_rollup")
    if xlsx is not None:
        from zhizao.report.land_xlsx import write_land_xlsx

        this_year = evaluation.filter(_year_mask(evaluation, year))
        write_land_xlsx(this_year, xlsx, method=m, synthetic=synthetic, by_county=by_county)
        out.print(f"XLSX written to {xlsx}")


def _year_mask(table, year: int):
    import pyarrow.compute as pc

    return pc.equal(table.column("year"), year)


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
    from zhizao.land import explain, next_class_gap, render

    if lang not in ("zh", "en"):
        fail(f"--lang {lang!r}: choose zh or en")
    m = _load_method(method)
    with open_db(db) as wh:
        year, _ = resolve_year(wh, year)
        known = wh.table("enterprises")
        if known.filter(known.uscc == uscc).count().to_pyarrow().as_py() == 0:
            fail(f"no enterprise with USCC {uscc} in the warehouse")
        evaluation = _stored_or_fresh(wh, m, year, [year])
        try:
            ex = explain(evaluation, m, uscc=uscc, year=year)
        except (KeyError, LookupError, ValueError) as e:
            fail(str(e.args[0]) if e.args else str(e))
    out.print(render(ex, lang=lang), highlight=False)
    gaps = next_class_gap(ex, m)
    if gaps:
        _print_gaps(gaps, ex, m, lang)


def _print_gaps(gaps, ex, method, lang: str) -> None:
    from zhizao.land import INDICATORS
    from zhizao.land.method import display_value

    zh = lang == "zh"
    codes = list(method.classes)
    up = codes[codes.index(ex.land_class) - 1]
    t = RichTable(title=(f"升至 {up} 类所需（单项指标，现行基准值）" if zh else
                         f"To reach class {up} (one indicator alone, current benchmarks)"))
    for c in (("指标", "现值", "所需值", "增幅", "说明") if zh else
              ("indicator", "current", "needed", "increase", "note")):
        t.add_column(c, justify="right" if c not in ("指标", "说明", "indicator", "note") else "left")
    for g in gaps:
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
    import ibis

    from zhizao.land import lowland

    m = _load_method(method)
    try:
        r = lowland.load_lowland_rules(rules)
    except (OSError, ValueError) as e:
        fail(str(e))
    with open_db(db) as wh:
        year, years = resolve_year(wh, year)
        evaluation = _stored_or_fresh(wh, m, year, years)
        tables = wh.tables()
        with progress_bar("低效用地 lowland") as cb:
            cb("flags", 0.2)
            flags = lowland.flag_parcels(tables["parcels"], evaluation, tables["enterprises"], r, year=year)
            flags_pa = flags.to_pyarrow()
            cb("parcels", 0.5)
            parcels = lowland.lowland_parcels(tables["parcels"], evaluation, tables["enterprises"], r,
                                              year=year).to_pyarrow()
            cb("totals", 0.8)
            totals = lowland.area_totals(ibis.memtable(flags_pa)).to_pyarrow()
            cb("done", 1.0)
        wh.write_result("land_lowland_flags", flags_pa)
        wh.write_result("land_lowland_parcels", parcels)
        wh.write_result("land_lowland_totals", totals)
    _print_lowland(totals, year)
    out.print(f"{parcels.num_rows:,} flagged parcels written to result_land_lowland_parcels")
    if xlsx is not None:
        _write_tables_xlsx(xlsx, {"低效地块 parcels": parcels, "面积汇总 totals": totals},
                           synthetic=is_synthetic(evaluation.to_pyarrow()))
        out.print(f"XLSX written to {xlsx}")


def _print_lowland(totals, year: int) -> None:
    from zhizao.land.lowland import REASON_ZH

    rows = totals.to_pylist()
    reasons = sorted({r["reason"] for r in rows}, key=lambda x: (x == "any", x))
    t = RichTable(title=f"{year} 低效工业用地 low-efficiency land: 亩 (parcels) by county and reason")
    t.add_column("区县 county")
    for reason in reasons:
        t.add_column("合计 any" if reason == "any" else f"{REASON_ZH.get(reason, reason)}", justify="right")
    for county in sorted({r["region_code"] for r in rows}):
        cells = {r["reason"]: r for r in rows if r["region_code"] == county}
        t.add_row(county, *(f"{cells[x]['area_mu']:,.0f} ({cells[x]['parcels']:,})" if x in cells else ""
                            for x in reasons))
    out.print(t)


def _write_tables_xlsx(path: Path, sheets: dict, *, synthetic: bool) -> None:
    """A plain workbook: one sheet per table (English column names), synthetic line on top."""
    from openpyxl import Workbook

    from zhizao.report.land_xlsx import SYNTHETIC_LINE

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        ws = wb.create_sheet(name[:31])
        if synthetic:
            ws.append([SYNTHETIC_LINE])
        ws.append(table.column_names)
        for row in table.to_pylist():
            ws.append([v if isinstance(v, (int, float, str, type(None))) else str(v) for v in row.values()])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


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
    (an assumption, stated in the output). Writes result_land_redevelopment_progress.
    """
    try:
        when = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        fail(f"--as-of {as_of!r}: expected a date such as 2024-06-30")
    import ibis
    import pyarrow as pa

    from zhizao.land import redevelop

    try:
        plan = redevelop.load_targets(targets, share=share)
    except (OSError, ValueError) as e:
        fail(str(e))
    with open_db(db) as wh:
        parcels = wh.table("parcels")
        history = wh.table("parcel_status")
        dated = int(history.count().execute()) > 0
        unknown = None
        moved = None
        if dated and not as_of:
            last = history.changed_on.max().execute()
            last = last.date() if hasattr(last, "date") and callable(last.date) else last
            if last is not None and last < date(when.year, 1, 1):
                moved, when = when, last  # the history stops before this year: report its last year
        with progress_bar("再开发 progress") as cb:
            cb("completions", 0.2)
            if dated:
                done = redevelop.dated_completions(parcels, history)
                unknown = redevelop.unknown_history_parcels(parcels, history).to_pyarrow()
            else:
                done = parcels.select("parcel_id", "region_code", "area_mu", kind=parcels.status,
                                      month=ibis.literal(f"{when.year}-01"))
            parts, county_parts = [], []
            for i, target in enumerate(plan.targets):
                cb(target.id, 0.3 + 0.6 * i / len(plan.targets))
                d = done.filter(done.kind.isin(list(target.statuses)))
                row = redevelop.progress(d, plan.scaled_mu(target.id), as_of=when).to_pyarrow()
                parts.append({"target": target.id, "name_zh": target.name_zh, **row.to_pylist()[0]})
                if by_county:
                    per = d.filter(_in_year(d, when)).group_by("region_code").aggregate(
                        done_mu=d.area_mu.sum(), parcels=d.parcel_id.nunique().cast("int64"))
                    for r in per.order_by(ibis.desc("done_mu")).to_pyarrow().to_pylist():
                        county_parts.append({"target": target.id, **r, "as_of": when})
            cb("done", 1.0)
        result = pa.Table.from_pylist([{**p, "as_of": when, "dated_history": dated} for p in parts])
        wh.write_result("land_redevelopment_progress", result)
        if by_county:
            wh.write_result("land_redevelopment_by_county", pa.Table.from_pylist(county_parts) if county_parts else
                            pa.table({"target": pa.array([], pa.string())}))
    t = RichTable(title=f"低效用地再开发进度 redevelopment progress as of {when.isoformat()} — {plan.name_zh}")
    for c in ("目标 target", "目标面积 target (亩)", "已完成 done (亩)", "完成率 share", "年底预计 projected (亩)",
              "按期 on track"):
        t.add_column(c, justify="left" if c.startswith("目标 target") else "right")
    for p in parts:
        t.add_row(f"{p['name_zh']} {p['target']}", f"{p['target_mu']:,.0f}", f"{p['done_mu']:,.0f}",
                  f"{p['share_of_target']:.1%}", f"{p['projected_mu']:,.0f}", "✓" if p["on_track"] else "✗")
    out.print(t)
    if by_county:
        ct = RichTable(title="按区县 by county")
        for c in ("目标 target", "区县 county", "已完成 done (亩)", "地块 parcels"):
            ct.add_column(c, justify="right" if c.startswith(("已完成", "地块")) else "left")
        for r in county_parts:
            ct.add_row(r["target"], r["region_code"], f"{r['done_mu']:,.0f}", f"{r['parcels']:,}")
        out.print(ct)
    if moved is not None:
        out.print(f"状态历史止于 {when.isoformat()}，{moved.year} 年尚无记录：进度按 {when.year} 年计 / the status "
                  f"history ends on {when.isoformat()} with nothing in {moved.year}: progress is shown as of that "
                  f"day (--as-of {moved.isoformat()} for this year)")
    if dated:
        out.print(f"按地块状态变更日期计 / dated by the parcel status history (parcel_status), "
                  f"1 January – {when.isoformat()}")
        if unknown is not None and unknown.num_rows:
            ids = unknown.column("parcel_id").to_pylist()
            err.print(f"parcel_status: {len(ids):,} parcel id(s) not in parcels, their area is unknown and not "
                      f"counted: {', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}")
    else:
        out.print("无地块状态历史 / no parcel status history (table parcel_status is empty): parcels now "
                  f"redeveloped or revived are counted as done in {when.year} (assumption)")
    if plan.share != 1.0:
        out.print(f"targets scaled to {plan.share:.2%} of the province")


def _in_year(d, when: date):
    if "date" in d.columns:
        return (d.date >= date(when.year, 1, 1)) & (d.date <= when)
    return d.month <= f"{when.year}-{when.month:02d}"


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
    import ibis

    from zhizao.land.measures import apply_schedule, measure_totals

    m = _load_method(method)
    if m.measures is None:
        out.print(f"方法 {m.id} 没有差别化措施表 / method {m.id} has no measure schedule; "
                  f"methods with one: {', '.join(METHODS_WITH_MEASURES)} (e.g. --method shandong)")
        raise typer.Exit(0)
    with open_db(db) as wh:
        year, years = resolve_year(wh, year)
        evaluation = _stored_or_fresh(wh, m, year, years)
        with progress_bar("差别化措施 measures") as cb:
            cb("schedule", 0.3)
            charges = apply_schedule(evaluation, m.measures, year=year)
            charges_pa = charges.to_pyarrow()
            cb("totals", 0.8)
            totals = measure_totals(ibis.memtable(charges_pa)).to_pyarrow()
            cb("done", 1.0)
        wh.write_result("land_measures", charges_pa)
        wh.write_result("land_measure_totals", totals)
    t = RichTable(title=f"{year} 差别化措施 measures — {m.name_zh}")
    for c in ("区县 county", "等级 class", "规则 rule", "企业 firms", "可计算 computable", "用量 use",
              "加价/返还 extra (元 yuan)"):
        t.add_column(c, justify="left" if c.startswith(("区县", "等级", "规则")) else "right")
    for r in totals.to_pylist():
        t.add_row(r["region_code"], r["land_class"], r["rule_id"], f"{r['firms']:,}", f"{r['computable_firms']:,}",
                  f"{r['resource_use'] or 0:,.0f}", f"{r['extra_charge_yuan'] or 0:,.0f}")
    out.print(t)
    total = sum(r["extra_charge_yuan"] or 0 for r in totals.to_pylist())
    not_computable = sum(r["firms"] - r["computable_firms"] for r in totals.to_pylist())
    out.print(f"合计 total: {total:,.0f} 元 yuan; {charges_pa.num_rows:,} enterprise × rule rows"
              + (f"; {not_computable:,} not computable (see not_computable_reason)" if not_computable else ""))
    if not_computable:
        err.print(f"{not_computable:,} rows could not be priced: the resource use is missing or not in the schema")

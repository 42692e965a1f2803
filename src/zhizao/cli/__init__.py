"""`zhizao …` commands: parse arguments, call one core function, write, report.

Shell only (STYLE.md 1.1): every command opens the warehouse, calls the library, prints a
summary with Rich. Errors go to stderr with a non-zero exit.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

import zhizao
from zhizao.cli._shell import SYNTHETIC_NOTE, DbOption, fail, open_db, out, progress_bar

app = typer.Typer(
    name="zhizao",
    help="智造 zhizao: turn a region's enterprise data into manufacturing-policy decisions. "
    "Build or import data into the warehouse, then run the analyses.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
def _version(value: bool) -> None:
    if value:
        out.print(f"zhizao {zhizao.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """智造 zhizao: regional manufacturing-policy platform."""


# ---------------------------------------------------------------------------------------------
@app.command()
def synth(
    enterprises: Annotated[int, typer.Option("--enterprises", "-n", min=100,
                                             help="Number of enterprises to generate.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same province.")] = 20261127,
    province: Annotated[str, typer.Option(help="GB/T 2260 code of the province whose regions are used.")] = "330000",
    years: Annotated[str, typer.Option(help="Comma-separated years of indicators, at least three.")] = "2022,2023,2024",
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Write the tables as Parquet files in this "
                                                    "folder instead of loading them into the warehouse.")] = None,
    calibration_detail: Annotated[bool, typer.Option("--calibration-detail", help="Show every calibration "
                                                     "target, including each cluster, division and "
                                                     "prefecture.")] = False,
    db: DbOption = None,
) -> None:
    """Generate a calibrated synthetic province (合成省份) and load it into the warehouse.

    All enterprises are fictitious and labelled synthetic. The calibration targets and what
    the generated province achieves are printed at the end.
    """
    year_list = _parse_years(years)
    from zhizao.data import synth as synth_mod

    started = time.perf_counter()
    with progress_bar("合成 synth") as cb:
        tables = synth_mod.generate(enterprises=enterprises, seed=seed, province=province,
                                    years=tuple(year_list), progress=cb)
    if out_dir is not None:
        from zhizao.demo import write_synthetic_parquet

        paths = write_synthetic_parquet(tables, out_dir)
        out.print(f"wrote {len(paths)} Parquet files to {out_dir} ({SYNTHETIC_NOTE})")
    else:
        with open_db(db) as wh, progress_bar("写入 load") as cb:
            for i, (name, table) in enumerate(tables.items()):
                cb(name, i / len(tables))
                wh.replace(name, table)
            path = wh.path
        out.print(f"loaded into {path} ({SYNTHETIC_NOTE})")
    _print_counts({k: v.num_rows for k, v in tables.items()}, title="合成省份 synthetic province")
    _print_calibration(synth_mod.calibration_report(tables, synth_mod.load_calibration()),
                       detail=calibration_detail)
    out.print(f"done in {time.perf_counter() - started:.1f} s")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX or "
                                                "Parquet files. Sheet names or headers decide the table.")],
    strict: Annotated[bool, typer.Option(help="Reject a whole file on any error and leave the warehouse "
                                         "unchanged.")] = False,
    table: Annotated[Optional[str], typer.Option(help="Force the target table (enterprises, indicators, "
                                                 "parcels, links, monthly_stats).")] = None,
    errors: Annotated[Optional[Path], typer.Option("--errors", help="Write the rejected rows with their "
                                                   "reasons to this XLSX file.")] = None,
    encoding: Annotated[Optional[str], typer.Option(help="CSV encoding (utf-8, gb18030, gbk) instead of "
                                                    "detecting it.")] = None,
    db: DbOption = None,
) -> None:
    """Validate files and upsert their good rows; every bad row goes to quarantine with its reason.

    Headers may be Chinese or English, with units (元/万元/亿元, 亩/m²/公顷, 吨标准煤/万吨标准煤…),
    which are converted to the canonical unit. Re-importing the same file changes nothing.
    """
    from zhizao.data import ingest

    for f in files:
        if not f.exists():
            fail(f"文件不存在 / file not found: {f}")
    with open_db(db) as wh:
        with progress_bar("导入 import") as cb:
            try:
                report = ingest.import_files(wh, files, strict=strict, table=table, progress=cb,
                                             encoding=encoding)
            except ingest.ImportFailed as e:
                fail(str(e))
        for line in report.summary_lines():
            out.print(line, highlight=False)
        if errors is not None:
            ingest.write_error_report(report.quarantined_rows(wh), errors)
            out.print(f"rejected rows written to {errors}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def template(
    path: Annotated[Path, typer.Argument(help="Where to write the XLSX template.")] = Path("zhizao-template.xlsx"),
) -> None:
    """Write an XLSX template: one sheet per table, Chinese headers with units and a notes row."""
    from zhizao.data import template as template_mod

    template_mod.write_template(path)
    out.print(f"template written to {path}")


@app.command()
def tables(db: DbOption = None) -> None:
    """Show the warehouse's tables and their row counts."""
    from zhizao.data import store

    path = db if db is not None else store.default_db_path()
    if not Path(path).exists():
        fail(f"warehouse {path} does not exist: run `zhizao synth` or `zhizao import` first")
    with store.open_warehouse(path, read_only=True) as wh:
        _print_counts(wh.counts(), title=f"warehouse {path}")


@app.command()
def quarantine(
    file: Annotated[Optional[str], typer.Option("--file", help="Only the rows rejected from this file "
                                                "(its name as shown in the summary).")] = None,
    export: Annotated[Optional[Path], typer.Option("--export", help="Write the rejected rows with their "
                                                   "reasons to this XLSX file.")] = None,
    db: DbOption = None,
) -> None:
    """Show what import rejected: rows kept in quarantine, by file and reason (--export for the rows)."""
    from zhizao.data import ingest, queries, store

    path = db if db is not None else store.default_db_path()
    if not Path(path).exists():
        fail(f"warehouse {path} does not exist: run `zhizao synth` or `zhizao import` first")
    with store.open_warehouse(path, read_only=True) as wh:
        summary = queries.quarantine_summary(wh.table("quarantine"), file=file).to_pyarrow().to_pylist()
        if export is not None:
            rows = queries.quarantine_entries(wh.table("quarantine"), file=file).to_pyarrow()
            ingest.write_error_report(rows, export)
    if not summary:
        out.print("隔离区为空 / quarantine is empty" + (f" for {file}" if file else ""))
        return
    t = RichTable(title="隔离区 quarantine")
    for c in ("文件 file", "工作表 sheet", "表 table", "原因 reason", "行 rows", "条 entries"):
        t.add_column(c, justify="right" if c.startswith(("行", "条")) else "left")
    for r in summary:
        reason = ingest.REASONS.get(r["reason_code"])
        label = f"{r['reason_code']} — {reason.zh} / {reason.en}" if reason else r["reason_code"]
        t.add_row(r["source_file"], r["sheet"], r["target_table"], label, f"{r['rows']:,}", f"{r['entries']:,}")
    out.print(t)
    if export is not None:
        out.print(f"rejected rows written to {export}")


@app.command()
def demo(
    enterprises: Annotated[int, typer.Option("--enterprises", "-n", min=100,
                                             help="Size of the demo province.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic province.")] = 20261127,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's files and results.")] = Path("demo-output"),
    db: Annotated[Optional[Path], typer.Option("--db", help="Warehouse file to build. Default: "
                                               "warehouse.duckdb in the --out folder.")] = None,
) -> None:
    """Build a synthetic demo province, import it, run every analysis, and say where to look.

    Steps: synth → Parquet files → validated import into the warehouse → analyses → summary
    files under --out. The province is synthetic and labelled so everywhere.
    """
    from zhizao import demo as demo_mod
    from zhizao.data.store import WarehouseError

    db_path = db if db is not None else out_dir / "warehouse.duckdb"
    try:
        with progress_bar("演示 demo") as cb:
            result = demo_mod.run_demo(out_dir=out_dir, db_path=db_path, enterprises=enterprises, seed=seed,
                                       progress=cb)
    except WarehouseError as e:
        fail(str(e))
    for line in result.lines:
        out.print(line, highlight=False)


# ---------------------------------------------------------------------------------------------
def _parse_years(text: str) -> list[int]:
    try:
        years = sorted({int(y) for y in text.split(",") if y.strip()})
    except ValueError:
        fail(f"--years {text!r}: expected comma-separated years such as 2022,2023,2024")
    if len(years) < 3 or years != list(range(years[0], years[-1] + 1)):
        fail(f"--years {text!r}: give at least three consecutive years")
    return years


def _print_counts(counts: dict[str, int], *, title: str) -> None:
    from zhizao.data.schema import TABLES

    t = RichTable(title=title)
    t.add_column("表 table")
    t.add_column("名称 name")
    t.add_column("行数 rows", justify="right")
    for name, n in counts.items():
        t.add_row(name, TABLES[name].zh if name in TABLES else "", f"{n:,}")
    out.print(t)


def _print_calibration(rows, *, detail: bool = False) -> None:
    """The province-level calibration rows, plus any missed target; ``detail`` shows all rows."""
    grouped = ("cluster ", "division ", "prefecture ")
    shown = [r for r in rows if detail or not r.name.startswith(grouped) or not r.ok]
    t = RichTable(title=f"校准 calibration — {SYNTHETIC_NOTE}")
    for c in ("指标 figure", "目标 target", "实际 achieved", "", "依据 status"):
        t.add_column(c)
    for r in shown:
        t.add_row(r.name, r.target_text, r.achieved_text, "✓" if r.ok else "✗", r.status)
    out.print(t)
    hidden = len(rows) - len(shown)
    out.print(f"{sum(r.ok for r in rows)}/{len(rows)} calibration targets met"
              + (f" ({hidden} cluster, division and prefecture targets met and not shown; "
                 "--calibration-detail shows them)" if hidden else ""))


def render_cli_reference() -> str:
    """docs/cli.md, generated from the commands' ``--help`` (a test keeps the file current)."""
    command = typer.main.get_command(app)
    context = command.context_class
    parts = ["# zhizao command reference", "",
             "Generated from `zhizao --help` and each command's `--help`; do not edit by hand "
             "(regenerate with `python -c 'from zhizao.cli import render_cli_reference as r; print(r(), end=\"\")' > docs/cli.md`).",
             ""]
    with context(command, info_name="zhizao", terminal_width=100) as ctx:
        parts += ["## zhizao", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
        parts += _command_sections(command, ctx, "zhizao")
    return "\n".join(parts)


def _command_sections(group, ctx, prefix: str) -> list[str]:
    """One section per command, descending into command groups (``zhizao land evaluate``)."""
    parts: list[str] = []
    for name in sorted(group.commands):
        sub = group.commands[name]
        with sub.context_class(sub, info_name=name, parent=ctx, terminal_width=100) as sub_ctx:
            parts += [f"## {prefix} {name}", "", "```text", sub.get_help(sub_ctx).rstrip(), "```", ""]
            if getattr(sub, "commands", None):
                parts += _command_sections(sub, sub_ctx, f"{prefix} {name}")
    return parts


def _add_levers() -> None:
    """Lever command groups; imported last because they reuse this module's helpers."""
    from zhizao.cli.chains import chains_app
    from zhizao.cli.clusters import clusters_app
    from zhizao.cli.land import land_app
    from zhizao.cli.policy import package_cmd, policy_app

    app.add_typer(land_app, name="land")
    app.add_typer(clusters_app, name="clusters")
    app.add_typer(chains_app, name="chains")
    app.add_typer(policy_app, name="policy")
    app.command("package")(package_cmd)


_add_levers()


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

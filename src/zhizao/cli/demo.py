"""`zhizao demo`: build the demo province and run every registered lever (``zhizao.services.demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from zhizao.cli._shell import handled, out, progress_bar


def demo(
    enterprises: Annotated[int, typer.Option("--enterprises", "-n", min=100,
                                             help="Size of the demo province.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic province.")] = 20261127,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's files and results.")] = Path("demo-output"),
    db: Annotated[Optional[Path], typer.Option("--db", help="Warehouse file to build. Default: "
                                               "warehouse.duckdb in the --out folder.")] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="End by serving the platform on "
                                        "--host:--port with one demo login per role (Ctrl-C stops it); "
                                        "`make demo` serves.")] = False,
    host: Annotated[str, typer.Option(help="Address to serve on with --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on with --serve.")] = 8000,
) -> None:
    """Build a synthetic demo province, import it, run every analysis, and say where to look.

    Steps: synth → Parquet files → validated import into the warehouse → every lever's standard
    analyses (each stored as a recorded run) → summary files under --out. The province is
    synthetic and labelled so everywhere.
    """
    from zhizao.report.demo_summary import lines, write_files
    from zhizao.services.demo import run_demo

    db_path = db if db is not None else out_dir / "warehouse.duckdb"
    with handled(), progress_bar("演示 demo") as cb:
        result = run_demo(out_dir=out_dir, db_path=db_path, enterprises=enterprises, seed=seed, progress=cb)
        write_files(result)
    for line in lines(result):
        out.print(line, highlight=False)
    if result.logins:
        out.print("演示账户 demo logins（每个角色一个 one per role）:", highlight=False)
        for lg in result.logins:
            pw = lg.password if lg.password is not None else "(unchanged)"
            out.print(f"  {lg.username:<11} {lg.role:<10} password {pw:<16} sees {lg.sees}", highlight=False)
    if serve:
        from zhizao.cli.serve import serve as serve_cmd

        out.print(f"平台 platform: http://{host}:{port}/  — log in with a demo login above; Ctrl-C stops the server",
                  highlight=False)
        serve_cmd(db=db_path, host=host, port=port, oltp_url=None, disclosure_k=None, disclosure_p=None)

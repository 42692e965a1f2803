"""`zhizao serve`: the web platform (FastAPI app served by uvicorn) over a warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from zhizao.cli._shell import DbOption, handled, out


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    oltp_url: Annotated[Optional[str], typer.Option(
        "--oltp-url", envvar="ZHIZAO_OLTP_URL",
        help="Operational database (accounts, audit log) as a SQLAlchemy URL, e.g. "
        "postgresql://user@host/db. Default: zhizao-oltp.sqlite beside the warehouse.")] = None,
    disclosure_k: Annotated[Optional[int], typer.Option(
        "--disclosure-k", min=1, help="Suppress aggregate cells with fewer enterprises than this (default 3).")] = None,
    disclosure_p: Annotated[Optional[float], typer.Option(
        "--disclosure-p", min=1, max=100,
        help="Suppress aggregate cells where one enterprise holds more than this % (default 85).")] = None,
) -> None:
    """Serve the platform: the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json) and the pages.

    Accounts live in the operational database, migrated at start; add users with
    `zhizao users add`. Ctrl-C stops the server.
    """
    import uvicorn

    from zhizao.settings import Settings
    from zhizao.web.app import create_app

    with handled():
        settings = Settings.from_env(db_path=Path(db) if db else None, oltp_url=oltp_url,
                                     disclosure_k=disclosure_k, disclosure_p=disclosure_p, warm_on_start=True)
        app = create_app(settings)
    out.print(f"zhizao serving {settings.db_path} at http://{host}:{port}/  (Ctrl-C stops)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")

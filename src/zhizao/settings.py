"""Settings of the platform (平台配置): where the warehouse and the operational database are, how
long sessions last, the disclosure-control thresholds, upload limits.

One frozen object, built once by the shell (``zhizao serve``, the tests) from arguments and
``ZHIZAO_*`` environment variables, and passed down; nothing below the shells reads the
environment. Every field has a default that works on a fresh machine.

>>> s = Settings(db_path=Path("/tmp/x/warehouse.duckdb"))
>>> s.oltp_url
'sqlite:////tmp/x/zhizao-oltp.sqlite'
>>> s.disclosure_k, s.disclosure_p
(3, 85.0)
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from zhizao.errors import InvalidInput

__all__ = ["Settings"]


def _default_db() -> Path:
    from zhizao.data.store import default_db_path

    return Path(default_db_path())


@dataclass(frozen=True)
class Settings:
    """Everything ``create_app`` and the account service need to know."""

    #: the DuckDB warehouse the platform reads (``--db``)
    db_path: Path = field(default_factory=_default_db)
    #: the operational database (accounts, audit log, vouchers): SQLAlchemy URL; default a SQLite
    #: file beside the warehouse (``--oltp-url``, ``ZHIZAO_OLTP_URL``)
    oltp_url_: str | None = None
    #: signs nothing by itself (session ids are random and stored hashed) but keys the CSRF
    #: tokens; random per start unless given (``ZHIZAO_SECRET_KEY``)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: a session ends this many seconds after login, or after ``session_idle_s`` without use
    session_ttl_s: int = 8 * 3600
    session_idle_s: int = 3600
    #: API tokens expire after this many days unless created with another lifetime
    token_ttl_days: int = 90
    #: failed logins: after ``login_max_failures`` in ``login_window_s`` for one account or one
    #: address, further attempts are refused for the rest of the window
    login_max_failures: int = 5
    login_window_s: int = 900
    #: cookies carry ``Secure`` (only sent over https); ``None`` = when the request came over https
    cookie_secure: bool | None = None
    #: disclosure control: a cell with fewer than ``k`` enterprises, or one where a single
    #: enterprise holds more than ``p`` % of the value, is suppressed (with secondary suppression)
    disclosure_k: int = 3
    disclosure_p: float = 85.0
    #: uploads: largest file accepted, and where uploaded files are kept while importing
    upload_max_bytes: int = 50 * 1024 * 1024
    upload_dir: Path | None = None
    #: the background pool of long jobs (imports, shock simulations)
    job_workers: int = 2
    job_timeout_s: int = 600
    #: compute every policy's evaluation in the background at start (``zhizao serve``), so that
    #: the first profile does not wait for them
    warm_on_start: bool = False

    def __post_init__(self):
        if self.disclosure_k < 1:
            raise InvalidInput("披露控制阈值 k 至少为 1", "disclosure k must be at least 1", where="disclosure_k")
        if not 0 < self.disclosure_p <= 100:
            raise InvalidInput("披露控制阈值 p 须在 (0, 100] 之间", "disclosure p must be in (0, 100]",
                               where="disclosure_p")

    @property
    def oltp_url(self) -> str:
        """The operational database's URL (a SQLite file beside the warehouse by default)."""
        if self.oltp_url_:
            return self.oltp_url_
        return f"sqlite:///{Path(self.db_path).parent / 'zhizao-oltp.sqlite'}"

    @property
    def uploads(self) -> Path:
        return Path(self.upload_dir) if self.upload_dir else Path(self.db_path).parent / "uploads"

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> Settings:
        """Settings from ``ZHIZAO_DB``, ``ZHIZAO_OLTP_URL``, ``ZHIZAO_SECRET_KEY``,
        ``ZHIZAO_DISCLOSURE_K``, ``ZHIZAO_DISCLOSURE_P``, ``ZHIZAO_UPLOAD_MAX_MB``,
        ``ZHIZAO_SESSION_TTL_S``, ``ZHIZAO_COOKIE_SECURE``; ``overrides`` (not None) win."""
        env = os.environ if env is None else env
        got: dict = {}

        def num(name, key, cast):
            if env.get(name):
                try:
                    got[key] = cast(env[name])
                except ValueError:
                    raise InvalidInput(f"环境变量 {name}={env[name]!r} 不是数字",
                                       f"environment variable {name}={env[name]!r} is not a number",
                                       where=name) from None

        if env.get("ZHIZAO_DB"):
            got["db_path"] = Path(env["ZHIZAO_DB"])
        if env.get("ZHIZAO_OLTP_URL"):
            got["oltp_url_"] = env["ZHIZAO_OLTP_URL"]
        if env.get("ZHIZAO_SECRET_KEY"):
            got["secret_key"] = env["ZHIZAO_SECRET_KEY"]
        num("ZHIZAO_DISCLOSURE_K", "disclosure_k", int)
        num("ZHIZAO_DISCLOSURE_P", "disclosure_p", float)
        num("ZHIZAO_SESSION_TTL_S", "session_ttl_s", int)
        if env.get("ZHIZAO_UPLOAD_MAX_MB"):
            num("ZHIZAO_UPLOAD_MAX_MB", "upload_max_bytes", lambda v: int(float(v) * 1024 * 1024))
        if env.get("ZHIZAO_COOKIE_SECURE"):
            got["cookie_secure"] = env["ZHIZAO_COOKIE_SECURE"].lower() in ("1", "true", "yes")
        got.update({k: v for k, v in overrides.items() if v is not None})
        if "oltp_url" in got:
            got["oltp_url_"] = got.pop("oltp_url")
        return cls(**got)

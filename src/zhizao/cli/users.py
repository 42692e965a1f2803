"""`zhizao users …`: the accounts of the web platform, from the console.

``add``, ``list``, ``disable``, ``enable``, ``reset-password``, ``audit`` and the API-token
subgroup ``users token create | list | revoke``. Each command parses its arguments, calls one
method of ``zhizao.accounts.service.Accounts`` on the operational database (a SQLite file beside
the ``--db`` warehouse unless ``--oltp-url`` names another) and renders the result; domain
errors go to stderr with their exit code (``_shell.handled``). The console operator acts as the
system (no user) and is recorded in the audit log by the machine account's name.
``zhizao.cli`` adds ``users_app`` as ``zhizao users``.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import DbOption, err, handled, out

users_app = typer.Typer(
    name="users",
    help="用户与权限 (accounts of the web platform): add users with a role and a jurisdiction, list, disable "
         "and reset them, manage API tokens, read the audit log. Stored in the operational database "
         "(a SQLite file beside the warehouse, or --oltp-url).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
token_app = typer.Typer(
    name="token",
    help="API tokens (接口令牌) for machine clients: create (shown once), list, revoke.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
users_app.add_typer(token_app, name="token")

OltpOption = Annotated[Optional[str], typer.Option(
    "--oltp-url", help="Operational database: sqlite:///FILE or postgresql://USER@HOST/DB. Default: "
    "$ZHIZAO_OLTP_URL, else zhizao-oltp.sqlite beside the warehouse.", envvar="ZHIZAO_OLTP_URL", show_envvar=False)]
UserArg = Annotated[str, typer.Argument(help="The username (case does not matter).")]
PasswordOption = Annotated[Optional[str], typer.Option(
    "--password", help="The password (at least 8 characters). Default: asked for twice, not echoed "
    "(preferable: a password on the command line stays in the shell history).")]


def _operator() -> str:
    """Who runs the command, for the audit log's user agent."""
    try:
        return f"zhizao-cli ({getpass.getuser()})"
    except Exception:  # no login name (a container without a passwd entry)
        return "zhizao-cli"


@contextmanager
def _accounts(db: Path | None, oltp_url: str | None) -> Iterator:
    """The account service on the operational database of ``--db`` / ``--oltp-url``, migrated,
    its domain errors handled."""
    from zhizao.accounts.service import Accounts
    from zhizao.settings import Settings

    with handled():
        settings = Settings.from_env(db_path=db, oltp_url=oltp_url)
        acc = Accounts.open(settings)
        try:
            yield acc
        finally:
            acc.close()


def _password(given: str | None, prompt: str) -> str:
    if given is not None:
        return given
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True)


def _when(t: datetime | None) -> str:
    return "—" if t is None else t.strftime("%Y-%m-%d %H:%M UTC")


def _role(role: str) -> str:
    from zhizao.accounts.service import ROLES

    zh, en = ROLES.get(role, (role, role))
    return f"{zh} {role}"


def _binding(u) -> str:
    if u.jurisdiction:
        return " ".join(u.jurisdiction)
    return u.uscc or u.provider_id or "—"


def add(
    username: UserArg,
    role: Annotated[str, typer.Option("--role", help="admin, official (政府用户), enterprise (企业用户), provider "
                                      "(服务机构) or auditor (审计员).")],
    jurisdiction: Annotated[Optional[list[str]], typer.Option(
        "--jurisdiction", help="GB/T 2260 code of the region an official or auditor is bound to: a province "
        "(330000), prefecture (330500) or county (330502); repeat it for a development zone's counties.")] = None,
    uscc: Annotated[Optional[str], typer.Option("--uscc", help="The 统一社会信用代码 an enterprise account is "
                                                "bound to.")] = None,
    provider_id: Annotated[Optional[str], typer.Option("--provider-id", help="A service provider's id "
                                                       "(optional).")] = None,
    display_name: Annotated[Optional[str], typer.Option("--display-name", help="The name shown for the "
                                                        "user.")] = None,
    password: PasswordOption = None,
    db: DbOption = None,
    oltp_url: OltpOption = None,
) -> None:
    """Add a user with a role: officials and auditors need --jurisdiction, enterprises --uscc."""
    secret = _password(password, "密码 password")
    with _accounts(db, oltp_url) as acc:
        u = acc.add_user(username, secret, role, display_name=display_name, jurisdiction=jurisdiction or (),
                         uscc=uscc, provider_id=provider_id, user_agent=_operator())
    out.print(f"用户已添加 / user added: {u.username} ({_role(u.role)}); "
              f"可见范围 scope: {u.scope.describe('zh')} / {u.scope.describe('en')}", highlight=False)


def list_(db: DbOption = None, oltp_url: OltpOption = None) -> None:
    """List the users: role, jurisdiction or USCC, what each may see, active or disabled."""
    with _accounts(db, oltp_url) as acc:
        users = acc.list_users()
    if not users:
        out.print("还没有用户 / no users yet (zhizao users add)")
        return
    t = RichTable(title="用户 users")
    for c in ("用户名 username", "名称 name", "角色 role", "辖区/企业 bound to", "可见范围 scope", "状态 status",
              "创建 created"):
        t.add_column(c)
    for u in users:
        t.add_row(u.username, u.display_name or "—", _role(u.role), _binding(u), u.scope.describe("zh"),
                  "停用 disabled" if u.disabled else "启用 active", _when(u.created_at))
    out.print(t)


def disable(username: UserArg, db: DbOption = None, oltp_url: OltpOption = None) -> None:
    """Disable a user: its sessions end and its API tokens are revoked."""
    with _accounts(db, oltp_url) as acc:
        u = acc.disable_user(username, user_agent=_operator())
    out.print(f"用户已停用 / user disabled: {u.username} (会话已结束、令牌已吊销 sessions ended, tokens revoked)")


def enable(username: UserArg, db: DbOption = None, oltp_url: OltpOption = None) -> None:
    """Enable a disabled user again (its old sessions and tokens stay ended)."""
    with _accounts(db, oltp_url) as acc:
        u = acc.enable_user(username, user_agent=_operator())
    out.print(f"用户已启用 / user enabled: {u.username}")


def reset_password(username: UserArg, password: PasswordOption = None, db: DbOption = None,
                   oltp_url: OltpOption = None) -> None:
    """Set a user's password; all its sessions end."""
    secret = _password(password, f"{username} 的新密码 new password")
    with _accounts(db, oltp_url) as acc:
        u = acc.reset_password(username, secret, user_agent=_operator())
    out.print(f"密码已重置 / password reset: {u.username} (会话已结束 sessions ended)")


def audit(
    action: Annotated[Optional[str], typer.Option("--action", help="Only this action (login, login_failed, "
                                                  "user_add, token_create, export …).")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Only what this user did.")] = None,
    since: Annotated[Optional[datetime], typer.Option("--since", help="Only events at or after this UTC time "
                                                      "(2025-01-31 or 2025-01-31T08:00:00).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many events.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many of the newest events.")] = 0,
    db: DbOption = None,
    oltp_url: OltpOption = None,
) -> None:
    """Show the audit log (审计日志), newest first: who did what, to which object, when, from where."""
    import json

    with _accounts(db, oltp_url) as acc:
        entries = acc.list_audit(action=action, username=user, since=since, limit=limit, offset=offset)
    if not entries:
        out.print("没有审计事件 / no audit events")
        return
    t = RichTable(title="审计日志 audit log")
    for c in ("时间 at", "用户 user", "操作 action", "对象 object", "详情 detail", "来源 from"):
        t.add_column(c)
    for e in entries:
        t.add_row(_when(e.at), e.username or "—", e.action, e.object or "—",
                  " ".join(f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
                           for k, v in e.detail.items()) if e.detail else "—",
                  " ".join(x for x in (e.ip, e.user_agent) if x) or "—")
    out.print(t)


# --- tokens -------------------------------------------------------------------------------------
@token_app.command("create")
def token_create(
    username: UserArg,
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in the list).")],
    days: Annotated[Optional[int], typer.Option("--days", min=1, max=3650, help="Lifetime in days. Default: "
                                                "the platform's token lifetime (90).")] = None,
    db: DbOption = None,
    oltp_url: OltpOption = None,
) -> None:
    """Create an API token for a user; the token is printed once and cannot be shown again."""
    with _accounts(db, oltp_url) as acc:
        plaintext, info = acc.create_token(username, name, days=days, user_agent=_operator())
    err.print(f"接口令牌 #{info.id} ({info.name}) for {info.username}, expires {_when(info.expires_at)}. "
              "只显示这一次 / shown only once — store it now:", highlight=False)
    out.print(plaintext, markup=False, highlight=False)


@token_app.command("list")
def token_list(username: UserArg, db: DbOption = None, oltp_url: OltpOption = None) -> None:
    """List a user's API tokens (prefix, name, dates; never the token itself)."""
    with _accounts(db, oltp_url) as acc:
        tokens = acc.list_tokens(username)
        now = acc.now()
    if not tokens:
        out.print(f"{username} 没有接口令牌 / no API tokens")
        return
    t = RichTable(title=f"接口令牌 API tokens: {tokens[0].username}")
    for c in ("编号 id", "前缀 prefix", "名称 name", "创建 created", "到期 expires", "最近使用 last used", "状态 status"):
        t.add_column(c, justify="right" if c.startswith("编号") else "left")
    for k in tokens:
        status = ("已吊销 revoked " + _when(k.revoked_at) if k.revoked_at else
                  "有效 active" if k.active(now) else "已过期 expired")
        t.add_row(str(k.id), k.prefix + "…", k.name, _when(k.created_at), _when(k.expires_at), _when(k.last_used_at),
                  status)
    out.print(t)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `zhizao users token list`).")],
    db: DbOption = None,
    oltp_url: OltpOption = None,
) -> None:
    """Revoke an API token: it stops working at once."""
    with _accounts(db, oltp_url) as acc:
        info = acc.revoke_token(token_id, user_agent=_operator())
    out.print(f"令牌已吊销 / token revoked: #{info.id} {info.prefix}… ({info.name}, {info.username})")


users_app.command("add")(add)
users_app.command("list")(list_)
users_app.command("disable")(disable)
users_app.command("enable")(enable)
users_app.command("reset-password")(reset_password)
users_app.command("audit")(audit)

__all__ = ["token_app", "users_app"]

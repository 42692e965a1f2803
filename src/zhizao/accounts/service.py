"""The account service (账户服务): users and roles, logins and sessions, API tokens, failed-login
throttling and the audit log, on the operational database.

``Accounts`` takes and returns plain values (frozen dataclasses: ``UserInfo``, ``LoginResult``,
``TokenInfo``, ``AuditEntry``); no ORM object leaves it. Every change is written together with
its audit event, in one transaction. Errors are ``zhizao.errors``: a wrong username or password
→ ``Unauthorized`` (one message for both), too many failures → ``Throttled``, a role that may
not do something → ``Forbidden``, a bad value → ``InvalidInput``, a taken username →
``Conflict``, an unknown user or token → ``NotFound``.

Roles (角色): ``admin`` 管理员 (everything), ``official`` 政府用户 (a jurisdiction: GB/T 2260
codes), ``enterprise`` 企业用户 (its USCC), ``provider`` 服务机构 (service provider), ``auditor``
审计员 (reads its jurisdiction and the audit log, changes nothing). What each may see is
``UserInfo.scope`` (``zhizao.accounts.scope``).

Credentials: passwords are argon2id hashes; a session token (``secrets.token_urlsafe(32)``) and
an API token (``zz_…``) are given out once and stored only as their SHA-256; each session has
its own CSRF token. An ``actor`` of ``None`` is the operator at the console (``zhizao users``),
who may do everything.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from zhizao.accounts import passwords
from zhizao.accounts.db import make_engine, migrate, session_factory
from zhizao.accounts.models import ApiToken, AuditEvent, LoginAttempt, Session, User, utc
from zhizao.accounts.scope import Scope, jurisdiction_prefixes
from zhizao.errors import Conflict, Forbidden, InvalidInput, NotFound, Throttled, Unauthorized
from zhizao.settings import Settings

__all__ = ["ROLES", "Accounts", "AuditEntry", "LoginResult", "TokenInfo", "UserInfo"]

#: role → (Chinese, English)
ROLES: dict[str, tuple[str, str]] = {
    "admin": ("管理员", "administrator"),
    "official": ("政府用户", "official"),
    "enterprise": ("企业用户", "enterprise"),
    "provider": ("服务机构", "service provider"),
    "auditor": ("审计员", "auditor"),
}
#: the prefix of every API token (recognisable in logs and secret scanners)
TOKEN_PREFIX = "zz_"
#: last_seen_at / last_used_at are written at most this often (seconds)
TOUCH_EVERY_S = 60
_USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,64}$")


# --- plain values ------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserInfo:
    """A user as the rest of the platform sees it (never the password hash)."""

    id: int
    username: str
    display_name: str | None
    role: str
    jurisdiction: tuple[str, ...]
    uscc: str | None
    provider_id: str | None
    disabled: bool
    created_at: datetime

    @property
    def scope(self) -> Scope:
        """What this user may see of the warehouse (deny by default)."""
        return Scope.for_user(self.role, jurisdiction=self.jurisdiction, uscc=self.uscc)

    @property
    def read_only(self) -> bool:
        """An auditor changes nothing."""
        return self.role == "auditor"


@dataclass(frozen=True)
class LoginResult:
    """A successful login: the session token for the cookie (shown once) and its CSRF token."""

    user: UserInfo
    session_token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """An API token without its secret: the prefix identifies it."""

    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class AuditEntry:
    """One audit event: who (``None`` for anonymous or the console), what, on which object, when,
    from where."""

    id: int
    at: datetime
    user_id: int | None
    username: str | None
    action: str
    object: str | None
    detail: dict | None
    ip: str | None
    user_agent: str | None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _user_info(u: User) -> UserInfo:
    return UserInfo(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                    jurisdiction=tuple(u.jurisdiction or ()), uscc=u.uscc, provider_id=u.provider_id,
                    disabled=bool(u.disabled), created_at=u.created_at)


def _token_info(t: ApiToken, username: str) -> TokenInfo:
    return TokenInfo(id=t.id, username=username, name=t.name, prefix=t.prefix, created_at=t.created_at,
                     expires_at=t.expires_at, last_used_at=t.last_used_at, revoked_at=t.revoked_at)


def _audit_entry(e: AuditEvent) -> AuditEntry:
    return AuditEntry(id=e.id, at=e.at, user_id=e.user_id, username=e.username, action=e.action, object=e.object,
                      detail=e.detail, ip=e.ip, user_agent=e.user_agent)


def _clip(text: str | None, n: int) -> str | None:
    return None if text is None else str(text)[:n]


def _plain_json(detail: Any) -> dict | None:
    """``detail`` as plain JSON (dates and other objects as text); a non-mapping goes under
    ``value``."""
    if detail is None:
        return None
    if not isinstance(detail, dict):
        detail = {"value": detail}
    return json.loads(json.dumps(detail, default=str, ensure_ascii=False))


def normalize_username(username: str) -> str:
    """A username as stored: stripped, lower case; ``InvalidInput`` unless 1–64 characters
    without spaces or control characters."""
    name = str(username or "").strip().lower()
    if not _USERNAME.match(name):
        raise InvalidInput(f"用户名 {username!r} 无效：须为 1–64 个字符，不含空格或控制字符",
                           f"username {username!r} is not valid: 1–64 characters without spaces or control "
                           "characters", where="username")
    return name


class Accounts:
    """Users, sessions, tokens, throttling and the audit log on one operational database.

    ``Accounts(settings)`` builds an engine on ``settings.oltp_url`` (or uses ``engine``) but
    does not migrate; ``Accounts.open(settings)`` also brings the schema up to date. ``clock``
    returns the current aware UTC time (tests move it); ``hasher`` is the argon2id hasher
    (argon2-cffi's defaults unless given — tests give a cheap one).
    """

    def __init__(self, settings: Settings, engine: Engine | None = None,
                 clock: Callable[[], datetime] | None = None,
                 hasher: passwords.PasswordHasher | None = None):
        self.settings = settings
        self._owns_engine = engine is None
        self.engine = engine if engine is not None else make_engine(settings.oltp_url)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.hasher = hasher or passwords.default_hasher()
        self._sessions = session_factory(self.engine)

    @classmethod
    def open(cls, settings: Settings, *, engine: Engine | None = None,
             clock: Callable[[], datetime] | None = None,
             hasher: passwords.PasswordHasher | None = None) -> Accounts:
        """The account service on ``settings.oltp_url`` (or ``engine``), migrated to the newest
        schema."""
        acc = cls(settings, engine=engine, clock=clock, hasher=hasher)
        try:
            migrate(acc.engine)
        except BaseException:
            acc.close()
            raise
        return acc

    def close(self) -> None:
        """Release the engine's connections (when this object made the engine)."""
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------
    def now(self) -> datetime:
        return utc(self._clock())

    @contextmanager
    def _tx(self) -> Iterator[OrmSession]:
        """One transaction: committed when the block ends normally, rolled back otherwise."""
        with self._sessions.begin() as s:
            yield s

    def _audit(self, s: OrmSession, action: str, *, actor: UserInfo | None = None, object: str | None = None,
               detail: Any = None, ip: str | None = None, user_agent: str | None = None,
               at: datetime | None = None) -> AuditEvent:
        event = AuditEvent(at=at or self.now(), user_id=actor.id if actor else None,
                           username=actor.username if actor else None, action=str(action)[:64],
                           object=_clip(object, 255), detail=_plain_json(detail), ip=_clip(ip, 64),
                           user_agent=_clip(user_agent, 512))
        s.add(event)
        return event

    @staticmethod
    def _user_row(s: OrmSession, username: str) -> User:
        name = normalize_username(username)
        row = s.scalar(select(User).where(User.username == name))
        if row is None:
            raise NotFound(f"没有用户名为 {name} 的用户", f"no user named {name}", where="username")
        return row

    def _check_actor(self, s: OrmSession, actor: UserInfo | None, what_zh: str, what_en: str, *,
                     owner_id: int | None = None) -> None:
        """``Forbidden`` unless ``actor`` is the console (``None``), an active administrator, or —
        when ``owner_id`` is given — the active owner (an auditor changes nothing but its own
        tokens)."""
        if actor is None:
            return
        row = s.get(User, actor.id)
        if row is None or row.disabled:
            raise Forbidden(f"用户 {actor.username} 不存在或已停用，不能{what_zh}",
                            f"user {actor.username} does not exist or is disabled: cannot {what_en}",
                            where=actor.username)
        if row.role == "admin" or (owner_id is not None and row.id == owner_id):
            return
        raise Forbidden(f"用户 {actor.username}（{ROLES.get(row.role, (row.role,))[0]}）无权{what_zh}，须由管理员操作",
                        f"user {actor.username} ({row.role}) may not {what_en}: only an administrator may",
                        where=actor.username)

    # -- users ----------------------------------------------------------------------------------
    def _validate_user(self, role: str, jurisdiction: Iterable[str], uscc: str | None,
                       provider_id: str | None) -> tuple[tuple[str, ...], str | None, str | None]:
        if role not in ROLES:
            raise InvalidInput(f"角色 {role!r} 无效，应为 {'、'.join(ROLES)} 之一",
                               f"role {role!r} is not valid: expected one of {', '.join(ROLES)}", where="role")
        codes = tuple(dict.fromkeys(str(c).strip() for c in (jurisdiction or ()) if str(c).strip()))
        if role in ("official", "auditor"):
            if not codes:
                zh, en = ROLES[role]
                raise InvalidInput(f"{zh}账户须指定辖区（GB/T 2260 行政区划代码：省、市、县，或开发区所含各县）",
                                   f"an {en} account needs a jurisdiction (GB/T 2260 codes: a province, "
                                   "prefecture or county, or a development zone's counties)", where="jurisdiction")
            jurisdiction_prefixes(codes)  # InvalidInput naming the bad code
        elif codes:
            raise InvalidInput(f"只有政府用户和审计员有辖区，{ROLES[role][0]}账户不能指定辖区",
                               f"only officials and auditors have a jurisdiction, not an {role} account",
                               where="jurisdiction")
        code = None
        if role == "enterprise":
            from zhizao.codes.uscc import check_uscc, normalize_uscc

            if not uscc or not str(uscc).strip():
                raise InvalidInput("企业用户须指定统一社会信用代码", "an enterprise account needs its USCC",
                                   where="uscc")
            reason = check_uscc(uscc)
            if reason is not None:  # "zh / en"
                zh, _, en = reason.partition(" / ")
                raise InvalidInput(f"统一社会信用代码 {uscc} 无效：{zh}", f"USCC {uscc} is not valid: {en or zh}",
                                   where="uscc")
            code = normalize_uscc(uscc)
        elif uscc:
            raise InvalidInput(f"只有企业用户绑定统一社会信用代码，{ROLES[role][0]}账户不能指定",
                               f"only an enterprise account is bound to a USCC, not an {role} account", where="uscc")
        pid = str(provider_id).strip() if provider_id is not None and str(provider_id).strip() else None
        if pid is not None and role != "provider":
            raise InvalidInput(f"只有服务机构账户有服务机构编号，{ROLES[role][0]}账户不能指定",
                               f"only a service-provider account has a provider id, not an {role} account",
                               where="provider_id")
        if pid is not None and len(pid) > 64:
            raise InvalidInput("服务机构编号最多 64 个字符", "the provider id may have at most 64 characters",
                               where="provider_id")
        return codes, code, pid

    def add_user(self, username: str, password: str, role: str, *, display_name: str | None = None,
                 jurisdiction: Iterable[str] = (), uscc: str | None = None, provider_id: str | None = None,
                 actor: UserInfo | None = None, ip: str | None = None, user_agent: str | None = None) -> UserInfo:
        """Create a user. Officials and auditors need a jurisdiction (valid GB/T 2260 codes), an
        enterprise account a valid USCC; a taken username → ``Conflict``; only an administrator
        (or the console) may add users."""
        name = normalize_username(username)
        role = str(role or "").strip().lower()
        codes, code, pid = self._validate_user(role, jurisdiction, uscc, provider_id)
        passwords.check_password(password)
        display = (display_name or "").strip() or None
        if display is not None and len(display) > 200:
            raise InvalidInput("显示名称最多 200 个字符", "the display name may have at most 200 characters",
                               where="display_name")
        password_hash = passwords.hash_password(password, self.hasher)  # slow: outside the transaction
        now = self.now()
        try:
            with self._tx() as s:
                self._check_actor(s, actor, "添加用户", "add users")
                if s.scalar(select(User.id).where(User.username == name)) is not None:
                    raise Conflict(f"用户名 {name} 已存在", f"the username {name} is taken", where="username")
                row = User(username=name, display_name=display, role=role, jurisdiction=list(codes), uscc=code,
                           provider_id=pid, password_hash=password_hash, disabled=False, created_at=now,
                           password_changed_at=now)
                s.add(row)
                s.flush()
                info = _user_info(row)
                self._audit(s, "user_add", actor=actor, object=f"user:{name}", ip=ip, user_agent=user_agent,
                            detail={k: v for k, v in (("role", role), ("jurisdiction", list(codes)), ("uscc", code),
                                                      ("provider_id", pid)) if v})
        except IntegrityError:  # a concurrent add of the same name
            raise Conflict(f"用户名 {name} 已存在", f"the username {name} is taken", where="username") from None
        return info

    def list_users(self) -> list[UserInfo]:
        """Every user, by username."""
        with self._tx() as s:
            return [_user_info(u) for u in s.scalars(select(User).order_by(User.username))]

    def get_user(self, username: str) -> UserInfo:
        """One user by username; ``NotFound`` when there is none."""
        with self._tx() as s:
            return _user_info(self._user_row(s, username))

    def _end_sessions(self, s: OrmSession, user_id: int, now: datetime) -> int:
        result = s.execute(update(Session).where(Session.user_id == user_id, Session.ended_at.is_(None))
                           .values(ended_at=now))
        return result.rowcount or 0

    def disable_user(self, username: str, *, actor: UserInfo | None = None, ip: str | None = None,
                     user_agent: str | None = None) -> UserInfo:
        """Disable a user: all its sessions end and all its API tokens are revoked. The last active
        administrator cannot be disabled (``Conflict``). Disabling a disabled user changes
        nothing."""
        now = self.now()
        with self._tx() as s:
            self._check_actor(s, actor, "停用用户", "disable users")
            row = self._user_row(s, username)
            if row.disabled:
                return _user_info(row)
            if row.role == "admin":
                admins = s.scalar(select(func.count()).select_from(User)
                                  .where(User.role == "admin", User.disabled.is_(False)))
                if admins <= 1:
                    raise Conflict(f"{row.username} 是最后一个启用的管理员，不能停用",
                                   f"{row.username} is the last active administrator and cannot be disabled",
                                   where=row.username)
            row.disabled = True
            ended = self._end_sessions(s, row.id, now)
            revoked = s.execute(update(ApiToken).where(ApiToken.user_id == row.id, ApiToken.revoked_at.is_(None))
                                .values(revoked_at=now)).rowcount or 0
            self._audit(s, "user_disable", actor=actor, object=f"user:{row.username}", ip=ip, user_agent=user_agent,
                        detail={"sessions_ended": ended, "tokens_revoked": revoked}, at=now)
            return _user_info(row)

    def enable_user(self, username: str, *, actor: UserInfo | None = None, ip: str | None = None,
                    user_agent: str | None = None) -> UserInfo:
        """Enable a disabled user again (its old sessions and tokens stay ended)."""
        with self._tx() as s:
            self._check_actor(s, actor, "启用用户", "enable users")
            row = self._user_row(s, username)
            if row.disabled:
                row.disabled = False
                self._audit(s, "user_enable", actor=actor, object=f"user:{row.username}", ip=ip,
                            user_agent=user_agent)
            return _user_info(row)

    def reset_password(self, username: str, new_password: str, *, actor: UserInfo | None = None,
                       ip: str | None = None, user_agent: str | None = None) -> UserInfo:
        """Set a user's password (an administrator, or the console); all its sessions end."""
        passwords.check_password(new_password)
        password_hash = passwords.hash_password(new_password, self.hasher)
        now = self.now()
        with self._tx() as s:
            self._check_actor(s, actor, "重置密码", "reset passwords")
            row = self._user_row(s, username)
            row.password_hash = password_hash
            row.password_changed_at = now
            ended = self._end_sessions(s, row.id, now)
            self._audit(s, "password_reset", actor=actor, object=f"user:{row.username}", ip=ip,
                        user_agent=user_agent, detail={"sessions_ended": ended}, at=now)
            return _user_info(row)

    # -- logins ---------------------------------------------------------------------------------
    def _throttle_check(self, s: OrmSession, name: str, ip: str | None, now: datetime) -> int | None:
        """Seconds until a login for ``name`` from ``ip`` is allowed again, or ``None`` when it is."""
        limit, window = self.settings.login_max_failures, self.settings.login_window_s
        since = now - timedelta(seconds=window)
        wait = 0.0
        keys = [LoginAttempt.username == name] + ([LoginAttempt.ip == ip] if ip else [])
        for key in keys:
            ats = s.scalars(select(LoginAttempt.at).where(key, LoginAttempt.success.is_(False),
                                                          LoginAttempt.at > since)
                            .order_by(LoginAttempt.at.desc()).limit(limit)).all()
            if len(ats) >= limit:  # allowed again when the limit-th most recent failure leaves the window
                wait = max(wait, (ats[limit - 1] + timedelta(seconds=window) - now).total_seconds())
        return max(1, int(wait + 0.999)) if wait > 0 else None

    def _throttled(self, s: OrmSession, name: str, ip: str | None, now: datetime) -> Throttled | None:
        retry = self._throttle_check(s, name, ip, now)
        if retry is None:
            return None
        return Throttled(f"登录失败次数过多（用户 {name} 或地址 {ip or '未知'}），请 {retry} 秒后再试",
                         f"too many failed logins for user {name} or address {ip or 'unknown'}: "
                         f"try again in {retry} s", retry_after=retry, where="login")

    def login(self, username: str, password: str, *, ip: str | None = None,
              user_agent: str | None = None) -> LoginResult:
        """Log in with a password and start a session.

        Throttled first (``Throttled`` with ``retry_after`` after ``login_max_failures`` failures
        within ``login_window_s`` for the username or the address, even with the right password);
        a wrong username or password → ``Unauthorized`` with one message for both; a disabled user
        → ``Unauthorized``. Every attempt is recorded (``login_attempts``) and audited (``login``,
        ``login_failed``, ``login_throttled``); a hash made with older parameters is renewed.
        The password is checked outside any transaction (argon2 takes a while)."""
        try:
            name = normalize_username(username)
        except InvalidInput:
            name = str(username or "").strip().lower()[:64] or "?"
        now = self.now()
        with self._tx() as s:
            throttled = self._throttled(s, name, ip, now)
            if throttled is not None:
                self._audit(s, "login_throttled", object=f"user:{name}", ip=ip, user_agent=user_agent,
                            detail={"retry_after": throttled.retry_after}, at=now)
            else:
                row = s.scalar(select(User).where(User.username == name))
                seen = (row.id, row.password_hash) if row is not None else None
        if throttled is not None:
            raise throttled
        if seen is None:
            passwords.dummy_verify(password, self.hasher)
            ok = False
        else:
            ok = passwords.verify_password(seen[1], password, self.hasher)
        rehashed = (passwords.hash_password(password, self.hasher)
                    if ok and passwords.needs_rehash(seen[1], self.hasher) else None)
        with self._tx() as s:
            row = s.get(User, seen[0]) if seen is not None else None
            if row is None:
                failure = self._failed(s, name, ip, user_agent, now, "unknown_user")
            elif not ok or row.password_hash != seen[1]:  # (changed meanwhile: check again)
                failure = self._failed(s, name, ip, user_agent, now, "bad_password", user_id=row.id)
            elif row.disabled:
                failure = self._failed(s, name, ip, user_agent, now, "disabled", user_id=row.id)
            else:
                if rehashed is not None:
                    row.password_hash = rehashed
                token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                expires = now + timedelta(seconds=self.settings.session_ttl_s)
                s.add(Session(id=_sha256(token), user_id=row.id, csrf_token=csrf, created_at=now,
                              expires_at=expires, last_seen_at=now, ended_at=None, ip=_clip(ip, 64),
                              user_agent=_clip(user_agent, 512)))
                s.add(LoginAttempt(username=name, ip=_clip(ip, 64), at=now, success=True))
                info = _user_info(row)
                self._audit(s, "login", actor=info, object=f"user:{name}", ip=ip, user_agent=user_agent,
                            detail={"session": _sha256(token)[:12], "rehashed": rehashed is not None}, at=now)
                return LoginResult(user=info, session_token=token, csrf_token=csrf, expires_at=expires)
        raise failure  # after the failure was recorded

    def _failed(self, s: OrmSession, name: str, ip: str | None, user_agent: str | None, now: datetime, reason: str,
                *, user_id: int | None = None, via: str = "login") -> Exception:
        s.add(LoginAttempt(username=name, ip=_clip(ip, 64), at=now, success=False))
        self._audit(s, "login_failed", object=f"user:{name}", ip=ip, user_agent=user_agent,
                    detail={"reason": reason, "user_id": user_id, "via": via}, at=now)
        if reason == "disabled":
            return Unauthorized(f"用户 {name} 已停用，请联系管理员", f"the user {name} is disabled: ask an administrator",
                                where="login")
        return Unauthorized("用户名或密码错误", "wrong username or password", where="login")

    def _live_session(self, s: OrmSession, token: str, now: datetime) -> tuple[Session, User] | None:
        if not token or not isinstance(token, str):
            return None
        row = s.get(Session, _sha256(token))
        if row is None or row.ended_at is not None or now >= row.expires_at:
            return None
        if now - row.last_seen_at >= timedelta(seconds=self.settings.session_idle_s):
            return None
        user = s.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        return row, user

    def session_user(self, token: str) -> tuple[UserInfo, str] | None:
        """The user and CSRF token of a live session, or ``None`` (unknown, ended, past its
        absolute or idle expiry, or its user disabled). Marks the session used (at most once a
        minute)."""
        now = self.now()
        with self._tx() as s:
            found = self._live_session(s, token, now)
            if found is None:
                return None
            row, user = found
            if now - row.last_seen_at >= timedelta(seconds=TOUCH_EVERY_S):
                row.last_seen_at = now
            return _user_info(user), row.csrf_token

    def logout(self, token: str, *, ip: str | None = None, user_agent: str | None = None) -> bool:
        """End the session of ``token``; ``False`` when it was not a live session."""
        now = self.now()
        with self._tx() as s:
            found = self._live_session(s, token, now)
            if found is None:
                return False
            row, user = found
            row.ended_at = now
            self._audit(s, "logout", actor=_user_info(user), object=f"user:{user.username}", ip=ip,
                        user_agent=user_agent, detail={"session": row.id[:12]}, at=now)
            return True

    def change_password(self, token_or_user: str | UserInfo, old: str, new: str, *, ip: str | None = None,
                        user_agent: str | None = None) -> UserInfo:
        """A user changes its own password (by session token, or as ``UserInfo``): the old one
        must match (``Unauthorized``, counted as a failed login and throttled like one); all the
        user's sessions end, this one too."""
        passwords.check_password(new, where="new_password")
        if old == new:
            raise InvalidInput("新密码不能与当前密码相同", "the new password must differ from the current one",
                               where="new_password")
        now = self.now()
        with self._tx() as s:
            if isinstance(token_or_user, UserInfo):
                user = s.get(User, token_or_user.id)
                if user is not None and user.disabled:
                    user = None
            else:
                found = self._live_session(s, token_or_user, now)
                user = found[1] if found else None
            if user is None:
                raise Unauthorized("未登录或会话已过期", "not logged in, or the session has expired", where="session")
            throttled = self._throttled(s, user.username, ip, now)
            seen = (user.id, user.username, user.password_hash)
        if throttled is not None:
            raise throttled
        ok = passwords.verify_password(seen[2], old, self.hasher)
        new_hash = passwords.hash_password(new, self.hasher) if ok else None
        with self._tx() as s:
            user = s.get(User, seen[0])
            if not ok or user is None or user.password_hash != seen[2]:
                self._failed(s, seen[1], ip, user_agent, now, "bad_password", user_id=seen[0], via="password_change")
            else:
                user.password_hash = new_hash
                user.password_changed_at = now
                ended = self._end_sessions(s, user.id, now)
                info = _user_info(user)
                self._audit(s, "password_change", actor=info, object=f"user:{user.username}", ip=ip,
                            user_agent=user_agent, detail={"sessions_ended": ended}, at=now)
                return info
        raise Unauthorized("当前密码错误", "the current password is wrong", where="old_password")

    # -- API tokens -----------------------------------------------------------------------------
    def create_token(self, username: str, name: str, *, days: int | None = None, actor: UserInfo | None = None,
                     ip: str | None = None, user_agent: str | None = None) -> tuple[str, TokenInfo]:
        """A new API token for ``username``: ``(plaintext, info)``. The plaintext (``zz_…``) is
        returned only here; it expires after ``days`` (default ``settings.token_ttl_days``). Only
        the user itself or an administrator may create one; not for a disabled user."""
        label = str(name or "").strip()
        if not label or len(label) > 100:
            raise InvalidInput("令牌名称须为 1–100 个字符", "the token name must have 1–100 characters", where="name")
        lifetime = self.settings.token_ttl_days if days is None else days
        if not isinstance(lifetime, int) or not 1 <= lifetime <= 3650:
            raise InvalidInput(f"令牌有效期 {lifetime} 天无效，应为 1–3650 天",
                               f"a token lifetime of {lifetime} days is not valid: 1–3650 days", where="days")
        now = self.now()
        with self._tx() as s:
            row = self._user_row(s, username)
            self._check_actor(s, actor, f"为用户 {row.username} 创建令牌", f"create tokens for {row.username}",
                              owner_id=row.id)
            if row.disabled:
                raise Conflict(f"用户 {row.username} 已停用，不能创建令牌",
                               f"the user {row.username} is disabled: no token can be created", where=row.username)
            plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
            token = ApiToken(user_id=row.id, name=label, token_hash=_sha256(plaintext),
                             prefix=plaintext[:len(TOKEN_PREFIX) + 8], created_at=now,
                             expires_at=now + timedelta(days=lifetime), last_used_at=None, revoked_at=None)
            s.add(token)
            s.flush()
            self._audit(s, "token_create", actor=actor, object=f"token:{token.id}", ip=ip, user_agent=user_agent,
                        detail={"user": row.username, "name": label, "prefix": token.prefix,
                                "expires_at": token.expires_at.isoformat()}, at=now)
            return plaintext, _token_info(token, row.username)

    def token_user(self, plaintext: str) -> UserInfo | None:
        """The user of a valid API token (not revoked, not expired, user not disabled), else
        ``None``; marks the token used (at most once a minute)."""
        if not isinstance(plaintext, str) or not plaintext.startswith(TOKEN_PREFIX):
            return None
        now = self.now()
        with self._tx() as s:
            token = s.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(plaintext)))
            if token is None or token.revoked_at is not None or now >= token.expires_at:
                return None
            user = s.get(User, token.user_id)
            if user is None or user.disabled:
                return None
            if token.last_used_at is None or now - token.last_used_at >= timedelta(seconds=TOUCH_EVERY_S):
                token.last_used_at = now
            return _user_info(user)

    def revoke_token(self, token_id: int, *, actor: UserInfo | None = None, ip: str | None = None,
                     user_agent: str | None = None) -> TokenInfo:
        """Revoke an API token by id (its owner or an administrator: ``Forbidden`` otherwise;
        ``NotFound`` for an unknown id). Revoking a revoked token changes nothing."""
        try:
            key = int(token_id)
        except (TypeError, ValueError):
            raise InvalidInput(f"令牌编号 {token_id!r} 不是整数", f"the token id {token_id!r} is not a whole number",
                               where="token_id") from None
        now = self.now()
        with self._tx() as s:
            token = s.get(ApiToken, key)
            if token is None:
                raise NotFound(f"没有编号为 {token_id} 的接口令牌", f"no API token with id {token_id}", where="token_id")
            owner = s.get(User, token.user_id)
            self._check_actor(s, actor, f"吊销用户 {owner.username} 的令牌", f"revoke {owner.username}'s tokens",
                              owner_id=owner.id)
            if token.revoked_at is None:
                token.revoked_at = now
                self._audit(s, "token_revoke", actor=actor, object=f"token:{token.id}", ip=ip, user_agent=user_agent,
                            detail={"user": owner.username, "name": token.name, "prefix": token.prefix}, at=now)
            return _token_info(token, owner.username)

    def list_tokens(self, username: str) -> list[TokenInfo]:
        """A user's API tokens, newest first (never the secret)."""
        with self._tx() as s:
            row = self._user_row(s, username)
            tokens = s.scalars(select(ApiToken).where(ApiToken.user_id == row.id)
                               .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
            return [_token_info(t, row.username) for t in tokens]

    # -- audit log ------------------------------------------------------------------------------
    def audit(self, action: str, *, actor: UserInfo | None, object: str | None = None, detail: Any = None,
              ip: str | None = None, user_agent: str | None = None) -> AuditEntry:
        """Append one event to the audit log (``export``, ``import`` … from the web layer)."""
        if not action or not str(action).strip():
            raise InvalidInput("审计事件须有操作名称", "an audit event needs an action", where="action")
        with self._tx() as s:
            event = self._audit(s, str(action).strip(), actor=actor, object=object, detail=detail, ip=ip,
                                user_agent=user_agent)
            s.flush()
            return _audit_entry(event)

    def list_audit(self, *, action: str | None = None, username: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, limit: int = 100, offset: int = 0,
                   actor: UserInfo | None = None) -> list[AuditEntry]:
        """Audit events, newest first, filtered by action, by the acting user's username and by
        time (``since`` inclusive, ``until`` exclusive). When ``actor`` is given it must be an
        administrator or an auditor (``Forbidden``)."""
        if not 1 <= int(limit) <= 10_000 or int(offset) < 0:
            raise InvalidInput(f"limit={limit}、offset={offset} 无效（limit 1–10000，offset ≥ 0）",
                               f"limit={limit}, offset={offset} is not valid (limit 1–10000, offset ≥ 0)",
                               where="limit")
        if actor is not None and actor.role not in ("admin", "auditor"):
            raise Forbidden(f"用户 {actor.username} 无权查看审计日志（仅管理员和审计员）",
                            f"user {actor.username} may not read the audit log (administrators and auditors only)",
                            where=actor.username)
        q = select(AuditEvent)
        if action:
            q = q.where(AuditEvent.action == action)
        if username:
            q = q.where(AuditEvent.username == str(username).strip().lower())
        if since is not None:
            q = q.where(AuditEvent.at >= utc(since))
        if until is not None:
            q = q.where(AuditEvent.at < utc(until))
        q = q.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(int(limit)).offset(int(offset))
        with self._tx() as s:
            return [_audit_entry(e) for e in s.scalars(q)]

    # -- demo -----------------------------------------------------------------------------------
    def ensure_demo_users(self, province_code: str, county_code: str, uscc: str,
                          password: str) -> list[tuple[str, str, str | None]]:
        """The demo accounts (``make demo``), created where missing: ``admin``; ``official`` for the
        province; ``county`` (an official) for one county; ``enterprise`` bound to ``uscc``;
        ``provider``; ``auditor`` for the province. Returns ``(username, role, password)`` for each,
        the password ``None`` for an account that existed already (left as it was)."""
        wanted = [
            ("admin", "admin", "演示管理员 demo administrator", {}),
            ("official", "official", "演示省级政府用户 demo provincial official", {"jurisdiction": [province_code]}),
            ("county", "official", "演示县级政府用户 demo county official", {"jurisdiction": [county_code]}),
            ("enterprise", "enterprise", "演示企业用户 demo enterprise", {"uscc": uscc}),
            ("provider", "provider", "演示服务机构 demo service provider", {"provider_id": "demo-provider"}),
            ("auditor", "auditor", "演示审计员 demo auditor", {"jurisdiction": [province_code]}),
        ]
        with self._tx() as s:
            existing = set(s.scalars(select(User.username).where(User.username.in_([w[0] for w in wanted]))))
        out: list[tuple[str, str, str | None]] = []
        for username, role, display, extra in wanted:
            if username in existing:
                out.append((username, role, None))
                continue
            try:
                self.add_user(username, password, role, display_name=display, user_agent="zhizao demo", **extra)
            except Conflict:  # created meanwhile
                out.append((username, role, None))
                continue
            out.append((username, role, password))
        return out

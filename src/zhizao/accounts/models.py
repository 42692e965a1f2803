"""The account tables of the operational database (业务库), as SQLAlchemy 2 typed ORM classes.

``users`` (用户), ``sessions`` (登录会话), ``api_tokens`` (接口令牌), ``login_attempts`` (登录尝试)
and ``audit_log`` (审计日志, append-only: triggers refuse UPDATE and DELETE). The schema itself
is made by the Alembic migrations (``migrations/versions/0001_accounts.py``), which must match
these classes (a test compares them); nothing here creates tables.

Every timestamp is a timezone-aware UTC ``datetime`` in Python (``UTCDateTime``): PostgreSQL
stores ``timestamptz``; SQLite, which has no time zones, stores the UTC wall time and gets the
zone back on reading.

>>> from datetime import datetime, timezone, timedelta
>>> t = UTCDateTime()
>>> from sqlalchemy.dialects import sqlite
>>> t.process_bind_param(datetime(2025, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), sqlite.dialect())
datetime.datetime(2025, 1, 1, 0, 0)
>>> t.process_result_value(datetime(2025, 1, 1, 0, 0), sqlite.dialect())
datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = ["ApiToken", "AuditEvent", "Base", "LoginAttempt", "Session", "User", "UTCDateTime", "utc"]

#: JSON, stored as JSONB on PostgreSQL
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
#: a 64-bit key that still autoincrements on SQLite (where only INTEGER PRIMARY KEY does)
BigKey = BigInteger().with_variant(Integer(), "sqlite")


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (a naive one is taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is an aware UTC ``datetime`` in Python on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else utc(value)


class Base(DeclarativeBase):
    """The declarative base of the operational database's account tables (constraint names as
    the migrations give them)."""

    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
    })
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[str]: JSONType}


class User(Base):
    """A person or machine client that logs in: role, jurisdiction (GB/T 2260 codes), USCC."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    jurisdiction: Mapped[list[str]] = mapped_column(default=list)
    uscc: Mapped[str | None] = mapped_column(String(18))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class Session(Base):
    """A browser login: ``id`` is the SHA-256 (hex) of the token the browser holds."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))


class ApiToken(Base):
    """A machine client's bearer token (``zz_…``): only its SHA-256 is stored, and its prefix."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """One login attempt (by username and client address), for throttling failed logins."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),
                      Index("ix_login_attempts_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    success: Mapped[bool] = mapped_column(Boolean)


class AuditEvent(Base):
    """One row of the append-only audit log: who, what, which object, detail, when, from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))

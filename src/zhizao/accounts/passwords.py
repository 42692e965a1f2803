"""Passwords (密码): argon2id hashes (argon2-cffi's ``PasswordHasher``, RFC 9106 defaults), the
length rule, and the rehash check when the parameters change.

Only the hash is stored; it carries its own salt and parameters (``$argon2id$v=19$m=…,t=…,p=…$…``),
so a hash made with older parameters still verifies and is replaced at the next login
(``needs_rehash``). Tests pass a cheap hasher (``cheap_hasher``); production uses the defaults.

>>> h = cheap_hasher()
>>> stored = hash_password("correct horse", h)
>>> stored.startswith("$argon2id$"), verify_password(stored, "correct horse", h), verify_password(stored, "wrong", h)
(True, True, False)
>>> needs_rehash(stored, h), needs_rehash(stored, default_hasher())
(False, True)
>>> check_password("short")
Traceback (most recent call last):
  ...
zhizao.errors.InvalidInput: 密码至少需要 8 个字符（当前 5 个） / the password needs at least 8 characters (it has 5)
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from zhizao.errors import InvalidInput

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "PasswordHasher", "check_password", "cheap_hasher", "default_hasher",
           "dummy_verify", "hash_password", "needs_rehash", "verify_password"]

#: the shortest password accepted (characters)
MIN_LENGTH = 8
#: the longest (a hash of a megabyte of text would be a cheap way to keep the server busy)
MAX_LENGTH = 1024


@functools.cache
def default_hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4)."""
    return PasswordHasher()


def cheap_hasher() -> PasswordHasher:
    """argon2id with the smallest parameters (for tests only: fast, and weak)."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def check_password(password: str, *, where: str = "password") -> None:
    """``InvalidInput`` unless ``password`` is a string of ``MIN_LENGTH`` to ``MAX_LENGTH``
    characters."""
    if not isinstance(password, str):
        raise InvalidInput("密码必须是文本", "the password must be text", where=where)
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"密码至少需要 {MIN_LENGTH} 个字符（当前 {len(password)} 个）",
                           f"the password needs at least {MIN_LENGTH} characters (it has {len(password)})",
                           where=where)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"密码最多 {MAX_LENGTH} 个字符", f"the password may have at most {MAX_LENGTH} characters",
                           where=where)


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """The argon2id hash of ``password`` (which must pass ``check_password``)."""
    check_password(password)
    return (hasher or default_hasher()).hash(password)


def verify_password(stored: str, password: str, hasher: PasswordHasher | None = None) -> bool:
    """Whether ``password`` matches the stored hash (``False`` for a malformed hash, never an
    exception)."""
    if not isinstance(password, str) or not stored:
        return False
    try:
        return (hasher or default_hasher()).verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, hasher: PasswordHasher | None = None) -> bool:
    """Whether ``stored`` was made with other parameters than ``hasher``'s (rehash at login)."""
    try:
        return (hasher or default_hasher()).check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


@functools.cache
def _dummy_hash(params: tuple) -> str:
    return PasswordHasher(*params).hash("zhizao-no-such-user")


def dummy_verify(password: str, hasher: PasswordHasher | None = None) -> None:
    """Spend the time a verification takes, for a login with an unknown username (so that the
    answer's timing does not tell which usernames exist)."""
    h = hasher or default_hasher()
    params = (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len)
    verify_password(_dummy_hash(params), password if isinstance(password, str) else "", h)

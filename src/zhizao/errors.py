"""The domain errors of zhizao: one hierarchy, each with a Chinese and an English message.

Everything a user can get wrong or a warehouse can lack is raised as one of these, below the
shells (levers, ``zhizao.services``, the store), with a message that names **what** (the
enterprise, the policy, the option, the file) and **where** (the file and line, the table, the
command that would fix it). The shells only translate: the CLI prints ``message`` to stderr and
exits with ``exit_code``; the web app answers ``http_status`` with ``to_dict()`` as the body.

>>> e = NotFound("没有统一社会信用代码为 X 的企业", "no enterprise with USCC X in the warehouse")
>>> e.http_status, e.exit_code, str(e)
(404, 1, '没有统一社会信用代码为 X 的企业 / no enterprise with USCC X in the warehouse')
>>> isinstance(MethodError("方法文件有误", "bad file", file="a.yaml", line=3), InvalidInput)
True
"""

from __future__ import annotations

__all__ = ["ZhizaoError", "NotFound", "InvalidInput", "MethodError", "NoData", "MissingRun", "Conflict",
           "Unavailable", "StoreError", "Unauthorized", "Forbidden", "Throttled"]


class ZhizaoError(Exception):
    """A domain error: ``zh`` and ``en`` say what is wrong and where; ``where`` (optional) names
    the place on its own (``file:line``, ``table.column``, an option) for a program to read."""

    kind = "error"
    http_status = 400
    exit_code = 1

    def __init__(self, zh: str, en: str | None = None, *, where: str | None = None):
        self.zh = zh
        self.en = en if en is not None else zh
        self.where = where
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """Both languages on one line (one only when they are the same text)."""
        return self.zh if self.zh == self.en else f"{self.zh} / {self.en}"

    def to_dict(self) -> dict:
        """What the web API answers: kind, both messages and the place."""
        return {"error": self.kind, "message_zh": self.zh, "message_en": self.en, "where": self.where}


class NotFound(ZhizaoError):
    """An object that does not exist: an enterprise, a policy, a cluster, a file, a warehouse."""

    kind = "not_found"
    http_status = 404


class InvalidInput(ZhizaoError, ValueError):
    """An argument or a file the user gave that cannot be used (a wrong option value, a year not
    in the data, a malformed file)."""

    kind = "invalid_input"
    http_status = 422


class MethodError(InvalidInput):
    """A method file (land, lowland, targets, clusters, tiers, diagnosis, calibration, policy) that
    does not validate. ``file`` and ``line`` say where; ``errors`` lists every problem found as
    ``(line, message)``."""

    kind = "method_error"

    def __init__(self, zh: str, en: str | None = None, *, file: str | None = None, line: int | None = None,
                 errors: list | None = None):
        self.file, self.line = file, line
        self.errors = list(errors or [])
        where = None if file is None else (f"{file}:{line}" if line else str(file))
        super().__init__(zh, en, where=where)

    @property
    def message(self) -> str:
        head = super().message
        if self.file and str(self.file) not in head:
            head = f"{self.where}: {head}"
        more = [(f"{self.file}:{line}: " if self.file and line else "") + str(m) for line, m in self.errors[1:]]
        return head + "".join(f"\n  also: {m}" for m in more)


class NoData(ZhizaoError):
    """The warehouse lacks the data asked for (no indicators, no year, an empty table)."""

    kind = "no_data"
    http_status = 409


class MissingRun(NoData):
    """An analysis reads another lever's result that has not been computed with what it needs
    (e.g. a land evaluation by the Shandong method); ``command`` computes it."""

    kind = "missing_run"

    def __init__(self, zh: str, en: str | None = None, *, lever: str, method_id: str | None = None,
                 command: str | None = None, where: str | None = None):
        self.lever, self.method_id, self.command = lever, method_id, command
        super().__init__(zh, en, where=where)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "lever": self.lever, "method_id": self.method_id, "command": self.command}


class Conflict(ZhizaoError):
    """A request that contradicts what is stored (a file that would overwrite another warehouse)."""

    kind = "conflict"
    http_status = 409


class Unavailable(ZhizaoError):
    """Something this machine cannot do (a PDF without WeasyPrint or a CJK font)."""

    kind = "unavailable"
    http_status = 503


class Unauthorized(ZhizaoError):
    """No valid login: a missing, expired or revoked session or API token, or a wrong password."""

    kind = "unauthorized"
    http_status = 401


class Forbidden(ZhizaoError):
    """A logged-in user whose role may not do this (an auditor changing something, a form
    without its CSRF token). Objects outside a user's scope answer ``NotFound`` instead, so that
    their existence is not disclosed."""

    kind = "forbidden"
    http_status = 403


class Throttled(ZhizaoError):
    """Too many failed logins for an account or an address in the window; ``retry_after`` in s."""

    kind = "throttled"
    http_status = 429

    def __init__(self, zh: str, en: str | None = None, *, retry_after: int = 60, where: str | None = None):
        self.retry_after = int(retry_after)
        super().__init__(zh, en, where=where)


class StoreError(ZhizaoError):
    """The warehouse refused a write (a repeated key, a column that cannot be stored)."""

    kind = "store_error"
    http_status = 500

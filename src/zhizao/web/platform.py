"""What the web app holds for its lifetime: the settings, one warm ``Service`` over the warehouse,
the account service over the operational database, and the pool of background jobs.

DuckDB connections are not safe to use from several threads at once, and FastAPI runs plain
route functions in a thread pool: every warehouse call goes through ``Platform.call``, which
holds the warehouse lock for the duration of one service call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from zhizao.settings import Settings

__all__ = ["Platform"]


class Platform:
    def __init__(self, settings: Settings, *, service=None, accounts=None):
        from zhizao.accounts.service import Accounts
        from zhizao.services import Service
        from zhizao.web.jobs import Jobs

        self.settings = settings
        self._owns_service = service is None
        self.svc = service if service is not None else Service.open(settings.db_path)
        self.accounts = accounts if accounts is not None else Accounts.open(settings)
        self.lock = threading.RLock()
        self.jobs = Jobs(self, workers=settings.job_workers)

    def call(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        """``fn(service, *args, **kwargs)`` under the warehouse lock."""
        with self.lock:
            return fn(self.svc, *args, **kwargs)

    def close(self) -> None:
        self.jobs.shutdown()
        if self._owns_service:
            self.svc.close()

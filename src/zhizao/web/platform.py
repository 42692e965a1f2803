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

RELEASE_EVERY = 20     # service calls between two sweeps of leftover in-memory tables


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

    def synthetic(self) -> bool:
        """Whether the warehouse holds synthetic data (the banner), known without waiting for the
        warehouse lock once computed for the current data (a long import holds the lock)."""
        gen = getattr(self.svc.wh, "data_generation", 0)
        got = self.__dict__.get("_synthetic")
        if got is not None and got[0] == gen:
            return got[1]
        if not self.lock.acquire(timeout=0.5):
            return got[1] if got is not None else True        # unknown while busy: say synthetic
        try:
            value = self.svc.is_synthetic()
        finally:
            self.lock.release()
        self._synthetic = (gen, value)
        return value

    def call(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        """``fn(service, *args, **kwargs)`` under the warehouse lock."""
        with self.lock:
            try:
                return fn(self.svc, *args, **kwargs)
            finally:
                self._release()

    def _release(self) -> None:
        """Drop the in-memory tables the call left registered (``Warehouse.release_memtables``)
        on the warehouse and on Ibis's default backend, every ``RELEASE_EVERY`` calls."""
        self._calls = getattr(self, "_calls", 0) + 1
        if self._calls % RELEASE_EVERY:
            return
        release = getattr(self.svc.wh, "release_memtables", None)
        if release is not None:
            release()

    def close(self) -> None:
        self.jobs.shutdown()
        if self._owns_service:
            self.svc.close()

"""Background jobs (后台任务): long operations (an import, a shock simulation) run in a bounded pool
while the request that started them answers at once with the job's id; the client polls
``/api/v1/jobs/{id}`` for the state, the progress and, when done, the result.

A job belongs to the user who started it (another user's job answers 404). At most
``workers`` jobs run at once and at most ``MAX_QUEUED`` wait; more are refused (429). A job
that runs past the platform's ``job_timeout_s`` is reported as failed (the thread itself cannot
be killed; its result is dropped). Finished jobs are kept for ``KEEP_S`` seconds.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from zhizao.errors import NotFound, Throttled, ZhizaoError

__all__ = ["Jobs", "Job", "MAX_QUEUED"]

MAX_QUEUED = 8
KEEP_S = 3600


@dataclass
class Job:
    id: str
    kind: str
    owner: int
    state: str = "queued"               # queued → running → done | failed
    progress: float = 0.0
    stage: str = ""
    result: Any = None
    error: dict | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "state": self.state, "progress": round(self.progress, 3),
                "stage": self.stage, "error": self.error,
                "created": self.created, "started": self.started, "finished": self.finished}


class Jobs:
    def __init__(self, platform, *, workers: int = 2):
        self.platform = platform
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="zhizao-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, owner: int, fn: Callable[[Callable[[str, float], None]], Any]) -> Job:
        """Run ``fn(progress)`` in the pool; ``progress(stage, fraction)`` reports how far it is."""
        with self._lock:
            self._expire()
            waiting = sum(1 for j in self._jobs.values() if j.state in ("queued", "running"))
            if waiting >= MAX_QUEUED + self._pool._max_workers:
                raise Throttled("后台任务过多，请稍后再试", "too many background jobs: try again later",
                                retry_after=30, where="jobs")
            job = Job(uuid.uuid4().hex[:16], kind, owner)
            self._jobs[job.id] = job

        def progress(stage: str, fraction: float) -> None:
            job.stage, job.progress = stage, max(job.progress, min(1.0, float(fraction)))

        def run():
            job.state, job.started = "running", time.time()
            try:
                job.result = fn(progress)
                job.state, job.progress = "done", 1.0
            except ZhizaoError as e:
                job.state, job.error = "failed", e.to_dict()
            except Exception:                          # logged by the app; the client sees no trace
                import logging

                logging.getLogger("zhizao.web").exception("job %s (%s) failed", job.id, kind)
                job.state = "failed"
                job.error = {"error": "internal", "message_zh": "后台任务失败", "message_en": "the job failed",
                             "where": job.id}
            finally:
                job.finished = time.time()

        self._pool.submit(run)
        return job

    def get(self, job_id: str, owner: int | None) -> Job:
        """The job ``job_id`` of ``owner`` (None: any owner — an administrator)."""
        job = self._jobs.get(job_id)
        timeout = self.platform.settings.job_timeout_s
        if job is not None and job.state == "running" and job.started and time.time() - job.started > timeout:
            job.state = "failed"
            job.error = {"error": "timeout", "message_zh": f"后台任务超过 {timeout} 秒未完成",
                         "message_en": f"the job ran past {timeout} s", "where": job.id}
        if job is None or (owner is not None and job.owner != owner):
            raise NotFound(f"没有任务 {job_id}", f"no job {job_id}", where=job_id)
        return job

    def _expire(self) -> None:
        now = time.time()
        for k in [k for k, j in self._jobs.items() if j.finished and now - j.finished > KEEP_S]:
            del self._jobs[k]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

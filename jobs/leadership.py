"""Run the scheduler only while this process is the leader (:mod:`golocal.db.leader`).

A follower tries for the lock every ``schedule.leader_retry_seconds``; a leader checks it
holds it just as often and stops its scheduler the moment it does not. The scheduler is
built afresh on every election from the job store the previous leader left in the
database, so a run that fell due in between runs once
(:func:`golocal.jobs.schedule.build_scheduler`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from golocal.db.leader import LeaderLock
from golocal.jobs import selfmetrics

log = logging.getLogger(__name__)


class Leadership:
    """Elects this process (or not) in a background thread; owns the scheduler it starts."""

    def __init__(
        self,
        lock: LeaderLock | None,
        start_scheduler: Callable[[], Any],
        *,
        retry_seconds: float,
    ) -> None:
        self.lock = lock
        self._start_scheduler = start_scheduler
        self.retry_seconds = retry_seconds
        self._scheduler: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    @property
    def leading(self) -> bool:
        return self._scheduler is not None

    def start(self) -> None:
        """Try once now (a lone replica starts scheduling at once), then keep trying."""
        selfmetrics.set_leader(False)
        self.round()
        if self.lock is None:
            return  # nothing to compete with: the first round elected this process for good
        self._thread = threading.Thread(target=self._loop, name="golocal-leader", daemon=True)
        self._thread.start()

    def round(self) -> None:
        """One election round: become leader, stay leader, or step down."""
        with self._guard:
            if self._stop.is_set():
                return
            if self._scheduler is None:
                if self.lock is None or self.lock.acquire():
                    log.info("this process now runs the scheduled jobs (leader)")
                    self._scheduler = self._start_scheduler()
                    selfmetrics.set_leader(True)
            elif self.lock is not None and not self.lock.check():
                log.warning("lost the scheduler leadership: stopping the scheduled jobs")
                self._stop_scheduler()

    def _loop(self) -> None:
        while not self._stop.wait(self.retry_seconds):
            try:
                self.round()
            except Exception:
                log.exception("leader election round failed; trying again")

    def _stop_scheduler(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        selfmetrics.set_leader(False)
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    def shutdown(self) -> None:
        """Stop scheduling and give the lock up (another replica takes over)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.retry_seconds + 5)
        with self._guard:
            self._stop_scheduler()
            if self.lock is not None:
                self.lock.release()

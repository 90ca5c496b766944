"""Where the slow work runs: answers and the App Home, after the ack.

Slack wants every request acknowledged within 3 seconds, and the ack must stay fast while a
verdict over a year of data is being computed. Answering is CPU work in Python; in the
server's own process it would compete with the acks for the interpreter lock. So
``golocal run`` answers in a small pool of worker processes (``[slack] answer_workers``,
default 2; 0 answers in threads of the server process, as tests do). Each worker reads the
same settings and opens the same database once, then answers through the same handlers.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golocal.bot.chat import Asked
from golocal.bot.followups import Conversations
from golocal.bot.replies import Reply, reply_for_error
from golocal.bot.services import Services
from golocal.bot.slack.conversation import reply_to
from golocal.jobs import selfmetrics

log = logging.getLogger(__name__)

#: How much lower the workers' CPU priority is than the bot's (see ``man nice``).
WORKER_NICENESS = 10
#: How long a listener waits for a worker's answer before saying it failed.
ANSWER_TIMEOUT_S = 300


@dataclass(frozen=True)
class Answerer:
    """What the listeners call for slow work: a reply to a question, the Home view."""

    reply: Callable[[str | Asked], Reply]
    home_view: Callable[[], dict[str, Any]]
    #: the last subject of each thread, DM and user's slash commands, kept in this (the
    #: listening) process: follow-ups are resolved before the question goes to a worker
    conversations: Conversations = field(default_factory=Conversations)


def counted(answerer: Answerer) -> Answerer:
    """``answerer``, with every answer that failed unexpectedly counted in golocal's metrics.

    Counted here, in the bot's process, because the worker processes' counters are not the
    ones ``/metrics`` serves.
    """

    def reply(question: str | Asked) -> Reply:
        result = answerer.reply(question)
        if result.intent == "error" and "incident" in result.data:
            selfmetrics.observe_answer_failed()
        return result

    return Answerer(reply=reply, home_view=answerer.home_view, conversations=answerer.conversations)


def in_process(services: Services) -> Answerer:
    """Answer in the calling thread (tests, and ``answer_workers = 0``)."""
    from golocal.bot.slack.home import home_view

    return Answerer(
        reply=lambda question: reply_to(question, services), home_view=lambda: home_view(services)
    )


# One per worker process, set by its initializer: a process pool worker has no other way
# to keep its database open between tasks.
_worker_services: Services | None = None


def _start_worker(config_path: str | None, parent_pid: int) -> None:
    global _worker_services
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    # Answers are background work: on a busy machine the acks (in the parent) come first.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    from golocal.config.settings import load_settings
    from golocal.db.database import open_database

    settings = load_settings(config_path)
    database = open_database(settings.effective_database_url, migrate_embedded=False)
    _worker_services = Services(settings=settings, database=database)


def _exit_with_parent(parent_pid: int) -> None:
    """A worker whose bot was killed (SIGKILL, OOM) exits too instead of lingering."""
    while os.getppid() == parent_pid:
        time.sleep(2)
    os._exit(0)


def _reply_in_worker(question: str | Asked) -> Reply:
    assert _worker_services is not None
    return reply_to(question, _worker_services)


def _home_in_worker() -> dict[str, Any]:
    from golocal.bot.slack.home import home_view

    assert _worker_services is not None
    return home_view(_worker_services)


class WorkerPool:
    """Worker processes that answer questions and build the Home view."""

    def __init__(self, config_path: Path | None, workers: int) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            # spawn: a fork of a process running server threads could inherit held locks.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(config_path) if config_path else None, os.getpid()),
        )

    def reply(self, question: str | Asked) -> Reply:
        """The reply to ``question``, computed in a worker; failures become error replies."""
        try:
            return self._executor.submit(_reply_in_worker, question).result(ANSWER_TIMEOUT_S)
        except Exception as exc:
            return reply_for_error(exc)

    def home_view(self) -> dict[str, Any]:
        """The App Home view, built in a worker."""
        return self._executor.submit(_home_in_worker).result(ANSWER_TIMEOUT_S)

    def answerer(self) -> Answerer:
        return Answerer(reply=self.reply, home_view=self.home_view)

    def warm_up(self, workers: int) -> None:
        """Start the workers now, so the first question does not wait for them."""
        futures = [self._executor.submit(_reply_in_worker, "help") for _ in range(workers)]
        for future in futures:
            future.result(ANSWER_TIMEOUT_S)

    def close(self) -> None:
        """Stop the workers: queued work is dropped, work in progress finishes."""
        self._executor.shutdown(wait=True, cancel_futures=True)

"""Chat answers within a deadline, so a database that hangs costs one line, not the bot.

PostgreSQL's ``statement_timeout`` is enforced by the server: a server (or a proxy in front
of it) that stops answering after the connection is up leaves the client waiting for ever.
An answer therefore runs on a worker thread; past the deadline the asker gets one line and
the worker is abandoned (it ends by itself when the database answers or the connection
breaks). At most :data:`MAX_STUCK` workers may be abandoned at once: past that, questions
that reach the database are refused at once instead of piling up threads.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import TypeVar

from golocal.errors import GolocalError

T = TypeVar("T")

#: Abandoned workers allowed at once; each holds a thread and a database connection.
MAX_STUCK = 4

_lock = threading.Lock()
_stuck = 0


class DatabaseNotAnswering(GolocalError):
    """The database did not answer a chat question in time."""


def _timeout_error(seconds: float) -> DatabaseNotAnswering:
    return DatabaseNotAnswering(
        f"the database did not answer within {seconds:g} s; try again later"
    )


def database_stuck() -> bool:
    """Whether an earlier answer is still waiting on the database past its deadline."""
    with _lock:
        return _stuck > 0


def within_deadline(work: Callable[[], T], seconds: float) -> T:
    """``work()``'s result, or :class:`DatabaseNotAnswering` once ``seconds`` have passed.

    Exceptions from ``work`` are raised here unchanged.
    """
    global _stuck
    with _lock:
        if _stuck >= MAX_STUCK:
            raise _timeout_error(seconds)
    outcome: dict[str, object] = {}
    state = {"abandoned": False}
    done = threading.Event()
    context = contextvars.copy_context()  # log context and the like follow the question

    def run() -> None:
        global _stuck
        try:
            outcome["value"] = context.run(work)
        except BaseException as exc:  # handed to the asker below
            outcome["error"] = exc
        finally:
            with _lock:
                done.set()
                if state["abandoned"]:
                    _stuck -= 1

    threading.Thread(target=run, name="golocal-answer", daemon=True).start()
    if not done.wait(seconds):
        with _lock:
            if not done.is_set():
                state["abandoned"] = True
                _stuck += 1
                raise _timeout_error(seconds)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]

"""Where golocal's log records go, at which level, and always through the redaction border.

Records go to stderr at ``log_level`` (``--debug``: DEBUG); warnings and errors are also
kept in the log file (``$XDG_STATE_HOME/golocal/golocal.log``), where an unexpected error is
written with its traceback under a short id the user is shown. Every handler golocal
installs carries :class:`~golocal.redaction.RedactingFilter`, so no secret reaches a log
line or a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from golocal.redaction import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_file() -> Path:
    """The file unexpected errors are logged to."""
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "golocal" / "golocal.log"


class _LazyFileHandler(logging.FileHandler):
    """A file handler that creates its directory and file only when a record arrives, and
    drops records (rather than failing a command) when the file cannot be written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, delay=True, encoding="utf-8")

    def _open(self) -> Any:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        pass  # a log file that cannot be written must not turn into a traceback on stderr


def configure_logging(debug: bool) -> None:
    """Log to stderr (WARNING until the settings say otherwise; DEBUG with ``--debug``)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if debug else logging.WARNING)
        # warnings and errors are kept in the log file too (created on the first record)
        kept = _LazyFileHandler(log_file())
        kept.setLevel(logging.WARNING)
        kept.setFormatter(logging.Formatter(_FORMAT))
        kept.addFilter(RedactingFilter())
        root.addHandler(kept)
    # httpx logs request URLs at INFO; keep them out unless debugging
    logging.getLogger("httpx").setLevel(logging.DEBUG if debug else logging.WARNING)


def apply_log_level(level: str, debug: bool) -> None:
    """Apply the configured ``log_level`` (``--debug`` wins: it always means DEBUG)."""
    logging.getLogger().setLevel(logging.DEBUG if debug else level)


def log_unexpected(exc: BaseException) -> str:
    """Log ``exc`` with its traceback to the log file; the line to show the user."""
    incident = uuid.uuid4().hex[:8]
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(path)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        file_handler.addFilter(RedactingFilter())
        logger = logging.getLogger("golocal.crash")
        logger.propagate = False
        logger.addHandler(file_handler)
        logger.error("unexpected error [%s]", incident, exc_info=exc)
        logger.removeHandler(file_handler)
        file_handler.close()
        where = f" in {path}"
    except OSError:
        where = ""
    return f"something went wrong, logged as {incident}{where}; rerun with --debug for details"

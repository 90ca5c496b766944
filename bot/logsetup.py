"""Where golocal's log records go, at which level, and always through the redaction border.

Records go to stderr at ``log_level`` (``--debug``: DEBUG). An unexpected error is written
with its traceback to the log file (``$XDG_STATE_HOME/golocal/golocal.log``) under a short
id the user is shown. Every handler golocal installs carries
:class:`~golocal.redaction.RedactingFilter`, so no secret reaches a log line or a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path

from golocal.redaction import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_file() -> Path:
    """The file unexpected errors are logged to."""
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "golocal" / "golocal.log"


def configure_logging(debug: bool) -> None:
    """Log to stderr (WARNING until the settings say otherwise; DEBUG with ``--debug``)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if debug else logging.WARNING)
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

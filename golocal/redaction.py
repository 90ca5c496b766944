"""The one border secrets never cross: every printed line, log record and stored error.

golocal knows its secrets' *values* (the environment variables that hold them and the
database password), so redaction does not depend on a secret looking like a key: a LiteLLM
master key may be any string, and a provider that echoes it in an error message, a URL or a
JSON field still cannot carry it out. Obvious fragments are hidden too — the first and last
12 characters of a long secret, and its URL-encoded form — because error messages often
quote a key truncated ("sk-proj-abc…") and URLs carry it percent-encoded.

On top of the known values, anything shaped like a provider token (``sk-…``, ``ghp_…``,
``xoxb-…``, ``Bearer …``) is hidden as well, for secrets golocal was never told about.

The border is applied by:

* :func:`redact` — call it on any text that leaves golocal (stored errors do);
* :class:`RedactingFilter` — on every logging handler golocal installs;
* :class:`RedactingStream` — around ``sys.stdout``/``sys.stderr`` in the CLI, so every
  printed line (JSON included) passes it.

This module imports nothing else of golocal's, so every layer may use it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import IO, Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"

#: The environment variables whose values are secrets (settings read them; never a file).
SECRET_ENV_NAMES: tuple[str, ...] = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "OPENAI_ADMIN_KEY",
    "ANTHROPIC_ADMIN_KEY",
    "LITELLM_API_KEY",
    "GITHUB_TOKEN",
)

#: Secrets shorter than this are hidden whole only: their fragments would hide ordinary words.
_MIN_FRAGMENT_SOURCE = 16
#: The length of the leading/trailing fragments hidden for long secrets.
FRAGMENT = 12
#: A value this short is not treated as a secret at all (``"x"`` would blank every x).
_MIN_SECRET = 6
#: A database password shorter than this is hidden only where golocal renders the URL: a
#: short one such as ``golocal`` or ``postgres`` would otherwise blank ordinary words.
MIN_DB_PASSWORD = 12

_TOKEN_PATTERN = re.compile(
    r"(?:sk-[A-Za-z0-9_\-*.]{4,}"
    r"|gh[opsur]_[A-Za-z0-9*]{4,}"
    r"|github_pat_[A-Za-z0-9_*]{4,}"
    r"|xox[abposr]-[A-Za-z0-9\-*]{4,}"
    r"|xapp-[A-Za-z0-9\-*]{4,}"
    r"|(?<=Bearer )[A-Za-z0-9_\-.~+/=*]{8,})",
    re.IGNORECASE,
)

_lock = threading.Lock()
_needles: tuple[str, ...] = ()
_pattern: re.Pattern[str] | None = None


def _variants(secret: str) -> set[str]:
    found = {secret, quote(secret, safe=""), quote_plus(secret)}
    if len(secret) >= _MIN_FRAGMENT_SOURCE:
        found |= {secret[:FRAGMENT], secret[-FRAGMENT:]}
    return {value for value in found if len(value) >= _MIN_SECRET}


def register_secrets(values: Iterable[str | None]) -> None:
    """Add secret values (and their fragments) to what :func:`redact` hides, for good."""
    global _needles, _pattern
    with _lock:
        needles = set(_needles)
        for value in values:
            if value and len(value.strip()) >= _MIN_SECRET:
                needles |= _variants(value.strip())
        if needles == set(_needles):
            return
        # longest first, so a whole secret is replaced before one of its fragments
        _needles = tuple(sorted(needles, key=len, reverse=True))
        _pattern = re.compile("|".join(re.escape(needle) for needle in _needles))


def register_environment(environ: Mapping[str, str] | None = None) -> None:
    """Register every secret environment variable's value (and the database password)."""
    env = os.environ if environ is None else environ
    values = [env.get(name) for name in SECRET_ENV_NAMES]
    values.append(database_password(env.get("GOLOCAL_DATABASE_URL")))
    register_secrets(values)


def database_password(url: str | None) -> str | None:
    """The password of a ``scheme://user:password@host`` URL worth registering, if any."""
    if not url:
        return None
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/@:]*:([^/@]*)@", url)
    password = match.group(1) if match else None
    return password if password and len(password) >= MIN_DB_PASSWORD else None


def forget_secrets() -> None:
    """Forget every registered value (tests that set different secrets in one process)."""
    global _needles, _pattern
    with _lock:
        _needles, _pattern = (), None


def redact(text: str) -> str:
    """``text`` with every registered secret, its fragments and token-shaped strings hidden."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return _TOKEN_PATTERN.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A handler filter that redacts the formatted message and any traceback of a record.

    The record is rewritten in place (message rendered, arguments dropped, traceback
    pre-formatted), so every formatter after it sees only redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # formatters use a ready exc_text instead of formatting exc_info again
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingStream:
    """A text stream that redacts what is written to it, and otherwise behaves like ``inner``."""

    def __init__(self, inner: IO[str]) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes for a binary stream with b""
            raise TypeError("a text stream")
        self._inner.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # writing bytes to the buffer would go around the border
            raise AttributeError(name)
        return getattr(self._inner, name)

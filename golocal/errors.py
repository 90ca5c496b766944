"""The one exception family whose message is meant for the person at the keyboard.

Every adapter (CLI, console, Slack) turns a :class:`GolocalError` into a readable reply in
exactly one place; anything else is logged with a correlation id and answered "something
went wrong, logged as <id>".
"""

from __future__ import annotations

from golocal.redaction import redact


class GolocalError(Exception):
    """A failure with a user-facing message and the CLI exit code it maps to."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        # the redaction border: a message quoting a provider's answer cannot carry a secret
        message = redact(message)
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(GolocalError):
    """The user asked for something malformed (a bad date, a bad range): exit code 2."""

    exit_code = 2


class DatabaseError(GolocalError):
    """The database cannot be opened, reached or used as it is."""


class ConfigError(Exception):
    """A configuration value is wrong; the message names the key and what is wrong.

    Printed as it is (it starts with ``config error:``) with exit code 2. It lives here, not
    with the settings model, so the CLI can catch it without importing pydantic.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

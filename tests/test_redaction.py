"""The redaction border: configured values, their fragments, logs and printed lines."""

from __future__ import annotations

import io
import logging

import pytest

from golocal.redaction import (
    RedactingFilter,
    RedactingStream,
    forget_secrets,
    redact,
    register_environment,
    register_secrets,
)

KEY = "plainGatewayKey0123456789abcdef"  # not shaped like any provider's key


@pytest.fixture(autouse=True)
def _fresh_border():
    forget_secrets()
    yield
    forget_secrets()


def test_a_configured_value_is_hidden_whatever_its_shape():
    assert KEY in redact(f"invalid key {KEY}")  # unknown: nothing to match it by
    register_secrets([KEY])
    assert redact(f"invalid key {KEY}!") == "invalid key [redacted]!"


@pytest.mark.parametrize(
    "echo",
    [KEY[:12] + "…", "…" + KEY[-12:], KEY.replace("0123", "%30123"), f"key%3D{KEY}"],
)
def test_obvious_fragments_are_hidden(echo):
    register_secrets([KEY])
    assert "[redacted]" in redact(f"rejected: {echo}")
    assert KEY[:12] not in redact(f"rejected: {echo}")
    assert KEY[-12:] not in redact(f"rejected: {echo}")


def test_short_values_are_not_turned_into_fragments():
    register_secrets(["abc", "abcdefgh"])
    assert redact("abc abcdef abcdefgh") == "abc abcdef [redacted]"


def test_the_environment_and_the_database_password_are_registered():
    register_environment(
        {
            "LITELLM_API_KEY": KEY,
            "GOLOCAL_DATABASE_URL": "postgresql://golocal:pw-Secret-42@db:5432/golocal",
        }
    )
    assert redact(f"{KEY} pw-Secret-42") == "[redacted] [redacted]"


def test_token_shaped_strings_are_hidden_unregistered():
    text = "xoxb-1-2-abcd ghp_abcd1234 Bearer abcdefgh1234 sk-proj-abcd"
    assert redact(text).count("[redacted]") == 4


def test_log_records_and_their_tracebacks_are_redacted():
    register_secrets([KEY])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("golocal.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"boom {KEY}")
        except ValueError:
            logger.exception("failed with %s", KEY)
    finally:
        logger.removeHandler(handler)
    assert "failed with [redacted]" in stream.getvalue()
    assert "ValueError: boom [redacted]" in stream.getvalue()
    assert KEY not in stream.getvalue()


def test_a_redacting_stream_hides_what_is_printed():
    register_secrets([KEY])
    inner = io.StringIO()
    stream = RedactingStream(inner)
    print(f'{{"last_error": "{KEY}"}}', file=stream)
    assert inner.getvalue() == '{"last_error": "[redacted]"}\n'
    assert not hasattr(stream, "buffer")  # bytes cannot go around it


def test_a_short_database_password_does_not_blank_ordinary_words():
    register_environment({"GOLOCAL_DATABASE_URL": "postgresql://golocal:golocal@db/golocal"})
    assert redact("golocal sources") == "golocal sources"

"""The shared HTTP layer: what is retried, how long it waits, what it never says."""

from __future__ import annotations

import httpx
import pytest

from golocal.jobs.http_client import (
    ApiClient,
    Credential,
    CredentialsRejected,
    MalformedResponse,
    RetryPolicy,
    SourceError,
    SourceUnavailable,
    redact,
)

SECRET = "sk-admin-abcdefghijklmnopSECRET"


def client(handler, sleeps, **policy):
    return ApiClient(
        provider="OpenAI",
        base_url="https://api.example.test/v1",
        credential=Credential(
            "authorization", f"Bearer {SECRET}", "OpenAI admin key", "OPENAI_ADMIN_KEY"
        ),
        policy=RetryPolicy(**policy),
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )


def scripted(*responses):
    calls = []

    def handler(request):
        calls.append(request)
        item = responses[min(len(calls) - 1, len(responses) - 1)]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, calls


def test_timeouts_are_retried_with_bounded_backoff():
    sleeps = []
    handler, calls = scripted(
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.Response(200, json={"ok": True}),
    )
    assert client(handler, sleeps, backoff_initial_s=2, backoff_max_s=5).get_json("x") == {
        "ok": True
    }
    assert len(calls) == 3 and len(sleeps) == 2
    assert all(0 <= wait <= 5 for wait in sleeps)


def test_gives_up_after_max_attempts():
    sleeps = []
    handler, calls = scripted(httpx.Response(502))
    with pytest.raises(SourceUnavailable, match=r"unavailable after 3 attempts: server error"):
        client(handler, sleeps, max_attempts=3).get_json("organization/costs")
    assert len(calls) == 3 and len(sleeps) == 2


def test_429_without_retry_after_backs_off():
    sleeps = []
    handler, _ = scripted(httpx.Response(429), httpx.Response(200, json=[]))
    client(handler, sleeps, backoff_initial_s=1, backoff_max_s=4).get_json("x")
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 4


def test_403_is_not_retried_and_never_quotes_the_key():
    sleeps = []
    body = {
        "error": {
            "message": f"key {SECRET} lacks api.usage.read",
            "type": "forbidden",
            "param": None,
            "code": None,
        }
    }
    handler, calls = scripted(httpx.Response(403, json=body))
    with pytest.raises(CredentialsRejected) as raised:
        client(handler, sleeps).get_json("x")
    assert (
        str(raised.value) == "OpenAI admin key rejected (403): check OPENAI_ADMIN_KEY [forbidden]"
    )
    assert len(calls) == 1 and sleeps == []


def test_other_4xx_quotes_the_provider_message_redacted():
    body = {
        "error": {
            "message": f"bad start_time for {SECRET}",
            "type": "invalid_request_error",
            "param": "start_time",
            "code": None,
        }
    }
    handler, _ = scripted(httpx.Response(400, json=body))
    with pytest.raises(SourceError) as raised:
        client(handler, []).get_json("organization/usage/completions")
    message = str(raised.value)
    assert message.startswith("OpenAI refused GET /v1/organization/usage/completions (400): bad")
    assert SECRET not in message and "SECRET" not in message


def test_non_json_page_is_malformed():
    handler, _ = scripted(httpx.Response(200, text="<html>proxy error</html>"))
    with pytest.raises(MalformedResponse, match="not JSON"):
        client(handler, []).get_json("x")


def test_credential_goes_only_to_the_api_host():
    handler, calls = scripted(httpx.Response(200, text="{}"))
    api = client(handler, [])
    api.get_json("x")
    api.get_text("https://files.example.test/report.ndjson?sig=1")
    assert calls[0].headers["authorization"] == f"Bearer {SECRET}"
    assert "authorization" not in calls[1].headers


@pytest.mark.parametrize(
    "text",
    [
        "Incorrect API key provided: sk-admin-****abcd.",
        "token ghp_abcdefghijklmnop is bad",
        "github_pat_11ABCDEFG_xyz",
    ],
)
def test_redact_removes_key_shaped_strings(text):
    assert "[redacted]" in redact(text)
    assert "abcd" not in redact(text).replace("[redacted]", "")


def test_json_fractions_are_exact_decimals():
    from decimal import Decimal

    handler, _ = scripted(httpx.Response(200, text='{"value": 0.30000000000000001, "n": 3}'))
    body = client(handler, []).get_json("x")
    assert body == {"value": Decimal("0.30000000000000001"), "n": 3}
    assert isinstance(body["n"], int)

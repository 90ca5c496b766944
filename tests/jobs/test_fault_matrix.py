"""The fault matrix: each fault a provider, the network, the database or the clock can throw,
what golocal does about it, and what it keeps. README's "Fault matrix" table is this module.

Collection faults run against the loopback OpenAI fake (or a scripted loopback server that
misbehaves the way the fault says) on SQLite and PostgreSQL; every row asserts the outcome
line, what was stored and the source's status.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from golocal.db.sources import source_state
from golocal.db.usage import count_usage_buckets
from golocal.jobs.collect import collect_sources
from tests.fakes.openai import USAGE_PATH, FakeOpenAI, days
from tests.fakes.server import LoopbackServer, Reply, Request, json_reply

KEY = "sk-admin-fault-matrix-0123456789"
START = date(2026, 1, 1)
COSTS = "/v1/organization/costs"


def _page(day: date, *, has_more: bool, next_page: str | None) -> dict:
    start = int((day - date(1970, 1, 1)).total_seconds())
    return {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": start,
                "end_time": start + 86400,
                "results": [
                    {
                        "object": "organization.usage.completions.result",
                        "input_tokens": 100,
                        "output_tokens": 10,
                        "num_model_requests": 1,
                        "model": "gpt-4o",
                        "project_id": None,
                        "api_key_id": None,
                        "batch": None,
                        "service_tier": None,
                    }
                ],
            }
        ],
        "has_more": has_more,
        "next_page": next_page,
    }


@pytest.fixture
def fake():
    server = FakeOpenAI(KEY).start()
    for day in days(START, 3):
        server.add_usage(day, "gpt-4o", "proj_a")
    yield server
    server.stop()


@pytest.fixture
def scripted():
    server = LoopbackServer().start()
    server.script(COSTS, json_reply({"object": "page", "data": [], "has_more": False}))
    yield server
    server.stop()


def _settings(make_settings, base_url: str, toml: str = ""):
    return make_settings(
        "[collection]\nmax_attempts = 3\n" + toml,
        OPENAI_ADMIN_KEY=KEY,
        GOLOCAL_OPENAI_BASE_URL=base_url,
    )


def _collect(make_request, settings, until_days: int = 3):
    (result,) = collect_sources(
        ["openai"], make_request(settings, START, START + timedelta(days=until_days))
    )
    return result


# --- provider faults ----------------------------------------------------------------------


def test_429_waits_retry_after_and_keeps_everything(fake, make_settings, make_request, sleeps):
    fake.fail(USAGE_PATH, Reply(429, {"error": {}}, headers={"retry-after": "7"}))
    result = _collect(make_request, _settings(make_settings, fake.base_url))
    assert result.ok and result.windows == 2
    assert sleeps == [7.0]


def test_three_5xx_then_success_is_retried(fake, make_settings, make_request, database):
    fake.fail(USAGE_PATH, Reply(500), Reply(502), Reply(503), after=0)
    settings = make_settings(
        "[collection]\nmax_attempts = 4\n",
        OPENAI_ADMIN_KEY=KEY,
        GOLOCAL_OPENAI_BASE_URL=fake.base_url,
    )
    result = _collect(make_request, settings)
    assert result.ok, result.message
    assert count_usage_buckets(database) == 3


def test_a_timeout_fails_the_source_after_its_attempts(
    scripted, make_settings, make_request, database
):
    def slow(_request: Request) -> Reply:
        time.sleep(0.5)
        return json_reply(_page(START, has_more=False, next_page=None))

    scripted.script(USAGE_PATH, slow)
    settings = _settings(make_settings, scripted.url + "/v1", "timeout_s = 0.05\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert result.message.startswith("OpenAI unavailable after 3 attempts: timed out")
    assert source_state(database, "openai").consecutive_failures == 1


def test_a_malformed_page_mid_backfill_keeps_the_pages_before_it(
    fake, make_settings, make_request, database
):
    fake.page_cap = 1
    fake.fail(USAGE_PATH, Reply(200, "<html>proxy error</html>"), after=1)
    result = _collect(make_request, _settings(make_settings, fake.base_url))
    assert not result.ok
    assert "not JSON" in result.message
    assert count_usage_buckets(database) == 1  # the first page stays
    assert source_state(database, "openai").cursor is None  # the next run retries it


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_fails_at_once_naming_the_variable(
    status, fake, make_settings, make_request, sleeps
):
    fake.fail(USAGE_PATH, Reply(status, {"error": {"message": "no", "type": "auth"}}))
    result = _collect(make_request, _settings(make_settings, fake.base_url))
    assert not result.ok
    assert f"rejected ({status}): check OPENAI_ADMIN_KEY" in result.message
    assert sleeps == [] and len(fake.requests_to(USAGE_PATH)) == 1


def test_a_repeated_cursor_stops_paging(scripted, make_settings, make_request, database):
    scripted.script(USAGE_PATH, json_reply(_page(START, has_more=True, next_page="page_same")))
    result = _collect(make_request, _settings(make_settings, scripted.url + "/v1"))
    assert not result.ok
    assert "sent the page cursor 'page_same' again: stopped paging" in result.message
    assert len(scripted.requests_to(USAGE_PATH)) == 2
    assert count_usage_buckets(database) == 1  # what came before is kept
    assert source_state(database, "openai").cursor is None


def test_endless_has_more_stops_at_the_page_limit(scripted, make_settings, make_request):
    counter = iter(range(1_000_000))
    scripted.script(
        USAGE_PATH,
        lambda _r: json_reply(_page(START, has_more=True, next_page=f"page_{next(counter)}")),
    )
    settings = _settings(make_settings, scripted.url + "/v1", "max_pages = 25\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert "still had more after 25 pages (collection.max_pages)" in result.message
    assert len(scripted.requests_to(USAGE_PATH)) == 25


def test_a_source_that_outlasts_its_time_budget_fails_its_window(
    scripted, make_settings, make_request
):
    counter = iter(range(1_000_000))

    def slow_endless(_request: Request) -> Reply:
        time.sleep(0.02)
        return json_reply(_page(START, has_more=True, next_page=f"page_{next(counter)}"))

    scripted.script(USAGE_PATH, slow_endless)
    settings = _settings(make_settings, scripted.url + "/v1", "source_budget_s = 0.2\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert "time budget of 0.2 s for one run is spent" in result.message


def test_an_answer_over_the_size_limit_is_refused(scripted, make_settings, make_request):
    page = _page(START, has_more=False, next_page=None)
    page["padding"] = "x" * 200_000
    scripted.script(USAGE_PATH, json_reply(page))
    settings = _settings(make_settings, scripted.url + "/v1", "max_response_mb = 0.1\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert "answered more than 0.1 MiB; refused" in result.message

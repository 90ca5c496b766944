"""LiteLLM gateway and GitHub Copilot collection against loopback fakes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from golocal.db.models import UsageBucket
from golocal.db.usage import source_days
from golocal.jobs.collect import collect_sources
from tests.fakes.github import FakeGitHub
from tests.fakes.litellm import PATH, FakeLiteLLM, GatewayRow, span
from tests.fakes.server import Reply

START = date(2026, 2, 1)
LITELLM_KEY = "sk-litellm-master-SECRETKEY"
GITHUB_TOKEN = "ghp_testtokenSECRET0123456789"


@pytest.fixture
def gateway():
    server = FakeLiteLLM(LITELLM_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def github():
    server = FakeGitHub(GITHUB_TOKEN, "acme").start()
    yield server
    server.stop()


def run(make_request, settings, source, since, until):
    (result,) = collect_sources([source], make_request(settings, since, until))
    return result


def test_litellm_daily_activity_per_model_and_key(gateway, make_settings, make_request, database):
    settings = make_settings(f'[litellm]\nurl = "{gateway.url}"\n', LITELLM_API_KEY=LITELLM_KEY)
    for day in span(START, 40):
        gateway.rows += [
            GatewayRow(day, "gpt-4o", "hash_a", 30, 30_000, 3_000, 0.25),
            GatewayRow(day, "anthropic/claude-sonnet-4-20250514", "hash_b", 10, 10_000, 1_000, 0.0),
            GatewayRow(day, "my-private-model", "hash_b", 5, 500, 50, 0.0),
        ]
    result = run(make_request, settings, "litellm", START, START + timedelta(days=40))
    assert result.ok, result.message
    assert result.windows == 2
    assert [(s.first("start_date"), s.first("end_date")) for s in gateway.requests_to(PATH)] == [
        ("2026-02-01", "2026-03-03"),
        ("2026-03-04", "2026-03-12"),
    ]
    days = source_days(database, START, START + timedelta(days=40))
    assert len(days) == 40
    assert all(d.requests == 45 for d in days)
    with database.session() as session:
        rows = {
            r.model: r
            for r in session.scalars(select(UsageBucket)).all()
            if r.bucket_start.date() == START
        }
    assert rows["gpt-4o"].cost_usd == Decimal("0.25") and not rows["gpt-4o"].cost_estimated
    assert rows["gpt-4o"].api_key == "hash_a"
    # spend 0 with tokens is LiteLLM's "could not price": golocal estimates it...
    claude = rows["anthropic/claude-sonnet-4-20250514"]
    assert claude.cost_estimated and claude.cost_usd > 0
    # ...and a model nobody can price stays unknown, listed, never $0
    assert rows["my-private-model"].cost_usd is None
    assert result.unpriced == ("litellm/my-private-model",)


def test_litellm_needs_url_and_key(make_settings, make_request):
    (result,) = collect_sources(["litellm"], make_request(make_settings(LITELLM_API_KEY="x")))
    assert not result.configured and "litellm.url" in result.message


def _org_day(day, interactions, cli_requests=None):
    record = {
        "day": day.isoformat(),
        "organization_id": "4242",
        "daily_active_users": 12,
        "user_initiated_interaction_count": interactions,
        "code_generation_activity_count": 300,
        "code_acceptance_activity_count": 120,
        "totals_by_ide": [],
        "totals_by_feature": [],
    }
    if cli_requests is not None:
        record["daily_active_cli_users"] = 2
        record["totals_by_cli"] = {
            "session_count": 4,
            "request_count": cli_requests,
            "prompt_count": 9,
            "token_usage": {},
        }
    return record


def test_copilot_reports_and_download_links(github, make_settings, make_request, database):
    settings = make_settings(
        '[copilot]\norg = "acme"\n', GITHUB_TOKEN=GITHUB_TOKEN, GOLOCAL_GITHUB_API_URL=github.url
    )
    github.add_report(START, _org_day(START, 150, cli_requests=40))
    # START + 1: no report (204); START + 2: a day without CLI use
    github.add_report(START + timedelta(days=2), _org_day(START + timedelta(days=2), 90))
    result = run(make_request, settings, "copilot", START, START + timedelta(days=3))
    assert result.ok, result.message
    assert result.windows == 3
    days = {d.day: d for d in source_days(database, START, START + timedelta(days=3))}
    assert {day: d.requests for day, d in days.items()} == {
        START: 190,
        START + timedelta(days=2): 90,
    }
    assert all(d.cost_usd is None and d.location == "cloud" for d in days.values())
    with database.session() as session:
        assert {r.provider for r in session.scalars(select(UsageBucket))} == {"github-copilot"}
    # the token went to the API, never to the download host
    assert github.requests and all(s.headers.get("authorization") for s in github.requests)
    assert github.files.requests and not any(
        "authorization" in s.headers for s in github.files.requests
    )
    assert github.requests[0].headers["x-github-api-version"] == "2022-11-28"


def test_copilot_forbidden_when_policy_is_off(github, make_settings, make_request):
    settings = make_settings(
        '[copilot]\norg = "acme"\n', GITHUB_TOKEN=GITHUB_TOKEN, GOLOCAL_GITHUB_API_URL=github.url
    )
    github.fail(
        "/orgs/acme/copilot/metrics/reports/organization-1-day",
        Reply(403, {"message": "Copilot Usage Metrics API access is disabled", "status": "403"}),
    )
    result = run(make_request, settings, "copilot", START, START + timedelta(days=1))
    assert not result.ok
    assert result.message.startswith("GitHub token rejected (403): check GITHUB_TOKEN")

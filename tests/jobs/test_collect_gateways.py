"""LiteLLM gateway and GitHub Copilot collection against loopback fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from golocal.db.models import UsageBucket
from golocal.db.usage import source_days
from golocal.jobs.collect import collect_sources
from tests.fakes.github import FakeGitHub
from tests.fakes.litellm import PATH, FakeLiteLLM, GatewayRow, span
from tests.fakes.server import Reply

START = date(2026, 2, 1)
LITELLM_KEY = "sk-litellm-master-SECRETKEY"
GITHUB_TOKEN = "ghp_testtokenSECRET0123456789"
#: a "now" after every day the gateway tests fill
LATER = datetime(2026, 4, 1, tzinfo=UTC)


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


def run(make_request, settings, source, since, until, **kw):
    (result,) = collect_sources([source], make_request(settings, since, until, **kw))
    return result


def test_litellm_daily_activity_per_model_and_key(gateway, make_settings, make_request, database):
    settings = make_settings(f'[litellm]\nurl = "{gateway.url}"\n', LITELLM_API_KEY=LITELLM_KEY)
    for day in span(START, 40):
        gateway.rows += [
            GatewayRow(day, "gpt-4o", "hash_a", 30, 30_000, 3_000, 0.25),
            GatewayRow(day, "anthropic/claude-sonnet-4-20250514", "hash_b", 10, 10_000, 1_000, 0.0),
            GatewayRow(day, "my-private-model", "hash_b", 5, 500, 50, 0.0),
        ]
    result = run(make_request, settings, "litellm", START, START + timedelta(days=40), now=LATER)
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


REPORTS = "/orgs/acme/copilot/metrics/reports"
ONE_DAY = f"{REPORTS}/organization-1-day"
LATEST_28 = f"{REPORTS}/organization-28-day/latest"


def _copilot_settings(make_settings, github):
    return make_settings(
        '[copilot]\norg = "acme"\n', GITHUB_TOKEN=GITHUB_TOKEN, GOLOCAL_GITHUB_API_URL=github.url
    )


def _publish_days(github, first, count):
    """Daily reports for ``count`` days from ``first``; day n has 100 + n prompts, odd days CLI."""
    expected = {}
    for n in range(count):
        day = first + timedelta(days=n)
        cli = 10 if n % 2 else None
        github.add_report(day, _org_day(day, 100 + n, cli_requests=cli))
        expected[day] = 100 + n + (cli or 0)
    return expected


def _stored(database, first, last):
    return {d.day: d.requests for d in source_days(database, first, last)}


def _paths(server):
    return [s.path for s in server.requests]


@pytest.mark.parametrize("wrapped", [False, True], ids=["per-day-lines", "day_totals"])
def test_copilot_window_inside_28_day_report_uses_it_once(
    github, make_settings, make_request, database, wrapped
):
    settings = _copilot_settings(make_settings, github)
    report_start = START
    expected = _publish_days(github, report_start, 28)
    github.publish_28_day(report_start, report_start + timedelta(days=27), wrapped=wrapped)
    since, until = START + timedelta(days=5), START + timedelta(days=15)
    result = run(make_request, settings, "copilot", since, until)
    assert result.ok, result.message
    assert result.windows == 10
    assert _paths(github) == [LATEST_28]
    assert len(github.files.requests) == 1
    # the same totals the 1-day reports give: per-user rows and the undated aggregate are not
    # counted, and days outside the window are not stored
    assert _stored(database, START, START + timedelta(days=28)) == {
        day: n for day, n in expected.items() if since <= day < until
    }


def test_copilot_28_day_and_1_day_paths_store_the_same(
    github, make_settings, make_request, database
):
    settings = _copilot_settings(make_settings, github)
    _publish_days(github, START, 28)
    since, until = START + timedelta(days=3), START + timedelta(days=9)
    stored = []
    for publish in (False, True):
        if publish:
            github.publish_28_day(START, START + timedelta(days=27))
        result = run(make_request, settings, "copilot", since, until)
        assert result.ok, result.message
        with database.session() as session:
            rows = session.scalars(select(UsageBucket)).all()
            stored.append(
                sorted((r.bucket_start, r.bucket_seconds, r.provider, r.requests) for r in rows)
            )
            session.execute(delete(UsageBucket))
            session.commit()
    assert _paths(github).count(ONE_DAY) == 6 and _paths(github)[-1] == LATEST_28
    assert len(stored[0]) == 6 and stored[0] == stored[1]


def test_copilot_window_straddling_report_start_asks_1_day_for_older_days(
    github, make_settings, make_request, database
):
    settings = _copilot_settings(make_settings, github)
    expected = _publish_days(github, START, 40)
    report_start = START + timedelta(days=12)
    github.publish_28_day(report_start, report_start + timedelta(days=27))
    result = run(
        make_request, settings, "copilot", START + timedelta(days=8), START + timedelta(days=20)
    )
    assert result.ok, result.message
    assert result.windows == 12
    one_day = [s.first("day") for s in github.requests if s.path == ONE_DAY]
    assert one_day == [(START + timedelta(days=n)).isoformat() for n in range(8, 12)]
    assert _paths(github).count(LATEST_28) == 1
    assert _stored(database, START, START + timedelta(days=40)) == {
        day: n
        for day, n in expected.items()
        if START + timedelta(days=8) <= day < START + timedelta(days=20)
    }


@pytest.mark.parametrize(
    "absent",
    [
        Reply(204, None),
        Reply(404, {"message": "Not Found", "documentation_url": "x", "status": "404"}),
    ],
    ids=["204", "404"],
)
def test_copilot_without_28_day_report_falls_back_to_1_day(
    github, make_settings, make_request, database, absent
):
    settings = _copilot_settings(make_settings, github)
    expected = _publish_days(github, START, 5)
    github.publish_28_day(START, START + timedelta(days=27))
    github.fail(LATEST_28, absent)
    result = run(make_request, settings, "copilot", START, START + timedelta(days=5))
    assert result.ok, result.message
    assert _paths(github) == [LATEST_28] + [ONE_DAY] * 5
    assert _stored(database, START, START + timedelta(days=5)) == expected


def test_copilot_28_day_report_is_not_downloaded_for_older_windows(
    github, make_settings, make_request, database
):
    settings = _copilot_settings(make_settings, github)
    expected = _publish_days(github, START, 3)
    github.publish_28_day(START + timedelta(days=60), START + timedelta(days=87))
    result = run(make_request, settings, "copilot", START, START + timedelta(days=3))
    assert result.ok, result.message
    assert _paths(github) == [LATEST_28] + [ONE_DAY] * 3
    assert not any("28-day" in s.path for s in github.files.requests)
    assert _stored(database, START, START + timedelta(days=3)) == expected


def test_copilot_recollection_from_28_day_report_is_idempotent(
    github, make_settings, make_request, database
):
    settings = _copilot_settings(make_settings, github)
    expected = _publish_days(github, START, 28)
    github.publish_28_day(START, START + timedelta(days=27))
    for _ in range(2):
        result = run(make_request, settings, "copilot", START, START + timedelta(days=28))
        assert result.ok, result.message
    assert _stored(database, START, START + timedelta(days=28)) == expected
    with database.session() as session:
        assert len(session.scalars(select(UsageBucket)).all()) == 28
    assert _paths(github) == [LATEST_28, LATEST_28]


@pytest.mark.parametrize(
    "link",
    ["http://x\x1fy/report.ndjson", "file:///etc/passwd", 42, "not a url"],
    ids=["control-character", "not-http", "not-a-string", "relative"],
)
def test_copilot_malformed_download_link_is_a_clear_failure(
    link, github, make_settings, make_request, database
):
    settings = make_settings(
        '[copilot]\norg = "acme"\n', GITHUB_TOKEN=GITHUB_TOKEN, GOLOCAL_GITHUB_API_URL=github.url
    )
    path = "/orgs/acme/copilot/metrics/reports/organization-1-day"
    github.fail(path, Reply(200, {"download_links": [link], "report_day": START.isoformat()}))
    result = run(make_request, settings, "copilot", START, START + timedelta(days=1))
    assert not result.ok
    assert result.message.startswith("copilot: page 1 rejected: GitHub ")
    assert "download link" in result.message
    assert "unexpected" not in result.message

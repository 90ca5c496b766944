"""``golocal collect``, ``golocal sources`` and ``golocal reprice`` as a user runs them."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from golocal.db.models import Base
from golocal.db.usage import source_days, upsert_usage_buckets
from tests.cli_runner import run_golocal
from tests.fakes.anthropic import FakeAnthropic, MessagesRow
from tests.fakes.openai import FakeOpenAI

OPENAI_KEY = "sk-admin-cli-test-SECRETOPENAI42"
ANTHROPIC_KEY = "sk-ant-admin01-cli-SECRETANTHROPIC42"
DAY = date(2026, 1, 5)


@pytest.fixture
def fakes(monkeypatch, database_url):
    openai = FakeOpenAI(OPENAI_KEY).start()
    anthropic = FakeAnthropic("sk-ant-admin01-the-right-one").start()
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("GOLOCAL_OPENAI_BASE_URL", openai.base_url)
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)  # rejected by the fake: 401
    monkeypatch.setenv("GOLOCAL_ANTHROPIC_BASE_URL", anthropic.url)
    openai.add_usage(DAY, "gpt-4o", "proj_a", requests=120, input_tokens=50_000)
    openai.add_cost(DAY, "gpt-4o, input", "proj_a", 0.125)
    anthropic.messages.append(MessagesRow(DAY, "claude-haiku-4-5", None, None, 100, 10))
    yield openai, anthropic
    openai.stop()
    anthropic.stop()


def dump_database(database) -> str:
    """Every value of every table, as text: what a leak would look like in the database."""
    parts = []
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_collect_reports_each_source_and_exits_1_when_one_failed(fakes, capsys, database, caplog):
    caplog.set_level(logging.DEBUG)
    result = run_golocal(capsys, "collect", "--since", "2026-01-05", "--until", "2026-01-07")
    assert result.exit_code == 1
    assert result.stderr == "error: 2 of 5 sources failed: anthropic, claude_code\n"
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "openai: ok, 2 windows, 3 rows upserted — 2026-01-05 to 2026-01-07 (exclusive)"
    )
    assert lines[1] == (
        "anthropic: failed, 0 windows, 0 rows upserted — Anthropic admin key rejected (401): "
        "check ANTHROPIC_ADMIN_KEY [authentication_error]"
    )
    assert lines[2].startswith("claude_code: failed")
    assert lines[3] == "litellm: not configured (litellm.url not set in the config file)"
    assert lines[4] == "copilot: not configured (copilot.org not set in the config file)"
    days = source_days(database, DAY, date(2026, 1, 7))
    assert [(d.day, d.requests) for d in days] == [(DAY, 120), (date(2026, 1, 6), 0)]

    sources = run_golocal(capsys, "sources", "--json")
    assert sources.exit_code == 0
    by_name = {row["source"]: row for row in json.loads(sources.stdout)["sources"]}
    assert by_name["openai"]["configured"] and by_name["openai"]["last_success_at"]
    assert by_name["openai"]["cursor"] is not None
    assert by_name["anthropic"]["consecutive_failures"] == 1
    assert "ANTHROPIC_ADMIN_KEY" in by_name["anthropic"]["last_error"]
    assert by_name["litellm"]["configured"] is False

    # no key anywhere: outputs, logs, database
    everything = "\n".join(
        [
            result.stdout,
            result.stderr,
            sources.stdout,
            sources.stderr,
            caplog.text,
            dump_database(database),
        ]
    )
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, "SECRETOPENAI", "SECRETANTHROPIC"):
        assert secret not in everything


def test_collect_named_source_json(fakes, capsys):
    result = run_golocal(
        capsys, "collect", "openai", "--since", "2026-01-05", "--until", "2026-01-06", "--json"
    )
    assert result.exit_code == 0, result.stderr
    (entry,) = json.loads(result.stdout)["sources"]
    assert entry["source"] == "openai" and entry["status"] == "ok"
    assert (entry["windows"], entry["rows"]) == (2, 2)
    assert entry["unpriced"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("collect", "nosuch"), "unknown source 'nosuch'"),
        (("collect", "--until", "2026-01-02"), "--until needs --since"),
        (("collect", "--since", "2026-01-05", "--until", "2026-01-05"), "must be before"),
        (("collect", "--since", "yesterday"), "is not a date"),
        (("reprice",), "Missing option '--since'"),
    ],
)
def test_collect_usage_errors_exit_2(args, message, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    result = run_golocal(capsys, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_reprice_fills_estimates_and_lists_unpriced(database, database_url, capsys, monkeypatch):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    base = {
        "source": "openai",
        "bucket_start": start,
        "bucket_seconds": 86400,
        "location": "cloud",
        "provider": "openai",
        "requests": 10,
        "input_tokens": 1_000_000,
        "output_tokens": 0,
    }
    upsert_usage_buckets(
        database,
        [
            {**base, "model": "gpt-4o-mini"},  # unknown cost, now priceable
            {**base, "model": "gpt-4o", "cost_usd": Decimal("99"), "cost_estimated": True},
            {**base, "model": "house-model-7b"},  # nobody prices it
            {**base, "model": "gpt-4.1", "project": "p", "cost_usd": Decimal("1.5")},  # billed
        ],
    )
    result = run_golocal(capsys, "reprice", "--since", "2026-01-01", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "rows": 3,
        "priced": 2,
        "unpriced": ["openai/house-model-7b"],
    }
    with database.engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT model, cost_usd FROM usage_buckets")).all())
    assert Decimal(rows["gpt-4o-mini"]) / 10**9 == Decimal("0.15")
    assert Decimal(rows["gpt-4o"]) / 10**9 == Decimal("2.5")
    assert rows["house-model-7b"] is None
    assert Decimal(rows["gpt-4.1"]) / 10**9 == Decimal("1.5")  # a billed cost is untouched
    text_result = run_golocal(capsys, "reprice", "--since", "2026-01-01")
    assert "unpriced: openai/house-model-7b" in text_result.stdout


def test_sources_text_shows_status_cursor_and_a_recovered_error(
    database, database_url, capsys, monkeypatch
):
    from golocal.db.sources import record_failure, record_success

    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
    at = datetime(2026, 1, 6, 3, 0, tzinfo=UTC)
    record_failure(database, "openai", "OpenAI answered 503 three times", kind="cloud", at=at)
    record_success(database, "openai", kind="cloud", at=at.replace(hour=4), cursor=at)
    record_failure(database, "anthropic", "Anthropic admin key rejected (401)", kind="cloud", at=at)
    result = run_golocal(capsys, "sources")
    assert result.exit_code == 0, result.stderr
    lines = {line.split(":", 1)[0]: line for line in result.stdout.splitlines()}
    assert lines["openai"] == (
        "openai: ok; last success 2026-01-06T04:00:00+00:00; cursor 2026-01-06T03:00:00+00:00; "
        "last error 2026-01-06T03:00:00+00:00: OpenAI answered 503 three times"
    )
    assert lines["anthropic"] == (
        "anthropic: FAILING x1: Anthropic admin key rejected (401); last success —; cursor —"
    )
    assert lines["litellm"].startswith("litellm: not configured (litellm.url not set")


LITELLM_KEY = "sk-litellm-cli-SECRETLITELLM42"
GITHUB_TOKEN = "ghp_cliSECRETGITHUB0123456789abcdef"


def test_gateway_and_copilot_secrets_never_leak(
    capsys, caplog, database, database_url, monkeypatch, tmp_path
):
    """A good collection, then 401/403 failures: LITELLM_API_KEY and GITHUB_TOKEN stay secret."""
    from tests.fakes.github import FakeGitHub
    from tests.fakes.litellm import PATH, FakeLiteLLM, GatewayRow
    from tests.fakes.server import Reply

    caplog.set_level(logging.DEBUG)
    gateway = FakeLiteLLM(LITELLM_KEY).start()
    github = FakeGitHub(GITHUB_TOKEN, "acme").start()
    try:
        config = tmp_path / "golocal.toml"
        config.write_text(f'[litellm]\nurl = "{gateway.url}"\n\n[copilot]\norg = "acme"\n')
        monkeypatch.setenv("GOLOCAL_CONFIG", str(config))
        monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
        monkeypatch.setenv("LITELLM_API_KEY", LITELLM_KEY)
        monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
        monkeypatch.setenv("GOLOCAL_GITHUB_API_URL", github.url)
        for n in range(3):
            day = date(2026, 1, 5 + n)
            gateway.rows.append(GatewayRow(day, "gpt-4o", "hash_a", 30, 3_000, 300, 0.25))
            github.add_report(day, {"day": day.isoformat(), "user_initiated_interaction_count": 9})
        github.publish_28_day(date(2026, 1, 6), date(2026, 2, 2))  # the older day asks 1-day
        window = ("--since", "2026-01-05", "--until", "2026-01-08")
        good = run_golocal(capsys, "collect", "litellm", "copilot", *window)
        assert good.exit_code == 0, good.stderr
        assert "litellm: ok, " in good.stdout and "copilot: ok, 3 windows" in good.stdout

        # the providers now refuse; their error bodies even quote the credential
        gateway.fail(
            PATH,
            Reply(401, {"error": {"message": f"Invalid key {LITELLM_KEY}", "type": "auth_error"}}),
        )
        github.fail(
            "/orgs/acme/copilot/metrics/reports/organization-28-day/latest",
            Reply(403, {"message": f"token {GITHUB_TOKEN} lacks access", "status": "403"}),
        )
        bad = run_golocal(capsys, "collect", "litellm", "copilot", *window)
        assert bad.exit_code == 1
        assert "check LITELLM_API_KEY" in bad.stdout and "check GITHUB_TOKEN" in bad.stdout
        sources = run_golocal(capsys, "sources", "--json")
        assert sources.exit_code == 0, sources.stderr
    finally:
        gateway.stop()
        github.stop()

    everything = "\n".join(
        [
            good.stdout,
            good.stderr,
            bad.stdout,
            bad.stderr,
            sources.stdout,
            sources.stderr,
            caplog.text,
            dump_database(database),
        ]
    )
    assert "github-copilot" in everything  # the dump did read the stored rows
    for secret in (LITELLM_KEY, GITHUB_TOKEN, "SECRETLITELLM", "SECRETGITHUB"):
        assert secret not in everything

"""LiteLLM: a day × model × key split over two pages is summed, and a user key is flagged.

The fake pages the way the proxy does (over raw daily-spend rows, each page aggregated on
its own; see tests/fakes/litellm.py), so one key's day can sit on two pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from golocal.db.models import UsageBucket
from golocal.db.sources import source_state
from golocal.jobs.collect import collect_sources
from tests.fakes.litellm import PATH, USER_INFO_PATH, FakeLiteLLM, GatewayRow

MASTER = "sk-litellm-master-paging-SECRET"
USER_KEY = "sk-litellm-user-paging-SECRET"
DAY = date(2026, 2, 3)
LATER = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def gateway():
    server = FakeLiteLLM(MASTER).start()
    yield server
    server.stop()


def _run(make_settings, make_request, gateway, key):
    settings = make_settings(f'[litellm]\nurl = "{gateway.url}"\n', LITELLM_API_KEY=key)
    request = make_request(settings, DAY, DAY + timedelta(days=1), now=LATER)
    (result,) = collect_sources(["litellm"], request)
    return result


def _stored(database):
    with database.session() as session:
        return {
            (row.model, row.api_key): row.requests
            for row in session.scalars(select(UsageBucket).where(UsageBucket.source == "litellm"))
        }


def test_one_key_day_split_over_two_pages_is_summed(gateway, make_settings, make_request, database):
    # 999 other users' rows fill page 1 up to its last row; the key's traffic through two
    # providers is two raw rows: the last of page 1 (10 requests) and the first of page 2 (30)
    gateway.rows += [
        GatewayRow(DAY, "gpt-4o", f"hash_{n}", 1, 100, 10, 0.001, user_id=f"u{n}")
        for n in range(999)
    ]
    gateway.rows.append(GatewayRow(DAY, "gpt-4o", "hash_k", 10, 1000, 100, 0.01, user_id="dev"))
    gateway.rows.append(
        GatewayRow(DAY, "gpt-4o", "hash_k", 30, 3000, 300, 0.03, user_id="dev", provider="azure")
    )
    result = _run(make_settings, make_request, gateway, MASTER)
    assert result.ok, result.message
    pages = [r.first("page") for r in gateway.requests_to(PATH)]
    assert pages == ["1", "2"]
    stored = _stored(database)
    assert stored[("gpt-4o", "hash_k")] == 40
    assert sum(stored.values()) == 999 + 40
    # collecting the same window again leaves the same totals
    assert _run(make_settings, make_request, gateway, MASTER).ok
    assert _stored(database)[("gpt-4o", "hash_k")] == 40


def test_master_key_has_no_warning(gateway, make_settings, make_request, database):
    gateway.rows.append(GatewayRow(DAY, "gpt-4o", "hash_a", 5, 100, 10, 0.01))
    result = _run(make_settings, make_request, gateway, MASTER)
    assert result.ok and "WARNING" not in result.message
    assert len(gateway.requests_to(USER_INFO_PATH)) == 1
    assert source_state(database, "litellm").state["warnings"] == []


def test_non_admin_key_is_flagged_not_silently_partial(
    gateway, make_settings, make_request, database
):
    gateway.add_key(USER_KEY, "alice@example.com")
    gateway.rows.append(
        GatewayRow(DAY, "gpt-4o", "hash_a", 5, 100, 10, 0.01, user_id="alice@example.com")
    )
    gateway.rows.append(GatewayRow(DAY, "gpt-4o", "hash_b", 50, 1000, 100, 0.1, user_id="bob"))
    result = _run(make_settings, make_request, gateway, USER_KEY)
    assert result.ok, result.message
    warning = (
        "LiteLLM key is not an admin key (role internal_user): only user alice@example.com's "
        "traffic is counted"
    )
    assert warning in result.message
    assert any(warning in w for w in source_state(database, "litellm").state["warnings"])
    assert _stored(database) == {("gpt-4o", "hash_a"): 5}  # what the proxy let it see


def test_admin_viewer_key_is_an_admin_key(gateway, make_settings, make_request, database):
    gateway.add_key(USER_KEY, "finops", role="proxy_admin_viewer")
    gateway.rows.append(GatewayRow(DAY, "gpt-4o", "hash_b", 50, 1000, 100, 0.1, user_id="bob"))
    result = _run(make_settings, make_request, gateway, USER_KEY)
    assert result.ok and "WARNING" not in result.message
    assert _stored(database) == {("gpt-4o", "hash_b"): 50}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (GatewayRow(DAY, "gpt-4o", "hash_a", -5, 100, 10, 0.01), "requests is negative: -5"),
        (GatewayRow(DAY, "gpt-4o", "hash_a", 5, 2**60, 10, 0.01), "input_tokens is above 2^53"),
        (GatewayRow(DAY, "gpt-4o", "hash_a", 5, 100, 10, 5e12), "cost is absurd"),
        (GatewayRow(DAY, "gpt-4o", "hash_a", 5, 100, 10, -0.5), "cost is negative"),
    ],
    ids=["negative-requests", "tokens-above-2^53", "absurd-spend", "negative-spend"],
)
def test_a_nonsense_gateway_page_is_rejected_whole(
    row, reason, gateway, make_settings, make_request, database
):
    gateway.rows += [GatewayRow(DAY, "gpt-4o-mini", "hash_b", 7, 100, 10, 0.01), row]
    result = _run(make_settings, make_request, gateway, MASTER)
    assert not result.ok
    assert result.message.startswith("litellm: page 1 rejected: 2026-02-03 gpt-4o")
    assert reason in result.message
    assert _stored(database) == {}  # not even the sane row of that page


def test_a_model_name_longer_than_the_column_is_refused_not_a_crash(
    gateway, make_settings, make_request, database
):
    gateway.rows.append(GatewayRow(DAY, "m" * 5000, "hash_a", 5, 100, 10, 0.01))
    result = _run(make_settings, make_request, gateway, MASTER)
    assert not result.ok
    assert result.message.startswith("litellm: page 1 rejected: ")
    assert "model is longer than 200 characters" in result.message

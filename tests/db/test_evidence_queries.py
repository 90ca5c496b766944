"""The advisor's SQL aggregates on SQLite and PostgreSQL: usage, GPU power, attribution."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from golocal.config.settings import Settings
from golocal.db.attribution import list_attributions, remove_attribution, set_attribution
from golocal.db.evidence import (
    gpu_incident_count,
    gpu_power,
    server_latency,
)
from golocal.db.ledger import billed_lines
from golocal.db.models import AlertIncident, CostLine, GpuMinute, GpuRollup, ServerRollup
from golocal.db.telemetry import insert_rows, register_gpu, register_server
from golocal.db.usage import upsert_usage_buckets
from golocal.errors import UsageError
from golocal.jobs.ledger_read import load_ledger, model_usage

DAY = datetime(2026, 3, 2, tzinfo=UTC)
SINCE, UNTIL = date(2026, 3, 2), date(2026, 3, 4)


def _bucket(**values):
    row = {"source": "openai", "bucket_seconds": 86400, "location": "cloud", "provider": "openai"}
    return row | values


def test_model_usage_sums_the_window_and_keeps_unpriced_and_unreported_apart(database):
    upsert_usage_buckets(
        database,
        [
            _bucket(
                bucket_start=DAY,
                model="gpt-4.1",
                project="p1",
                requests=10,
                input_tokens=1000,
                output_tokens=100,
                cost_usd=Decimal("0.5"),
            ),
            _bucket(
                bucket_start=DAY + timedelta(days=1),
                model="gpt-4.1",
                project="p1",
                requests=5,
                input_tokens=500,
                output_tokens=50,
                cost_usd=Decimal("0.25"),
            ),
            _bucket(
                bucket_start=DAY,
                model="odd",
                project="p1",
                requests=3,
                input_tokens=30,
                output_tokens=3,
                cost_usd=None,
            ),
            _bucket(
                source="anthropic",
                provider="anthropic",
                bucket_start=DAY,
                model="claude-haiku-4-5",
                input_tokens=4000,
                output_tokens=1000,
                cost_usd=Decimal("0.01"),
            ),
            # outside the window
            _bucket(
                bucket_start=DAY + timedelta(days=2),
                model="gpt-4.1",
                project="p1",
                requests=99,
                cost_usd=Decimal(9),
            ),
        ],
    )
    ledger = load_ledger(database, Settings(), SINCE, UNTIL)
    rows = {(r.provider, r.model): r for r in model_usage(ledger)}
    assert set(rows) == {
        ("openai", "gpt-4.1"),
        ("openai", "odd"),
        ("anthropic", "claude-haiku-4-5"),
    }
    gpt = rows[("openai", "gpt-4.1")]
    assert (gpt.requests, gpt.input_tokens, gpt.output_tokens) == (15, 1500, 150)
    assert gpt.cost_usd == Decimal("0.75")
    assert rows[("openai", "odd")].cost_usd is None
    assert rows[("openai", "odd")].unpriced_buckets == 1
    claude = rows[("anthropic", "claude-haiku-4-5")]
    assert claude.requests is None
    assert claude.tokens_without_requests == 5000


def test_gpu_power_reads_hourly_rollups_and_falls_back_to_minutes(database):
    gpu = register_gpu(
        database,
        source="agent",
        host="h1",
        gpu_index=0,
        uuid="GPU-1",
        name="L40S",
        memory_total_mib=46068,
        power_limit_w=350.0,
        seen_at=DAY,
    )
    assert gpu_power(database, SINCE, UNTIL) is None
    insert_rows(
        database,
        GpuMinute,
        [
            {
                "gpu_id": gpu,
                "minute": DAY + timedelta(minutes=m),
                "samples": 4,
                "power_mean_w": 100.0,
                "energy_j": 6000.0,
            }
            for m in range(3)
        ],
    )
    minutes = gpu_power(database, SINCE, UNTIL)
    assert minutes is not None and minutes.resolution == "minute"
    assert minutes.mean_power_w == pytest.approx(100.0)
    assert minutes.load_share == pytest.approx(100.0 / 350.0)
    insert_rows(
        database,
        GpuRollup,
        [
            {
                "gpu_id": gpu,
                "resolution": "hour",
                "bucket_start": DAY + timedelta(hours=h),
                "minutes": 60,
                "samples": 240,
                "power_mean_w": w,
                "energy_j": w * 3600,
                "saturated_s": 1800.0,
                "throttled_s": 0.0,
            }
            for h, w in ((0, 200.0), (1, 300.0))
        ],
    )
    hourly = gpu_power(database, SINCE, UNTIL)
    assert hourly is not None and hourly.resolution == "hour"
    assert hourly.mean_power_w == pytest.approx(250.0)
    assert hourly.gpu_hours == pytest.approx(2.0)
    assert hourly.saturated_hours == pytest.approx(1.0)
    # 250 W mean of a 350 W limit
    assert hourly.load_share == pytest.approx(250.0 / 350.0)


def test_server_latency_and_gpu_incidents(database):
    server = register_server(
        database, name="coder", kind="vllm", url="http://x", model="m", seen_at=DAY
    )
    assert server_latency(database, SINCE, UNTIL) is None
    insert_rows(
        database,
        ServerRollup,
        [
            {
                "server_id": server,
                "resolution": "hour",
                "bucket_start": DAY,
                "minutes": 60,
                "samples": 240,
                "requests": 100,
                "latency_sum_s": 50.0,
                "latency_count": 100,
            },
            {
                "server_id": server,
                "resolution": "day",
                "bucket_start": DAY,
                "minutes": 60,
                "samples": 240,
                "requests": 100,
                "latency_sum_s": 999.0,
                "latency_count": 100,
            },
        ],
    )
    latency = server_latency(database, SINCE, UNTIL)
    assert latency is not None
    assert (latency.requests, latency.mean_seconds) == (100, 0.5)
    with database.session() as session:
        for rule, at in (
            ("gpu_saturation", DAY),
            ("gpu_throttle", DAY - timedelta(1)),
            ("volume", DAY),
        ):
            session.add(
                AlertIncident(
                    rule=rule,
                    key=f"{rule}:{at}",
                    state="resolved",
                    summary="s",
                    first_seen=at,
                    last_seen=at,
                )
            )
    assert gpu_incident_count(database, SINCE, UNTIL) == 1


def test_billed_lines_per_day(database):
    with database.session() as session:
        for amount in ("1.10", "2.20"):
            session.add(
                CostLine(
                    source="openai-costs",
                    provider="openai",
                    bucket_start=DAY,
                    bucket_seconds=86400,
                    line_item=amount,
                    amount=Decimal(amount),
                    collected_at=DAY,
                )
            )
    lines = billed_lines(database, SINCE, UNTIL)
    assert sorted((line.provider, line.line_item, line.amount) for line in lines) == [
        ("openai", "1.10", Decimal("1.10")),
        ("openai", "2.20", Decimal("2.20")),
    ]
    assert {line.day for line in lines} == {DAY.date()}


def test_attribution_is_upserted_listed_and_removed(database):
    set_attribution(
        database,
        external_id="proj_pay",
        team="payments",
        sensitivity="Regulated",
        updated_by="alice",
    )
    entry = set_attribution(
        database, external_id="proj_pay", label="Payments API", updated_by="bob"
    )
    assert (entry.team, entry.sensitivity, entry.label, entry.updated_by) == (
        "payments",
        "regulated",
        "Payments API",
        "bob",
    )
    set_attribution(
        database,
        external_id="key_1",
        kind="api_key",
        provider="openai",
        sensitivity="public",
        updated_by="alice",
    )
    assert [(e.kind, e.external_id) for e in list_attributions(database)] == [
        ("project", "proj_pay"),
        ("api_key", "key_1"),
    ]
    assert remove_attribution(database, external_id="proj_pay") is True
    assert remove_attribution(database, external_id="proj_pay") is False


@pytest.mark.parametrize(("kind", "sensitivity"), [("bucket", None), ("project", "secret")])
def test_attribution_rejects_unknown_values(sqlite_database, kind, sensitivity):
    with pytest.raises(UsageError):
        set_attribution(
            sqlite_database, external_id="x", kind=kind, sensitivity=sensitivity, updated_by="a"
        )

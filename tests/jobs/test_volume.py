"""The volume report and the zones, table-driven."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from golocal.db.usage import SourceDay
from golocal.jobs.money import usd_string
from golocal.jobs.volume import Zone, build_volume_report, estimate_requests, volume_zone


@pytest.mark.parametrize(
    ("volume", "zone"),
    [
        (0, Zone.BELOW),
        (499, Zone.BELOW),
        (499.9, Zone.BELOW),
        (500, Zone.BETWEEN),
        (1999, Zone.BETWEEN),
        (2000, Zone.BETWEEN),
        (2000.1, Zone.ABOVE),
        (2001, Zone.ABOVE),
    ],
)
def test_zone_edges(volume, zone):
    assert volume_zone(volume, 500, 2000) is zone


def test_zone_follows_configured_thresholds():
    assert volume_zone(450, 400, 1000) is Zone.BETWEEN
    assert volume_zone(1001, 400, 1000) is Zone.ABOVE


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (None, None),
        (Decimal("18.2405"), "18.2405"),
        (Decimal("49.112"), "49.1120"),
        (Decimal("3"), "3.0000"),
        (Decimal("0.000123456"), "0.000123456"),
        (Decimal("1.234500000"), "1.2345"),
        (Decimal("0"), "0.0000"),
    ],
)
def test_money_strings_are_exact(amount, text):
    assert usd_string(amount) == text


def row(day, source, location, requests, *, tokens_without=0, missing=0, cost=None, est=False):
    return SourceDay(
        day=day,
        source=source,
        location=location,
        requests=requests,
        tokens_without_requests=tokens_without,
        buckets_without_requests=missing,
        input_tokens=1000,
        output_tokens=200,
        cost_usd=cost,
        cost_estimated=est,
    )


def test_contract_example_shape_and_totals():
    d1, d2, d3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
    rows = [
        row(d1, "openai", "cloud", 1040, cost=Decimal("18.2405")),
        row(d1, "coder", "local", 272),
        row(d2, "openai", "cloud", 900, cost=Decimal("15.1")),
        row(d3, "openai", "cloud", 850, cost=Decimal("15.7715")),
        row(d3, "coder", "local", 455),
    ]
    report = build_volume_report(rows, d1, date(2026, 3, 5), tokens_per_request=2500).as_json()
    assert report["since"] == "2026-03-02"
    assert report["until"] == "2026-03-05"
    assert [d["day"] for d in report["days"]] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    first = report["days"][0]
    assert first["requests"] == 1312
    assert (first["cloud_requests"], first["local_requests"]) == (1040, 272)
    assert first["cost_usd"] == "18.2405"
    assert first["requests_estimated"] is False
    assert first["by_source"]["coder"] == {
        "location": "local",
        "requests": 272,
        "input_tokens": 1000,
        "output_tokens": 200,
        "cost_usd": None,
        "cost_estimated": False,
        # no server outcomes given: unknown, not 0
        "aborted_requests": None,
        "failed_requests": None,
        "error_rate": None,
    }
    totals = report["totals"]
    assert totals["requests"] == 1312 + 900 + 1305
    assert totals["cost_usd"] == "49.1120"
    assert totals["mean_requests_per_day"] == round(3517 / 3, 1)
    assert (totals["peak_day"], totals["peak_requests"]) == ("2026-03-02", 1312)


def test_every_day_appears_and_empty_days_report_no_cost():
    d1 = date(2026, 3, 2)
    report = build_volume_report(
        [row(d1, "openai", "cloud", 10, cost=Decimal("1"))],
        d1,
        date(2026, 3, 6),
        tokens_per_request=2500,
    )
    data = report.as_json()
    assert len(data["days"]) == 4
    empty = data["days"][2]
    assert (empty["requests"], empty["cost_usd"], empty["by_source"]) == (0, None, {})
    assert empty["has_data"] is False
    assert report.days_with_data == 1


def test_sources_without_request_counts_are_estimated_and_flagged():
    d1 = date(2026, 3, 2)
    rows = [
        row(d1, "openai", "cloud", 100),
        row(d1, "anthropic", "cloud", None, tokens_without=50_000, missing=3),
    ]
    day = build_volume_report(rows, d1, date(2026, 3, 3), tokens_per_request=2500).as_json()[
        "days"
    ][0]
    assert day["requests_estimated"] is True
    assert day["requests"] == 120
    assert day["by_source"]["anthropic"]["requests"] is None
    assert day["by_source"]["anthropic"]["requests_estimate"] == 20


@pytest.mark.parametrize(("tokens", "expected"), [(0, 0), (1, 1), (2500, 1), (6300, 3)])
def test_request_estimates(tokens, expected):
    assert estimate_requests(tokens, 2500) == expected


def test_cost_estimated_flag_propagates_to_day_and_totals():
    d1 = date(2026, 3, 2)
    rows = [row(d1, "litellm", "cloud", 10, cost=Decimal("0.5"), est=True)]
    data = build_volume_report(rows, d1, date(2026, 3, 3), tokens_per_request=2500).as_json()
    assert data["days"][0]["cost_estimated"] is True
    assert data["totals"]["cost_estimated"] is True

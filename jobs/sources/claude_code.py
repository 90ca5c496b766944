"""Anthropic's Claude Code usage report → plain records, one UTC day per request.

Contract: the Claude API reference page ``admin/usage_report/retrieve_claude_code`` and the
Claude Code Analytics API guide
(https://platform.claude.com/docs/en/build-with-claude/claude-code-analytics-api).

Each record is one actor's day (local and remote use are separate records) with a per-model
breakdown of tokens and an ``estimated_cost`` in **cents**. The report counts sessions, not
requests, so ``requests`` stays ``None``.

Records with ``customer_type: "api"`` are billed through an API key of the same
organisation, so their tokens already appear in the messages usage report that the
``anthropic`` source collects with the same admin key; storing them again would count the
same traffic twice. Only subscription usage (Team/Enterprise seats), which appears nowhere
else, becomes usage rows; the API rows are counted in the page but not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from golocal.config.settings import Settings
from golocal.jobs.http_client import ApiClient
from golocal.jobs.sources import anthropic
from golocal.jobs.sources.records import (
    DAY_SECONDS,
    Page,
    UsageRecord,
    Window,
    decimal_of,
    optional_int,
    parse_rfc3339,
    text_or_empty,
    variant_of,
)

NAME = "claude_code"
PROVIDER = "anthropic"
PATH = "v1/organizations/usage_report/claude_code"
PAGE_LIMIT = 1000
_CENTS = Decimal(100)


def missing_credential(settings: Settings) -> str | None:
    """Claude Code's report is read with the Anthropic admin key."""
    return anthropic.missing_credential(settings)


#: the same Admin API client as the ``anthropic`` source
open_client = anthropic.open_client


def iter_pages(client: ApiClient, start: datetime, end: datetime) -> Iterator[Page]:
    """Every page of every UTC day in ``[start, end)``; one window per day."""
    day = start
    while day < end:
        params: list[tuple[str, str | int]] = [
            ("starting_at", day.strftime("%Y-%m-%d")),
            ("limit", PAGE_LIMIT),
        ]
        window = Window(day, day + timedelta(days=1))
        yield from anthropic.paginate(client, PATH, params, _records, window)
        day = window.end


def _records(body: dict[str, Any]) -> Page:
    records = []
    for record in body["data"]:
        if record.get("customer_type") == "api":
            continue  # already in the messages usage report (see the module docstring)
        day = parse_rfc3339(record["date"])
        actor = record.get("actor") or {}
        user = actor.get("email_address") if actor.get("type") == "user_actor" else None
        key_name = actor.get("api_key_name") if actor.get("type") == "api_actor" else None
        variant = variant_of(
            [
                ("tool", "claude_code"),
                ("user", user),
                ("remote", True if record.get("is_remote") else None),
                ("plan", record.get("subscription_type")),
            ]
        )
        for item in record.get("model_breakdown") or []:
            tokens = item.get("tokens") or {}
            uncached = optional_int(tokens, "input") or 0
            cache_read = optional_int(tokens, "cache_read") or 0
            cache_write = optional_int(tokens, "cache_creation") or 0
            cost = item.get("estimated_cost") or {}
            amount = cost.get("amount")
            records.append(
                UsageRecord(
                    bucket_start=day,
                    bucket_seconds=DAY_SECONDS,
                    provider=PROVIDER,
                    model=text_or_empty(item.get("model"), "model"),
                    api_key=text_or_empty(key_name, "api_key"),
                    variant=variant,
                    requests=None,  # sessions, not requests
                    input_tokens=uncached + cache_read + cache_write,
                    cached_input_tokens=cache_read,
                    cache_write_tokens=cache_write,
                    output_tokens=optional_int(tokens, "output") or 0,
                    # estimated_cost.amount is in cents; Anthropic itself calls it an estimate
                    cost_usd=None
                    if amount is None
                    else decimal_of(amount, "estimated_cost.amount") / _CENTS,
                    cost_estimated=amount is not None,
                )
            )
    return Page(usage=records)

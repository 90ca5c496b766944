"""Anthropic Admin API: messages usage report and cost report → plain records.

Contract: the Claude API reference pages ``admin/usage_report/retrieve_messages`` and
``admin/cost_report`` (https://platform.claude.com/docs/en/api/admin/...).

* Usage: 1-day buckets grouped by model, workspace, API key and service tier; every
  interval comes back, empty ones as ``results: []``. The report has **no request count**:
  ``requests`` stays ``None`` and the volume report estimates it from tokens, flagged.
  Input tokens = uncached + cache reads + both cache-creation kinds.
* Costs: ``amount`` is a decimal **string in cents** ("123.45" = $1.2345).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from golocal.jobs.http_client import ApiClient
from golocal.jobs.sources.paging import ClientSpec, bucket_seconds, cursor_pages
from golocal.jobs.sources.records import (
    CostRecord,
    Page,
    UsageRecord,
    Window,
    decimal_of,
    optional_int,
    parse_rfc3339,
    split_windows,
    text_or_empty,
    variant_of,
    zero_usage,
)

NAME = "anthropic"
PROVIDER = "anthropic"
KEY_ENV = "ANTHROPIC_ADMIN_KEY"
API_VERSION = "2023-06-01"
USAGE_PATH = "v1/organizations/usage_report/messages"
COSTS_PATH = "v1/organizations/cost_report"
MAX_DAYS = 31
USAGE_GROUP_BY = ("model", "workspace_id", "api_key_id", "service_tier")
COSTS_GROUP_BY = ("workspace_id", "description")
_CENTS = Decimal(100)


CLIENT = ClientSpec(
    provider="Anthropic",
    label="Anthropic admin key",
    env_var=KEY_ENV,
    base_url=lambda settings: settings.anthropic_base_url,
    secret=lambda settings: settings.anthropic_admin_key,
    header="x-api-key",
    scheme="",
    headers={"anthropic-version": API_VERSION},
)
#: an Admin API client: ``x-api-key`` and the pinned ``anthropic-version``
open_client = CLIENT.open
#: why the source cannot run (``None`` when it can)
missing_credential = CLIENT.missing


def rfc3339(moment: datetime) -> str:
    """``2025-08-01T00:00:00Z``: the form the Admin API's examples use."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def paginate(
    client: ApiClient,
    path: str,
    params: list[tuple[str, str | int]],
    parse: Callable[[dict[str, Any]], Page],
    window: Window,
) -> Iterator[Page]:
    """Follow an Admin API report's pages to the end; the last is marked ``window_done``."""
    return cursor_pages(client, CLIENT.provider, path, params, parse, window)


def iter_pages(client: ApiClient, start: datetime, end: datetime) -> Iterator[Page]:
    """Every usage page, then every cost page, of ``[start, end)``, oldest first."""
    for window in split_windows(start, end, MAX_DAYS):
        yield from paginate(client, USAGE_PATH, _params(window, USAGE_GROUP_BY), _usage, window)
    for window in split_windows(start, end, MAX_DAYS):
        yield from paginate(client, COSTS_PATH, _params(window, COSTS_GROUP_BY), _costs, window)


def _params(window: Window, group_by: tuple[str, ...]) -> list[tuple[str, str | int]]:
    return [
        ("starting_at", rfc3339(window.start)),
        ("ending_at", rfc3339(window.end)),
        ("bucket_width", "1d"),
        ("limit", MAX_DAYS),
        *(("group_by[]", name) for name in group_by),
    ]


def _buckets(body: dict[str, Any]) -> Iterator[tuple[datetime, int, list[dict[str, Any]]]]:
    for bucket in body["data"]:
        start = parse_rfc3339(bucket["starting_at"])
        seconds = bucket_seconds(start, parse_rfc3339(bucket["ending_at"]))
        results = bucket["results"]
        if not isinstance(results, list):
            raise ValueError("results is not a list")
        yield start, seconds, results


def _usage(body: dict[str, Any]) -> Page:
    records = []
    for start, seconds, results in _buckets(body):
        if not results:
            # the provider reported the interval and nothing was used: a true zero
            records.append(zero_usage(start, seconds, PROVIDER, requests=None))
        for result in results:
            uncached = optional_int(result, "uncached_input_tokens") or 0
            cache_read = optional_int(result, "cache_read_input_tokens") or 0
            creation = result.get("cache_creation") or {}
            cache_write = (optional_int(creation, "ephemeral_1h_input_tokens") or 0) + (
                optional_int(creation, "ephemeral_5m_input_tokens") or 0
            )
            records.append(
                UsageRecord(
                    bucket_start=start,
                    bucket_seconds=seconds,
                    provider=PROVIDER,
                    model=text_or_empty(result.get("model"), "model"),
                    project=text_or_empty(result.get("workspace_id"), "workspace_id"),
                    api_key=text_or_empty(result.get("api_key_id"), "api_key_id"),
                    variant=variant_of([("tier", result.get("service_tier"))]),
                    requests=None,  # the report has no request count: unknown, never 0
                    input_tokens=uncached + cache_read + cache_write,
                    cached_input_tokens=cache_read,
                    cache_write_tokens=cache_write,
                    output_tokens=optional_int(result, "output_tokens") or 0,
                )
            )
    return Page(usage=records)


def _costs(body: dict[str, Any]) -> Page:
    records = []
    for start, seconds, results in _buckets(body):
        for result in results:
            currency = (text_or_empty(result.get("currency"), "currency", 10) or "USD").upper()
            line_item = text_or_empty(
                result.get("description") or result.get("cost_type"), "description", 300
            )
            records.append(
                CostRecord(
                    bucket_start=start,
                    bucket_seconds=seconds,
                    provider=PROVIDER,
                    # amount is in the lowest currency unit (cents), as a decimal string
                    amount=decimal_of(result["amount"], "amount") / _CENTS,
                    currency=currency,
                    project=text_or_empty(result.get("workspace_id"), "workspace_id"),
                    line_item=line_item,
                    model=text_or_empty(result.get("model"), "model") or None,
                )
            )
    return Page(costs=records)

"""OpenAI organisation Usage API (completions) and Costs API → plain records.

Contract: openai/openai-openapi ``openapi.yaml`` (``usage-completions`` operation,
``UsageResponse``, ``UsageCompletionsResult``, ``CostsResult``).

* Usage: 1-day buckets grouped by model, project, API key, batch and service tier, at most
  31 buckets per page; ``input_tokens`` includes cached (and, in the 2026 shape,
  cache-write) tokens. Older pages have no cache-write/uncached fields: those stay ``None``.
* Costs: dollars as JSON numbers (converted through ``str`` to ``Decimal``), grouped by line
  item and project, at most 180 buckets per page.
* Fine-tuned models (``ft:…``) and batch usage stay visible as their own dimensions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from golocal.jobs.http_client import ApiClient
from golocal.jobs.sources.paging import ClientSpec, bucket_seconds, cursor_pages
from golocal.jobs.sources.records import (
    CostRecord,
    Page,
    UsageRecord,
    Window,
    decimal_of,
    from_unix,
    optional_int,
    required_int,
    split_windows,
    text_or_empty,
    variant_of,
    zero_usage,
)

NAME = "openai"
PROVIDER = "openai"
KEY_ENV = "OPENAI_ADMIN_KEY"
USAGE_PATH = "organization/usage/completions"
COSTS_PATH = "organization/costs"
USAGE_MAX_DAYS = 31
COSTS_MAX_DAYS = 180
USAGE_GROUP_BY = ("model", "project_id", "api_key_id", "batch", "service_tier")
COSTS_GROUP_BY = ("line_item", "project_id")


CLIENT = ClientSpec(
    provider="OpenAI",
    label="OpenAI admin key",
    env_var=KEY_ENV,
    base_url=lambda settings: settings.openai_base_url,
    secret=lambda settings: settings.openai_admin_key,
)
#: an API client for the organisation endpoints, with the admin key as Bearer
open_client = CLIENT.open
#: why the source cannot run (``None`` when it can)
missing_credential = CLIENT.missing


def iter_pages(client: ApiClient, start: datetime, end: datetime) -> Iterator[Page]:
    """Every usage page, then every cost page, of ``[start, end)``, oldest first."""
    for window in split_windows(start, end, USAGE_MAX_DAYS):
        params = _params(window, USAGE_MAX_DAYS, USAGE_GROUP_BY)
        yield from cursor_pages(client, CLIENT.provider, USAGE_PATH, params, _usage, window)
    for window in split_windows(start, end, COSTS_MAX_DAYS):
        params = _params(window, COSTS_MAX_DAYS, COSTS_GROUP_BY)
        yield from cursor_pages(client, CLIENT.provider, COSTS_PATH, params, _costs, window)


def _params(window: Window, limit: int, group_by: tuple[str, ...]) -> list[tuple[str, str | int]]:
    return [
        ("start_time", int(window.start.timestamp())),
        ("end_time", int(window.end.timestamp())),
        ("bucket_width", "1d"),
        ("limit", limit),
        *(("group_by", name) for name in group_by),
    ]


def _buckets(body: dict[str, Any]) -> Iterator[tuple[datetime, int, list[dict[str, Any]]]]:
    if body.get("object") != "page":
        raise ValueError(f"object is {body.get('object')!r}, not 'page'")
    for bucket in body["data"]:
        start = from_unix(bucket["start_time"])
        yield start, bucket_seconds(start, from_unix(bucket["end_time"])), bucket["results"]


def _usage(body: dict[str, Any]) -> Page:
    records = []
    for start, seconds, results in _buckets(body):
        if not results:
            # the provider reported the interval and nothing was used: a true zero
            records.append(zero_usage(start, seconds, PROVIDER, requests=0))
        for result in results:
            records.append(
                UsageRecord(
                    bucket_start=start,
                    bucket_seconds=seconds,
                    provider=PROVIDER,
                    model=text_or_empty(result.get("model"), "model"),
                    project=text_or_empty(result.get("project_id"), "project_id"),
                    api_key=text_or_empty(result.get("api_key_id"), "api_key_id"),
                    variant=variant_of(
                        [
                            ("batch", True if result.get("batch") else None),
                            ("tier", result.get("service_tier")),
                        ]
                    ),
                    requests=required_int(result, "num_model_requests"),
                    input_tokens=required_int(result, "input_tokens"),
                    cached_input_tokens=optional_int(result, "input_cached_tokens"),
                    cache_write_tokens=optional_int(result, "input_cache_write_tokens"),
                    output_tokens=required_int(result, "output_tokens"),
                )
            )
    return Page(usage=records)


def _costs(body: dict[str, Any]) -> Page:
    records = []
    for start, seconds, results in _buckets(body):
        for result in results:
            amount = result.get("amount") or {}
            value = amount.get("value")
            if value is None:
                continue  # a result without money carries nothing to store
            line_item = text_or_empty(result.get("line_item"), "line_item", 300)
            currency = text_or_empty(amount.get("currency"), "currency", 10) or "usd"
            records.append(
                CostRecord(
                    bucket_start=start,
                    bucket_seconds=seconds,
                    provider=PROVIDER,
                    amount=decimal_of(value, "amount.value"),
                    currency=currency.upper(),
                    project=text_or_empty(result.get("project_id"), "project_id"),
                    api_key=text_or_empty(result.get("api_key_id"), "api_key_id"),
                    line_item=line_item,
                    # line items read "<model>, input" / "<model>, output"
                    model=line_item.split(",", 1)[0].strip() if "," in line_item else None,
                )
            )
    return Page(costs=records)

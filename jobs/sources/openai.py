"""OpenAI organisation Usage API (completions) and Costs API → plain records.

Contract: openai/openai-openapi ``openapi.yaml`` (``usage-completions`` operation,
``UsageResponse``, ``UsageCompletionsResult``, ``CostsResult``); summarised in
API-CONTRACTS.md sections 1 and 2.

* Usage: 1-day buckets grouped by model, project, API key, batch and service tier, at most
  31 buckets per page; ``input_tokens`` includes cached (and, in the 2026 shape,
  cache-write) tokens. Older pages have no cache-write/uncached fields: those stay ``None``.
* Costs: dollars as JSON numbers (converted through ``str`` to ``Decimal``), grouped by line
  item and project, at most 180 buckets per page.
* Fine-tuned models (``ft:…``) and batch usage stay visible as their own dimensions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx

from golocal.config.settings import Settings
from golocal.jobs.http_client import ApiClient, Credential, MalformedResponse, RetryPolicy
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


def missing_credential(settings: Settings) -> str | None:
    """Why the source cannot run (``None`` when it can)."""
    return None if settings.openai_admin_key else f"{KEY_ENV} not set"


def open_client(
    settings: Settings,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None],
    transport: httpx.BaseTransport | None = None,
) -> ApiClient:
    """An API client for the organisation endpoints, with the admin key as Bearer."""
    assert settings.openai_admin_key is not None
    return ApiClient(
        provider="OpenAI",
        base_url=settings.openai_base_url,
        credential=Credential(
            header="authorization",
            value=f"Bearer {settings.openai_admin_key.get_secret_value()}",
            label="OpenAI admin key",
            env_var=KEY_ENV,
        ),
        policy=policy,
        sleep=sleep,
        transport=transport,
    )


def iter_pages(client: ApiClient, start: datetime, end: datetime) -> Iterator[Page]:
    """Every usage page, then every cost page, of ``[start, end)``, oldest first."""
    for window in split_windows(start, end, USAGE_MAX_DAYS):
        yield from _paginate(client, USAGE_PATH, window, USAGE_MAX_DAYS, USAGE_GROUP_BY, _usage)
    for window in split_windows(start, end, COSTS_MAX_DAYS):
        yield from _paginate(client, COSTS_PATH, window, COSTS_MAX_DAYS, COSTS_GROUP_BY, _costs)


def _paginate(
    client: ApiClient,
    path: str,
    window: Window,
    limit: int,
    group_by: tuple[str, ...],
    parse: Callable[[dict[str, Any]], Page],
) -> Iterator[Page]:
    page_token: str | None = None
    while True:
        params: list[tuple[str, str | int]] = [
            ("start_time", int(window.start.timestamp())),
            ("end_time", int(window.end.timestamp())),
            ("bucket_width", "1d"),
            ("limit", limit),
            *(("group_by", name) for name in group_by),
        ]
        if page_token:
            params.append(("page", page_token))
        body = client.get_json(path, params)
        try:
            page = parse(body)
            has_more = body["has_more"]
            page_token = body["next_page"]
            if not isinstance(has_more, bool):
                raise ValueError("has_more is not a boolean")
            if has_more and not isinstance(page_token, str):
                raise ValueError("has_more is true but next_page is not a string")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedResponse(f"OpenAI {path} page is malformed: {exc}") from None
        if not has_more:
            yield Page(usage=page.usage, costs=page.costs, window_done=True)
            return
        yield page


def _buckets(body: dict[str, Any]) -> Iterator[tuple[datetime, int, list[dict[str, Any]]]]:
    if body.get("object") != "page":
        raise ValueError(f"object is {body.get('object')!r}, not 'page'")
    for bucket in body["data"]:
        start = from_unix(bucket["start_time"])
        end = from_unix(bucket["end_time"])
        seconds = int((end - start).total_seconds())
        if seconds <= 0:
            raise ValueError("bucket ends before it starts")
        yield start, seconds, bucket["results"]


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
                    model=text_or_empty(result.get("model")),
                    project=text_or_empty(result.get("project_id")),
                    api_key=text_or_empty(result.get("api_key_id")),
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
            line_item = text_or_empty(result.get("line_item"))
            records.append(
                CostRecord(
                    bucket_start=start,
                    bucket_seconds=seconds,
                    provider=PROVIDER,
                    amount=decimal_of(value, "amount.value"),
                    currency=str(amount.get("currency") or "usd").upper(),
                    project=text_or_empty(result.get("project_id")),
                    api_key=text_or_empty(result.get("api_key_id")),
                    line_item=line_item,
                    # line items read "<model>, input" / "<model>, output"
                    model=line_item.split(",", 1)[0].strip() if "," in line_item else None,
                )
            )
    return Page(costs=records)

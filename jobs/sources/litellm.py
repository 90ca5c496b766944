"""A LiteLLM proxy's daily activity API → plain records.

Contract: LiteLLM docs "Daily Spend Breakdown API" (https://docs.litellm.ai/docs/proxy/cost_tracking,
https://docs.litellm.ai/docs/proxy/metrics) and the response models in BerriAI/litellm
``litellm/types/proxy/management_endpoints/common_daily_activity.py``
(``SpendAnalyticsPaginatedResponse``: ``results[]`` of ``{date, metrics, breakdown}`` and
``metadata{page, total_pages, has_more}``).

``GET {url}/user/daily/activity?start_date=&end_date=`` (both days inclusive, ``page``,
``page_size`` up to 1000) gives per-day spend, tokens and ``api_requests``, broken down by
model and, inside each model, by API key (hashed by the proxy). One row per day × model ×
key. The proxy pages over its raw daily-spend rows (user × day × key × model × provider) and
aggregates each page on its own, so one day × model × key can be split over two pages: the
collector sums a window's pages per natural key before storing them. A key that is not an
admin's silently sees only its own user's rows: :func:`scope_warnings` says so. A gateway
fronts several providers, so this counts traffic golocal has no admin key
for. Spend is the proxy's own calculation; a spend of exactly 0 with tokens is LiteLLM's
"could not price it" (not a free model), so it is stored as unknown and priced by golocal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from golocal.config.settings import Settings
from golocal.jobs.http_client import ApiClient, CredentialsRejected, MalformedResponse, SourceError
from golocal.jobs.sources.paging import PARSE_ERRORS, ClientSpec, PageGuard
from golocal.jobs.sources.records import (
    DAY_SECONDS,
    Page,
    UsageRecord,
    Window,
    day_start,
    decimal_of,
    optional_int,
    split_windows,
    text_or_empty,
)

NAME = "litellm"
PROVIDER = "litellm"
KEY_ENV = "LITELLM_API_KEY"
PATH = "user/daily/activity"
USER_INFO_PATH = "user/info"
#: the roles whose keys see every user's traffic (``_user_has_admin_view`` upstream)
ADMIN_ROLES = frozenset({"proxy_admin", "proxy_admin_viewer"})
MAX_DAYS = 31
PAGE_SIZE = 1000


CLIENT = ClientSpec(
    provider="LiteLLM",
    label="LiteLLM API key",
    env_var=KEY_ENV,
    base_url=lambda settings: settings.litellm.url or "",
    secret=lambda settings: settings.litellm_api_key,
)
#: a client for the proxy, with its key as Bearer
open_client = CLIENT.open


def missing_credential(settings: Settings) -> str | None:
    """Why the source cannot run (``None`` when it can)."""
    if not settings.litellm.url:
        return "litellm.url not set in the config file"
    return CLIENT.missing(settings)


def scope_warnings(client: ApiClient) -> list[str]:
    """What the key cannot see: a key that is not an admin's only sees its own user's traffic.

    ``GET /user/info`` without ``user_id`` answers ``user_id: null`` for a proxy admin, and
    the caller's own user and its ``user_role`` for anyone else (BerriAI/litellm
    ``internal_user_endpoints.py``, ``user_info``).
    """
    try:
        body = client.get_json(USER_INFO_PATH)
    except CredentialsRejected:
        raise
    except SourceError as exc:
        return [
            f"could not tell whether the LiteLLM key is an admin key ({exc.message}): "
            "if it is not, only its own user's traffic is counted"
        ]
    if not isinstance(body, dict):
        return ["could not tell whether the LiteLLM key is an admin key (/user/info is malformed)"]
    user_id = body.get("user_id")
    info = body.get("user_info")
    if user_id is None and info is None:
        return []  # the proxy admin's answer
    role = info.get("user_role") if isinstance(info, dict) else None
    if role in ADMIN_ROLES:
        return []
    who = user_id if isinstance(user_id, str) else "(unknown)"
    return [
        f"LiteLLM key is not an admin key (role {role or 'unknown'}): only user {who}'s "
        "traffic is counted; use the proxy's master key or a proxy_admin_viewer key"
    ]


def iter_pages(client: ApiClient, start: datetime, end: datetime) -> Iterator[Page]:
    """Every page of ``[start, end)`` in windows of at most 31 days."""
    for window in split_windows(start, end, MAX_DAYS):
        yield from _window_pages(client, window)


def _window_pages(client: ApiClient, window: Window) -> Iterator[Page]:
    last_day = (window.end - timedelta(days=1)).date()
    page_number = 1
    guard = PageGuard(client, "LiteLLM", PATH)
    while True:
        guard.next(page_number)
        params: list[tuple[str, str | int]] = [
            ("start_date", window.start.date().isoformat()),
            ("end_date", last_day.isoformat()),  # inclusive
            ("page", page_number),
            ("page_size", PAGE_SIZE),
        ]
        body = client.get_json(PATH, params)
        try:
            records = [record for day in body["results"] for record in _day(day)]
            metadata = body.get("metadata") or {}
            has_more = bool(metadata.get("has_more", False))
        except PARSE_ERRORS as exc:
            raise MalformedResponse(f"LiteLLM {PATH} page is malformed: {exc}") from None
        yield Page(usage=records, window_done=not has_more, window=window)
        if not has_more:
            return
        page_number += 1


def _record(day: datetime, model: str, api_key: str, metrics: dict[str, Any]) -> UsageRecord:
    input_tokens = optional_int(metrics, "prompt_tokens")
    output_tokens = optional_int(metrics, "completion_tokens")
    spend = decimal_of(metrics.get("spend", 0), "spend")
    has_tokens = (input_tokens or 0) + (output_tokens or 0) > 0
    return UsageRecord(
        bucket_start=day,
        bucket_seconds=DAY_SECONDS,
        provider=PROVIDER,
        model=model,
        api_key=api_key,
        requests=optional_int(metrics, "api_requests"),
        input_tokens=input_tokens,
        cached_input_tokens=optional_int(metrics, "cache_read_input_tokens"),
        cache_write_tokens=optional_int(metrics, "cache_creation_input_tokens"),
        output_tokens=output_tokens,
        cost_usd=None if spend == 0 and has_tokens else spend,
    )


def _day(entry: dict[str, Any]) -> Iterator[UsageRecord]:
    day = day_start(date.fromisoformat(str(entry["date"])[:10]))
    models = (entry.get("breakdown") or {}).get("models") or {}
    if not models:
        metrics = entry["metrics"]
        if (optional_int(metrics, "api_requests") or 0) or (metrics.get("spend") or 0):
            yield _record(day, "", "", metrics)
        return
    for model, detail in models.items():
        keys = detail.get("api_key_breakdown") or {}
        if not keys:
            yield _record(day, text_or_empty(model, "model"), "", detail["metrics"])
            continue
        for api_key, key_detail in keys.items():
            yield _record(
                day,
                text_or_empty(model, "model"),
                text_or_empty(api_key, "api_key"),
                key_detail["metrics"],
            )

"""A loopback fake of OpenAI's organisation Usage (completions) and Costs APIs.

Answers as openai/openai-openapi ``openapi.yaml`` (f85dbe2) documents them:
``GET /v1/organization/usage/completions`` and ``GET /v1/organization/costs``
with ``AdminApiKeyAuth`` (Bearer), ``start_time`` required, exclusive ``end_time``,
``bucket_width=1d``, ``limit`` = buckets per page (usage: default 7, max 31; costs: default
7, max 180), exploded ``group_by`` arrays, ``page`` = the previous ``next_page``. Pages are
``UsageResponse`` objects (``object: "page"``, ``data``, ``has_more``, ``next_page``); every
interval is a bucket, empty ones with ``results: []``. Dimensions not grouped by are
``null``. Errors are ``ErrorResponse`` (``{"error": {message, type, param, code}}``).

``legacy_shape=True`` answers like the 2024-12 schema: no cache-write, uncached, audio,
image or ``service_tier`` fields.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.fakes.server import BadRequest, LoopbackServer, Reply, Request, int_param

USAGE_PATH = "/v1/organization/usage/completions"
COSTS_PATH = "/v1/organization/costs"
USAGE_GROUPS = {"project_id", "user_id", "api_key_id", "model", "batch", "service_tier"}
COST_GROUPS = {"project_id", "line_item", "api_key_id"}
DAY = 86_400


@dataclass
class UsageRow:
    day: date
    model: str
    project_id: str | None
    api_key_id: str | None
    input_tokens: int
    output_tokens: int
    requests: int
    cached: int = 0
    cache_write: int = 0
    batch: bool = False
    service_tier: str | None = "default"


@dataclass
class CostRow:
    day: date
    line_item: str
    project_id: str | None
    value: float


def error(status: int, message: str, kind: str, code: str | None = None) -> Reply:
    """An ``ErrorResponse`` body: all four keys present, ``param``/``code`` nullable."""
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return Reply(status, body)


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


class FakeOpenAI(LoopbackServer):
    """OpenAI's organisation endpoints for one admin key."""

    def __init__(
        self, admin_key: str, *, legacy_shape: bool = False, page_cap: int | None = None
    ) -> None:
        super().__init__()
        self.admin_key = admin_key
        self.legacy_shape = legacy_shape
        #: serve at most this many buckets per page even when ``limit`` allows more (``limit``
        #: is a maximum; a server may paginate earlier and say so with has_more/next_page)
        self.page_cap = page_cap
        self.usage: list[UsageRow] = []
        self.costs: list[CostRow] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def add_usage(self, day: date, model: str, project_id: str | None, **values: Any) -> None:
        values.setdefault("api_key_id", None)
        values.setdefault("input_tokens", 1000)
        values.setdefault("output_tokens", 100)
        values.setdefault("requests", 10)
        self.usage.append(UsageRow(day=day, model=model, project_id=project_id, **values))

    def add_cost(self, day: date, line_item: str, project_id: str | None, value: float) -> None:
        self.costs.append(CostRow(day, line_item, project_id, value))

    def bad_request(self, message: str) -> Reply:
        return error(400, message, "invalid_request_error")

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.admin_key}":
            shown = (request.headers.get("authorization") or "")[-4:]
            # the real API echoes part of a rejected key: the client must never repeat it
            return error(
                401,
                f"Incorrect API key provided: sk-admin-****{shown}.",
                "invalid_request_error",
                "invalid_api_key",
            )
        if request.path == USAGE_PATH:
            return self._page(request, 31, USAGE_GROUPS, self._usage_results)
        if request.path == COSTS_PATH:
            return self._page(request, 180, COST_GROUPS, self._cost_results)
        return error(404, f"Invalid URL (GET {request.path})", "invalid_request_error")

    def _page(self, request: Request, max_limit: int, groups: set[str], results: Any) -> Reply:
        start = int_param(request, "start_time", None, 0, 2**40)
        end = int_param(request, "end_time", start + 7 * DAY, start + 1, 2**40)
        if (request.first("bucket_width") or "1d") != "1d":
            raise BadRequest("this fake serves bucket_width=1d only")
        limit = int_param(request, "limit", 7, 1, max_limit)
        if self.page_cap is not None:
            limit = min(limit, self.page_cap)
        group_by = request.query.get("group_by", [])
        if not set(group_by) <= groups:
            raise BadRequest(f"invalid group_by: {group_by}")
        page = request.first("page")
        offset = 0
        if page is not None:
            if not page.startswith("page_"):
                raise BadRequest("invalid page")
            offset = int(page.removeprefix("page_"))
        starts = list(range(start - start % DAY, end, DAY))
        chosen = starts[offset : offset + limit]
        has_more = offset + limit < len(starts)
        data = []
        for bucket_start in chosen:
            day = datetime.fromtimestamp(bucket_start, tz=UTC).date()
            data.append(
                {
                    "object": "bucket",
                    "start_time": bucket_start,
                    "end_time": bucket_start + DAY,
                    "results": results(day, set(group_by)),
                }
            )
        return Reply(
            200,
            {
                "object": "page",
                "data": data,
                "has_more": has_more,
                "next_page": f"page_{offset + limit}" if has_more else None,
            },
        )

    def _usage_results(self, day: date, group_by: set[str]) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], list[UsageRow]] = defaultdict(list)
        for row in self.usage:
            if row.day != day:
                continue
            key = tuple(
                getattr(row, name) if name in group_by else None
                for name in ("model", "project_id", "api_key_id", "batch", "service_tier")
            )
            groups[key].append(row)
        results = []
        for (model, project, key, batch, tier), rows in groups.items():
            inputs = sum(r.input_tokens for r in rows)
            cached = sum(r.cached for r in rows)
            write = sum(r.cache_write for r in rows)
            result: dict[str, Any] = {
                "object": "organization.usage.completions.result",
                "input_tokens": inputs,
                "output_tokens": sum(r.output_tokens for r in rows),
                "input_cached_tokens": cached,
                "input_audio_tokens": 0,
                "output_audio_tokens": 0,
                "num_model_requests": sum(r.requests for r in rows),
                "project_id": project,
                "user_id": None,
                "api_key_id": key,
                "model": model,
                "batch": batch,
                "service_tier": tier,
                "input_cache_write_tokens": write,
                "input_uncached_tokens": inputs - cached - write,
                "input_text_tokens": inputs - cached - write,
                "output_text_tokens": sum(r.output_tokens for r in rows),
                "input_cached_text_tokens": cached,
                "input_cached_audio_tokens": 0,
                "input_image_tokens": 0,
                "input_cached_image_tokens": 0,
                "output_image_tokens": 0,
            }
            if self.legacy_shape:
                for name in list(result):
                    if name not in {
                        "object",
                        "input_tokens",
                        "output_tokens",
                        "input_cached_tokens",
                        "input_audio_tokens",
                        "output_audio_tokens",
                        "num_model_requests",
                        "project_id",
                        "user_id",
                        "api_key_id",
                        "model",
                        "batch",
                    }:
                        del result[name]
                del result["input_audio_tokens"], result["output_audio_tokens"]
            results.append(result)
        return results

    def _cost_results(self, day: date, group_by: set[str]) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], float] = defaultdict(float)
        for row in self.costs:
            if row.day != day:
                continue
            key = (
                row.line_item if "line_item" in group_by else None,
                row.project_id if "project_id" in group_by else None,
            )
            groups[key] += row.value
        return [
            {
                "object": "organization.costs.result",
                "amount": {"value": value, "currency": "usd"},
                "line_item": line_item,
                "project_id": project,
                "api_key_id": None,
                "quantity": None,
                "quantity_unit": None,
            }
            for (line_item, project), value in groups.items()
        ]


def days(start: date, count: int) -> list[date]:
    """``count`` consecutive days from ``start``."""
    return [start + timedelta(days=i) for i in range(count)]

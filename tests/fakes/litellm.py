"""A loopback fake of a LiteLLM proxy's ``GET /user/daily/activity``.

Answers as LiteLLM documents it: https://docs.litellm.ai/docs/proxy/cost_tracking (Daily
Spend Breakdown API) and https://docs.litellm.ai/docs/proxy/metrics, with the response
models of BerriAI/litellm ``litellm/types/proxy/management_endpoints/common_daily_activity.py``
(``SpendAnalyticsPaginatedResponse``): ``results[]`` = ``{date, metrics, breakdown}``
(``breakdown.models[model] = {metrics, metadata, api_key_breakdown{key: {metrics,
metadata}}}``), ``metadata{total_*, page, total_pages, has_more}``. Query: ``start_date``,
``end_date`` (inclusive days), ``page`` (from 1), ``page_size`` (default 50, max 1000).
Auth: ``Authorization: Bearer <key>``; a wrong key is 401 with LiteLLM's
``{"error": {"message", "type": "auth_error", "param", "code": "401"}}``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tests.fakes.server import BadRequest, LoopbackServer, Reply, Request, int_param

PATH = "/user/daily/activity"


@dataclass
class GatewayRow:
    day: date
    model: str
    api_key: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    spend: float


def _metrics(rows: list[GatewayRow]) -> dict[str, Any]:
    prompt = sum(r.prompt_tokens for r in rows)
    completion = sum(r.completion_tokens for r in rows)
    return {
        "spend": sum(r.spend for r in rows),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "total_tokens": prompt + completion,
        "successful_requests": sum(r.requests for r in rows),
        "failed_requests": 0,
        "api_requests": sum(r.requests for r in rows),
    }


class FakeLiteLLM(LoopbackServer):
    """One LiteLLM proxy with a master key."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.rows: list[GatewayRow] = []

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return Reply(
                401,
                {
                    "error": {
                        "message": "Authentication Error, Invalid proxy server token passed.",
                        "type": "auth_error",
                        "param": "None",
                        "code": "401",
                    }
                },
            )
        if request.path != PATH:
            return Reply(404, {"detail": "Not Found"})
        try:
            start = date.fromisoformat(request.first("start_date") or "")
            end = date.fromisoformat(request.first("end_date") or "")
        except ValueError:
            raise BadRequest("start_date and end_date are required (YYYY-MM-DD)") from None
        page = int_param(request, "page", 1, 1, 10**6)
        page_size = int_param(request, "page_size", 50, 1, 1000)
        by_day: dict[date, list[GatewayRow]] = defaultdict(list)
        for row in self.rows:
            if start <= row.day <= end:
                by_day[row.day].append(row)
        days = sorted(by_day)
        total_pages = max(1, -(-len(days) // page_size))
        chosen = days[(page - 1) * page_size : page * page_size]
        results = []
        for day in chosen:
            models: dict[str, list[GatewayRow]] = defaultdict(list)
            for row in by_day[day]:
                models[row.model].append(row)
            breakdown_models = {}
            for model, rows in models.items():
                keys: dict[str, list[GatewayRow]] = defaultdict(list)
                for row in rows:
                    keys[row.api_key].append(row)
                breakdown_models[model] = {
                    "metrics": _metrics(rows),
                    "metadata": {},
                    "api_key_breakdown": {
                        key: {
                            "metrics": _metrics(krows),
                            "metadata": {"key_alias": None, "team_id": None},
                        }
                        for key, krows in keys.items()
                    },
                }
            results.append(
                {
                    "date": day.isoformat(),
                    "metrics": _metrics(by_day[day]),
                    "breakdown": {
                        "models": breakdown_models,
                        "model_groups": {},
                        "providers": {},
                        "api_keys": {},
                        "mcp_servers": {},
                        "endpoints": {},
                        "entities": {},
                    },
                }
            )
        every = [row for rows in by_day.values() for row in rows]
        metadata = {
            "total_spend": sum(r.spend for r in every),
            "total_api_requests": sum(r.requests for r in every),
            "page": page,
            "total_pages": total_pages,
            "has_more": page < total_pages,
        }
        return Reply(200, {"results": results, "metadata": metadata})


def span(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]

"""A loopback fake of a LiteLLM proxy's ``GET /user/daily/activity`` and ``GET /user/info``.

Answers as LiteLLM documents it: https://docs.litellm.ai/docs/proxy/cost_tracking (Daily
Spend Breakdown API) and https://docs.litellm.ai/docs/proxy/metrics, with the response
models of BerriAI/litellm ``litellm/types/proxy/management_endpoints/common_daily_activity.py``
(``SpendAnalyticsPaginatedResponse``): ``results[]`` = ``{date, metrics, breakdown}``
(``breakdown.models[model] = {metrics, metadata, api_key_breakdown{key: {metrics,
metadata}}}``), ``metadata{total_*, page, total_pages, has_more}``. Query: ``start_date``,
``end_date`` (inclusive days), ``page`` (from 1), ``page_size`` (default 50, max 1000).

Paging is the proxy's own (BerriAI/litellm
``litellm/proxy/management_endpoints/common_daily_activity.py``, ``get_daily_activity``): it
pages over the raw ``LiteLLM_DailyUserSpend`` rows — one per user × day × key × model ×
provider — ordered by ``date desc, id asc`` with ``skip=(page-1)*page_size``,
``take=page_size``, and aggregates **each page on its own** into days, models and keys; so one
day × model × key can appear on two pages with part of its traffic on each.
``has_more = page * page_size < total_count``.

Scope (``litellm/proxy/management_endpoints/internal_user_endpoints.py``): a key whose user
is not ``proxy_admin``/``proxy_admin_viewer`` only sees its own user's rows, silently.
``GET /user/info`` without ``user_id`` answers ``{"user_id": null, "user_info": null, "keys",
"teams"}`` for a proxy admin, and the caller's own ``user_id`` and ``user_info`` (with
``user_role``) for anyone else.

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
USER_INFO_PATH = "/user/info"


@dataclass
class GatewayRow:
    """One raw daily-spend row of the proxy (user × day × key × model × provider)."""

    day: date
    model: str
    api_key: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    spend: float
    user_id: str = "default_user_id"
    provider: str = "openai"


@dataclass(frozen=True)
class ProxyKey:
    user_id: str | None
    role: str


ADMIN_ROLES = {"proxy_admin", "proxy_admin_viewer"}


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
        #: the master key: a proxy admin without a user row
        self.keys: dict[str, ProxyKey] = {key: ProxyKey(None, "proxy_admin")}
        self.rows: list[GatewayRow] = []

    def add_key(self, key: str, user_id: str, role: str = "internal_user") -> None:
        self.keys[key] = ProxyKey(user_id, role)

    def handle(self, request: Request) -> Reply:
        auth = request.headers.get("authorization") or ""
        caller = self.keys.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        if caller is None:
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
        if request.path == USER_INFO_PATH:
            return self._user_info(caller)
        if request.path != PATH:
            return Reply(404, {"detail": "Not Found"})
        try:
            start = date.fromisoformat(request.first("start_date") or "")
            end = date.fromisoformat(request.first("end_date") or "")
        except ValueError:
            raise BadRequest("start_date and end_date are required (YYYY-MM-DD)") from None
        page = int_param(request, "page", 1, 1, 10**6)
        page_size = int_param(request, "page_size", 50, 1, 1000)
        admin_view = caller.role in ADMIN_ROLES
        matching = [
            (index, row)
            for index, row in enumerate(self.rows)
            if start <= row.day <= end and (admin_view or row.user_id == caller.user_id)
        ]
        # order by date desc, id asc; then skip/take over the raw rows
        matching.sort(key=lambda item: (-item[1].day.toordinal(), item[0]))
        chosen = [row for _, row in matching[(page - 1) * page_size : page * page_size]]
        by_day: dict[date, list[GatewayRow]] = defaultdict(list)
        for row in chosen:
            by_day[row.day].append(row)
        results = [self._day(day, rows) for day, rows in sorted(by_day.items(), reverse=True)]
        metadata = {
            "total_spend": sum(r.spend for r in chosen),
            "total_api_requests": sum(r.requests for r in chosen),
            "page": page,
            "total_pages": -(-len(matching) // page_size),
            "has_more": page * page_size < len(matching),
        }
        return Reply(200, {"results": results, "metadata": metadata})

    def _user_info(self, caller: ProxyKey) -> Reply:
        if caller.role == "proxy_admin":
            return Reply(200, {"user_id": None, "user_info": None, "keys": [], "teams": []})
        user_info = {"user_id": caller.user_id, "user_role": caller.role, "spend": 0.0}
        return Reply(
            200, {"user_id": caller.user_id, "user_info": user_info, "keys": [], "teams": []}
        )

    @staticmethod
    def _day(day: date, rows: list[GatewayRow]) -> dict[str, Any]:
        models: dict[str, list[GatewayRow]] = defaultdict(list)
        for row in rows:
            models[row.model].append(row)
        breakdown_models = {}
        for model, model_rows in models.items():
            keys: dict[str, list[GatewayRow]] = defaultdict(list)
            for row in model_rows:
                keys[row.api_key].append(row)
            breakdown_models[model] = {
                "metrics": _metrics(model_rows),
                "metadata": {},
                "api_key_breakdown": {
                    key: {
                        "metrics": _metrics(key_rows),
                        "metadata": {"key_alias": None, "team_id": None},
                    }
                    for key, key_rows in keys.items()
                },
            }
        return {
            "date": day.isoformat(),
            "metrics": _metrics(rows),
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


def span(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]

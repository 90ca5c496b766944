"""A loopback fake of Anthropic's Admin API usage, cost and Claude Code reports.

Answers as the Claude API reference documents them:
https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages,
https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code,
https://platform.claude.com/docs/en/api/admin/cost_report, errors per
https://platform.claude.com/docs/en/api/errors.

* Auth: ``x-api-key`` (an Admin key) and ``anthropic-version`` on every request; errors
  are ``{"type": "error", "error": {"type", "message"}, "request_id"}`` with a
  ``request-id`` header.
* Messages usage / cost report: ``starting_at`` (RFC 3339, required), ``ending_at``,
  ``bucket_width=1d``, ``limit`` (default 7, max 31), ``group_by[]``; oldest bucket first,
  one bucket per interval **including empty ones** (``results: []``); dimensions not grouped
  by are null; no request count. Cost ``amount`` is a decimal string in **cents**.
* Claude Code: ``starting_at`` = one UTC day ``YYYY-MM-DD`` (that day only), ``limit``
  records 1-1000 (default 20), ``page``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.fakes.server import BadRequest, LoopbackServer, Reply, Request, int_param

USAGE_PATH = "/v1/organizations/usage_report/messages"
COSTS_PATH = "/v1/organizations/cost_report"
CLAUDE_CODE_PATH = "/v1/organizations/usage_report/claude_code"
USAGE_GROUPS = {
    "account_id",
    "api_key_id",
    "context_window",
    "inference_geo",
    "model",
    "service_account_id",
    "service_tier",
    "speed",
    "workspace_id",
}
COST_GROUPS = {"workspace_id", "description"}


@dataclass
class MessagesRow:
    day: date
    model: str
    workspace_id: str | None
    api_key_id: str | None
    uncached: int
    output: int
    cache_read: int = 0
    cache_5m: int = 0
    cache_1h: int = 0
    service_tier: str = "standard"


@dataclass
class CostRow:
    day: date
    description: str
    workspace_id: str | None
    cents: str
    model: str | None = None


@dataclass
class ClaudeCodeRecord:
    day: date
    actor: dict[str, Any]
    customer_type: str
    models: list[dict[str, Any]] = field(default_factory=list)
    is_remote: bool = False
    subscription_type: str | None = "team"


def error(status: int, kind: str, message: str) -> Reply:
    request_id = f"req_{uuid.uuid4().hex[:12]}"
    return Reply(
        status,
        {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id},
        {"request-id": request_id},
    )


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str | None, name: str) -> datetime:
    if text is None:
        raise BadRequest(f"{name}: Field required")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: invalid datetime") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class FakeAnthropic(LoopbackServer):
    """Anthropic's organisation reports for one Admin key."""

    def __init__(self, admin_key: str, *, claude_code_page_cap: int | None = None) -> None:
        super().__init__()
        self.admin_key = admin_key
        self.messages: list[MessagesRow] = []
        self.costs: list[CostRow] = []
        self.claude_code: list[ClaudeCodeRecord] = []
        #: records per Claude Code page at most (``limit`` is a maximum)
        self.claude_code_page_cap = claude_code_page_cap

    def bad_request(self, message: str) -> Reply:
        return error(400, "invalid_request_error", message)

    def handle(self, request: Request) -> Reply:
        if request.headers.get("x-api-key") != self.admin_key:
            return error(401, "authentication_error", "invalid x-api-key")
        if request.headers.get("anthropic-version") != "2023-06-01":
            return error(400, "invalid_request_error", "anthropic-version header is required")
        if request.path == USAGE_PATH:
            return self._buckets(request, USAGE_GROUPS, self._usage_results)
        if request.path == COSTS_PATH:
            return self._buckets(request, COST_GROUPS, self._cost_results)
        if request.path == CLAUDE_CODE_PATH:
            return self._claude_code(request)
        return error(404, "not_found_error", "Not found")

    def _buckets(self, request: Request, groups: set[str], results: Any) -> Reply:
        start = _parse(request.first("starting_at"), "starting_at")
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)  # snapped to the day
        end_text = request.first("ending_at")
        end = _parse(end_text, "ending_at") if end_text else start + timedelta(days=7)
        if (request.first("bucket_width") or "1d") != "1d":
            raise BadRequest("this fake serves bucket_width=1d only")
        limit = int_param(request, "limit", 7, 1, 31)
        group_by = request.query.get("group_by[]", [])
        if not set(group_by) <= groups:
            raise BadRequest(f"invalid group_by[]: {group_by}")
        page = request.first("page")
        if page is not None:
            start = _parse(page, "page")  # our page token: the next bucket's start
        data = []
        cursor = start
        while cursor < end and len(data) < limit:
            data.append(
                {
                    "starting_at": _rfc3339(cursor),
                    "ending_at": _rfc3339(cursor + timedelta(days=1)),
                    "results": results(cursor.date(), set(group_by)),
                }
            )
            cursor += timedelta(days=1)
        has_more = cursor < end
        return Reply(
            200,
            {
                "data": data,
                "has_more": has_more,
                "next_page": _rfc3339(cursor) if has_more else None,
            },
        )

    def _usage_results(self, day: date, group_by: set[str]) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], list[MessagesRow]] = defaultdict(list)
        for row in self.messages:
            if row.day == day:
                key = tuple(
                    getattr(row, name) if name in group_by else None
                    for name in ("model", "workspace_id", "api_key_id", "service_tier")
                )
                groups[key].append(row)
        return [
            {
                "uncached_input_tokens": sum(r.uncached for r in rows),
                "cache_read_input_tokens": sum(r.cache_read for r in rows),
                "cache_creation": {
                    "ephemeral_1h_input_tokens": sum(r.cache_1h for r in rows),
                    "ephemeral_5m_input_tokens": sum(r.cache_5m for r in rows),
                },
                "output_tokens": sum(r.output for r in rows),
                "server_tool_use": {"web_search_requests": 0},
                "model": model,
                "workspace_id": workspace,
                "api_key_id": key,
                "service_tier": tier,
                "account_id": None,
                "service_account_id": None,
                "context_window": None,
                "inference_geo": None,
            }
            for (model, workspace, key, tier), rows in groups.items()
        ]

    def _cost_results(self, day: date, group_by: set[str]) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
        models: dict[tuple[Any, ...], str | None] = {}
        for row in self.costs:
            if row.day == day:
                key = (
                    row.description if "description" in group_by else None,
                    row.workspace_id if "workspace_id" in group_by else None,
                )
                groups[key] += Decimal(row.cents)
                models[key] = row.model if "description" in group_by else None
        return [
            {
                "amount": str(cents),
                "currency": "USD",
                "cost_type": "tokens",
                "description": description,
                "model": models[(description, workspace)],
                "token_type": None,
                "service_tier": None,
                "context_window": None,
                "inference_geo": None,
                "workspace_id": workspace,
            }
            for (description, workspace), cents in groups.items()
        ]

    def _claude_code(self, request: Request) -> Reply:
        text = request.first("starting_at")
        try:
            day = date.fromisoformat(text or "")
        except ValueError:
            raise BadRequest("starting_at: expected YYYY-MM-DD") from None
        limit = int_param(request, "limit", 20, 1, 1000)
        if self.claude_code_page_cap is not None:
            limit = min(limit, self.claude_code_page_cap)
        offset = int(request.first("page") or 0)
        records = [r for r in self.claude_code if r.day == day]
        chosen = records[offset : offset + limit]
        has_more = offset + limit < len(records)
        return Reply(
            200,
            {
                "data": [self._claude_code_record(r) for r in chosen],
                "has_more": has_more,
                "next_page": str(offset + limit) if has_more else None,
            },
        )

    def _claude_code_record(self, record: ClaudeCodeRecord) -> dict[str, Any]:
        body: dict[str, Any] = {
            "actor": record.actor,
            "core_metrics": {
                "num_sessions": 3,
                "lines_of_code": {"added": 120, "removed": 30},
                "commits_by_claude_code": 2,
                "pull_requests_by_claude_code": 1,
            },
            "customer_type": record.customer_type,
            "date": f"{record.day.isoformat()}T00:00:00Z",
            "is_remote": record.is_remote,
            "model_breakdown": record.models,
            "organization_id": "org_123",
            "terminal_type": "vscode",
            "tool_actions": {"edit_tool": {"accepted": 10, "rejected": 1}},
        }
        if record.subscription_type is not None:
            body["subscription_type"] = record.subscription_type
        return body

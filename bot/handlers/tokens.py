"""The tokens intent: tokens per day — input, cached input, output — over a period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from golocal.bot.chat import intent
from golocal.bot.handlers.scope import scope_of, scoped_token_rows
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.usage_detail import TokenRow

_COLUMNS = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")


@dataclass(frozen=True)
class TokenDay:
    """One day's tokens over the scope's rows (a column no row reported stays None)."""

    day: date
    input_tokens: int | None
    cached_input_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    buckets_without_cached: int


def _sum(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def daily(rows: list[TokenRow]) -> list[TokenDay]:
    """The rows summed per UTC day, in day order."""
    groups: dict[date, list[TokenRow]] = defaultdict(list)
    for row in rows:
        groups[row.day].append(row)
    return [
        TokenDay(
            day=day,
            input_tokens=_sum([row.input_tokens for row in group]),
            cached_input_tokens=_sum([row.cached_input_tokens for row in group]),
            cache_write_tokens=_sum([row.cache_write_tokens for row in group]),
            output_tokens=_sum([row.output_tokens for row in group]),
            buckets_without_cached=sum(row.buckets_without_cached for row in group),
        )
        for day, group in sorted(groups.items())
    ]


def _total(days: list[TokenDay], name: str) -> int | None:
    return _sum([getattr(day, name) for day in days])


def _shown(value: int | None) -> str:
    return "not reported" if value is None else f"{value:,}"


@intent("tokens")
def answer_tokens(question: str, services: Services) -> Reply:
    """Mean tokens per day (input, cached input, output) and the peak day."""
    scope = scope_of(question, services)
    days = daily(scoped_token_rows(services, scope))
    totals = {name: _total(days, name) for name in _COLUMNS}
    partial_cached = sum(day.buckets_without_cached for day in days)
    data = {
        "since": scope.period.since.isoformat(),
        "until": scope.period.until.isoformat(),
        "days_with_data": len(days),
        "filters": scope.as_json(),
        "totals": totals,
        "cached_input_partial": bool(partial_cached) and totals["cached_input_tokens"] is not None,
        "days": [
            {
                "day": day.day.isoformat(),
                "input_tokens": day.input_tokens,
                "cached_input_tokens": day.cached_input_tokens,
                "output_tokens": day.output_tokens,
            }
            for day in days
        ],
    }
    if not days:
        return Reply("tokens", f"No token usage recorded for {scope.describe()}.", data)
    count = scope.period.days
    per_day = {name: (None if total is None else total / count) for name, total in totals.items()}
    data["per_day"] = per_day

    def mean(name: str) -> str:
        value = per_day[name]
        return "not reported" if value is None else f"{value:,.0f}"

    peak = max(days, key=lambda d: (d.input_tokens or 0) + (d.output_tokens or 0))
    lines = [
        f"Tokens per day over {scope.describe()} ({scope.period.coverage_text(len(days))}): "
        f"input {mean('input_tokens')} (of which cached {mean('cached_input_tokens')}), "
        f"output {mean('output_tokens')}.",
        f"Totals: input {_shown(totals['input_tokens'])}, cached "
        f"{_shown(totals['cached_input_tokens'])}, output {_shown(totals['output_tokens'])}; "
        f"peak {peak.day:%a %Y-%m-%d} with "
        f"{(peak.input_tokens or 0) + (peak.output_tokens or 0):,}.",
    ]
    if data["cached_input_partial"]:
        lines.append(
            f"Note: {partial_cached:,} bucket(s) did not report cached tokens; the cached "
            "figure covers the rest only."
        )
    return Reply("tokens", "\n".join(lines), data)


INTENTS = [answer_tokens]

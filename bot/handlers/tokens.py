"""The tokens intent: tokens per day — input, cached input, output — over a period."""

from __future__ import annotations

from golocal.bot.chat import intent
from golocal.bot.handlers.scope import scope_of
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.usage_detail import TokenDay, token_days


def _total(days: list[TokenDay], name: str) -> int | None:
    values = [getattr(day, name) for day in days if getattr(day, name) is not None]
    return sum(values) if values else None


def _shown(value: int | None) -> str:
    return "not reported" if value is None else f"{value:,}"


@intent("tokens")
def answer_tokens(question: str, services: Services) -> Reply:
    """Mean tokens per day (input, cached input, output) and the peak day."""
    scope = scope_of(question, services)
    days = token_days(services.database, scope.period.since, scope.period.until, scope.filters)
    totals = {
        name: _total(days, name)
        for name in ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")
    }
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
        f"Tokens per day over {scope.describe()} ({len(days)} of {count} days have data): "
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

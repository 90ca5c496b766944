"""Phrasing the chat replies share, so every answer names its days the same way."""

from __future__ import annotations

from datetime import date, timedelta


def day_span(since: date, until: date) -> str:
    """``since`` to the last day included (``until`` is exclusive), e.g. "2026-11-16 to
    2026-11-22 (UTC)"; one day reads as that day alone."""
    last = until - timedelta(days=1)
    if last <= since:
        return f"{since.isoformat()} (UTC)"
    return f"{since.isoformat()} to {last.isoformat()} (UTC)"

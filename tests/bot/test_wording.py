"""How replies name their days: the last day included, never an exclusive end."""

from __future__ import annotations

from datetime import date

import pytest

from golocal.bot.handlers.wording import day_span


@pytest.mark.parametrize(
    ("since", "until", "text"),
    [
        (date(2026, 11, 16), date(2026, 11, 23), "2026-11-16 to 2026-11-22 (UTC)"),
        (date(2026, 11, 24), date(2026, 11, 25), "2026-11-24 (UTC)"),
    ],
)
def test_day_span_names_the_last_day_included(since, until, text):
    assert day_span(since, until) == text

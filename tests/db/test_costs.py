"""Cost lines: idempotent natural-key upsert on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from golocal.db.costs import cost_line_total, upsert_cost_lines
from golocal.db.models import CostLine

DAY = datetime(2026, 1, 1, tzinfo=UTC)


def line(amount, **extra):
    return {
        "source": "openai",
        "provider": "openai",
        "bucket_start": DAY,
        "bucket_seconds": 86400,
        "line_item": "gpt-4o, input",
        "project": "p",
        "amount": Decimal(amount),
        **extra,
    }


def test_upsert_replaces_by_natural_key(database):
    assert upsert_cost_lines(database, [line("1.10"), line("2", line_item="gpt-4o, output")]) == 2
    upsert_cost_lines(database, [line("1.25")])  # the provider revised the day
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CostLine)) == 2
    total = cost_line_total(database, source="openai", since=DAY, until=DAY + timedelta(days=1))
    assert total == Decimal("3.25")


def test_team_set_by_hand_survives_recollection(database):
    upsert_cost_lines(database, [line("1")])
    with database.session() as session:
        session.scalars(select(CostLine)).one().team = "platform"
    upsert_cost_lines(database, [line("1.5")])
    with database.session() as session:
        row = session.scalars(select(CostLine)).one()
        assert (row.team, row.amount) == ("platform", Decimal("1.5"))


def test_total_is_none_without_lines(database):
    assert cost_line_total(database, source="x", since=DAY, until=DAY) is None

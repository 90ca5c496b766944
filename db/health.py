"""The database's part of golocal's health: one timed round trip."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from golocal.db.database import Database


def roundtrip_seconds(database: Database) -> float | None:
    """Seconds a ``SELECT 1`` took, or ``None`` when the database did not answer."""
    started = time.perf_counter()
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        return None
    return time.perf_counter() - started

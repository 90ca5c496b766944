"""Request outcomes of local inference servers per UTC day: aborted and failed requests.

Read from the servers' daily rollups. Aborted requests (cancelled by the client) are part
of a server's request count; failed ones (the server's errors) are not. ``None`` means the
server does not tell the outcome apart, never "none happened".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from golocal.db.database import Database
from golocal.db.models import InferenceServer, ServerRollup


@dataclass(frozen=True, slots=True)
class ServerOutcomes:
    """One server's aborted and failed requests over one UTC day (``None``: not reported)."""

    aborted_requests: int | None
    failed_requests: int | None


def server_outcome_days(
    database: Database, since: date, until: date
) -> dict[tuple[date, str], ServerOutcomes]:
    """Outcomes per (UTC day, server name) for ``since <= day < until``.

    Server names are the ``source`` of the servers' local usage buckets.
    """
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    r = ServerRollup
    query = (
        select(InferenceServer.name, r.bucket_start, r.aborted_requests, r.failed_requests)
        .join(InferenceServer, InferenceServer.id == r.server_id)
        .where(r.resolution == "day", r.bucket_start >= start, r.bucket_start < end)
    )
    with database.engine.connect() as connection:
        return {
            (bucket_start.astimezone(UTC).date(), name): ServerOutcomes(
                aborted_requests=None if aborted is None else int(aborted),
                failed_requests=None if failed is None else int(failed),
            )
            for name, bucket_start, aborted, failed in connection.execute(query)
        }

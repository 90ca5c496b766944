"""The scheduler's telemetry and rollup runners, against a loopback llama.cpp server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from golocal.bot.publish import collection_runners
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.db.database import Database
from golocal.db.models import ServerRollup
from golocal.jobs.schedule import ROLLUPS, TELEMETRY
from tests.fakes.inference_servers import llamacpp_metrics
from tests.fakes.server import PROMETHEUS_TEXT, LoopbackServer, Reply


@pytest.fixture
def fake() -> Iterator[LoopbackServer]:
    with LoopbackServer(default_content_type=PROMETHEUS_TEXT) as server:
        yield server


def test_telemetry_and_rollup_runners(
    sqlite_database: Database, fake: LoopbackServer, tmp_path: Path
) -> None:
    path = tmp_path / "golocal.toml"
    path.write_text(
        f'[[inference_servers]]\nname = "laptop"\nkind = "llamacpp"\nurl = "{fake.url}"\n'
    )
    fake.script(
        "/metrics",
        Reply(body=llamacpp_metrics(1000, 100, 1, 0)),
        Reply(body=llamacpp_metrics(1500, 150, 0, 0)),
    )
    clock = [datetime(2026, 3, 9, 10, 0, 5, tzinfo=UTC)]
    services = Services(load_settings(path), sqlite_database, clock=lambda: clock[0])
    runners = collection_runners(services)

    first = runners[TELEMETRY]()
    clock[0] += timedelta(seconds=15)
    second = runners[TELEMETRY]()
    done = runners[ROLLUPS]()

    assert [r.ok for r in first + second] == [True, True]
    assert done["rollup:hour"] >= 1
    with sqlite_database.session() as session:
        day = session.scalars(select(ServerRollup).where(ServerRollup.resolution == "day")).one()
    assert (day.prompt_tokens, day.generation_tokens, day.requests) == (500, 50, None)

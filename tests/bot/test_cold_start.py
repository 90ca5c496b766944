"""Cold start: a command imports only what it uses.

Measured through ``sys.modules`` of a fresh interpreter running the real entry point (not by
timing; bench/cli.py prints the times): ``golocal --help`` must not import the database,
settings, chart, migration or Slack libraries, and answering a question from an up-to-date
database must not import the chart library, Alembic or Slack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version

import click
import pytest
from sqlalchemy import text

from golocal.bot.cli import COMMANDS, cli
from golocal.db import migrate, schema_version
from golocal.db.database import open_database
from golocal.jobs.demo import DemoOptions, generate_demo

#: Libraries that cost tenths of a second each to import on a small machine.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "matplotlib",
    "numpy",
    "slack_bolt",
    "slack_sdk",
    "httpx",
    "genai_prices",
    "psycopg",
    "apscheduler",
    "aiohttp",
    "uvicorn",
    "prometheus_client",
    "rich",
)

_PROBE = """
import contextlib, io, json, sys
from golocal.bot.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[2:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "stdout": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def imported_by(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """Top-level packages a fresh interpreter imported to run ``golocal ARGS``, and stdout."""
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, "golocal", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.splitlines()[-1])
    assert result["code"] == 0, completed.stderr
    return {name.partition(".")[0] for name in result["modules"]}, result["stdout"]


def test_help_imports_no_heavy_library_and_no_command_module():
    packages, stdout = imported_by("--help")
    assert "Usage: golocal" in stdout
    assert packages.isdisjoint(HEAVY), sorted(packages & set(HEAVY))
    full, stdout = imported_by("--version")
    assert full.isdisjoint(HEAVY)
    assert stdout.strip() == f"golocal, version {version('golocal')}"


def test_help_lists_every_command_with_its_own_summary():
    """The lazy table's summaries are what each command says about itself."""
    ctx = click.Context(cli)
    for name, entry in COMMANDS.items():
        command = entry.load()
        assert command.name == name
        for limit in (45, 80, 1000):
            stand_in = click.Command(name, help=entry.summary)
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name
    assert cli.list_commands(ctx) == sorted(COMMANDS)


def test_a_command_help_imports_only_its_own_module():
    packages, stdout = imported_by("report", "volume", "--help")
    assert "--since" in stdout
    assert packages.isdisjoint({"matplotlib", "alembic", "slack_bolt", "slack_sdk"})


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database migrated once (as `golocal db upgrade` does) holding a small demo."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cold') / 'golocal.db'}"
    database = open_database(url)
    generate_demo(database, DemoOptions(days=8, profile="small", minute_days=1))
    database.dispose()
    return url


def test_asking_from_a_current_database_skips_chart_migrations_and_slack(demo_url):
    packages, stdout = imported_by(
        "ask", "how many requests per day?", env={"GOLOCAL_DATABASE_URL": demo_url}
    )
    assert "Requests per day over the last 7 days" in stdout
    assert "sqlalchemy" in packages  # it did read the database
    # nor the collectors (httpx, the price table): a question reads the database only
    unused = {"matplotlib", "alembic", "slack_bolt", "slack_sdk", "numpy", "httpx", "genai_prices"}
    assert packages.isdisjoint(unused), sorted(packages & set(HEAVY))


@pytest.mark.parametrize(
    ("args", "expected"),
    [(("digest",), "golocal weekly digest"), (("alerts", "check"), "")],
    ids=["digest", "alerts check"],
)
def test_digest_and_alerts_without_posting_import_no_slack_and_no_chart(demo_url, args, expected):
    packages, stdout = imported_by(*args, env={"GOLOCAL_DATABASE_URL": demo_url})
    assert expected in stdout
    assert packages.isdisjoint({"matplotlib", "alembic", "slack_bolt", "slack_sdk"}), sorted(
        packages & set(HEAVY)
    )


def test_shipped_head_read_without_alembic_is_alembics_head():
    assert schema_version.shipped_heads() == {migrate.head_revision()}


def test_schema_check_sees_fresh_current_and_older_databases(database):
    assert schema_version.is_current(database.engine)
    stamp = text("UPDATE alembic_version SET version_num = :revision")
    with database.engine.begin() as connection:
        connection.execute(stamp, {"revision": "older"})
    try:
        assert not schema_version.is_current(database.engine)
    finally:
        with database.engine.begin() as connection:
            connection.execute(stamp, {"revision": migrate.head_revision()})
    with database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE alembic_version RENAME TO alembic_version_aside"))
    try:  # a database never migrated has no alembic_version table
        assert schema_version.stored_revision(database.engine) is None
        assert not schema_version.is_current(database.engine)
    finally:
        with database.engine.begin() as connection:
            connection.execute(text("ALTER TABLE alembic_version_aside RENAME TO alembic_version"))


def test_heads_come_from_the_revision_chain(tmp_path):
    (tmp_path / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "b.py").write_text('revision: str = "b"\ndown_revision: str | None = "a"\n')
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision = "a"\n')
    assert schema_version.shipped_heads(tmp_path) == {"b", "c"}
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    schema_version.shipped_heads.cache_clear()
    assert schema_version.shipped_heads(tmp_path) == {"d"}

"""Shared fixtures: a clean environment, and databases on SQLite *and* the real PostgreSQL.

PostgreSQL comes from ``GOLOCAL_TEST_POSTGRES_URL`` (``.ci/run`` sets it up): a fresh
database is created for the test session and dropped afterwards. Without the variable the
PostgreSQL variants skip with the reason — except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from golocal.db.database import Database, normalise_url, open_database
from golocal.db.models import Base
from golocal.redaction import forget_secrets

#: Shared fixtures of every test package: loopback fakes (``fake_slack_web``) and real
#: time-series databases (``tsdb``).
pytest_plugins = ["tests.fakes.slack_web", "tests.tsdb"]

POSTGRES_ENV = "GOLOCAL_TEST_POSTGRES_URL"
_CLEARED_PREFIXES = ("GOLOCAL_", "SLACK_")
_CLEARED_NAMES = {"OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY", "LITELLM_API_KEY", "GITHUB_TOKEN"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting, secret or proxy from the machine leaks into a test; files go to tmp_path."""
    for name in list(os.environ):
        if name == POSTGRES_ENV:
            continue
        if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED_NAMES:
            monkeypatch.delenv(name)
        if name.lower() in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}:
            monkeypatch.delenv(name)
    forget_secrets()  # what one test registered never redacts another's output
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped at the end)."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        reason = f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    admin = normalise_url(admin_url)
    name = f"golocal_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"cannot reach PostgreSQL at {admin.host}:{admin.port}: {exc}")
        pytest.skip(f"cannot reach PostgreSQL at {admin.host}:{admin.port}: {exc}")
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def _migrated_postgres(postgres_url: str) -> Iterator[Database]:
    from golocal.db import migrate
    from golocal.db.database import create_database_engine

    engine = create_database_engine(postgres_url)
    migrate.upgrade(engine)
    database = Database(engine)
    yield database
    database.dispose()


def _truncate_all(database: Database) -> None:
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty golocal database — once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        db = open_database(f"sqlite:///{tmp_path / 'golocal.db'}")
        yield db
        db.dispose()
        return
    db = request.getfixturevalue("_migrated_postgres")
    _truncate_all(db)
    yield db


@pytest.fixture
def database_url(database: Database) -> str:
    """The URL of :func:`database`, password included, for commands run as subprocesses."""
    return database.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty SQLite database (for tests about SQLite itself)."""
    db = open_database(f"sqlite:///{tmp_path / 'golocal.db'}")
    yield db
    db.dispose()


def url_without_driver(url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` (what a user would type)."""
    parsed = make_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=False)

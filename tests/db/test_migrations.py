"""Migrations produce exactly the models' schema, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from golocal.db import migrate
from golocal.db.database import Database, create_database_engine, open_database
from golocal.db.models import Base
from golocal.errors import DatabaseError

#: Tables in the database that golocal's models do not own (the scheduler's job store).
FOREIGN_TABLES = {"alembic_version", "apscheduler_jobs"}


def _drift(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_name": lambda name, kind, _parent: (
                    kind != "table" or name not in FOREIGN_TABLES
                ),
            },
        )
        return compare_metadata(context, Base.metadata)


def test_upgrade_head_matches_the_models(database):
    assert migrate.current_revision(database.engine) == migrate.head_revision()
    assert _drift(database) == []
    tables = set(inspect(database.engine).get_table_names()) - FOREIGN_TABLES
    assert tables == set(Base.metadata.tables)


def test_natural_key_is_unique_on_both_dialects(database):
    constraints = inspect(database.engine).get_unique_constraints("usage_buckets")
    names = {c["name"]: c["column_names"] for c in constraints}
    assert names["uq_usage_buckets_natural_key"] == [
        "source",
        "bucket_start",
        "bucket_seconds",
        "provider",
        "model",
        "project",
        "api_key",
        "variant",
    ]


def test_embedded_sqlite_is_created_and_migrated_on_open(tmp_path):
    path = tmp_path / "nested" / "dir" / "golocal.db"
    database = open_database(f"sqlite:///{path}")
    try:
        assert path.exists()
        assert migrate.current_revision(database.engine) == migrate.head_revision()
    finally:
        database.dispose()


def test_corrupt_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "golocal.db"
    garbage = b"this is not a database, it is a shopping list\n" * 100
    path.write_bytes(garbage)
    with pytest.raises(DatabaseError) as raised:
        open_database(f"sqlite:///{path}")
    assert "not a usable SQLite database" in raised.value.message
    assert str(path) in raised.value.message
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["golocal.db"]


def test_unreachable_server_names_the_host_but_never_the_password():
    url = "postgresql://golocal:s3cret-pass@127.0.0.1:1/golocal"
    with pytest.raises(DatabaseError) as raised:
        open_database(url)
    message = raised.value.message
    assert "127.0.0.1:1" in message
    assert "s3cret-pass" not in message


def test_unsupported_database_is_refused():
    with pytest.raises(DatabaseError, match="unsupported database 'mysql'"):
        open_database("mysql://u:p@localhost/x")


@pytest.mark.postgres
def test_postgres_behind_is_refused_until_db_upgrade(postgres_url, capsys, monkeypatch):
    from tests.cli_runner import run_golocal

    admin = create_engine(
        create_database_engine(postgres_url).url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    name = "golocal_behind_test"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = create_database_engine(postgres_url).url.set(database=name)
    raw = url.render_as_string(hide_password=False)
    try:
        with pytest.raises(DatabaseError, match="run golocal db upgrade") as raised:
            open_database(raw)
        assert "golocal:golocal@" not in raised.value.message

        monkeypatch.setenv("GOLOCAL_DATABASE_URL", raw)
        refused = run_golocal(capsys, "report", "volume")
        assert refused.exit_code == 1
        assert "run golocal db upgrade" in refused.stderr

        upgraded = run_golocal(capsys, "db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.stderr
        assert "upgraded from empty" in upgraded.stdout
        again = run_golocal(capsys, "db", "upgrade")
        assert "already at the newest revision" in again.stdout

        database = open_database(raw)
        assert _drift(database) == []
        database.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

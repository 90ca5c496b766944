"""Alembic migrations, driven from code: upgrade, and "is this database behind?".

The migration scripts ship inside the package (``golocal/db/migrations``), so an installed
golocal can migrate a database without any ``alembic.ini`` on disk.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, delete, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from golocal import __version__
from golocal.db.models import SchemaRelease
from golocal.errors import DatabaseError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: Tables in golocal's database that its migrations do not own (APScheduler's job store).
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})

#: The PostgreSQL advisory lock key that serialises migrations ("golocal" + "mig").
MIGRATION_LOCK_KEY = 0x676F6C6F63616C


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Alembic ``include_name`` hook: leave tables golocal does not own out of comparisons."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at golocal's migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this golocal ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "golocal ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_known(revision: str | None) -> bool:
    """Whether this golocal ships ``revision`` (``None``, an empty database, counts as known)."""
    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def newer_revision_error(engine: Engine, revision: str, where: str) -> DatabaseError:
    """The error for a database migrated by a newer golocal than this one."""
    needed = _release_of(engine, revision)
    release = f"golocal {needed} or newer" if needed else "the newer golocal that migrated it"
    return DatabaseError(
        f"the database {where} is at revision {revision}, which this golocal "
        f"({__version__}, newest revision {head_revision()}) does not know: it was upgraded "
        f"by a newer golocal. Install {release}; golocal db upgrade cannot go back."
    )


def _release_of(engine: Engine, revision: str) -> str | None:
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(SchemaRelease.__tablename__):
                return None
            query = select(SchemaRelease.golocal_version).where(SchemaRelease.revision == revision)
            return connection.execute(query).scalar()
    except DBAPIError:
        return None


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply pending migrations up to ``revision`` in one transaction, one process at a time.

    Concurrent upgrades (two replicas starting, two ``golocal db upgrade``) wait for each
    other instead of creating the same tables twice: PostgreSQL takes a transaction-scoped
    advisory lock, SQLite an exclusive write lock, *before* the current revision is read, so
    the second one finds the work done.

    Returns:
        The revision before and after, both read under the lock.

    Raises:
        DatabaseError: the database is at a revision this golocal does not know.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # a migration (or the wait for another one) may take longer than a query may
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        else:
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
        current = MigrationContext.configure(connection).get_current_revision()
        if not is_known(current):
            connection.rollback()
            assert current is not None
            raise newer_revision_error(
                engine, current, engine.url.render_as_string(hide_password=True)
            )
        command.upgrade(alembic_config(connection), revision)
        head = MigrationContext.configure(connection).get_current_revision()
        if head is not None and inspect(connection).has_table(SchemaRelease.__tablename__):
            connection.execute(delete(SchemaRelease).where(SchemaRelease.revision == head))
            connection.execute(
                insert(SchemaRelease).values(
                    revision=head, golocal_version=__version__, upgraded_at=datetime.now(UTC)
                )
            )
        connection.commit()
    return current, head

"""Alembic environment: runs migrations on the connection golocal hands it.

golocal never reads ``alembic.ini``; :mod:`golocal.db.migrate` builds the Alembic config
in code and passes an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from golocal.db.migrate import include_name
from golocal.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("golocal's migrations run through `golocal db upgrade`, not bare alembic")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()

"""``golocal db``: schema migrations."""

from __future__ import annotations

import click

from golocal.bot.context import AppContext, pass_app
from golocal.db import migrate
from golocal.db.database import open_database


@click.group()
def db() -> None:
    """Manage golocal's database schema."""


@db.command()
@pass_app
def upgrade(app: AppContext) -> None:
    """Apply pending migrations (run it once per release on PostgreSQL)."""
    database = open_database(app.settings.effective_database_url, check_schema=False)
    try:
        before, after = migrate.upgrade(database.engine)
    finally:
        database.dispose()
    if before == after:
        click.echo(f"database already at the newest revision ({after})")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")

"""What every CLI command shares: the ``--config``/``--debug`` options, settings and database.

Settings and the database are opened lazily, on first use, so ``--help`` and commands that
need neither never touch a file, a server or the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from golocal.bot.logsetup import apply_log_level
from golocal.redaction import database_password, register_secrets

if TYPE_CHECKING:  # imported on first use: `golocal --help` needs neither pydantic nor SQLAlchemy
    from golocal.bot.services import Services
    from golocal.config.settings import Settings
    from golocal.db.database import Database


def register_settings_secrets(settings: Settings) -> None:
    """Teach the redaction border the secrets these settings hold, the DB password included."""
    from golocal.config.settings import SECRET_ENV_VARS

    values = [
        secret.get_secret_value()
        for name in SECRET_ENV_VARS
        if (secret := getattr(settings, name)) is not None
    ]
    register_secrets([*values, database_password(settings.database_url)])


@dataclass
class AppContext:
    """The click context object (``ctx.obj``) of every golocal command."""

    config_path: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _database: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from golocal.config.settings import load_settings

            self._settings = load_settings(self.config_path)
            register_settings_secrets(self._settings)
            apply_log_level(self._settings.log_level, self.debug)
        return self._settings

    def open_database(self, *, migrate_embedded: bool = True) -> Database:
        if self._database is None:
            from golocal.db.database import open_database

            self._database = open_database(
                self.settings.effective_database_url, migrate_embedded=migrate_embedded
            )
        return self._database

    @property
    def database(self) -> Database:
        return self.open_database()

    @property
    def services(self) -> Services:
        from golocal.bot.services import Services

        return Services(settings=self.settings, database=self.database)

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None


pass_app = click.make_pass_decorator(AppContext)

"""A click group whose subcommands are imported only when one of them is run.

Every command module pulls in what its command needs (SQLAlchemy, the chart library, Slack,
the collectors); importing them all costs seconds on a small machine, for every command
including ``--help``. The group therefore knows each command by module path, attribute and
one-line summary (the way pip keeps its command table) and imports a module only when its
command is invoked or its own ``--help`` is asked for. ``golocal --help`` lists the
summaries without importing any command module; a test keeps each summary equal to its
command's own short help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives, and the line ``golocal --help`` shows for it."""

    module: str
    attribute: str
    summary: str

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command


class LazyGroup(click.Group):
    """A :class:`click.Group` that also takes ``lazy`` subcommands (name -> LazyCommand)."""

    def __init__(self, *args: object, lazy: dict[str, LazyCommand] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy: dict[str, LazyCommand] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy:
            command = self.lazy[cmd_name].load()
            self.add_command(command, cmd_name)  # import once per process
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = super().get_command(ctx, name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                # shortened exactly as click shortens a loaded command's help
                stand_in = click.Command(name, help=self.lazy[name].summary)
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

"""Listeners by kind (commands, events, actions, views), each with ``register(app, services)``."""

from __future__ import annotations

from slack_bolt import App

from golocal.bot.services import Services
from golocal.bot.slack.listeners import actions, commands, events, views


def register_all(app: App, services: Services) -> None:
    """Register every listener on ``app``."""
    for module in (commands, events, actions, views):
        module.register(app, services)

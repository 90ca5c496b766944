"""Listeners by kind (commands, events, actions, views), each with ``register(app, services)``."""

from __future__ import annotations

from slack_bolt import App

from golocal.bot.services import Services
from golocal.bot.slack.answering import Answerer, counted, in_process
from golocal.bot.slack.listeners import actions, commands, events, views


def register_all(app: App, services: Services, answerer: Answerer | None = None) -> None:
    """Register every listener on ``app``; slow work goes to ``answerer`` (default: threads)."""
    answerer = counted(answerer or in_process(services))
    for module in (commands, events, actions, views):
        module.register(app, services, answerer)

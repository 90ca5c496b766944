"""What a usage question is about: its period, the names it narrows to, and a split.

Every usage answer (models, tokens, top users, spend) names its period and coverage ("data
on 21 of 30 days: partial", as the volume answer says it) and reports the filters it applied
in ``Reply.data["filters"]``, so the chat can say when a question named something an answer
did not narrow to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from golocal.bot.entities import Entities, breakdown_in, find_entities, lexicon
from golocal.bot.handlers.wording import day_span
from golocal.bot.periods import Period, asked_period
from golocal.bot.services import Services
from golocal.db.attribution import AttributionEntry
from golocal.db.evidence import ModelUsage
from golocal.db.usage_detail import TokenRow, token_rows
from golocal.jobs.showback import UNATTRIBUTED, all_attributions, attributed_team


@dataclass(frozen=True)
class Scope:
    """The period, the names and the split a question asks for."""

    period: Period
    entities: Entities
    breakdown: str | None
    filters: dict[str, str] = field(default_factory=dict)
    #: how the question's period phrase was read; None for the default window
    reading: str | None = None

    def describe(self) -> str:
        """ "the last 7 days, 2026-11-18 to 2026-11-24 (UTC), provider anthropic"."""
        text = f"{self.period.label}, {day_span(self.period.since, self.period.until)}"
        return f"{text}, {self.entities.describe()}" if self.filters else text

    def as_json(self) -> dict[str, Any]:
        applied: dict[str, Any] = dict(self.filters)
        if self.breakdown:
            applied["breakdown"] = self.breakdown
        return applied


def scope_of(question: str, services: Services) -> Scope:
    """The scope of ``question``; the period defaults to the volume window."""
    period, reading = asked_period(question, services)
    entities = find_entities(question, lexicon(services.database))
    return Scope(period, entities, breakdown_in(question), entities.as_json(), reading)


def narrowed(rows: list[ModelUsage], scope: Scope, services: Services) -> list[ModelUsage]:
    """The usage rows matching every filter of ``scope`` (provider, model, team, project, key).

    A team matches as everywhere in golocal: API-key, then project mappings, then the team
    the source stored (:func:`golocal.jobs.showback.attributed_team`).
    """
    filters = dict(scope.filters)
    team = filters.pop("team", None)
    kept = [row for row in rows if all(getattr(row, k) == v for k, v in filters.items())]
    if team is None:
        return kept
    attributions = all_attributions(services.database, services.settings)
    return [row for row in kept if team_of(row, attributions) == team]


#: What usage rows a split names when the sources do not identify them (as in showback).
NOT_IDENTIFIED = UNATTRIBUTED


def team_of(row: ModelUsage, attributions: Sequence[AttributionEntry]) -> str | None:
    """A usage row's team (the one rule of :func:`golocal.jobs.showback.attributed_team`)."""
    return attributed_team(row.provider, row.project, row.api_key, row.team, attributions)


def group_name(row: ModelUsage, dimension: str, attributions: Sequence[AttributionEntry]) -> str:
    """The name a row is grouped under when splitting by ``dimension``."""
    value = team_of(row, attributions) if dimension == "team" else getattr(row, dimension)
    return value or NOT_IDENTIFIED


def scoped_token_rows(services: Services, scope: Scope) -> list[TokenRow]:
    """The per-day token rows of the scope: names narrowed in SQL, a team by the mappings."""
    filters = dict(scope.filters)
    team = filters.pop("team", None)
    rows = token_rows(services.database, scope.period.since, scope.period.until, filters)
    if team is None:
        return rows
    attributions = all_attributions(services.database, services.settings)
    return [
        row
        for row in rows
        if attributed_team(row.provider, row.project, row.api_key, row.team, attributions) == team
    ]


def coverage(services: Services, scope: Scope) -> tuple[int, str]:
    """Days with data in the scope, and the sentence naming them."""
    days = len({row.day for row in scoped_token_rows(services, scope)})
    return days, scope.period.coverage_text(days)

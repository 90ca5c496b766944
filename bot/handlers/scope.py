"""What a usage question is about: its period, the names it narrows to, and a split.

Every usage answer (models, tokens, top users) names its period and coverage ("21 of 30
days have data") and reports the filters it applied in ``Reply.data["filters"]``, so the
chat can say when a question named something an answer did not narrow to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from golocal.bot.entities import Entities, breakdown_in, find_entities, lexicon
from golocal.bot.handlers.wording import day_span
from golocal.bot.periods import Period, period_in
from golocal.bot.services import Services
from golocal.db.attribution import AttributionEntry, list_attributions
from golocal.db.evidence import ModelUsage
from golocal.db.usage_detail import days_with_usage


@dataclass(frozen=True)
class Scope:
    """The period, the names and the split a question asks for."""

    period: Period
    entities: Entities
    breakdown: str | None
    filters: dict[str, str] = field(default_factory=dict)

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
    today = services.now().date()
    period = period_in(question, today, services.settings.volume.window_days)
    entities = find_entities(question, lexicon(services.database))
    return Scope(period, entities, breakdown_in(question), entities.as_json())


def narrowed(rows: list[ModelUsage], scope: Scope, services: Services) -> list[ModelUsage]:
    """The usage rows matching every filter of ``scope`` (provider, model, team, project, key).

    A team matches by the source's own team or by ``golocal attribute`` mappings.
    """
    filters = dict(scope.filters)
    team = filters.pop("team", None)
    kept = [row for row in rows if all(getattr(row, k) == v for k, v in filters.items())]
    if team is None:
        return kept
    attributions = list_attributions(services.database)
    return [row for row in kept if team_of(row, attributions) == team]


#: What usage rows a split names when the sources do not identify them.
NOT_IDENTIFIED = "(not identified)"


def team_of(row: ModelUsage, attributions: list[AttributionEntry]) -> str | None:
    """A usage row's team: the source's own, else its API key's, project's or workspace's."""
    if row.team:
        return row.team
    for kind in ("api_key", "project", "workspace"):
        for entry in attributions:
            if (
                entry.kind == kind
                and entry.team
                and entry.matches(row.provider, row.project, row.api_key)
            ):
                return entry.team
    return None


def group_name(row: ModelUsage, dimension: str, attributions: list[AttributionEntry]) -> str:
    """The name a row is grouped under when splitting by ``dimension``."""
    value = team_of(row, attributions) if dimension == "team" else getattr(row, dimension)
    return value or NOT_IDENTIFIED


def coverage(services: Services, scope: Scope) -> tuple[int, str]:
    """Days with data in the scope, and the sentence naming them."""
    days = days_with_usage(services.database, scope.period.since, scope.period.until, scope.filters)
    return days, f"{days} of {scope.period.days} days have data"

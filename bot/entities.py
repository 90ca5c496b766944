"""Names in a question: providers, models, teams, projects and API keys, and "by team".

The names come from the data itself (the distinct dimensions of the usage buckets and the
attribution table) plus the providers golocal collects from, so "what about Anthropic?" or
"spend on gpt-4.1-mini" is recognised without a list to maintain. Matching is pure
(:func:`find_entities` on a :class:`Lexicon`); only :func:`lexicon` reads the database, and its
result is kept for a minute so a busy channel does not rescan the table per question.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select

from golocal.db.attribution import list_attributions
from golocal.db.database import Database
from golocal.db.models import UsageBucket

#: Providers golocal collects from, with the words people use for them.
PROVIDER_ALIASES: dict[str, tuple[str, ...]] = {
    "openai": ("openai", "open ai", "chatgpt"),
    "anthropic": ("anthropic", "claude"),
    "github-copilot": ("github copilot", "copilot", "github-copilot"),
    "litellm": ("litellm", "lite llm"),
}
#: "by team", "per project", "split by key" → the dimension to split by.
BREAKDOWN_WORDS: dict[str, str] = {
    "team": "team",
    "teams": "team",
    "project": "project",
    "projects": "project",
    "workspace": "project",
    "workspaces": "project",
    "key": "api_key",
    "keys": "api_key",
    "api key": "api_key",
    "api keys": "api_key",
    "model": "model",
    "models": "model",
    "provider": "provider",
    "providers": "provider",
    "vendor": "provider",
}
_BREAKDOWN = re.compile(
    r"\b(?:by|per|for each|split by|broken down by|grouped by|each)\s+("
    + "|".join(sorted(BREAKDOWN_WORDS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
#: Names shorter than this are not matched (too many false hits: "ml", "a").
MIN_NAME = 3
MAX_NAMES = 2000
#: Distinct dimension combinations read at most (a bound on a very large organisation).
MAX_COMBINATIONS = 20_000
LEXICON_TTL_S = 60.0


@dataclass(frozen=True)
class Lexicon:
    """The names the data knows, lower-cased for matching, each mapped to its stored form."""

    providers: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)

    def words(self) -> tuple[str, ...]:
        """Every known name's words, so typo correction leaves them alone."""
        found: set[str] = set()
        for table in (self.providers, self.models, self.teams, self.projects):
            for name in table:
                found.update(re.findall(r"[a-z]{4,}", name))
        return tuple(sorted(found))


@dataclass(frozen=True)
class Entities:
    """What a question names: one provider, model, team, project or key at most each."""

    provider: str | None = None
    model: str | None = None
    team: str | None = None
    project: str | None = None
    api_key: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def describe(self) -> str:
        """ "provider anthropic, team payments" — for a reply's first line."""
        return ", ".join(
            f"{key.replace('_', ' ')} {value}" for key, value in self.as_json().items()
        )


def static_lexicon() -> Lexicon:
    """The providers golocal knows, without a database."""
    providers = {alias: name for name, aliases in PROVIDER_ALIASES.items() for alias in aliases}
    return Lexicon(providers=providers)


# Keyed by the Database object itself (weakly): a disposed database's names go with it and
# can never be served for another one that happens to reuse its id().
_cache: weakref.WeakKeyDictionary[Database, tuple[float, Lexicon]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def lexicon(database: Database, *, now: float | None = None) -> Lexicon:
    """The names in the database (cached for :data:`LEXICON_TTL_S` seconds)."""
    now = time.monotonic() if now is None else now
    with _cache_lock:
        cached = _cache.get(database)
        if cached is not None and now - cached[0] < LEXICON_TTL_S:
            return cached[1]
    built = _build_lexicon(database)
    with _cache_lock:
        _cache[database] = (now, built)
    return built


def forget_lexicon(database: Database) -> None:
    """Drop the cached names (after new data arrived in a test, or a collection)."""
    with _cache_lock:
        _cache.pop(database, None)


def _distinct_dimensions(database: Database) -> list[tuple[Any, ...]]:
    """The distinct (provider, model, team, project, key) combinations: one scan of the table."""
    columns = (
        UsageBucket.provider,
        UsageBucket.model,
        UsageBucket.team,
        UsageBucket.project,
        UsageBucket.api_key,
    )
    query = select(*columns).distinct().limit(MAX_COMBINATIONS)
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def _named(values: Iterable[Any]) -> dict[str, str]:
    named: dict[str, str] = {}
    for value in values:
        if value and len(str(value)) >= MIN_NAME and len(named) < MAX_NAMES:
            named.setdefault(str(value).lower(), str(value))
    return named


def _build_lexicon(database: Database) -> Lexicon:
    rows = _distinct_dimensions(database)
    providers = dict(static_lexicon().providers)
    providers.update(_named(row[0] for row in rows))
    teams = _named(row[2] for row in rows)
    projects = _named(row[3] for row in rows)
    keys = _named(row[4] for row in rows)
    for entry in list_attributions(database):
        if entry.team:
            teams.setdefault(entry.team.lower(), entry.team)
        target = keys if entry.kind == "api_key" else projects
        target.setdefault(entry.external_id.lower(), entry.external_id)
    return Lexicon(
        providers=providers,
        models=_named(row[1] for row in rows),
        teams=teams,
        projects=projects,
        api_keys=keys,
    )


def _longest_name(text: str, names: dict[str, str]) -> str | None:
    """The longest known name appearing in ``text`` as a whole word (or word run)."""
    best: str | None = None
    for lowered, stored in names.items():
        if (best is None or len(lowered) > len(best.lower())) and re.search(
            r"(?<![\w.-])" + re.escape(lowered) + r"(?![\w-])", text
        ):
            best = stored
    return best


def find_entities(question: str, names: Lexicon) -> Entities:
    """The provider, model, team, project and key ``question`` names (longest name wins)."""
    text = question.lower()
    model = _longest_name(text, names.models)
    # a model id ("claude-haiku-4-5") also contains a provider word: the model wins
    rest = text.replace(model.lower(), " ") if model else text
    team = _longest_name(rest, names.teams)
    if team is None and (match := re.search(r"\bteam[: ]+([\w-]{2,40})", rest)):
        team = names.teams.get(match.group(1).lower())
    return Entities(
        provider=_longest_name(rest, names.providers),
        model=model,
        team=team,
        project=_longest_name(rest, names.projects),
        api_key=_longest_name(rest, names.api_keys),
    )


def breakdown_in(question: str) -> str | None:
    """The dimension a question asks to split by ("by team?" → "team"), if any."""
    match = _BREAKDOWN.search(question)
    return BREAKDOWN_WORDS[match.group(1).lower()] if match else None

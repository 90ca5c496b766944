"""Declared checklist answers (docs/ARCHITECTURE.md section 1, points 2–5): who said what, when.

Answers are append-only :class:`~golocal.db.models.ChecklistAnswer` rows: setting an answer
adds a row, the newest row per (key, scope) is the current answer, and the older rows are its
history. Nothing here is ever updated or deleted, so "who changed the ops owner, and when?"
always has an answer.

The keys, their allowed values and the scopes they accept are defined here once
(:data:`CHECKLIST_KEYS`), so the CLI (``golocal checklist``), the chat and the Slack modal
validate the same way. A scope is ``''`` for the whole organisation, a provider project /
workspace id (``proj_payments``) or a team as ``team:<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from golocal.db.database import Database
from golocal.db.models import ChecklistAnswer
from golocal.errors import UsageError

#: Values of ``code_location`` (and of an attribution's sensitivity), most sensitive first.
SENSITIVITIES = ("regulated", "proprietary", "public")
#: The ``ops_owner`` value meaning "nobody owns running local inference".
NO_OWNER = "none"
_NO_OWNER_ALIASES = {"none", "nobody", "no one", "noone", "no-one", "-", "n/a"}
#: Values of ``model_size``: frontier models needed, a 7B–30B local model is enough, or both.
MODEL_SIZES = ("frontier", "local_capable", "mixed")
_MODEL_SIZE_ALIASES = {
    "local": "local_capable",
    "local-capable": "local_capable",
    "small": "local_capable",
    "7b-30b": "local_capable",
    "large": "frontier",
}
#: Levels an ``exit_cost`` answer may start with ("high: fine-tuned review model").
EXIT_COST_LEVELS = ("low", "medium", "high")
MAX_VALUE_LENGTH = 500
MAX_SCOPE_LENGTH = 100
TEAM_PREFIX = "team:"


@dataclass(frozen=True, slots=True)
class ChecklistKey:
    """One declared checklist key: what it asks, its allowed values, whether it takes a scope."""

    key: str
    question: str
    #: allowed values, or empty for free text
    choices: tuple[str, ...]
    #: whether the answer may be given per project/team (else only organisation-wide)
    scoped: bool
    help: str


CHECKLIST_KEYS: dict[str, ChecklistKey] = {
    item.key: item
    for item in (
        ChecklistKey(
            "code_location",
            "Where does the code the assistant sees live?",
            SENSITIVITIES,
            True,
            "regulated (health, finance, GDPR data), proprietary, or public; "
            "per project or team with --project",
        ),
        ChecklistKey(
            "ops_owner",
            "Who owns running local inference (drivers, model updates, hardware)?",
            (),
            False,
            "a named person or team, or 'none'",
        ),
        ChecklistKey(
            "model_size",
            "What model size does the work actually need?",
            MODEL_SIZES,
            True,
            "frontier, local_capable (a 7B–30B model is enough) or mixed",
        ),
        ChecklistKey(
            "exit_cost",
            "What would it cost to leave the current cloud provider?",
            (),
            True,
            "notes, optionally starting with low, medium or high (e.g. 'high: fine-tuned model')",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Answer:
    """One declared answer as stored."""

    key: str
    scope: str
    value: str
    answered_by: str
    answered_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "scope": self.scope,
            "value": self.value,
            "answered_by": self.answered_by,
            "answered_at": self.answered_at.isoformat(),
        }


def normalise_answer(key: str, value: str, scope: str = "") -> tuple[str, str]:
    """Check a declared answer and return its stored form ``(value, scope)``.

    Args:
        key: one of :data:`CHECKLIST_KEYS`.
        value: what was declared; choices are case-insensitive and a few aliases are
            accepted (``nobody`` → ``none``, ``local`` → ``local_capable``).
        scope: ``''`` for the organisation, a project id, or ``team:<name>``.

    Raises:
        UsageError: naming the key and what it accepts.
    """
    spec = CHECKLIST_KEYS.get(key)
    if spec is None:
        raise UsageError(f"unknown checklist key {key!r}; known keys: {', '.join(CHECKLIST_KEYS)}")
    scope = scope.strip()
    if scope and not spec.scoped:
        raise UsageError(f"{key} is answered for the whole organisation, not per project")
    if len(scope) > MAX_SCOPE_LENGTH:
        raise UsageError(f"project/team name is longer than {MAX_SCOPE_LENGTH} characters")
    text = " ".join(value.split())
    if not text:
        raise UsageError(f"{key} needs a value: {spec.help}")
    if len(text) > MAX_VALUE_LENGTH:
        raise UsageError(f"{key} is longer than {MAX_VALUE_LENGTH} characters")
    lowered = text.lower()
    if key == "ops_owner" and lowered in _NO_OWNER_ALIASES:
        return NO_OWNER, scope
    if key == "model_size":
        lowered = _MODEL_SIZE_ALIASES.get(lowered, lowered)
    if spec.choices:
        if lowered not in spec.choices:
            raise UsageError(f"{key} must be one of {', '.join(spec.choices)} (got {text!r})")
        return lowered, scope
    return text, scope


def exit_cost_level(value: str) -> str | None:
    """The level a declared ``exit_cost`` note starts with (``low|medium|high``), if any."""
    first = value.split(maxsplit=1)[0].rstrip(":,;.-").lower() if value.strip() else ""
    return first if first in EXIT_COST_LEVELS else None


def set_answer(
    database: Database,
    key: str,
    value: str,
    *,
    answered_by: str,
    scope: str = "",
    at: datetime | None = None,
) -> Answer:
    """Record a declared answer (a new history row); it becomes the current answer.

    Args:
        key: a checklist key (see :data:`CHECKLIST_KEYS`).
        value: the answer; validated and normalised by :func:`normalise_answer`.
        answered_by: who declared it (a user name or a Slack user id); required.
        scope: ``''`` (organisation), a project id, or ``team:<name>``.
        at: when (default now, UTC).

    Raises:
        UsageError: an unknown key, a value the key does not accept, or no ``answered_by``.
    """
    stored_value, stored_scope = normalise_answer(key, value, scope)
    who = answered_by.strip()
    if not who:
        raise UsageError("a checklist answer needs the name of who gives it")
    when = at or datetime.now(UTC)
    row = ChecklistAnswer(
        key=key,
        scope=stored_scope,
        value=stored_value,
        answered_by=who[:100],
        answered_at=when,
    )
    with database.session() as session:
        session.add(row)
    return Answer(key, stored_scope, stored_value, who[:100], when)


def _answer(row: ChecklistAnswer) -> Answer:
    return Answer(row.key, row.scope, row.value, row.answered_by, row.answered_at)


def current_answers(database: Database) -> list[Answer]:
    """The current (newest) answer of every (key, scope) ever answered, ordered by key, scope.

    Ties on ``answered_at`` go to the later row, so two answers in the same instant still
    have one winner.
    """
    newest = (
        select(
            ChecklistAnswer.key,
            ChecklistAnswer.scope,
            func.max(ChecklistAnswer.answered_at).label("at"),
        )
        .group_by(ChecklistAnswer.key, ChecklistAnswer.scope)
        .subquery()
    )
    # Newest by time first; among rows at that time, the highest id (inserted last).
    winners = (
        select(func.max(ChecklistAnswer.id))
        .join(
            newest,
            (ChecklistAnswer.key == newest.c.key)
            & (ChecklistAnswer.scope == newest.c.scope)
            & (ChecklistAnswer.answered_at == newest.c.at),
        )
        .group_by(ChecklistAnswer.key, ChecklistAnswer.scope)
    )
    query = (
        select(ChecklistAnswer)
        .where(ChecklistAnswer.id.in_(winners))
        .order_by(ChecklistAnswer.key, ChecklistAnswer.scope)
    )
    with database.session() as session:
        return [_answer(row) for row in session.scalars(query)]


def current_answer(database: Database, key: str, scope: str = "") -> Answer | None:
    """The current answer for one (key, scope), or ``None`` if it was never answered."""
    query = (
        select(ChecklistAnswer)
        .where(ChecklistAnswer.key == key, ChecklistAnswer.scope == scope)
        .order_by(ChecklistAnswer.answered_at.desc(), ChecklistAnswer.id.desc())
        .limit(1)
    )
    with database.session() as session:
        row = session.scalars(query).first()
        return None if row is None else _answer(row)


def answer_history(
    database: Database,
    *,
    key: str | None = None,
    scope: str | None = None,
    limit: int = 100,
) -> list[Answer]:
    """Declared answers, newest first, optionally for one key and/or scope.

    Args:
        key: only this key (default: all keys).
        scope: only this scope (``''`` is the organisation; ``None`` means all scopes).
        limit: at most this many rows.
    """
    query = select(ChecklistAnswer)
    if key is not None:
        query = query.where(ChecklistAnswer.key == key)
    if scope is not None:
        query = query.where(ChecklistAnswer.scope == scope)
    query = query.order_by(ChecklistAnswer.answered_at.desc(), ChecklistAnswer.id.desc()).limit(
        limit
    )
    with database.session() as session:
        return [_answer(row) for row in session.scalars(query)]

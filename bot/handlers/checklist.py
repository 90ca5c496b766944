"""The checklist intents: show the five points with the declared answers (who, when), and
change a declared answer in words ("our code is regulated", "ops owner is the platform team").

Changing goes through the same storage and validation as ``golocal checklist set`` and the
Slack modal (:func:`golocal.db.checklist.set_answer`), so every surface accepts the same
values and keeps the same history. Who may change: the console's and ``golocal ask``'s user;
in Slack only admins (the adapter says who asks, in :attr:`Services.actor`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from golocal.bot.chat import intent
from golocal.bot.handlers.advisor import evidence_for
from golocal.bot.replies import Reply
from golocal.bot.screening import excerpt
from golocal.bot.services import Services
from golocal.db.checklist import (
    CHECKLIST_KEYS,
    TEAM_PREFIX,
    Answer,
    current_answer,
    current_answers,
    set_answer,
)
from golocal.jobs.framework import assess

ONLY_ADMINS = "Only admins can change the checklist answers (see `[slack] admins`)."
_TITLES = {
    "volume": "volume",
    "code_location": "code location",
    "ops_owner": "ops owner",
    "model_size": "model size",
    "exit_cost": "exit cost",
}
#: Words in a question that point at one checklist key.
_FOCUS = (
    ("code_location", re.compile(r"\bcode\b|\bregulated\b|\bcompliance\b|\bgdpr\b|\bsensitive")),
    ("ops_owner", re.compile(r"\bwho (?:owns|runs|operates|maintains|is responsible|looks)|owner")),
    ("model_size", re.compile(r"\bmodel size\b")),
    ("exit_cost", re.compile(r"\bexit cost\b|\block-?in\b")),
)
_SCOPE = re.compile(r"\s+(?:for|of|in)\s+(project|team|workspace)\s+([\w:.-]{1,100})", re.I)
#: (key, pattern capturing the value) for declarative sentences, in order.
_UPDATES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern, re.IGNORECASE))
    for key, pattern in (
        ("code_location", r"\bcode (?:is|=) (?:now )?(regulated|proprietary|public|open source)\b"),
        ("code_location", r"\bcode location(?: to| is| =|:)\s+(.+)$"),
        ("ops_owner", r"\b(?:ops|operations) owner(?: to| is| =|:)\s+(.+)$"),
        ("ops_owner", r"^(nobody|no one|noone) (?:owns|runs)\b"),
        ("ops_owner", r"^(?:the )?(.{1,60}?) owns? (?:the )?(?:ops|operations)\b"),
        ("model_size", r"\bmodel size(?: to| is| =|:)\s+(.+)$"),
        ("exit_cost", r"\bexit cost(?: to| is| =|:)\s+(.+)$"),
    )
)


@dataclass(frozen=True)
class Declared:
    """A declared answer read from a sentence."""

    key: str
    value: str
    scope: str


def read_declaration(question: str) -> Declared | None:
    """The key, value and scope a declarative sentence sets, or None."""
    text = " ".join(question.split()).rstrip(" .!")
    scope = ""
    if match := _SCOPE.search(text):
        kind, name = match.group(1).lower(), match.group(2)
        scope = f"{TEAM_PREFIX}{name}" if kind == "team" else name
        text = (text[: match.start()] + text[match.end() :]).strip()
    for key, pattern in _UPDATES:
        if match := pattern.search(text):
            value = match.group(1).strip()
            if key == "code_location" and value.lower() == "open source":
                value = "public"
            return Declared(key, value, scope)
    return None


def _when(answer: Answer) -> str:
    return f"{answer.answered_at:%Y-%m-%d %H:%M} UTC"


def _focus(question: str) -> str | None:
    lowered = question.lower()
    return next((key for key, pattern in _FOCUS if pattern.search(lowered)), None)


@intent("checklist")
def answer_checklist(question: str, services: Services) -> Reply:
    """The five points (which way each leans) and every declared answer with who and when."""
    result = assess(evidence_for(services), services.settings)
    answers = current_answers(services.database)
    focus = _focus(question)
    lines = []
    if focus is not None:
        lines.append(_focus_line(focus, answers))
    lines.append(
        f"The five points ({result.since} to {result.until}, exclusive; "
        f"{result.days_with_data} days with data):"
    )
    for point in result.checklist:
        lines.append(
            f"• {_TITLES.get(point.id, point.id)} → leans {point.leans} ({point.source}): "
            f"{point.evidence}"
        )
    declared = [
        f"• {_TITLES[a.key]}{' [' + a.scope + ']' if a.scope else ''}: {a.value} "
        f"— by {a.answered_by}, {_when(a)}"
        for a in answers
    ]
    lines.append("Declared answers:" if declared else "No answers declared yet.")
    lines += declared
    unanswered = [k for k in CHECKLIST_KEYS if not any(a.key == k for a in answers)]
    if unanswered:
        lines.append(
            "Not declared: "
            + ", ".join(_TITLES[k] for k in unanswered)
            + " — e.g. “our code is regulated”, “ops owner is the platform team”."
        )
    data: dict[str, Any] = {
        "focus": focus,
        "checklist": [point.as_json() for point in result.checklist],
        "answers": [a.as_json() for a in answers],
        "unanswered": unanswered,
        "window": {"since": result.since, "until": result.until},
    }
    return Reply("checklist", "\n".join(lines), data)


def _focus_line(key: str, answers: list[Answer]) -> str:
    found = [a for a in answers if a.key == key]
    if not found:
        hint = {
            "code_location": "“our code is regulated” (or proprietary / public)",
            "ops_owner": "“ops owner is the platform team”",
            "model_size": "“model size is mixed”",
            "exit_cost": "“exit cost is high: fine-tuned model”",
        }[key]
        return f"No one has declared the {_TITLES[key]} yet; say e.g. {hint}."
    org = next((a for a in found if not a.scope), found[0])
    others = len(found) - 1
    more = f" (+{others} per project/team)" if others else ""
    return (
        f"{_TITLES[key].capitalize()}: {org.value}{' [' + org.scope + ']' if org.scope else ''} "
        f"— declared by {org.answered_by}, {_when(org)}{more}."
    )


@intent("checklist_update")
def answer_checklist_update(question: str, services: Services) -> Reply:
    """Store a declared answer stated in words, with who and when; admins only in Slack."""
    declared = read_declaration(question)
    if declared is None:
        return Reply(
            "checklist_update",
            f"I couldn't read which answer to change from “{excerpt(question)}”. Say e.g. "
            "“our code is regulated”, “ops owner is the platform team”, “model size is "
            "mixed” or “exit cost is high: fine-tuned model”.",
            {"changed": False},
        )
    actor = services.actor
    if actor is None or not actor.may_change_answers:
        return Reply("checklist_update", ONLY_ADMINS, {"changed": False, "refused": "not_admin"})
    previous = current_answer(services.database, declared.key, declared.scope)
    stored = set_answer(
        services.database,
        declared.key,
        declared.value,
        answered_by=actor.name,
        scope=declared.scope,
        at=services.now(),
    )
    where = f" for {stored.scope}" if stored.scope else ""
    was = f" (was: {previous.value}, by {previous.answered_by})" if previous else ""
    text = (
        f"Recorded: {_TITLES[stored.key]}{where} = {stored.value}{was} — by {stored.answered_by}, "
        f"{_when(stored)}. Ask “should we go local?” to see the verdict with it."
    )
    return Reply(
        "checklist_update",
        text,
        {
            "changed": True,
            "answer": stored.as_json(),
            "previous": previous.as_json() if previous else None,
        },
    )


INTENTS = [answer_checklist, answer_checklist_update]

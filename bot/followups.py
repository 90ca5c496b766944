"""Follow-ups in a thread or a console session: "and last month?", "by team?", "what about X?".

A follow-up reuses the last question's subject (its intent and its words) and changes one
thing: the period, the breakdown or the provider/model/team it is about. The last question
of each conversation (a console session, a Slack thread, a DM, a user's slash commands in a
channel) is remembered in memory, bounded in count and age; a question that names an intent
of its own starts a new subject.

The previous period's words are *removed* from the remembered question here; the new period
is read, like every period, by the one period parser when the handler answers.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from golocal.bot.entities import Entities, Lexicon, breakdown_in, find_entities
from golocal.jobs.period_range import PeriodError
from golocal.jobs.periods import find_period

#: Words that open a follow-up.
_CUE = re.compile(
    r"^(?:and|also|ok|okay|then|now|same|but)?\s*(?:what|how) about\b|"
    r"^(?:and|also|same|but)\b(?:\s+(?:for|in|on|with))?|^(?:same|now|ok|okay)\s+(?:for|in|on|but)\b",
    re.IGNORECASE,
)
#: Periods as people name them; only used to drop the previous period from a question.
_PERIOD_WORDS = re.compile(
    r"\b(?:(?:in|for|during|over|from|since)\s+)?(?:the\s+)?(?:"
    r"(?:last|past|previous|this|next|current)\s+(?:\d+\s+)?(?:days?|weeks?|months?|quarters?|"
    r"years?)|yesterday|today|ytd|year to date|month to date|mtd|"
    r"(?:since|between|from)\s+\S+(?:\s+\d{1,2})?(?:\s+(?:and|to)\s+\S+(?:\s+\d{1,2})?)?|"
    r"(?:week\s+\d{1,2})|\d{4}|"
    r"q[1-4](?:\s+\d{4})?|\d{4}-\d{2}(?:-\d{2})?(?:\s+to\s+\d{4}-\d{2}(?:-\d{2})?)?|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*(?:\s+\d{4})?)\b",
    re.IGNORECASE,
)
_BREAKDOWN_PHRASE = re.compile(
    r"\b(?:by|per|for each|split by|broken down by|grouped by)\s+(?:api\s+)?\w+\b", re.IGNORECASE
)
#: A follow-up is short; a longer question is read on its own.
MAX_FOLLOW_UP_WORDS = 8


@dataclass(frozen=True)
class Subject:
    """What the last question was about: its intent and the question as it was read."""

    intent: str
    question: str


def cue_removed(question: str) -> str:
    """``question`` without its opening "and", "what about", "how about"."""
    return _CUE.sub("", question, count=1).strip(" ,?.!")


def has_cue(question: str) -> bool:
    return bool(_CUE.match(question.strip()))


def names_a_period(question: str) -> bool:
    """Whether ``question`` names a period, by the one period parser (an unreadable period
    phrase counts: the handler will say why it can't read it)."""
    try:
        return find_period(question) is not None
    except PeriodError:
        return True


def rewrite(subject: Subject, question: str, names: Lexicon) -> str | None:
    """The follow-up ``question`` as a whole question about ``subject``, or None if it is not one.

    Args:
        subject: the conversation's last answered question.
        question: the new, screened question (with no intent keyword of its own).
        names: the known names (providers, models, teams, ...).
    """
    fragment = cue_removed(question)
    if not fragment or len(fragment.split()) > MAX_FOLLOW_UP_WORDS:
        return None
    new_entities = find_entities(fragment, names)
    period = names_a_period(fragment)
    breakdown = breakdown_in(fragment)
    if not (period or breakdown or new_entities.as_json()):
        return None
    if not has_cue(question) and _leftover(fragment, new_entities):
        # "how much did we use last week?" says more than a period: a question of its own
        return None
    base = subject.question
    if period:
        base = _PERIOD_WORDS.sub(" ", base)
    if breakdown:
        base = _BREAKDOWN_PHRASE.sub(" ", base)
    old = find_entities(base, names)
    for kind in new_entities.as_json():
        previous = getattr(old, kind)
        if previous:
            base = re.sub(re.escape(previous), " ", base, flags=re.IGNORECASE)
        if kind in {"model", "provider"}:  # a new model or provider replaces the other too
            for other in ("model", "provider"):
                if other != kind and (value_other := getattr(old, other)):
                    base = re.sub(re.escape(value_other), " ", base, flags=re.IGNORECASE)
    base = " ".join(base.strip(" ?.!").split())
    return f"{base} {fragment}".strip()


#: Words a bare follow-up may carry besides its period, split and names ("only for X, please").
_FILLER = frozenset(
    [
        "and",
        "also",
        "the",
        "for",
        "in",
        "on",
        "of",
        "at",
        "with",
        "only",
        "just",
        "then",
        "please",
        "same",
        "but",
        "ok",
        "okay",
        "now",
        "so",
        "same",
        "that",
        "this",
        "those",
        "these",
        "it",
        "one",
        "team",
        "project",
        "key",
        "model",
        "provider",
    ]
)


def _leftover(fragment: str, entities: Entities) -> list[str]:
    """The words of ``fragment`` that are not its period, split, names or filler."""
    text = _BREAKDOWN_PHRASE.sub(" ", _PERIOD_WORDS.sub(" ", fragment.lower()))
    for name in entities.as_json().values():
        text = text.replace(str(name).lower(), " ")
    words = re.findall(r"[a-z]+", text)
    return [word for word in words if word not in _FILLER]


class Conversations:
    """The last subject of each conversation, at most ``size`` of them, for ``ttl_s`` seconds."""

    def __init__(self, size: int = 2000, ttl_s: float = 24 * 3600) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._subjects: OrderedDict[Hashable, tuple[float, Subject]] = OrderedDict()
        self._lock = threading.Lock()

    def last(self, key: Hashable) -> Subject | None:
        with self._lock:
            entry = self._subjects.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] > self.ttl_s:
                del self._subjects[key]
                return None
            return entry[1]

    def remember(self, key: Hashable, subject: Subject) -> None:
        with self._lock:
            self._subjects[key] = (time.monotonic(), subject)
            self._subjects.move_to_end(key)
            while len(self._subjects) > self.size:
                self._subjects.popitem(last=False)

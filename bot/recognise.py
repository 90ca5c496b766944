"""Which intent a question asks for: keywords first, then typo correction, then fuzzy phrases.

1. **Keywords** (:data:`~golocal.bot.intent_table.INTENT_TABLE`, in priority order): the
   first intent whose pattern matches wins. Predictable, fast, and what the help lists.
2. **Two intents equally likely** (:data:`~golocal.bot.intent_table.AMBIGUOUS`): the bot asks
   "Did you mean …?" instead of guessing.
3. **Typos**: each unknown word is matched against the table's vocabulary with RapidFuzz
   ("shuold" → "should", "lcoal" → "local") and the keywords are tried again on the
   corrected question; the reply says how it read the question.
4. **Near-misses**: the question is scored against every intent's typical phrasings; one
   clear winner is taken, two close ones become "Did you mean …?", and anything else gets the
   help with the closest intents.

Pure functions: no database, no network; no model is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from golocal.bot.intent_table import AMBIGUOUS, INTENT_TABLE, INTENTS_BY_ID, IntentSpec

#: Least similarity (optimal string alignment: an edit or a swap of two neighbours costs 1)
#: for a word to count as a typo of a vocabulary word; one slip in a four-letter word passes.
WORD_CUTOFF = 0.75
#: Least ``token_sort_ratio`` of the question against a phrasing to be taken without asking.
PHRASE_ACCEPT = 85
#: Least score for an intent to be offered in "Did you mean …?".
PHRASE_SUGGEST = 65
#: A winner must lead the runner-up by this much, or the bot asks.
PHRASE_MARGIN = 8
#: Least score for an intent to be listed as "closest" under an unmatched question.
PHRASE_CLOSEST = 45

# Words too common to correct towards or from ("the" is not a typo of "they").
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "is",
        "are",
        "was",
        "were",
        "be",
        "we",
        "our",
        "us",
        "you",
        "your",
        "it",
        "its",
        "this",
        "that",
        "what",
        "which",
        "who",
        "how",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "can",
        "could",
        "would",
        "should",
        "will",
        "about",
        "with",
        "by",
        "me",
        "my",
        "i",
        "any",
        "all",
        "much",
        "many",
        "per",
        "day",
        "days",
        "week",
        "month",
        "year",
        "last",
        "next",
    ]
)


@dataclass(frozen=True)
class Recognition:
    """What a question was recognised as."""

    #: the intent id, or None when unmatched or ambiguous
    intent: str | None
    #: the question as read (typos corrected)
    question: str
    #: how it was found: "keyword", "typo", "phrase", "ambiguous", "unmatched"
    how: str
    #: intents to offer ("Did you mean …?" or the closest to an unmatched question)
    candidates: tuple[str, ...] = ()
    #: (typed, read as) for each corrected word
    corrections: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def normalise(question: str) -> str:
    """Lower case, one space between words, no trailing punctuation."""
    return " ".join(question.lower().split()).rstrip(" ?!.").replace("’", "'")


#: "by model", "per team": how to split an answer, not what it is about.
_SPLIT = re.compile(
    r"\b(?:by|per|for each|split by|broken down by|grouped by)\s+(?:api\s+)?"
    r"(?:teams?|projects?|workspaces?|keys?|models?|providers?|vendors?)\b"
)


def keyword_intent(text: str, table: tuple[IntentSpec, ...] = INTENT_TABLE) -> str | None:
    """The first intent in ``table`` with a pattern matching ``text`` (normalised).

    A split ("gpu utilisation by model") does not choose the intent; it does when it is all
    there is ("by model").
    """
    for candidate in dict.fromkeys((_SPLIT.sub(" ", text), text)):
        for spec in table:
            if any(pattern.search(candidate) for pattern in spec.patterns):
                return spec.id
    return None


def ambiguous_pair(text: str) -> tuple[str, str] | None:
    """The two intents an ambiguous question could mean, if it is one."""
    for pattern, pair in AMBIGUOUS:
        if pattern.search(text):
            return pair
    return None


@lru_cache(maxsize=1)
def vocabulary() -> tuple[str, ...]:
    """Every word of four letters or more the table's patterns and phrasings use."""
    words: set[str] = set()
    for spec in INTENT_TABLE:
        for pattern in spec.patterns:
            source = re.sub(r"\\[a-zA-Z]", " ", pattern.pattern).lower()
            words.update(re.findall(r"[a-z]{4,}", source))
        for phrase in spec.phrasings:
            words.update(re.findall(r"[a-z]{4,}", phrase.lower()))
    # common question words are typed wrong too ("waht", "shuold"): corrected towards
    words |= {word for word in _STOP if len(word) >= 4}
    return tuple(sorted(words))


def correct_typos(
    text: str, extra_words: tuple[str, ...] = ()
) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with each unknown word of 4+ letters replaced by its closest vocabulary word."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    vocab = vocabulary()
    known = set(vocab) | _STOP | set(extra_words)
    corrections: list[tuple[str, str]] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 4 or word in known:
            return word
        best = process.extractOne(
            word, vocab, scorer=OSA.normalized_similarity, score_cutoff=WORD_CUTOFF
        )
        if best is None:
            return word
        corrections.append((word, best[0]))
        return str(best[0])

    return re.sub(r"[a-z]+", fix, text), corrections


def phrase_scores(text: str) -> list[tuple[str, float]]:
    """Every intent's best similarity to ``text`` (0–100), highest first."""
    from rapidfuzz import fuzz

    scores = []
    for spec in INTENT_TABLE:
        best = max(fuzz.token_sort_ratio(text, normalise(phrase)) for phrase in spec.phrasings)
        scores.append((spec.id, float(best)))
    return sorted(scores, key=lambda item: -item[1])


def recognise(question: str, extra_words: tuple[str, ...] = ()) -> Recognition:
    """Recognise a (screened) question. ``extra_words``: names not to "correct" (models, teams)."""
    text = normalise(question)
    if not text:  # "?" alone
        return Recognition("help", question, "keyword")
    found = keyword_intent(text)
    corrected, corrections = correct_typos(text, extra_words)
    # A typo can hide a more specific intent ("waht if … requests a day" is a what-if, not
    # the volume its other words match): the corrected question decides when it differs.
    if corrections and (fixed := keyword_intent(corrected)) and fixed != found:
        return Recognition(fixed, corrected, "typo", corrections=tuple(corrections))
    if found:
        return Recognition(found, question, "keyword")
    if pair := ambiguous_pair(text):
        return Recognition(None, question, "ambiguous", pair)
    if corrections and (pair := ambiguous_pair(corrected)):
        return Recognition(None, corrected, "ambiguous", pair, tuple(corrections))
    scores = phrase_scores(corrected)
    (first, top), (second, runner_up) = scores[0], scores[1]
    if top >= PHRASE_ACCEPT and top - runner_up >= PHRASE_MARGIN:
        return Recognition(first, corrected, "phrase", corrections=tuple(corrections))
    if top >= PHRASE_SUGGEST and runner_up >= PHRASE_SUGGEST and top - runner_up < PHRASE_MARGIN:
        return Recognition(None, corrected, "ambiguous", (first, second), tuple(corrections))
    closest = tuple(
        intent for intent, score in scores if score >= PHRASE_CLOSEST and intent != "help"
    )[:3]
    return Recognition(None, question, "unmatched", closest, tuple(corrections))


def label(intent: str) -> str:
    """How "Did you mean …?" names an intent."""
    spec = INTENTS_BY_ID.get(intent)
    return spec.label if spec else intent.replace("_", " ")

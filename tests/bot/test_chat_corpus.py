"""Every phrasing of the corpus is read as its intent, with its period, names and numbers.

Recognition runs through :func:`golocal.bot.chat.understand` (what ``answer`` does before a
handler runs) against a database holding the demo's providers, models and projects, so the
names are recognised from the data as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from golocal.bot.chat import Asked, registered_intents, remember, resolve_follow_up, understand
from golocal.bot.followups import Conversations
from golocal.bot.intent_table import INTENT_TABLE
from golocal.bot.numbers import find_numbers
from golocal.bot.periods import period_in
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.attribution import set_attribution
from golocal.db.database import open_database
from golocal.jobs.demo import DemoOptions, generate_demo
from tests.bot.chat_corpus import CORPUS, counts_per_intent

NOW = datetime(2026, 3, 11, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'golocal.db'}")
    generate_demo(db, DemoOptions(days=3, profile="team", minute_days=1), now=NOW)
    set_attribution(db, external_id="proj_payments", updated_by="test", team="payments")
    yield Services(settings=Settings(), database=db, clock=lambda: NOW)
    db.dispose()


def read(services, question, after=None):
    intents = registered_intents()
    asked = Asked(question)
    if after is not None:
        conversation = Conversations()
        first = understand(Asked(after), services, intents)
        assert not hasattr(first, "intent") or first.intent != "bad_input"
        recognition, recognised = first
        reply = Reply(recognition.intent, "", {"recognised": recognised})
        remember(conversation, "k", Asked(after), reply)
        asked = resolve_follow_up(asked, services, conversation, "k")
    return understand(asked, services, intents)


def test_the_corpus_is_big_enough_and_covers_every_intent():
    counts = counts_per_intent()
    assert len(CORPUS) >= 150
    for spec in INTENT_TABLE:
        assert counts.get(spec.id, 0) >= 5, spec.id


@pytest.mark.parametrize(("question", "intent", "expected"), CORPUS, ids=[q for q, _, _ in CORPUS])
def test_phrasing(services, question, intent, expected):
    recognition, recognised = read(services, question, expected.get("after"))
    assert recognition.intent == intent, (recognition, recognised)
    if "how" in expected:
        assert recognition.how == expected["how"]
    if "candidates" in expected:
        assert list(recognition.candidates) == expected["candidates"]
    if "since" in expected:
        period = period_in(recognition.question, NOW.date(), 7)
        assert (period.since.isoformat(), period.until.isoformat()) == (
            expected["since"],
            expected["until"],
        )
    for name in ("provider", "model", "team", "project"):
        if name in expected:
            assert recognised.get("entities", {}).get(name) == expected[name], recognised
    if "breakdown" in expected:
        assert recognised.get("breakdown") == expected["breakdown"]
    if "number" in expected:
        numbers = find_numbers(recognition.question)
        value = next((n.value for n in numbers), None)
        want = expected["number"]
        assert value == (None if want is None else Decimal(str(want)))
    if "after" in expected and intent == "cost" and "provider" in expected:
        # the follow-up replaced the earlier provider, it did not add to it
        assert "openai" not in recognition.question.lower()

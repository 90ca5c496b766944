"""Property tests: no input makes the chat's reading of a question raise."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golocal.bot.chat import answer
from golocal.bot.entities import breakdown_in, find_entities, static_lexicon
from golocal.bot.followups import Conversations, Subject, rewrite
from golocal.bot.numbers import Kind, NumberError, find_numbers, parse_number
from golocal.bot.recognise import recognise
from golocal.bot.screening import excerpt, screen
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.database import open_database

WORDS = st.sampled_from(
    [
        "spend",
        "cost",
        "requests",
        "tokens",
        "gpus",
        "saturated",
        "what",
        "if",
        "we",
        "had",
        "per",
        "day",
        "k",
        "M",
        "e",
        "1e400",
        "3,000",
        "last",
        "month",
        "and",
        "by",
        "team",
        "what",
        "about",
        "anthropic",
        "openai",
        "?",
        "%",
        "$",
        "0",
        "9",
        "-",
        ".",
        ",",
        "help",
        "checklist",
        "our",
        "code",
        "is",
        "regulated",
        "ops",
        "owner",
        "shuold",
        "lcoal",
        "3",
        "000",
        "1.5M",
        "ignore",
        "<script>",
    ]
)
QUESTIONS = st.one_of(
    st.text(max_size=300),
    st.lists(WORDS, max_size=12).map(" ".join),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
)


@given(QUESTIONS)
def test_reading_never_raises(text):
    screened = screen(text)
    if screened.problem is None:
        recognise(screened.question)
        find_entities(screened.question, static_lexicon())
        breakdown_in(screened.question)
        rewrite(
            Subject("cost", "what did we spend last week?"), screened.question, static_lexicon()
        )
    assert len(excerpt(text)) <= 40


@given(st.text(max_size=200), st.sampled_from(list(Kind)))
def test_numbers_raise_only_number_error(text, kind):
    find_numbers(text)
    with contextlib.suppress(NumberError):
        parse_number(text, kind)


@given(
    st.one_of(
        st.integers(min_value=-(10**400), max_value=10**400).map(str),
        st.decimals(allow_nan=False, allow_infinity=False).map(str),
        st.from_regex(r"-?\d{1,400}(\.\d{1,80})?(e[-+]?\d{1,6})?\s?(k|M|bn|%)?", fullmatch=True),
    ),
    st.sampled_from(list(Kind)),
)
def test_any_written_number_is_read_or_refused(typed, kind):
    with contextlib.suppress(NumberError):
        parse_number(typed, kind)


def test_answer_never_raises_on_an_empty_database(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'golocal.db'}")
    services = Services(Settings(), database, clock=lambda: datetime(2026, 3, 11, tzinfo=UTC))

    conversation = Conversations()
    answer("what did we spend last week?", services, conversation=conversation)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(QUESTIONS)
    def check(text):
        try:
            reply = answer(text, services, conversation=conversation)
        except Exception as exc:  # only a user-facing error may come out
            from golocal.errors import GolocalError

            assert isinstance(exc, GolocalError), exc
            return
        assert reply.text

    try:
        check()
    finally:
        database.dispose()

"""Declared checklist answers: validation, append-only history, the current answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from golocal.db.checklist import (
    NO_OWNER,
    answer_history,
    current_answer,
    current_answers,
    exit_cost_level,
    normalise_answer,
    set_answer,
)
from golocal.errors import UsageError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_newest_answer_is_current_and_history_keeps_every_change(database):
    set_answer(database, "ops_owner", "alice", answered_by="bob", at=T0)
    set_answer(database, "ops_owner", "platform team", answered_by="carol", at=T0 + timedelta(1))

    current = current_answer(database, "ops_owner")
    assert current is not None
    assert (current.value, current.answered_by) == ("platform team", "carol")
    history = answer_history(database, key="ops_owner")
    assert [(a.value, a.answered_by, a.answered_at) for a in history] == [
        ("platform team", "carol", T0 + timedelta(1)),
        ("alice", "bob", T0),
    ]


def test_current_answers_one_per_key_and_scope(database):
    set_answer(database, "code_location", "public", answered_by="a", scope="proj_web", at=T0)
    set_answer(database, "code_location", "Regulated", answered_by="a", scope="proj_pay", at=T0)
    set_answer(
        database,
        "code_location",
        "proprietary",
        answered_by="b",
        scope="proj_web",
        at=T0 + timedelta(hours=1),
    )
    # a back-dated correction does not replace a newer answer
    set_answer(
        database, "code_location", "public", answered_by="c", scope="proj_pay", at=T0 - timedelta(1)
    )

    answers = {(a.key, a.scope): a.value for a in current_answers(database)}
    assert answers == {
        ("code_location", "proj_pay"): "regulated",
        ("code_location", "proj_web"): "proprietary",
    }
    assert len(answer_history(database, scope="proj_pay")) == 2


def test_same_instant_goes_to_the_later_row(database):
    set_answer(database, "model_size", "frontier", answered_by="a", at=T0)
    set_answer(database, "model_size", "mixed", answered_by="b", at=T0)
    assert [a.value for a in current_answers(database)] == ["mixed"]


@pytest.mark.parametrize(
    ("key", "value", "scope", "stored"),
    [
        ("ops_owner", "Nobody", "", (NO_OWNER, "")),
        ("ops_owner", "  Alice   Smith ", "", ("Alice Smith", "")),
        ("model_size", "local", "", ("local_capable", "")),
        ("model_size", "FRONTIER", "team:ml", ("frontier", "team:ml")),
        ("code_location", "Public", " proj_x ", ("public", "proj_x")),
        ("exit_cost", "high: fine-tuned review model", "", ("high: fine-tuned review model", "")),
    ],
)
def test_normalise_accepts(key, value, scope, stored):
    assert normalise_answer(key, value, scope) == stored


@pytest.mark.parametrize(
    ("key", "value", "scope", "message"),
    [
        ("colour", "blue", "", "unknown checklist key 'colour'"),
        ("code_location", "secret", "", "code_location must be one of regulated, proprietary"),
        ("ops_owner", "alice", "proj_x", "ops_owner is answered for the whole organisation"),
        ("model_size", "   ", "", "model_size needs a value"),
        ("exit_cost", "x" * 501, "", "longer than 500"),
    ],
)
def test_normalise_rejects_with_a_message(key, value, scope, message):
    with pytest.raises(UsageError, match=message):
        normalise_answer(key, value, scope)


def test_set_answer_requires_who(sqlite_database):
    with pytest.raises(UsageError, match="who"):
        set_answer(sqlite_database, "ops_owner", "alice", answered_by=" ")
    assert answer_history(sqlite_database) == []


@pytest.mark.parametrize(
    ("value", "level"),
    [("high: ft model", "high"), ("Low", "low"), ("medium, some prompts", "medium"), ("ok", None)],
)
def test_exit_cost_level(value, level):
    assert exit_cost_level(value) == level

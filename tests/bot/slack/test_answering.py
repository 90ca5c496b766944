"""Answers computed in worker processes come back as the same replies and views."""

from __future__ import annotations

import pytest

from golocal.bot.slack.answering import WorkerPool


def test_worker_pool_answers_and_builds_the_home(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    pool = WorkerPool(None, 1)
    try:
        reply = pool.answerer().reply("what can you do")
        assert reply.intent == "help" and "I can answer" in reply.text
        view = pool.answerer().home_view()
        assert view["type"] == "home"
        assert any(b.get("type") == "actions" for b in view["blocks"])
    finally:
        pool.close()


def test_a_worker_that_cannot_start_gives_an_error_reply(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/x.db")
    pool = WorkerPool(None, 1)
    try:
        reply = pool.reply("help")
        assert reply.intent == "error" and "logged as" in reply.text
    finally:
        pool.close()

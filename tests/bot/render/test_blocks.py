"""Block Kit rendering stays within Slack's limits and keeps a fallback text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from golocal.bot.render.blocks import (
    MAX_MESSAGE_BLOCKS,
    cut_list,
    message_payload,
    reply_blocks,
)
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.config.settings import load_settings
from golocal.db.database import Database
from tests.fakes.slack_web import block_problems

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def services(database: Database) -> Services:
    return Services(settings=load_settings(), database=database, clock=lambda: NOW)


def test_cut_list_says_how_many_more() -> None:
    assert cut_list([str(i) for i in range(20)], 5) == ["0", "1", "2", "3", "and 16 more"]
    assert cut_list(["a", "b"], 5) == ["a", "b"]


def test_long_text_is_split_into_valid_sections() -> None:
    text = "\n".join(f"line {i} " + "x" * 80 for i in range(200))
    payload = message_payload(Reply("help", text))
    assert block_problems(payload["blocks"], MAX_MESSAGE_BLOCKS) == []
    assert len(payload["blocks"]) > 1
    joined = "\n".join(block["text"]["text"] for block in payload["blocks"])
    assert joined == text
    assert payload["text"] and len(payload["text"]) <= 3000


def test_a_single_enormous_line_is_split_too() -> None:
    payload = message_payload(Reply("help", "y" * 7000))
    assert block_problems(payload["blocks"], MAX_MESSAGE_BLOCKS) == []
    assert sum(len(b["text"]["text"]) for b in payload["blocks"]) == 7000


def test_more_than_fifty_blocks_are_cut_with_a_note() -> None:
    text = "\n".join("z" * 2999 for _ in range(80))
    blocks = [b.to_dict() for b in reply_blocks(Reply("help", text))]
    assert len(blocks) == MAX_MESSAGE_BLOCKS
    assert "and 31 more blocks" in json.dumps(blocks[-1])


def test_verdict_reply_gets_its_own_layout() -> None:
    reply = Reply(
        "advisor",
        "Verdict: hybrid — sensitive work local, bursts in the cloud.\nDetails follow.",
        {
            "verdict": "hybrid",
            "zone": "between",
            "checklist": [
                {"point": "daily_volume", "leans": "local", "evidence": "1,240 requests/day"},
                {"point": "code_location", "leans": "local", "evidence": ["regulated: 1"]},
                *({"point": f"extra {i}", "leans": "cloud", "evidence": "e"} for i in range(20)),
            ],
            "cost_model": {
                "break_even_requests_per_day": 1830.5,
                "capacity": 52000,
                "cloud_cost_per_request_usd": "0.0123",
                "nested": {"x": 1},
            },
        },
    )
    payload = message_payload(reply)
    blocks = payload["blocks"]
    assert block_problems(blocks, MAX_MESSAGE_BLOCKS) == []
    assert blocks[0]["type"] == "header" and "hybrid" in blocks[0]["text"]["text"]
    text = json.dumps(blocks)
    assert "Daily volume" in text and "leans *local*" in text
    assert "and 13 more" in text  # 22 points cut to 10 lines
    assert "Break even requests per day" in text and "1,830.5" in text
    assert payload["text"].startswith("Verdict: hybrid")


def test_header_is_cut_to_150() -> None:
    reply = Reply("advisor", "x", {"verdict": "v" * 400})
    [header, *_] = message_payload(reply)["blocks"]
    assert len(header["text"]["text"]) == 150


def test_volume_reply_layout(services: Services) -> None:
    from golocal.bot.chat import answer
    from golocal.jobs.demo import DemoOptions, generate_demo

    generate_demo(services.database, DemoOptions(days=40, profile="small"), now=services.now())
    reply = answer("how many requests per day over the last 30 days?", services)
    assert reply.intent == "volume" and "zone" in reply.data
    blocks = message_payload(reply)["blocks"]
    assert block_problems(blocks, MAX_MESSAGE_BLOCKS) == []
    text = json.dumps(blocks)
    assert "Requests per day" in text and f"Zone *{reply.data['zone']}*" in text
    assert "and 16 more" in text  # 30 days, 15 lines shown
    assert str(date(2026, 3, 17)) in text


def test_the_advisors_verdict_renders_within_limits(services: Services) -> None:
    from golocal.bot.chat import answer
    from golocal.jobs.demo import DemoOptions, generate_demo

    generate_demo(services.database, DemoOptions(days=10, profile="small"), now=services.now())
    reply = answer("should we go local?", services)
    assert isinstance(reply.data.get("verdict"), str)
    payload = message_payload(reply)
    assert block_problems(payload["blocks"], MAX_MESSAGE_BLOCKS) == []
    text = json.dumps(payload["blocks"])
    assert payload["blocks"][0]["type"] == "header"
    assert "Verdict: " in payload["blocks"][0]["text"]["text"]
    for point in ("Volume", "Code location", "Model size", "Ops owner", "Exit cost"):
        assert f"*{point}*" in text
    assert "Cost model" in text or "Data:" in text
    assert payload["text"] == reply.text[: len(payload["text"])]

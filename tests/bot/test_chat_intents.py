"""The chat's intents end to end on demo data: each answers its question with its period,
coverage and data, and the ones this build cannot answer say so honestly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from golocal.bot.chat import Asked, answer, registered_intents
from golocal.bot.console import ConsoleAdapter
from golocal.bot.followups import Conversations
from golocal.bot.intent_table import INTENT_TABLE
from golocal.bot.render.blocks import DID_YOU_MEAN_ACTION, message_payload
from golocal.bot.services import Actor, Services
from golocal.config.settings import Settings
from golocal.db.alerts import fire
from golocal.db.attribution import set_attribution
from golocal.db.checklist import answer_history, current_answer, set_answer
from golocal.db.sources import record_failure, record_success
from golocal.jobs.demo import DemoOptions, generate_demo

NOW = datetime(2026, 3, 11, 15, tzinfo=UTC)
ADMIN = Actor("alice", "console", may_change_answers=True)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from golocal.db.database import open_database

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('intents') / 'golocal.db'}")
    generate_demo(db, DemoOptions(days=10, profile="team", minute_days=4), now=NOW)
    set_attribution(db, external_id="proj_payments", updated_by="test", team="payments")
    yield db
    db.dispose()


@pytest.fixture
def services(demo_db):
    return Services(settings=Settings(), database=demo_db, clock=lambda: NOW)


def test_models_lists_class_and_shares_with_period_and_coverage(services):
    reply = answer("which models do we use?", services)
    assert reply.intent == "models"
    assert "the last 7 days, 2026-03-04 to 2026-03-10 (UTC)" in reply.text
    assert "data on 7 of 7 days: complete" in reply.text
    models = {m["model"]: m for m in reply.data["models"]}
    assert models["gpt-4.1"]["class"] == "frontier"
    assert models["Qwen/Qwen2.5-Coder-32B-Instruct"]["location"] == "local"
    assert abs(sum(m["request_share"] for m in models.values()) - 1) < 1e-9
    # Anthropic reports no request counts: its requests are flagged estimated, never 0
    assert models["claude-sonnet-4-5"]["requests_estimated"] is True
    assert models["claude-sonnet-4-5"]["requests"] > 0


def test_models_narrowed_to_a_provider(services):
    reply = answer("models from anthropic last week", services)
    assert reply.data["filters"] == {"provider": "anthropic"}
    assert {m["providers"][0] for m in reply.data["models"]} == {"anthropic"}
    assert "provider anthropic" in reply.text and "last week" in reply.text


def test_tokens_per_day_split_input_cached_output(services):
    reply = answer("tokens per day?", services)
    assert reply.intent == "tokens"
    totals = reply.data["totals"]
    assert totals["input_tokens"] > totals["output_tokens"] > 0
    assert reply.data["days_with_data"] == 7
    assert "Tokens per day over the last 7 days" in reply.text
    assert "cached" in reply.text


def test_top_users_by_project_and_by_team(services):
    reply = answer("top projects last week", services)
    assert reply.intent == "top_users" and reply.data["by"] == "project"
    names = [entry["name"] for entry in reply.data["ranking"]]
    assert "wrkspc_platform" in names and "proj_payments" in names
    by_team = answer("which team uses the most?", services)
    assert by_team.data["by"] == "team"
    teams = {entry["name"] for entry in by_team.data["ranking"]}
    assert teams == {"payments", "(unattributed)"}  # as `golocal report spend` names it
    assert "not identified by team" in by_team.text


def test_are_we_saturated_is_a_plain_yes_or_no_with_the_share_of_time(services):
    reply = answer("are we saturated?", services)
    assert reply.intent == "gpus"
    first = reply.text.splitlines()[0]
    assert first.startswith(("Yes — ", "No — "))
    assert "of the time" in first
    share = reply.data["saturated_share"]
    assert 0 <= share < 0.1 and first.startswith("No")


def test_who_owns_the_gpus_is_the_ops_owner_not_the_utilisation(services, demo_db):
    set_answer(demo_db, "ops_owner", "platform team", answered_by="bob", at=NOW)
    reply = answer("who owns the GPUs?", services)
    assert reply.intent == "checklist"
    assert reply.text.splitlines()[0].startswith("Ops owner: platform team — declared by bob")
    assert "Utilisation" not in reply.text


def test_checklist_shows_five_points_and_who_declared_when(services, demo_db):
    set_answer(demo_db, "code_location", "proprietary", answered_by="carol", at=NOW)
    reply = answer("show the checklist", services)
    assert [p["id"] for p in reply.data["checklist"]] == [
        "volume",
        "code_location",
        "model_size",
        "ops_owner",
        "exit_cost",
    ]
    assert "code location: proprietary — by carol, 2026-03-11 15:00 UTC" in reply.text


def test_checklist_update_from_console_is_stored_with_who_and_when(services, demo_db):
    reply = answer(Asked("our code for project proj_web is regulated", actor=ADMIN), services)
    assert reply.intent == "checklist_update" and reply.data["changed"] is True
    stored = current_answer(demo_db, "code_location", "proj_web")
    assert (stored.value, stored.answered_by) == ("regulated", "alice")
    assert "Recorded: code location for proj_web = regulated" in reply.text
    reply = answer(Asked("ops owner is the ML infra team", actor=ADMIN), services)
    assert current_answer(demo_db, "ops_owner").value == "the ML infra team"


def test_checklist_update_refused_without_the_right(services, demo_db):
    before = len(answer_history(demo_db, key="model_size"))
    for actor in (None, Actor("U999", "slack", may_change_answers=False)):
        reply = answer(Asked("model size is frontier", actor=actor), services)
        assert reply.data["changed"] is False and "Only admins" in reply.text
    assert len(answer_history(demo_db, key="model_size")) == before


def test_checklist_update_with_a_bad_value_says_what_is_accepted(services):
    adapter = ConsoleAdapter(services, None, None, interactive=False)  # type: ignore[arg-type]
    reply = adapter.reply_to("model size is enormous")
    assert reply.intent == "error" and "frontier, local_capable, mixed" in reply.text


def test_sources_say_which_are_healthy_stale_or_failing(demo_db, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-test")
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-test")
    services = Services(settings=Settings(), database=demo_db, clock=lambda: NOW)
    record_failure(demo_db, "openai", "OpenAI answered 502", kind="cloud", at=NOW)
    record_success(demo_db, "anthropic", kind="cloud", at=NOW - timedelta(days=2))
    record_success(demo_db, "claude_code", kind="cloud", at=NOW - timedelta(minutes=5))
    reply = answer("are the sources healthy?", services)
    health = {row["source"]: row["health"] for row in reply.data["sources"]}
    assert health["anthropic"] == "stale"
    assert health["openai"] == "failing"
    assert health["claude_code"] == "ok"
    assert health["litellm"] == "not_configured"
    assert "openai (cloud): failing" in reply.text and "502" in reply.text
    assert "sk-" not in reply.text


def test_alerts_list_what_is_firing(services, demo_db):
    assert "No alerts firing" in answer("what alerts are firing?", services).text
    fire(
        demo_db,
        rule="gpu_saturated",
        key="gpu-node-01/0",
        severity="warning",
        summary="GPU 0 on gpu-node-01 saturated for 15 minutes",
        details={},
        now=NOW,
    )
    reply = answer("any incidents?", services)
    assert reply.intent == "alerts" and len(reply.data["firing"]) == 1
    assert "saturated for 15 minutes" in reply.text


def test_latency_says_cloud_is_not_measured(services):
    reply = answer("what's the latency?", services)
    assert reply.intent == "latency"
    assert "Cloud: not measured" in reply.text
    assert reply.data["cloud"] is None


SAVINGS_FIT_FORECAST = [
    ("how much would we save?", "savings"),
    ("can we run qwen2.5 coder 32b on our GPUs?", "fit"),
    ("what will we spend by the end of the month?", "forecast"),
]


@pytest.mark.parametrize(("question", "intent"), SAVINGS_FIT_FORECAST)
def test_an_intent_without_a_handler_says_so(services, question, intent):
    without = [item for item in registered_intents() if item.name != intent]
    reply = answer(question, services, without)
    assert reply.intent == intent
    assert reply.text.startswith("I can't answer that yet:")
    assert reply.data["available"] is False
    listed = {
        i["intent"]: i["available"] for i in answer("help", services, without).data["understands"]
    }
    assert listed[intent] is False


@pytest.mark.parametrize(("question", "intent"), SAVINGS_FIT_FORECAST)
def test_savings_fit_and_forecast_reach_their_handlers(services, question, intent):
    reply = answer(question, services)
    assert reply.intent == intent
    assert reply.data.get("available") is not False
    assert not reply.text.startswith("I can't answer that yet")


def test_help_lists_every_intent_with_an_example(services):
    reply = answer("help", services)
    listed = {item["intent"]: item["example"] for item in reply.data["understands"]}
    assert set(listed) == {spec.id for spec in INTENT_TABLE} - {"help"}
    for spec in INTENT_TABLE:
        if spec.id != "help":
            assert spec.example in reply.text


def test_ambiguous_question_asks_with_buttons(services):
    reply = answer("how much did we use last week?", services)
    assert reply.intent == "clarify"
    assert reply.text.startswith("Did you mean the spend or the volume?")
    payload = message_payload(reply)
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    buttons = actions[0]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["the spend", "the volume"]
    assert all(b["action_id"].startswith(DID_YOU_MEAN_ACTION) for b in buttons)
    chosen = json.loads(buttons[1]["value"])
    # pressing a button answers the same question as that intent
    again = answer(Asked(chosen["question"], intent=chosen["intent"]), services)
    assert again.intent == "volume" and "last week" in again.text


def test_unmatched_question_gets_help_and_the_closest_intents(services):
    reply = answer("what's the weather in the server room", services)
    assert reply.intent == "help" and reply.data["understood"] is False
    assert reply.text.startswith("Sorry, I don't understand")
    closest = reply.data["closest"]
    assert closest and all(f"({label})" not in reply.text for label in closest)
    blocks = message_payload(reply)["blocks"]
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [json.loads(b["value"])["intent"] for b in buttons] == closest


def test_top_n_is_a_checked_number(services):
    reply = answer("top 2 projects last week", services)
    assert reply.text.count("\n1. ") == 1 and "\n2. " in reply.text and "\n3. " not in reply.text
    adapter = ConsoleAdapter(services, None, None, interactive=False)  # type: ignore[arg-type]
    refused = adapter.reply_to("top 1e400 projects")
    assert refused.intent == "error" and "far too large" in refused.text


def test_usage_answers_name_their_coverage_alike(services):
    for question in ("what did we spend last week?", "which models last week", "tokens last week"):
        assert "data on 7 of 7 days: complete" in answer(question, services).text, question


def test_typo_is_answered_and_the_reading_said(services):
    reply = answer("shuold we go lcoal?", services)
    assert reply.intent == "should_we_go_local"
    assert "I read “shuold” as “should”, “lcoal” as “local”" in reply.text


def test_this_year_is_answered_for_this_year_not_seven_days(services):
    reply = answer("what did we spend this year?", services)
    assert reply.intent == "cost"
    assert (reply.data["since"], reply.data["until"]) == ("2026-01-01", "2026-03-12")


def test_an_unreadable_period_is_refused_not_replaced(services):
    adapter = ConsoleAdapter(services, None, None, interactive=False)  # type: ignore[arg-type]
    reply = adapter.reply_to("what did we spend next week?")
    assert reply.intent == "error" and "can't read that period" in reply.text


def test_console_follow_ups_reuse_the_subject(services):
    conversation = Conversations()
    first = answer("what did we spend last week?", services, conversation=conversation)
    assert first.intent == "cost"
    follow = answer("and last month?", services, conversation=conversation)
    assert follow.intent == "cost"
    assert (follow.data["since"], follow.data["until"]) == ("2026-02-01", "2026-03-01")
    assert follow.data["recognised"]["how"] == "follow_up"
    models = answer("which models do we use?", services, conversation=conversation)
    assert models.intent == "models"
    narrowed = answer("what about anthropic?", services, conversation=conversation)
    assert narrowed.intent == "models" and narrowed.data["filters"] == {"provider": "anthropic"}


def test_spend_narrowed_to_a_team_a_provider_and_split_by_project(services):
    everything = answer("what did we spend last week?", services)
    team = answer("what did we spend last week for team payments?", services)
    assert team.data["filters"] == {"team": "payments"}
    reading, head = team.text.splitlines()[:2]
    assert reading == "I read that as last week: 2026-03-02 to 2026-03-08."
    assert "team payments" in head
    assert 0 < Decimal(team.data["cloud_spend_usd"]) < Decimal(everything.data["cloud_spend_usd"])
    assert set(team.data["by_model"]) == {"gpt-4.1", "gpt-4.1-mini"}  # proj_payments only
    anthropic = answer("what did we spend last week at anthropic?", services)
    assert set(anthropic.data["by_provider"]) == {"anthropic"}
    assert "not narrowed" not in anthropic.text
    split = answer("spend by project last week", services)
    assert split.data["filters"] == {"breakdown": "project"}
    rows = {row["key"]: Decimal(row["cost_usd"]) for row in split.data["rows"]}
    assert set(rows) == {"proj_payments", "proj_web", "proj_ml", "wrkspc_platform"}
    assert sum(rows.values()) == Decimal(everything.data["cloud_spend_usd"])
    assert "Note: this answer is not split" not in split.text


def test_per_day_is_not_a_split(services):
    reply = answer("how many requests per day?", services)
    assert reply.intent == "volume" and "Note: this answer" not in reply.text


def test_a_split_an_answer_cannot_make_is_said(services):
    reply = answer("latency by team", services)
    assert reply.intent == "latency"
    assert "Note: this answer is not split by team" in reply.text


def test_console_session_follows_up(services):
    import io

    adapter = ConsoleAdapter(
        services,
        io.StringIO("what did we spend last week?\nby project\nand last month?\n"),
        out := io.StringIO(),
        interactive=False,
    )
    adapter.loop()
    lines = out.getvalue()
    assert "Cloud spend for last week" in lines
    assert "By project: " in lines  # the second line split the first question's spend
    assert "last month, 2026-02-01 to 2026-02-28" in lines


def test_an_unknown_chosen_intent_is_ignored_and_the_words_read(services):
    reply = answer(Asked("how many requests last week?", intent="drop_tables"), services)
    assert reply.intent == "volume"


def test_ask_declares_a_checklist_answer_as_the_local_user(capsys, tmp_path, monkeypatch):
    from tests.cli_runner import run_golocal

    monkeypatch.setenv("GOLOCAL_DATABASE_URL", f"sqlite:///{tmp_path / 'ask.db'}")
    monkeypatch.setenv("USER", "dana")
    monkeypatch.setenv("LOGNAME", "dana")
    result = run_golocal(capsys, "ask", "ops owner is the platform team", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["intent"] == "checklist_update" and data["changed"] is True
    assert data["answer"]["answered_by"] == "dana"
    shown = run_golocal(capsys, "ask", "who owns operations?")
    assert "Ops owner: the platform team — declared by dana" in shown.stdout

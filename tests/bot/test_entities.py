"""Names in questions come from the data (and the attribution table), cached for a minute."""

from __future__ import annotations

from golocal.bot.entities import (
    breakdown_in,
    find_entities,
    forget_lexicon,
    lexicon,
    static_lexicon,
)
from golocal.db.attribution import set_attribution


def test_names_come_from_the_data_and_are_refreshed_after_a_minute(database):
    forget_lexicon(database)  # the PostgreSQL database object is shared between tests
    before = lexicon(database, now=1000.0)
    assert "payments" not in before.teams
    set_attribution(database, external_id="proj_payments", updated_by="t", team="payments")
    assert "payments" not in lexicon(database, now=1030.0).teams  # cached
    fresh = lexicon(database, now=1061.0)
    assert fresh.teams["payments"] == "payments"
    assert fresh.projects["proj_payments"] == "proj_payments"
    assert find_entities("spend for team payments", fresh).team == "payments"


def test_provider_words_and_longest_model_win():
    names = static_lexicon()
    names.models.update({"gpt-4.1": "gpt-4.1", "gpt-4.1-mini": "gpt-4.1-mini"})
    found = find_entities("what did gpt-4.1-mini cost at OpenAI?", names)
    assert (found.model, found.provider) == ("gpt-4.1-mini", "openai")
    assert find_entities("how is Claude doing", names).provider == "anthropic"
    assert find_entities("github copilot usage", names).provider == "github-copilot"


def test_breakdowns():
    assert breakdown_in("spend by team") == "team"
    assert breakdown_in("tokens per api key") == "api_key"
    assert breakdown_in("requests per day") is None

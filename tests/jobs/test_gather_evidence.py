"""Gathering the advisor's evidence from the database: window, declared answers, config."""

from __future__ import annotations

from datetime import date

from golocal.config.advisor import Advisor, AttributionRule
from golocal.config.settings import Settings, Volume
from golocal.db.attribution import set_attribution
from golocal.db.checklist import set_answer
from golocal.jobs.evidence import gather_evidence

TODAY = date(2026, 3, 11)


def test_window_is_long_enough_for_min_days(sqlite_database):
    settings = Settings(volume=Volume(window_days=7, min_days=14))
    evidence = gather_evidence(sqlite_database, settings, TODAY)
    assert (evidence.since, evidence.until, evidence.window_days) == (
        date(2026, 2, 25),
        TODAY,
        14,
    )


def test_stored_attribution_wins_over_the_config_file(sqlite_database):
    rules = (
        AttributionRule(id="proj_a", sensitivity="public"),
        AttributionRule(id="proj_b", sensitivity="regulated"),
    )
    settings = Settings(advisor=Advisor(attribution=rules))
    set_attribution(
        sqlite_database, external_id="proj_a", sensitivity="proprietary", updated_by="alice"
    )
    set_answer(sqlite_database, "ops_owner", "alice", answered_by="bob")
    evidence = gather_evidence(sqlite_database, settings, TODAY)
    assert {(a.external_id, a.sensitivity, a.updated_by) for a in evidence.attributions} == {
        ("proj_a", "proprietary", "alice"),
        ("proj_b", "regulated", "config"),
    }
    assert [(a.key, a.value) for a in evidence.answers] == [("ops_owner", "alice")]
    assert evidence.gpu is None and evidence.latency is None and evidence.gpu_incidents == 0

"""Reading what-if questions into scenarios (table-driven)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from golocal.bot.whatif import find_profile, parse_what_if
from golocal.config.advisor import Advisor

ADVISOR = Advisor()


@pytest.mark.parametrize(
    ("question", "changes"),
    [
        ("what if we had 3,000 requests a day?", {"requests_per_day": 3000.0}),
        ("what if we had 12k requests per day", {"requests_per_day": 12000.0}),
        ("what if cloud prices rose 30%?", {"cloud_price_factor": Decimal("1.30")}),
        ("what if prices fell by 20 percent", {"cloud_price_factor": Decimal("0.80")}),
        ("what if cloud prices doubled", {"cloud_price_factor": Decimal(2)}),
        ("what if electricity cost $0.25", {"electricity_usd_per_kwh": Decimal("0.25")}),
        ("what if we bought an 8xH100 node?", {"profile": "h100x8-node"}),
        ("what if we bought 8×H100", {"profile": "h100x8-node"}),
        ("what if we used a 5090 workstation", {"profile": "workstation-rtx5090"}),
        ("what if we switched to the workstation?", {"profile": "workstation-rtx5090"}),
        ("what if we bought an H100 server", {"profile": "h100x8-node"}),
        (
            "what if we had an L40S server and 5000 requests/day",
            {"profile": "l40s-server", "requests_per_day": 5000.0},
        ),
    ],
)
def test_parse_what_if(question, changes):
    parsed = parse_what_if(question, ADVISOR)
    assert parsed.problems == []
    for name, value in changes.items():
        assert getattr(parsed.scenario, name) == value


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ("what if we bought a TPU pod", "I don't know that hardware"),
        ("what if electricity cost -0.2", "can't be negative"),
        ("what if cloud prices fell 120%", "free or negative"),
        ("what if we had -5 requests a day", "can't be negative"),
    ],
)
def test_parse_what_if_problems(question, problem):
    parsed = parse_what_if(question, ADVISOR)
    assert any(problem in p for p in parsed.problems)


def test_unrelated_text_changes_nothing():
    parsed = parse_what_if("what if it rains", ADVISOR)
    assert not parsed.scenario.changed and parsed.problems == []
    assert find_profile("nothing here", ADVISOR) is None

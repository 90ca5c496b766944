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
        # any count of a catalogue GPU is priced as asked, not rounded to a shipped profile
        ("what if we bought an 8xH100 node?", {"hardware": ("h100-sxm", 8), "profile": None}),
        ("what if we bought 8×H100", {"hardware": ("h100-sxm", 8)}),
        ("what if we bought 2 H100s?", {"hardware": ("h100-sxm", 2)}),
        ("what if we bought 4 RTX 5090s", {"hardware": ("rtx-5090", 4)}),
        ("what if we had 2 RTX 4090s", {"hardware": ("rtx-4090", 2)}),
        ("what if we bought 4×H100", {"hardware": ("h100-sxm", 4)}),
        ("what if we bought 2x4090", {"hardware": ("rtx-4090", 2)}),
        ("what if we bought a node of 8 H200", {"hardware": ("h200", 8)}),
        ("what if we bought an H100 PCIe", {"hardware": ("h100-pcie", 1)}),
        ("what if we used a 5090 workstation", {"hardware": ("rtx-5090", 1)}),
        ("what if we switched to the workstation?", {"profile": "workstation-rtx5090"}),
        ("what if we bought the l40s-server", {"profile": "l40s-server", "hardware": None}),
        (
            "what if we had 2 L40S and 5000 requests/day",
            {"hardware": ("l40s", 2), "requests_per_day": 5000.0},
        ),
        # volume changes
        ("what if volume doubled?", {"volume_factor": Decimal(2)}),
        ("what if we doubled our traffic", {"volume_factor": Decimal(2)}),
        ("what if volume halved", {"volume_factor": Decimal("0.5")}),
        ("what if volume went up 50%?", {"volume_factor": Decimal("1.5")}),
        ("what if +50 %?", {"volume_factor": Decimal("1.5")}),
        ("what if we had 20% fewer requests", {"volume_factor": Decimal("0.8")}),
        ("what if we had 5k a day?", {"requests_per_day": 5000.0, "volume_factor": None}),
        ("what if volume fell 40%", {"volume_factor": Decimal("0.6"), "hardware": None}),
        ("what if cloud prices rose 30%?", {"volume_factor": None}),
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
        ("what if we bought 0 H100s", "at least 1"),
        ("what if we bought -2 RTX 4090s", "at least 1"),
        ("what if we bought 1.5 H100s", "whole number"),
        ("what if we bought 99999999999999999999 H100s", "more GPUs than golocal sizes"),
        ("what if volume fell 100%", "would leave no requests"),
        ("what if volume went up 500000%", "more than 1,000×"),
        ("what if we bought 1e400 H100s", "can't read '1e400' as a number of GPUs"),
        ("what if we bought NaN H100s", "can't read 'nan'"),
        ("what if we bought 0x10 H100s", "can't read '0x10'"),
    ],
)
def test_parse_what_if_problems(question, problem):
    parsed = parse_what_if(question, ADVISOR)
    assert any(problem in p for p in parsed.problems)


def test_unrelated_text_changes_nothing():
    parsed = parse_what_if("what if it rains", ADVISOR)
    assert not parsed.scenario.changed and parsed.problems == []
    assert find_profile("nothing here", ADVISOR) is None


def test_a_huge_percentage_is_refused_without_repeating_all_its_digits():
    parsed = parse_what_if("what if volume went up " + "9" * 400 + "%", ADVISOR)
    assert len(parsed.problems) == 1 and len(parsed.problems[0]) < 120

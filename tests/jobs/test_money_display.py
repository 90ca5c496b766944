"""Money shown one way, and parts that add up to the total shown."""

from __future__ import annotations

from decimal import Decimal

import pytest

from golocal.jobs.money import display_parts, split_exact, usd_display


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0.5554", "$0.56"),
        ("7.92", "$7.92"),
        ("1234567.891", "$1,234,567.89"),
        ("0.005", "$0.00"),  # half-even
        ("0.015", "$0.02"),
        ("-3.1", "-$3.10"),
        ("0", "$0.00"),
    ],
)
def test_one_money_format(amount: str, shown: str) -> None:
    assert usd_display(Decimal(amount)) == shown


def test_unknown_money_is_not_zero() -> None:
    assert usd_display(None) == "not reported"


@pytest.mark.parametrize(
    ("parts", "shown", "total"),
    [
        # the failure seen: anthropic $8.48, openai $2.63 under a total of $11.10
        (["8.475", "2.625"], ["8.48", "2.62"], "11.10"),
        (["0.333333", "0.333333", "0.333334"], ["0.33", "0.33", "0.34"], "1.00"),
        (["1.005", "1.005", "1.005"], ["1.01", "1.01", "1.00"], "3.02"),
        (["5.004", "-1.006", "0.004"], ["5.01", "-1.01", "0.00"], "4.00"),
        ([], [], "0.00"),
    ],
)
def test_displayed_parts_add_up_to_the_displayed_total(
    parts: list[str], shown: list[str], total: str
) -> None:
    amounts, displayed_total = display_parts([Decimal(p) for p in parts])
    assert amounts == [Decimal(s) for s in shown]
    assert displayed_total == Decimal(total)
    assert sum(amounts, Decimal(0)) == displayed_total


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        ("12.44", [3, 0, 1]),
        ("0.000000007", [1, 1, 1]),
        ("100", [1, 1, 1]),
        ("5", [0, 0]),
        ("-2.5", [1, 3]),
        ("1.0000000004", [2, 1]),  # finer than a nano-dollar: the rest stays on a part
    ],
)
def test_an_exact_split_adds_up_to_the_amount(total: str, weights: list[int]) -> None:
    parts = split_exact(Decimal(total), weights)
    assert sum(parts, Decimal(0)) == Decimal(total)
    assert len(parts) == len(weights)


def test_the_digest_spend_lines_add_up_to_the_total() -> None:
    from golocal.bot.render.digest import spend_lines

    def line(name: str, cost: str) -> dict:
        return {"name": name, "cost_usd": cost, "change_pct": None}

    providers = [line("anthropic", "8.475"), line("openai", "2.625")]
    models = [line(f"m{i}", "1.001") for i in range(7)] + [line("vectors", "0.004")]
    data = {
        "spend": {
            "total_usd": "11.100",
            "change_pct": None,
            "previous_total_usd": None,
            "estimated_usd": None,
            "unpriced_buckets": 0,
            "by_provider": providers,
            "by_model": models,
            "by_team": [],
        }
    }
    text = "\n".join(spend_lines(data))
    assert "Cloud spend: $11.10" in text
    assert "anthropic $8.48 (no comparison); openai $2.62 (no comparison)" in text
    # 7 x 1.001 + 0.004 = 7.011 shown as 5 x $1.00 and "3 others $2.01": $7.01
    assert "3 others $2.01" in text


def test_percent_shares_add_up_to_100() -> None:
    from golocal.jobs.money import percent_parts

    # 75.3 %, 20.3 %, 4.4 % rounded one by one would show 75 + 20 + 4 = 99 %
    assert percent_parts([Decimal("59.43"), Decimal("16.05"), Decimal("3.48")]) == [
        "75%",
        "20%",
        "5%",
    ]
    assert percent_parts([Decimal(0), Decimal(0)]) == ["", ""]

"""Reading a what-if question ("what if we had 3,000 requests a day?") into a scenario.

The parser understands four changes: a daily request volume, a hardware profile to buy,
a cloud price change in percent, and an electricity price. It returns what it understood
and what it could not use, so the reply can say both instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from golocal.bot.numbers import (
    NUMBER,
    Kind,
    NumberError,
    check,
    find_numbers,
    parse_number,
    read_match,
)
from golocal.config.advisor import Advisor
from golocal.jobs.framework import Scenario

_REQUESTS = re.compile(
    NUMBER.pattern + r"\s*(?:requests?|reqs?|calls?|completions?)?\s*(?:a|per|/|each)\s*day",
    re.I,
)
_PRICE = re.compile(
    r"prices?\s+(?:were\s+to\s+)?(rose|rise|rises|increased?|increases|went up|go up|goes up|"
    r"up|fell|fall|falls|dropped|drop|drops|decreased?|decreases|went down|go down|down)"
    r"\s*(?:by\s*)?(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(?:%|percent)",
    re.I,
)
_DOUBLED = re.compile(r"prices?\s+(doubled|double|halved|halve)", re.I)
_ELECTRICITY = re.compile(
    r"(?:electricity|power|energy)\s*(?:price|cost)?s?\s*(?:was|were|is|of|at|=|to)?\s*"
    r"\$?\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)",
    re.I,
)
_HARDWARE_WORDS = re.compile(
    r"\b(bought|buy|buying|purchased?|had an?|got an?|get an?|with an?|switch(?:ed)? to|use an?)\b",
    re.I,
)
_GPU_TOKEN = re.compile(r"[a-z]+\s?\d{2,4}[a-z]?", re.I)


@dataclass
class WhatIf:
    """What a what-if question asked for."""

    scenario: Scenario = field(default_factory=Scenario)
    understood: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _checked(text: str, kind: Kind, problems: list[str]) -> Decimal | None:
    """``text`` read as a number of ``kind``, or None with the reason added to ``problems``."""
    try:
        return parse_number(text, kind)
    except NumberError as exc:
        problems.append(exc.message)
        return None


def profile_keys(name: str, label: str) -> set[str]:
    """Words that name a profile in a question: its name and the GPU model in its label."""
    keys = {name.lower()}
    for token in _GPU_TOKEN.findall(label):
        compact = token.replace(" ", "").lower()
        keys.add(compact)
        digits = re.sub(r"\D", "", compact)
        if len(digits) >= 4:  # "5090" alone is unambiguous; "100" is not
            keys.add(digits)
    return keys


def find_profile(text: str, advisor: Advisor) -> str | None:
    """The profile a question names: by its name or its GPU model ("8xH100" → h100x8-node),
    else by the kind of machine its label starts with ("the workstation")."""
    compact = re.sub(r"\s+", "", text.lower()).replace("×", "x")
    best: tuple[int, str] | None = None
    for name, profile in advisor.profiles.items():
        for key in profile_keys(name, profile.label):
            if key in compact and (best is None or len(key) > best[0]):
                best = (len(key), name)
    if best is not None:
        return best[1]
    words = set(re.findall(r"[a-z]+", text.lower()))
    kinds = {
        name: profile.label.split(",", 1)[0].strip().lower()
        for name, profile in advisor.profiles.items()
    }
    named = [name for name, kind in kinds.items() if kind in words]
    return named[0] if len(named) == 1 else None


def parse_what_if(question: str, advisor: Advisor) -> WhatIf:
    """Read the changes a what-if question asks for; never raises."""
    result = WhatIf()
    changes: dict[str, object] = {}
    # "1e400 requests a day": a number that can't be read must not be misread as 400
    unreadable = [m.error for m in find_numbers(question) if m.error]
    if unreadable:
        result.problems += list(dict.fromkeys(unreadable))
        return result
    if match := _REQUESTS.search(question):
        try:
            value = check(read_match(match), Kind.COUNT)
        except NumberError as exc:
            result.problems.append(f"request volume {exc.message}")
        else:
            changes["requests_per_day"] = float(value)
            result.understood.append(f"{value:,.0f} requests/day")
    if (match := _PRICE.search(question)) and (
        percent := _checked(match.group(2), Kind.PERCENT, result.problems)
    ) is not None:
        down = re.match(r"(fell|fall|drop|decrease|went down|go down|down)", match.group(1), re.I)
        factor = 1 + (-percent if down else percent) / 100
        if percent < 0 or factor <= 0:
            result.problems.append(
                f"a price change of {match.group(0)!r} would make cloud free or negative"
            )
        else:
            changes["cloud_price_factor"] = factor
            sign = "-" if down else "+"
            result.understood.append(f"cloud prices {sign}{percent}%")
    elif match := _DOUBLED.search(question):
        factor = Decimal(2) if match.group(1).lower().startswith("doub") else Decimal("0.5")
        changes["cloud_price_factor"] = factor
        result.understood.append(f"cloud prices ×{factor}")
    if (match := _ELECTRICITY.search(question)) and (
        price := _checked(match.group(1), Kind.MONEY, result.problems)
    ) is not None:
        if price < 0:
            result.problems.append(f"an electricity price can't be negative ({match.group(1)})")
        else:
            changes["electricity_usd_per_kwh"] = price
            result.understood.append(f"electricity ${price}/kWh")
    profile = find_profile(question, advisor)
    if profile is not None:
        changes["profile"] = profile
        result.understood.append(f"buying {profile} ({advisor.profiles[profile].label})")
    elif _HARDWARE_WORDS.search(question) and "requests_per_day" not in changes:
        result.problems.append(
            "I don't know that hardware (known profiles: "
            + ", ".join(sorted(advisor.profiles))
            + ")"
        )
    result.scenario = Scenario(**changes)  # type: ignore[arg-type]
    return result

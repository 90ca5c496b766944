"""Reading a what-if question ("what if we had 3,000 requests a day?") into a scenario.

The parser understands five changes: a daily request volume ("at 5k a day") or a change of
the measured volume ("if volume doubled", "+50 %"), hardware to buy (any count of a catalogue
GPU: "2 RTX 4090s", "4×H100", "a node of 8 H200", or a configured profile by name), a cloud
price change in percent, and an electricity price. It returns what it understood
and what it could not use, so the reply can say both instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from golocal.bot.hardware_phrases import find_gpu_phrase
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
from golocal.jobs.scenario import Scenario

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
_VOLUME_WORD = r"(?:volume|traffic|usage|requests?|load|demand|calls)"
_VOLUME_TIMES = re.compile(
    r"\b" + _VOLUME_WORD + r"\b[^.?!]{0,20}?\b(doubled|doubles|double|tripled|triples|triple|"
    r"quadrupled|halved|halves|halve)\b|\b(double|triple|quadruple|halve)[sd]?\s+(?:the\s+|our\s+)?"
    + _VOLUME_WORD,
    re.I,
)
_TIMES = {"doub": Decimal(2), "trip": Decimal(3), "quad": Decimal(4), "halv": Decimal("0.5")}
_VOLUME_PERCENT = re.compile(
    r"\b" + _VOLUME_WORD + r"\b[^.?!%]{0,20}?\b(rose|rises|grew|grows|increased?|increases|"
    r"went up|goes up|up|fell|falls|dropped|drops|decreased?|decreases|went down|goes down|down)"
    r"\s*(?:by\s*)?(-?\d+(?:\.\d+)?)\s*(?:%|percent)"
    r"|(-?\d+(?:\.\d+)?)\s*(?:%|percent)\s+(more|less|fewer)\s+"
    + _VOLUME_WORD
    + r"|(?<![\w.])([+-])\s*(\d+(?:\.\d+)?)\s*(?:%|percent)",
    re.I,
)
#: A volume factor beyond this is not a plan but a typo.
MAX_VOLUME_FACTOR = Decimal(1000)
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


#: The largest values a what-if may name: beyond these a number is a typo, and the money
#: arithmetic (exact decimals) would overflow its precision instead of answering.
MAX_REQUESTS_PER_DAY = Decimal(10) ** 9
MAX_PRICE_CHANGE_PERCENT = Decimal(10_000)
MAX_ELECTRICITY_USD_PER_KWH = Decimal(1000)


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
        phrase = find_gpu_phrase(question, advisor)
        if phrase is not None and phrase.problem:  # "1e400 H100s": say it of the GPU count
            result.problems.append(phrase.problem)
        else:
            result.problems += list(dict.fromkeys(unreadable))
        return result
    if match := _REQUESTS.search(question):
        try:
            value = check(read_match(match), Kind.COUNT)
        except NumberError as exc:
            result.problems.append(f"request volume {exc.message}")
        else:
            if value > MAX_REQUESTS_PER_DAY:
                result.problems.append(
                    f"{value:,} requests a day is more than golocal models "
                    f"(at most {MAX_REQUESTS_PER_DAY:,})"
                )
            else:
                changes["requests_per_day"] = float(value)
                result.understood.append(f"{value:,.0f} requests/day")
    if "requests_per_day" not in changes:
        _volume_factor(question, changes, result)
    if (match := _PRICE.search(question)) and (
        percent := _checked(match.group(2), Kind.PERCENT, result.problems)
    ) is not None:
        down = re.match(r"(fell|fall|drop|decrease|went down|go down|down)", match.group(1), re.I)
        factor = 1 + (-percent if down else percent) / 100
        if percent < 0 or factor <= 0:
            result.problems.append(
                f"a price change of {match.group(0)!r} would make cloud free or negative"
            )
        elif percent > MAX_PRICE_CHANGE_PERCENT:
            result.problems.append(
                f"a price change above {MAX_PRICE_CHANGE_PERCENT:,}% is not a price change"
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
        elif price > MAX_ELECTRICITY_USD_PER_KWH:
            result.problems.append(
                f"an electricity price above ${MAX_ELECTRICITY_USD_PER_KWH:,}/kWh is not one"
            )
        else:
            changes["electricity_usd_per_kwh"] = price
            result.understood.append(f"electricity ${price}/kWh")
    phrase = find_gpu_phrase(question, advisor)
    profile = named_profile(question, advisor)
    if profile is None and phrase is not None:
        if phrase.problem:
            result.problems.append(phrase.problem)
        else:
            changes["hardware"] = (phrase.gpu, phrase.count)
            label = advisor.catalogue_profile(phrase.gpu, phrase.count).label
            result.understood.append(f"buying {label}")
    elif profile is None:
        profile = find_profile(question, advisor)
    if profile is not None:
        changes["profile"] = profile
        result.understood.append(f"buying {profile} ({advisor.profiles[profile].label})")
    elif (
        "hardware" not in changes
        and phrase is None
        and _HARDWARE_WORDS.search(question)
        and ("requests_per_day" not in changes)
    ):
        result.problems.append(
            "I don't know that hardware (known profiles: "
            + ", ".join(sorted(advisor.profiles))
            + "; or any count of a catalogue GPU: "
            + ", ".join(gpu.label for gpu in advisor.gpus.values())
            + ")"
        )
    result.scenario = Scenario(**changes)  # type: ignore[arg-type]
    return result


def named_profile(text: str, advisor: Advisor) -> str | None:
    """A configured profile named by its own name ("l40s-server"), not by its GPU."""
    lowered = text.lower()
    names = [
        name for name in advisor.profiles if re.search(rf"(?<![\w-]){re.escape(name)}\b", lowered)
    ]
    return max(names, key=len) if names else None


def _volume_factor(question: str, changes: dict[str, object], result: WhatIf) -> None:
    """ "if volume doubled" (×2), "volume up 50%" / "+50 %" (×1.5), "20% fewer requests"."""
    factor: Decimal | None = None
    said = ""
    if match := _VOLUME_TIMES.search(question):
        word = (match.group(1) or match.group(2)).lower()
        factor = next(v for k, v in _TIMES.items() if word.startswith(k))
        said = f"volume ×{factor}"
    elif match := _VOLUME_PERCENT.search(question):
        if match.group(2) is not None:
            percent, down = (
                Decimal(match.group(2)),
                bool(
                    re.match(
                        r"(fell|fall|drop|decrease|went down|goes down|down)", match.group(1), re.I
                    )
                ),
            )
        elif match.group(3) is not None:
            percent, down = Decimal(match.group(3)), match.group(4).lower() != "more"
        elif re.search(r"price|electric|power|energy", question, re.I):
            return  # "+30 %" next to a price is the price's change, not the volume's
        else:
            percent, down = Decimal(match.group(6)), match.group(5) == "-"
        factor = 1 + (-percent if down else percent) / 100
        sign = "-" if down else "+"
        said = f"volume {sign}{percent}%"
        if percent < 0:
            factor = Decimal(0)
    if factor is None:
        return
    if len(said) > 40:
        said = said[:37] + "…"  # a 400-digit percentage is not worth repeating in full
    if factor <= 0:
        result.problems.append(f"a volume change of {said!r} would leave no requests")
    elif factor > MAX_VOLUME_FACTOR:
        result.problems.append(f"{said} is more than {MAX_VOLUME_FACTOR:,}× today's volume")
    else:
        changes["volume_factor"] = factor
        result.understood.append(said)

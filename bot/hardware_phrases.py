"""Reading GPU and model phrases in questions: "2 RTX 4090s", "4×H100", "a node of 8 H200".

A phrase names a catalogue GPU (by key, label or any of its names) and optionally a count
before it ("2 RTX 4090s", "4×H100", "eight H100s", "an L40S") or as "a node/server of N".
A count that is zero, negative or beyond :data:`~golocal.jobs.fit_query.MAX_GPUS` is reported
as a problem, never guessed around.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from golocal.config.advisor import Advisor
from golocal.config.catalogue import find_in, name_pattern, split_counts
from golocal.jobs.fit_query import MAX_GPUS

_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "pair of": 2,
    "a pair of": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "ten": 10,
    "twelve": 12,
    "sixteen": 16,
}
_COUNT = (
    r"(?<![\w.])(-?\d[\d,]*(?:\.\d+)?|"
    + "|".join(sorted(map(re.escape, _WORDS), key=len, reverse=True))
    + r")"
)
_GROUP = re.compile(
    r"\b(?:node|server|box|cluster|rack|machine|workstation)s?\s+(?:of|with)\s+(-?\d[\d,]*)", re.I
)
_VENDOR = r"(?:(?:nvidia|amd|apple|geforce|instinct)\s+)*"
#: A token meant as a number that is not a count: "1e400", "0x10", "NaN", "inf".
_NUMBERISH = re.compile(
    r"^[+-]?(?:\d[\d,]*(?:\.\d*)?(?:e[+-]?\d+)?|0x[0-9a-f]+|nan|inf|infinity)$", re.I
)


@dataclass(frozen=True)
class GpuPhrase:
    """A GPU a question named, how many, and what was wrong with the count (if anything)."""

    gpu: str
    count: int
    problem: str = ""


def _pattern(names: list[str]) -> str:
    """A regex for any of a GPU's names (longest first)."""
    ordered = sorted(set(names), key=len, reverse=True)
    return r"(?:" + "|".join(name_pattern(n) for n in ordered) + r")"


def _to_int(text: str) -> int | None:
    word = text.lower()
    if word in _WORDS:
        return _WORDS[word]
    digits = word.replace(",", "")
    if len(digits.lstrip("-")) > 12:
        return MAX_GPUS + 1  # absurd: reported, never converted into a huge number
    try:
        return int(float(digits)) if "." in digits else int(digits)
    except ValueError:
        return None


def find_gpu_phrase(text: str, advisor: Advisor) -> GpuPhrase | None:
    """The catalogue GPU a question names and its count (1 when none is given)."""
    key = find_in(text, advisor.gpus)
    if key is None:
        return None
    gpu = advisor.gpus[key]
    name = _pattern([key, gpu.label, *gpu.names])
    count: int | None = None
    spaced = split_counts(text)
    if match := re.search(_COUNT + r"\s*(?:x|\*)?\s*" + _VENDOR + name, spaced, re.I):
        count = _to_int(match.group(1))
    elif match := re.search(name + r"\s*(?:x|\*|×)\s*(-?\d[\d,]*)\b", text, re.I):
        count = _to_int(match.group(1))  # "H100 x 8"
    elif match := _GROUP.search(text):
        count = _to_int(match.group(1))
    if count is None and (
        unread := re.search(r"(\S+)\s*(?:x|\*)?\s*" + _VENDOR + name, spaced, re.IGNORECASE)
    ):
        token = unread.group(1).lower()
        if _NUMBERISH.match(token):
            shown = token if len(token) <= 20 else token[:17] + "…"
            return GpuPhrase(key, 0, f"I can't read {shown!r} as a number of GPUs")
    if match and "." in match.group(1):
        return GpuPhrase(key, 0, f"a GPU count is a whole number (got {match.group(1)})")
    count = 1 if count is None else count
    if count < 1:
        return GpuPhrase(key, count, f"a GPU count must be at least 1 (got {count:,})")
    if count > MAX_GPUS:
        return GpuPhrase(key, count, f"that is more GPUs than golocal sizes (at most {MAX_GPUS:,})")
    return GpuPhrase(key, count)


def find_model(text: str, advisor: Advisor) -> str | None:
    """The catalogue model a question names ("Qwen2.5-Coder 32B" → qwen2.5-coder-32b)."""
    return find_in(text, advisor.models)

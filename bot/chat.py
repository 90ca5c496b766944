"""Intent matching: a question in, the handler that answers it out.

Deliberately simple (keyword patterns, first match wins, in registration order), so a user
can predict what the bot understands and the help text can list it. Slack, the console and
``golocal ask`` all come through :func:`answer`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from golocal.bot.replies import Reply
from golocal.bot.services import Services

Handler = Callable[[str, Services], Reply]


@dataclass(frozen=True)
class Intent:
    """A thing the bot understands: patterns that select it, and an example for the help."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    handler: Handler
    example: str
    summary: str

    def matches(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.patterns)


def intent(
    name: str, patterns: Sequence[str], example: str, summary: str
) -> Callable[[Handler], Intent]:
    """Decorator building an :class:`Intent` from a handler function."""

    def wrap(handler: Handler) -> Intent:
        compiled = tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)
        return Intent(name, compiled, handler, example, summary)

    return wrap


def registered_intents() -> list[Intent]:
    """Every intent, most specific first. Imported here, not at module load, to keep --help fast."""
    from golocal.bot.handlers import advisor, compare, fit, gpus, spend, volume

    # Advisor intents first: "what if we had 3,000 requests a day?" must not read as volume.
    return [
        *advisor.INTENTS[:2],
        *fit.INTENTS,  # before the verdict: "can we run X locally" is a fit question
        *compare.INTENTS,
        *advisor.INTENTS[2:],
        *spend.INTENTS,
        *gpus.INTENTS,
        *volume.INTENTS,
    ]


def help_reply(intents: Sequence[Intent], *, prefix: str = "") -> Reply:
    """The short help: what the bot understands, with an example of each."""
    lines = [prefix] if prefix else []
    lines.append("I can answer:")
    lines += [f"  • {item.summary} — e.g. “{item.example}”" for item in intents]
    lines.append("Type `help` for this list.")
    return Reply(
        intent="help",
        text="\n".join(lines),
        data={"understands": [{"intent": i.name, "example": i.example} for i in intents]},
    )


def answer(text: str, services: Services, intents: Sequence[Intent] | None = None) -> Reply:
    """Answer one question. Raises :class:`~golocal.errors.GolocalError` for user errors."""
    intents = registered_intents() if intents is None else intents
    question = " ".join(text.split())
    if not question or question.lower() in {"help", "?", "what can you do", "what can you do?"}:
        return help_reply(intents)
    for item in intents:
        if item.matches(question):
            return item.handler(question, services)
    return help_reply(intents, prefix=f"Sorry, I don't understand “{question}”.")

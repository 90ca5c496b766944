"""A question in, a reply out: screening, intent recognition, follow-ups and the handlers.

Slack, the console and ``golocal ask`` all come through :func:`answer`. What the bot
understands is one table (:mod:`golocal.bot.intent_table`); recognition is keyword-first with
typo and near-miss tolerance (:mod:`golocal.bot.recognise`); handlers register here with the
:func:`intent` decorator under the table's ids. An intent with no handler in this build gets
an honest "I can't answer that yet", never another intent's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace

from golocal.bot.deadline import database_stuck, within_deadline
from golocal.bot.entities import Lexicon, breakdown_in, find_entities, lexicon, static_lexicon
from golocal.bot.followups import Conversations, Subject, has_cue, rewrite
from golocal.bot.intent_table import INTENT_TABLE, INTENTS_BY_ID
from golocal.bot.recognise import Recognition, keyword_intent, label, normalise, recognise
from golocal.bot.replies import Reply
from golocal.bot.screening import excerpt, screen
from golocal.bot.services import Actor, Services

Handler = Callable[[str, Services], Reply]

#: Intents whose answers are slices of usage: they say when they were not narrowed or split.
USAGE_INTENTS = frozenset({"volume", "cost", "models", "top_users", "tokens", "latency", "gpus"})


@dataclass(frozen=True)
class Intent:
    """A registered handler: the table id it answers, and (optionally) its own patterns."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    handler: Handler
    example: str
    summary: str

    def matches(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.patterns)


def intent(
    name: str, patterns: Sequence[str] = (), example: str = "", summary: str = ""
) -> Callable[[Handler], Intent]:
    """Decorator registering a handler for intent ``name``.

    The intent's keywords, example and summary live in the table; ``patterns`` etc. are only
    used for an intent the table does not (yet) list.
    """

    def wrap(handler: Handler) -> Intent:
        spec = INTENTS_BY_ID.get(name)
        compiled = tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)
        return Intent(
            name,
            compiled,
            handler,
            example or (spec.example if spec else name),
            summary or (spec.summary if spec else name),
        )

    return wrap


def registered_intents() -> list[Intent]:
    """Every handler. Imported here, not at module load, to keep --help fast."""
    from golocal.bot.handlers import (
        advisor,
        alerts,
        checklist,
        compare,
        fit,
        forecast,
        gpus,
        latency,
        models,
        savings,
        sources,
        spend,
        tokens,
        top_users,
        volume,
    )

    return [
        *advisor.INTENTS,
        *compare.INTENTS,
        *fit.INTENTS,
        *savings.INTENTS,
        *forecast.INTENTS,
        *spend.INTENTS,
        *gpus.INTENTS,
        *volume.INTENTS,
        *models.INTENTS,
        *tokens.INTENTS,
        *top_users.INTENTS,
        *checklist.INTENTS,
        *sources.INTENTS,
        *alerts.INTENTS,
        *latency.INTENTS,
    ]


@dataclass(frozen=True)
class Asked:
    """A question with what its surface already knows: a forced intent (a "Did you mean"
    button), who asks, and the conversation it belongs to."""

    text: str
    intent: str | None = None
    actor: Actor | None = None
    #: the remembered question this one follows up ("and last month?" after a spend question)
    follows: str | None = None


def resolve_follow_up(
    asked: Asked, services: Services, conversation: Conversations, key: Hashable
) -> Asked:
    """``asked`` as a whole question when it follows up the conversation's last subject.

    A question with an intent keyword of its own starts a new subject ("and the latency?"),
    unless it only repeats the subject's own intent after a cue ("and the spend by team?").
    """
    subject = conversation.last(key)
    screened = screen(asked.text)
    if subject is None or asked.intent is not None or screened.problem is not None:
        return asked
    text = normalise(screened.question)
    own = keyword_intent(text)
    if own is not None and not (has_cue(text) and own == subject.intent):
        return asked
    followed = rewrite(subject, screened.question, _known_names(services))
    if followed is None:
        return asked
    return replace(asked, text=followed, intent=subject.intent, follows=subject.question)


def remember(conversation: Conversations, key: Hashable, asked: Asked, reply: Reply) -> None:
    """Keep a usage answer's subject for the next follow-up ("and last month?").

    Only answers about a period, a name or a split are followed up: never a declaration
    (a follow-up must not repeat "ops owner is …"), help, an error or a question back.
    """
    if reply.intent not in USAGE_INTENTS:
        return
    question = reply.data.get("recognised", {}).get("read") or asked.text
    conversation.remember(key, Subject(reply.intent, str(question)))


#: What each intent without a handler in this build would need, and what to ask meanwhile.
NOT_YET: dict[str, tuple[str, str]] = {
    "savings": ("the savings, payback and TCO model is not part of this build", "break-even"),
    "fit": ("checking whether a model fits our GPUs is not part of this build", "GPUs"),
    "forecast": ("forecasts are not part of this build", "what did we spend this month?"),
}


def not_yet(intent_id: str) -> Reply:
    """The honest reply for an intent this build recognises but cannot answer."""
    why, instead = NOT_YET.get(intent_id, ("that answer is not part of this build", "help"))
    text = f"I can't answer that yet: {why}. Meanwhile, try “{instead}”."
    return Reply(intent_id, text, {"available": False, "reason": why})


def help_reply(intents: Sequence[Intent] | None = None, *, prefix: str = "") -> Reply:
    """Every intent the bot understands, with an example, and which ones have no handler yet."""
    handled = {item.name for item in (registered_intents() if intents is None else intents)}
    lines = [prefix] if prefix else []
    lines.append("I can answer:")
    understands = []
    for spec in INTENT_TABLE:
        if spec.id == "help":
            continue
        available = spec.id in handled
        mark = "" if available else " (not available yet)"
        lines.append(f"  • {spec.summary} — e.g. “{spec.example}”{mark}")
        understands.append({"intent": spec.id, "example": spec.example, "available": available})
    lines.append(
        "Follow up in the same thread or session: “and last month?”, “by team?”, "
        "“what about Anthropic?”. Type `help` for this list."
    )
    return Reply("help", "\n".join(lines), {"understands": understands})


def clarify_reply(question: str, candidates: Sequence[str]) -> Reply:
    """ "Did you mean the spend or the volume?" with the candidates (buttons in Slack)."""
    options = [
        {"intent": c, "label": label(c), "question": question} for c in candidates if c != "help"
    ]
    names = " or ".join(option["label"] for option in options)
    text = f"Did you mean {names}? Ask again with a word like “{_keyword_hint(options)}”."
    return Reply("clarify", text, {"did_you_mean": options})


def _keyword_hint(options: list[dict[str, str]]) -> str:
    examples = [INTENTS_BY_ID[o["intent"]].example for o in options if o["intent"] in INTENTS_BY_ID]
    return "” or “".join(examples) if examples else "help"


def unmatched_reply(question: str, closest: Sequence[str], intents: Sequence[Intent]) -> Reply:
    """The help, headed by what was not understood (a short excerpt) and the closest intents."""
    head = f"Sorry, I don't understand “{excerpt(question)}”."
    if closest:
        head += " Closest: " + ", ".join(
            f"{label(c)} (“{INTENTS_BY_ID[c].example}”)" for c in closest if c in INTENTS_BY_ID
        )
        head += "."
    reply = help_reply(intents, prefix=head)
    options = [{"intent": c, "label": label(c), "question": question} for c in closest]
    data = {**reply.data, "understood": False, "closest": list(closest), "did_you_mean": options}
    return replace(reply, data=data)


def _known_names(services: Services) -> Lexicon:
    """The data's names, plus the model catalogue's ("qwen2.5 coder 32b" for a fit question)."""
    try:
        # while an earlier answer still waits on a hung database, asking it for names would
        # only wait too; questions that need no data ("help") are still understood
        names = static_lexicon() if database_stuck() else lexicon(services.database)
    except Exception:  # the names help matching; an answer must not fail for want of them
        names = static_lexicon()
    catalogue = {
        name.lower(): key
        for key, spec in services.settings.advisor.models.items()
        for name in (key, *spec.names)
    }
    return replace(names, models={**catalogue, **names.models})


def _recognised(recognition: Recognition, question: str, names: Lexicon) -> dict[str, object]:
    entities = find_entities(question, names)
    # "read": the question as answered (typos corrected, a follow-up made whole); it is
    # what a follow-up builds on, so it is kept whole (screening bounds it to 500 chars)
    data: dict[str, object] = {"how": recognition.how, "read": question}
    if recognition.corrections:
        data["corrections"] = [list(pair) for pair in recognition.corrections]
    if entities.as_json():
        data["entities"] = entities.as_json()
    if breakdown := breakdown_in(question):
        data["breakdown"] = breakdown
    return data


def _honesty_notes(reply: Reply, recognised: dict[str, object]) -> Reply:
    """Say what the answer did not apply (a named team, "by team") and how typos were read."""
    notes = []
    applied = reply.data.get("filters")
    applied = applied if isinstance(applied, dict) else {}
    entities = recognised.get("entities")
    usage = reply.intent in USAGE_INTENTS
    if isinstance(entities, dict) and usage:
        ignored = {k: v for k, v in entities.items() if k not in applied}
        if ignored:
            named = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in ignored.items())
            notes.append(f"this answer covers all data; it is not narrowed to {named}")
    breakdown = recognised.get("breakdown")
    if breakdown and usage and applied.get("breakdown") != breakdown:
        notes.append(f"this answer is not split by {str(breakdown).replace('_', ' ')}")
    corrections = recognised.get("corrections")
    if isinstance(corrections, list) and corrections:
        read = ", ".join(f"“{excerpt(a, 20)}” as “{b}”" for a, b in corrections)
        notes.append(f"I read {read}")
    if not notes:
        return reply
    text = reply.text + "\nNote: " + "; ".join(notes) + "."
    return replace(reply, text=text)


def answer(
    asked: str | Asked,
    services: Services,
    intents: Sequence[Intent] | None = None,
    *,
    conversation: Conversations | None = None,
    key: Hashable = "console",
) -> Reply:
    """Answer one question. Raises :class:`~golocal.errors.GolocalError` for user errors.

    On PostgreSQL the answer has ``[database] answer_timeout_s``: a server that stops
    answering gives :class:`~golocal.bot.deadline.DatabaseNotAnswering`, not a hung bot.
    (A SQLite file cannot hang on the network and its lock waits are bounded by
    ``busy_timeout``; it answers on the caller's thread.)

    Args:
        asked: the question (or an :class:`Asked` with a forced intent or an actor).
        conversation, key: where follow-ups are remembered (a console session, a Slack
            thread); without them every question stands alone.
    """

    def work() -> Reply:
        return _answer(asked, services, intents, conversation=conversation, key=key)

    if services.database.engine.dialect.name == "sqlite":
        return work()
    return within_deadline(work, services.settings.database.answer_timeout_s)


def _answer(
    asked: str | Asked,
    services: Services,
    intents: Sequence[Intent] | None,
    *,
    conversation: Conversations | None,
    key: Hashable,
) -> Reply:
    if isinstance(asked, str):
        asked = Asked(asked)
    if conversation is not None:
        asked = resolve_follow_up(asked, services, conversation, key)
    if asked.actor is not None:
        services = replace(services, actor=asked.actor)
    intents = registered_intents() if intents is None else intents
    understood = understand(asked, services, intents)
    if isinstance(understood, Reply):
        return help_reply(intents) if understood.data.get("problem") == "empty" else understood
    recognition, recognised = understood
    question = screen(asked.text).question
    if recognition.intent is None:
        if recognition.how == "ambiguous":
            reply = clarify_reply(recognition.question, recognition.candidates)
        else:
            reply = unmatched_reply(question, recognition.candidates, intents)
        return replace(reply, data={**reply.data, "recognised": recognised})
    if recognition.intent == "help":
        reply = help_reply(intents)
    else:
        handler = next((item for item in intents if item.name == recognition.intent), None)
        if handler is None:
            reply = not_yet(recognition.intent)
        else:
            reply = handler.handler(recognition.question, services)
    reply = _honesty_notes(reply, recognised)
    reply = replace(reply, data={**reply.data, "recognised": recognised})
    if conversation is not None:
        remember(conversation, key, asked, reply)
    return reply


def understand(
    asked: Asked, services: Services, intents: Sequence[Intent]
) -> Reply | tuple[Recognition, dict[str, object]]:
    """What a question asks (its recognition and the names, split and corrections it carries),
    or the reply refusing it as bad input. No handler runs here."""
    screened = screen(asked.text)
    if screened.problem is not None:
        return Reply("bad_input", screened.problem, {"problem": screened.kind})
    question = screened.question
    names = _known_names(services)
    known = asked.intent in INTENTS_BY_ID or any(i.name == asked.intent for i in intents)
    if asked.intent is not None and not known:  # a stale or altered button: read the words
        asked = replace(asked, intent=None, follows=None)
    if asked.intent is not None:
        how = "follow_up" if asked.follows else "chosen"
        recognition = Recognition(asked.intent, question, how)
    else:
        recognition = _recognise(question, names, intents)
    recognised = _recognised(recognition, recognition.question, names)
    if asked.follows:
        recognised["follows"] = excerpt(asked.follows, 200)
    return recognition, recognised


def _recognise(question: str, names: Lexicon, intents: Sequence[Intent]) -> Recognition:
    """The table (keywords, typos, near-misses), then an intent only a handler lists."""
    recognition = recognise(question, names.words())
    if recognition.intent is None and recognition.how == "unmatched":
        text = normalise(question)
        for item in intents:  # a handler registered for an intent the table does not list yet
            if item.name not in INTENTS_BY_ID and item.matches(text):
                return Recognition(item.name, question, "keyword")
    return recognition

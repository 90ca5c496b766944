"""Block Kit for any :class:`~golocal.bot.replies.Reply`, always within Slack's limits.

Slack rejects a message or view that breaks its limits (https://api.slack.com/reference/block-kit/blocks):
at most 50 blocks in a message and 100 in a modal or Home tab, 3,000 characters in a section's
text, 150 in a header, 10 fields of 2,000 characters in a section. Everything here is built
with ``slack_sdk.models.blocks`` and cut to those limits: long lists end with "and N more",
long text ends with "…", and every message carries a fallback ``text`` for notifications and
screen readers.

These builders are the escaping border for Block Kit: they take raw text and escape every
mrkdwn string with :func:`golocal.bot.render.mrkdwn.escape` (callers never escape
themselves), so nothing from data or users becomes a live link or mention.

Any reply renders generically (its text, split into sections); replies whose data the
renderer knows (``volume``, the advisor's ``verdict``) get a richer layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from golocal.bot.render.mrkdwn import clip_escaped, escape, slack_text
from golocal.bot.replies import Reply

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
#: The longest list rendered item by item before it is cut with "and N more".
MAX_LIST_ITEMS = 15

_LEANS_EMOJI = {"local": ":house:", "cloud": ":cloud:", "hybrid": ":left_right_arrow:"}
_ZONE_EMOJI = {
    "below": ":large_green_circle:",
    "between": ":large_yellow_circle:",
    "above": ":red_circle:",
}


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cut_list(items: Sequence[str], limit: int = MAX_LIST_ITEMS) -> list[str]:
    """The first ``limit`` items, and a last line "and N more" when there were more."""
    if len(items) <= limit:
        return list(items)
    shown = max(limit - 1, 0)
    return [*items[:shown], f"and {len(items) - shown} more"]


def header(text: str) -> HeaderBlock:
    """A header block, cut to Slack's 150 characters."""
    return HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER_TEXT), emoji=True))


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> MarkdownTextObject:
    """A mrkdwn text object of raw ``text``: escaped, then cut to ``limit`` characters."""
    return MarkdownTextObject(text=clip_escaped(escape(text), limit) or " ")


def section(text: str, *, fields: Iterable[str] = (), block_id: str | None = None) -> SectionBlock:
    """A mrkdwn section of raw text, escaped, its text and fields cut to Slack's limits."""
    field_list = [mrkdwn(f, MAX_FIELD_TEXT) for f in fields]
    return SectionBlock(
        text=mrkdwn(text or " "),
        fields=field_list[:MAX_FIELDS] or None,
        block_id=block_id,
    )


def context(*texts: str) -> ContextBlock:
    """A context block (small grey text) of at most ten elements, escaped."""
    elements = [mrkdwn(t) for t in texts if t]
    return ContextBlock(elements=elements[:MAX_CONTEXT_ELEMENTS] or [PlainTextObject(text=" ")])


def _hard_split(line: str) -> tuple[str, str]:
    """An escaped line's first 3,000 characters, not splitting an entity, and the rest."""
    head = line[:MAX_SECTION_TEXT]
    amp = head.rfind("&", max(0, len(head) - 5))
    if amp > 0 and ";" not in head[amp:]:
        head = head[:amp]
    return head, line[len(head) :]


def text_sections(text: str) -> list[SectionBlock]:
    """Raw text of any length as escaped sections of at most 3,000 characters."""
    chunks: list[str] = []
    current = ""
    for line in escape(text).splitlines() or [""]:
        while len(line) > MAX_SECTION_TEXT:  # a single over-long line: hard split
            if current:
                chunks.append(current)
                current = ""
            head, line = _hard_split(line)
            chunks.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MAX_SECTION_TEXT:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return [SectionBlock(text=MarkdownTextObject(text=chunk or " ")) for chunk in chunks]


def fit(blocks: Sequence[Block], max_blocks: int) -> list[Block]:
    """At most ``max_blocks`` blocks; when cut, the last one says how many were left out."""
    if len(blocks) <= max_blocks:
        return list(blocks)
    kept = list(blocks[: max_blocks - 1])
    return [*kept, context(f"_and {len(blocks) - len(kept)} more blocks not shown_")]


def fallback_text(reply: Reply) -> str:
    """The message's ``text``: what notifications and screen readers show."""
    return slack_text(reply.text or reply.intent)


def reply_blocks(reply: Reply, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """A reply as Block Kit: a rich layout for known data, its text otherwise."""
    data = reply.data or {}
    if isinstance(data.get("verdict"), str):
        blocks = verdict_blocks(reply)
    elif reply.intent == "volume" and "zone" in data:
        blocks = volume_blocks(reply)
    elif reply.intent == "clarify" and isinstance(data.get("did_you_mean"), list):
        blocks = clarify_blocks(reply)
    elif reply.intent == "help" and isinstance(data.get("did_you_mean"), list):
        # the help for a question not understood, with its closest intents as buttons
        blocks = [*text_sections(reply.text), *choice_buttons(reply)]
    elif reply.intent == "error":
        blocks = [section(f":warning: {reply.text}")]
    else:
        blocks = list(text_sections(reply.text))
    return fit(blocks, max_blocks)


#: Prefix of the "Did you mean …?" buttons' action ids (one per candidate intent).
DID_YOU_MEAN_ACTION = "golocal_did_you_mean"
#: Slack's limit on a button's value.
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_TEXT = 75


def clarify_blocks(reply: Reply) -> list[Block]:
    """ "Did you mean the spend or the volume?" with one button per candidate intent."""
    first = reply.text.splitlines()[0] if reply.text else "Did you mean…?"
    return [section(first), *choice_buttons(reply)]


def choice_buttons(reply: Reply) -> list[Block]:
    """One button per intent in ``did_you_mean``; pressing it answers the question as it."""
    options = [o for o in reply.data.get("did_you_mean", []) if isinstance(o, dict)]
    buttons = []
    for index, option in enumerate(options[:5]):
        value = json.dumps(
            {"intent": str(option.get("intent")), "question": str(option.get("question", ""))},
            ensure_ascii=False,
        )
        if len(value) > MAX_BUTTON_VALUE:  # screened questions are far shorter; never cut JSON
            continue
        buttons.append(
            ButtonElement(
                text=clip(str(option.get("label", option.get("intent"))), MAX_BUTTON_TEXT),
                action_id=f"{DID_YOU_MEAN_ACTION}_{index}",
                value=value,
            )
        )
    return [ActionsBlock(elements=buttons)] if buttons else []


def message_payload(reply: Reply) -> dict[str, Any]:
    """``text`` + ``blocks`` (as dicts) for chat.postMessage, chat.update or response_url."""
    return {
        "text": fallback_text(reply),
        "blocks": [block.to_dict() for block in reply_blocks(reply)],
    }


def volume_blocks(reply: Reply) -> list[Block]:
    """The volume reply: the zone, mean/cloud/local/peak, and the last days one per line."""
    data = reply.data
    totals = data.get("totals", {})
    days = [day for day in data.get("days", []) if isinstance(day, dict)]
    count = max(len(days), 1)
    cloud = totals.get("cloud_requests", 0) / count
    local = totals.get("local_requests", 0) / count
    zone = str(data.get("zone", ""))
    blocks: list[Block] = [
        header("Requests per day"),
        section(
            f"{_ZONE_EMOJI.get(zone, '')} Zone *{zone}*".strip(),
            fields=[
                f"*Mean*\n{totals.get('mean_requests_per_day', 0):,.0f}/day",
                f"*Peak*\n{totals.get('peak_requests') or 0:,} on {totals.get('peak_day')}",
                f"*Cloud*\n{cloud:,.0f}/day",
                f"*Local*\n{local:,.0f}/day",
            ],
        ),
    ]
    lines = [
        f"`{day.get('day')}`  {day.get('requests', 0):>9,}  "
        f"(cloud {day.get('cloud_requests', 0):,}, local {day.get('local_requests', 0):,})"
        for day in days
    ]
    if lines:
        blocks.append(section("\n".join(cut_list(lines[::-1]))))
    blocks.append(
        context(
            *_note_lines(reply.text),
            f"{data.get('since')} to {data.get('until')} (exclusive), UTC days",
        )
    )
    return blocks


def _note_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("Zone:", "Note:"))]


def verdict_blocks(reply: Reply) -> list[Block]:
    """The advisor's verdict: the answer, the zone, the five points and the cost model."""
    data = reply.data
    verdict = str(data["verdict"])
    blocks: list[Block] = [header(f"Verdict: {verdict.replace('_', ' ')}")]
    first_line = reply.text.splitlines()[0] if reply.text else ""
    zone = data.get("zone")
    blocks.append(section(first_line or verdict, fields=[f"*Zone*\n{zone}"] if zone else ()))
    checklist = data.get("checklist")
    if isinstance(checklist, list) and checklist:
        blocks.append(DividerBlock())
        lines = [_checklist_line(item) for item in checklist]
        blocks.extend(section(line) for line in cut_list(lines, 10))
    cost_model = data.get("cost_model")
    if isinstance(cost_model, dict) and cost_model:
        blocks.append(DividerBlock())
        # The figures the decision turns on first, then whatever else the model reports.
        keys = [k for k in _COST_MODEL_FIRST if k in cost_model]
        keys += [k for k in cost_model if k not in keys]
        fields = [
            _field(key, cost_model[key])
            for key in keys
            if not isinstance(cost_model[key], dict | list)
        ]
        blocks.append(section("*Cost model*", fields=fields[:MAX_FIELDS]))
    lines = reply.text.splitlines()[1:]
    if not checklist:
        rest = "\n".join(lines).strip()
        if rest:
            blocks.extend(text_sections(rest))
        return blocks
    changes = [line for line in lines if line.startswith("Would change it")]
    if changes:
        blocks.append(section("\n".join(changes)))
    notes = [line for line in lines if line.startswith("Data:")]
    if notes:
        blocks.append(context(*notes))
    return blocks


_COST_MODEL_FIRST = (
    "break_even_requests_per_day",
    "cloud_cost_per_request_usd",
    "local_monthly_usd",
    "profile",
    "energy_source",
)


def _field(key: str, value: Any) -> str:
    if key.endswith("_usd") and value is not None:
        return f"*{_label(key.removesuffix('_usd'))}*\n${value}"
    return f"*{_label(key)}*\n{_scalar(value)}"


def _checklist_line(item: Any) -> str:
    if not isinstance(item, dict):
        return f"• {item}"
    title = next(
        (str(item[k]) for k in ("title", "point", "name", "key", "id") if item.get(k)), "point"
    )
    leans = item.get("leans")
    evidence = item.get("evidence") or item.get("summary") or ""
    if isinstance(evidence, list):
        evidence = "; ".join(str(e) for e in evidence)
    elif isinstance(evidence, dict):
        evidence = "; ".join(f"{_label(k)} {_scalar(v)}" for k, v in evidence.items())
    lean_text = f" — leans *{leans}* {_LEANS_EMOJI.get(str(leans), '')}".rstrip() if leans else ""
    source = f" _({item['source']})_" if item.get("source") else ""
    return f"*{_label(title)}*{lean_text}{source}\n{evidence}".rstrip()


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _scalar(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)

"""The escaping border: every dynamic string is made inert before it reaches Slack.

Slack parses ``<…>`` in message text and mrkdwn as links, user/channel mentions and
special mentions (``<!channel>``, ``<!here>``, ``<!subteam^S…>``), and asks apps to escape
``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;`` and ``&gt;`` in anything they did not mean as
markup (https://api.slack.com/reference/surfaces/formatting#escaping). golocal itself never
emits links or mentions, so every mrkdwn string and every message ``text`` goes through
:func:`escape` once, where the Slack payload is built (the block builders in
:mod:`golocal.bot.render.blocks` and the posters): data, user text and provider errors
cannot become live markup. Bare ``@channel``/``@here``/``@everyone`` are parsed only with
``link_names``, which golocal never sets; they still get a word joiner after the ``@`` so a
client or proxy that does set it cannot notify a whole channel either.

``plain_text`` objects (headers, button labels, modal titles) are never parsed for markup and
are left as they are.
"""

from __future__ import annotations

import re

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPECIAL = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
#: U+2060 WORD JOINER: invisible, and breaks ``@here`` into two words for Slack's parser.
_JOINER = "\u2060"


def escape(text: str) -> str:
    """``text`` with ``&``, ``<``, ``>`` escaped and special mentions neutralised."""
    escaped = "".join(_ENTITIES.get(char, char) for char in text)
    return _SPECIAL.sub(lambda match: f"@{_JOINER}{match.group(1)}", escaped)


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def mention(user_id: str) -> str:
    """golocal's own mention of the person who acted: ``<@U…>`` for a well-formed Slack user
    id (from Slack's own payload), anything else escaped like data."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape(user_id)


def clip_escaped(text: str, limit: int) -> str:
    """Escaped ``text`` cut to ``limit`` characters without splitting an ``&…;`` entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


#: Slack truncates a message's ``text`` beyond 40,000 characters and recommends under 4,000
#: (https://api.slack.com/methods/chat.postMessage#truncating); notifications need far less.
MAX_FALLBACK_TEXT = 3000


def slack_text(text: str) -> str:
    """A message's top-level ``text`` (parsed as mrkdwn by Slack): escaped and cut."""
    return clip_escaped(escape(text), MAX_FALLBACK_TEXT)

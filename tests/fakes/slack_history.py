"""Channel history for the fake Slack Web API: messages as Slack stores and returns them.

* https://api.slack.com/metadata/using — ``metadata`` (``event_type``, ``event_payload``) sent
  with chat.postMessage is kept on the message and returned by conversations.history and
  conversations.replies only when ``include_all_metadata`` is set;
* https://api.slack.com/methods/conversations.history — top-level messages, newest first,
  at most ``limit``; an unknown channel is ``channel_not_found``;
* https://api.slack.com/methods/conversations.replies — the parent, then its replies, oldest
  first.

The callers hold the fake's lock.
"""

from __future__ import annotations

import json
from typing import Any


def _json_arg(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true"}


def store_message(
    history: dict[str, list[dict[str, Any]]],
    method: str,
    args: dict[str, Any],
    ts: str,
    bot_user: str,
) -> None:
    """Record a chat.postMessage (a new message) or chat.update (an edit) in ``history``."""
    stored = history.setdefault(args["channel"], [])
    if method == "chat.update":
        for message in stored:
            if message["ts"] == ts:
                message.update(text=args.get("text"), blocks=_json_arg(args.get("blocks")))
        return
    message: dict[str, Any] = {
        "type": "message",
        "user": bot_user,
        "bot_id": "BBOT0001",
        "app_id": "A0000APP",
        "ts": ts,
        "text": args.get("text"),
        "blocks": _json_arg(args.get("blocks")),
    }
    if args.get("thread_ts"):
        message["thread_ts"] = args["thread_ts"]
    metadata = _json_arg(args.get("metadata"))
    if isinstance(metadata, dict):
        message["metadata"] = metadata
    stored.append(message)


def conversation(
    history: dict[str, list[dict[str, Any]]], method: str, args: dict[str, Any]
) -> dict[str, Any]:
    """The answer of conversations.history or conversations.replies."""
    channel = args.get("channel")
    if channel not in history and not (channel and channel.startswith(("C", "G", "D"))):
        return {"ok": False, "error": "channel_not_found"}
    stored = [dict(m) for m in history.get(channel, [])]
    limit = int(args.get("limit") or 100)
    if method == "conversations.history":
        picked = [m for m in stored if m.get("thread_ts") in {None, m["ts"]}][::-1][:limit]
    else:
        parent = args.get("ts")
        picked = [m for m in stored if m["ts"] == parent or m.get("thread_ts") == parent][:limit]
    if not _flag(args.get("include_all_metadata")):
        for message in picked:
            message.pop("metadata", None)
    return {"ok": True, "messages": picked, "has_more": False}

"""Is a signed request body a Slack payload golocal can handle? Checked before any listener runs.

A valid signature proves the body came from Slack (or from someone holding the signing
secret); it does not prove the body has the shape the listeners read. Each kind is checked
against the fields Slack documents and golocal reads:

* Events API envelopes (https://api.slack.com/apis/events-api#callback-field): an object
  ``event`` with a string ``type``;
* slash commands (https://api.slack.com/interactivity/slash-commands#app_command_handling):
  string ``command`` and ``user_id``;
* interactions (https://api.slack.com/reference/interaction-payloads): a ``user`` object
  with an ``id``; ``block_actions`` a list of action objects with an ``action_id``;
  ``view_submission``/``view_closed`` a ``view`` object whose ``private_metadata`` (which only
  golocal writes, always as JSON) parses.

:func:`parse_payload` parses the body the way Bolt does and returns either the payload or the
reason it is refused; the HTTP handler answers 400 with that reason, never a 500.
:func:`refuse_garbled` applies the same checks as Bolt middleware, so Socket Mode envelopes
(which never pass the HTTP handler) are held to them too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

#: Slack's payloads nest about 15 levels (blocks inside view state); far deeper is garbage.
MAX_DEPTH = 64


class Garbled(ValueError):
    """The body is signed but is not a payload golocal can handle; the message says why."""


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise Garbled(f"{what} is nested too deeply") from None
    except ValueError as exc:
        raise Garbled(f"{what} is not JSON ({exc})") from None


def _decode(body: str, content_type: str | None) -> Any:
    """The payload as Bolt reads it (``slack_bolt.request.internals.parse_body``)."""
    if not body:
        raise Garbled("empty body")
    if content_type == "application/json" or body.startswith("{"):
        return _json(body, "the body")
    params = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in body and "payload" in params:
        return _json(params["payload"], "payload")
    return params


def _need(condition: bool, reason: str) -> None:
    if not condition:
        raise Garbled(reason)


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _check_user(payload: dict[str, Any]) -> None:
    user = payload.get("user")
    _need(isinstance(user, dict) and _is_str(user.get("id")), "no user id")


def _check(payload: dict[str, Any]) -> None:
    kind = payload.get("type")
    if "command" in payload:
        _need(_is_str(payload.get("command")), "command is not a string")
        _need(_is_str(payload.get("user_id")), "no user_id")
        return
    if "ssl_check" in payload or kind == "url_verification":
        return
    _need(_is_str(kind), "no type or command")
    if kind == "event_callback":
        event: Any = payload.get("event")
        _need(isinstance(event, dict), "event is not an object")
        _need(_is_str(event.get("type")), "event has no type")
        _need(payload.get("event_id") is None or _is_str(payload["event_id"]), "bad event_id")
    elif kind == "block_actions":
        _check_user(payload)
        actions: Any = payload.get("actions")
        _need(isinstance(actions, list) and bool(actions), "no actions")
        _need(
            all(isinstance(a, dict) and _is_str(a.get("action_id")) for a in actions),
            "an action without action_id",
        )
    elif kind in {"view_submission", "view_closed"}:
        _check_user(payload)
        view: Any = payload.get("view")
        _need(isinstance(view, dict), "view is not an object")
        metadata = view.get("private_metadata") or ""
        _need(isinstance(metadata, str), "private_metadata is not a string")
        if metadata:
            parsed = _json(metadata, "private_metadata")
            _need(parsed is None or isinstance(parsed, dict), "private_metadata is not an object")
        state: Any = view.get("state")
        _need(state is None or isinstance(state, dict), "view state is not an object")
        if isinstance(state, dict):
            values = state.get("values")
            _need(values is None or isinstance(values, dict), "state values is not an object")
    elif kind in {"shortcut", "message_action"}:
        _check_user(payload)


def parse_payload(body: str, content_type: str | None) -> dict[str, Any]:
    """The payload of a signed request body.

    Raises:
        Garbled: not a JSON object / form, nested beyond :data:`MAX_DEPTH`, or missing or
            mistyped fields a handler reads.
    """
    payload = _decode(body, content_type)
    _need(isinstance(payload, dict), f"the payload is a JSON {type(payload).__name__}")
    _need(_depth(payload) <= MAX_DEPTH, "the payload is nested too deeply")
    _check(payload)
    return payload


def payload_problem(payload: Any) -> str | None:
    """Why an already parsed payload (a Socket Mode envelope's) is garbled, or ``None``."""
    try:
        _need(isinstance(payload, dict), f"the payload is a JSON {type(payload).__name__}")
        _need(_depth(payload) <= MAX_DEPTH, "the payload is nested too deeply")
        _check(payload)
    except Garbled as exc:
        return str(exc)
    return None


def refuse_garbled(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
    """Bolt global middleware: a payload failing :func:`parse_payload`'s checks gets 400."""
    try:
        _need(_depth(body) <= MAX_DEPTH, "the payload is nested too deeply")
        _check(body)
    except Garbled as exc:
        log.warning("refused a garbled payload: %s", exc)
        return BoltResponse(status=400, body=json.dumps({"error": "garbled payload"}))
    next()
    return None

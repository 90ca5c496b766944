"""Who golocal answers: people of the installing workspace, never bots, never other orgs.

Two rules, as one Bolt global middleware that runs before any listener:

* **Bots are never answered.** An event with a ``bot_id`` (or the ``bot_message`` subtype)
  comes from an app or integration (https://api.slack.com/events/message/bot_message);
  answering one invites bot-to-bot loops. No exception.
* **Only the installing organisation.** In a Slack Connect channel people of other
  organisations can mention the app, message it or use its buttons. Their payloads name their
  own team: ``event.user_team`` / ``event.team`` for events, ``user.team_id`` for
  interactions, ``user_team``/``team_id`` for slash commands
  (https://api.slack.com/apis/channels-between-orgs#check_if_external). The installing
  workspace and Enterprise Grid org are what ``auth.test`` answered at start-up (Bolt's
  ``authorize_result``). Anyone else is refused unless ``[slack] allow_external = true``:
  the team's spend is not theirs to read.

Every refusal is logged with the reason (user, team, what it was); a refused slash command
gets an ephemeral line saying why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context import BoltContext
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

EXTERNAL_REFUSED = (
    "golocal answers only members of the workspace that installed it "
    "(an admin can allow other organisations with `[slack] allow_external = true`)."
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who sent a payload: user id, and the team / enterprise Slack says they belong to."""

    kind: str
    user: str | None
    team: str | None
    enterprise: str | None
    bot: str | None
    external_channel: bool


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def actor(body: dict[str, Any]) -> Actor:
    """The sender of a Slack payload, read defensively (garbled fields count as absent)."""
    external = body.get("is_ext_shared_channel") is True
    if body.get("type") == "event_callback":
        event = body.get("event")
        event = event if isinstance(event, dict) else {}
        bot = _str(event.get("bot_id"))
        if bot is None and event.get("subtype") == "bot_message":
            bot = "bot_message"
        team = _str(event.get("user_team")) or _str(event.get("team"))
        return Actor(
            kind=f"event {_str(event.get('type')) or '?'}",
            user=_str(event.get("user")),
            team=team if team is None or team.startswith("T") else None,
            enterprise=team if team is not None and team.startswith("E") else None,
            bot=bot,
            external_channel=external,
        )
    if "command" in body:
        return Actor(
            kind=f"command {_str(body.get('command')) or '?'}",
            user=_str(body.get("user_id")),
            team=_str(body.get("user_team")) or _str(body.get("team_id")),
            enterprise=_str(body.get("enterprise_id")),
            bot=None,
            external_channel=external,
        )
    found_user = body.get("user")
    user: dict[str, Any] = found_user if isinstance(found_user, dict) else {}
    found_team = body.get("team")
    team_of: dict[str, Any] = found_team if isinstance(found_team, dict) else {}
    return Actor(
        kind=_str(body.get("type")) or "request",
        user=_str(user.get("id")),
        team=_str(user.get("team_id")) or _str(team_of.get("id")),
        enterprise=_str(user.get("enterprise_id")),
        bot=None,
        external_channel=external,
    )


def is_home_org(who: Actor, team_id: str | None, enterprise_id: str | None) -> bool:
    """Whether ``who`` belongs to the installing workspace (or its Enterprise Grid org)."""
    if who.team is not None and who.team == team_id:
        return True
    if enterprise_id is not None and enterprise_id in {who.enterprise, who.team}:
        return True
    if who.team is None and who.enterprise is None:
        # Nothing names the sender's org: fine in the workspace's own channels, not in a
        # channel shared with other organisations.
        return not who.external_channel
    return False


class TrustFilter:
    """Bolt global middleware applying the two rules; ``allow_external`` lifts the second."""

    def __init__(self, *, allow_external: bool) -> None:
        self.allow_external = allow_external

    def middleware(
        self, body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        who = actor(body)
        if who.bot is not None:
            log.info("ignored %s from bot %s", who.kind, who.bot)
            return BoltResponse(status=200, body="")
        if who.user is not None:
            installed = context.authorize_result
            team_id = installed.team_id if installed else context.team_id
            enterprise_id = installed.enterprise_id if installed else context.enterprise_id
            home = is_home_org(who, team_id, enterprise_id)
            if not home and self.allow_external:
                log.info(
                    "answering %s from user %s of %s ([slack] allow_external is true)",
                    who.kind,
                    who.user,
                    who.team or who.enterprise or "an unnamed organisation",
                )
            elif not home:
                log.warning(
                    "refused %s from user %s of %s: not the installing workspace %s "
                    "([slack] allow_external is false)",
                    who.kind,
                    who.user,
                    who.team or who.enterprise or "an unnamed organisation",
                    team_id,
                )
                if who.kind.startswith("command"):
                    answer = {"response_type": "ephemeral", "text": EXTERNAL_REFUSED}
                    return BoltResponse(
                        status=200,
                        body=json.dumps(answer),
                        headers={"content-type": "application/json"},
                    )
                return BoltResponse(status=200, body="")
        next()
        return None

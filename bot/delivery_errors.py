"""Why a Slack Web API call failed, whether trying again can help, and how to fix it.

Slack answers ``{"ok": false, "error": "<code>"}`` (https://api.slack.com/web#evaluating_responses).
Some codes say the *configuration* is wrong — the channel does not exist, the bot was not
invited, the token is revoked or lacks a scope (``missing_scope`` names it in ``needed``,
https://api.slack.com/authentication/oauth-v2#asking). Retrying those cannot succeed; they fail
at once with one line saying how to fix it. Everything else that is not the request's own
fault — HTTP 429 (https://api.slack.com/apis/rate-limits), 5xx, timeouts, dropped
connections — is transient and retried with back-off.

This module is pure: a table from error code to fix-it line, and :func:`classify`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Slack error code → how to fix it ({channel} and {needed} are filled in).
PERMANENT: dict[str, str] = {
    "channel_not_found": (
        "channel {channel} was not found: set a channel id (like C0123ABCD) the bot can see "
        "in the configuration"
    ),
    "not_in_channel": "the bot is not in channel {channel}: invite it there with /invite @golocal",
    "is_archived": "channel {channel} is archived: unarchive it or configure another channel",
    "restricted_action": (
        "posting to {channel} is restricted by a workspace admin: configure a channel the bot "
        "may post to"
    ),
    "invalid_auth": "Slack rejected SLACK_BOT_TOKEN (invalid_auth): set the app's bot token",
    "not_authed": "no bot token reached Slack: set SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked: reinstall the app and set the new SLACK_BOT_TOKEN",
    "token_expired": "the bot token expired: reinstall the app and set the new SLACK_BOT_TOKEN",
    "account_inactive": "the bot's account is deactivated: reinstall the app",
    "missing_scope": (
        "the bot token lacks the {needed} scope: add it under OAuth & Permissions, reinstall "
        "the app and set the new SLACK_BOT_TOKEN"
    ),
    "not_allowed_token_type": "SLACK_BOT_TOKEN is not a bot token: use the xoxb- token",
    "ekm_access_denied": "the workspace's encryption keys deny access: ask a Slack admin",
}


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """One failed call: Slack's code (or the transport error), and whether to retry."""

    code: str
    permanent: bool
    #: One line for people: how to fix it (permanent) or what happened (transient).
    line: str
    #: Seconds Slack asked to wait (``Retry-After`` on 429), when it said.
    retry_after: float | None = None


def classify(exc: BaseException, channel: str) -> DeliveryFailure:
    """What a failed Web API call means for delivery to ``channel``."""
    from slack_sdk.errors import SlackApiError  # lazily: commands that never post skip slack_sdk

    if isinstance(exc, SlackApiError) and exc.response is not None:
        status = exc.response.status_code
        body = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = str(body.get("error") or f"http_{status}")
        if code in PERMANENT and status < 500:
            needed = str(body.get("needed") or "required")
            line = PERMANENT[code].format(channel=channel, needed=needed)
            return DeliveryFailure(code, True, line)
        retry_after = None
        if status == 429:
            header = (exc.response.headers or {}).get("Retry-After") or (
                exc.response.headers or {}
            ).get("retry-after")
            retry_after = _seconds(header)
        return DeliveryFailure(code, False, f"Slack answered HTTP {status} ({code})", retry_after)
    return DeliveryFailure(
        type(exc).__name__, False, f"Slack could not be reached ({type(exc).__name__}: {exc})"
    )


def _seconds(value: object) -> float | None:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None

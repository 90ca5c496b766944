"""Feedback while golocal works, and the first words it says: loading indicators and the welcome.

* A mention whose answer takes more than a second gets an :hourglass_flowing_sand: reaction
  on the question (https://api.slack.com/methods/reactions.add), removed once the answer is
  posted; a slash command gets an ephemeral "Answering…" through its ``response_url`` that
  the answer then replaces in place (``replace_original``,
  https://api.slack.com/interactivity/handling#updating_message_response). Fast answers show
  neither.
* The Messages tab of the app (``app_home_opened`` with ``tab: messages``,
  https://api.slack.com/events/app_home_opened) greets a person with examples once, when
  that DM has no message yet.
* A DM with only a file gets "I read text questions only".
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from golocal.bot.replies import Reply

log = logging.getLogger(__name__)

#: Seconds an answer may take before the loading indicator shows.
LOADING_AFTER_S = 1.0
LOADING_REACTION = "hourglass_flowing_sand"
ANSWERING = "Answering…"
TEXT_ONLY = Reply(
    "help",
    "I read text questions only: type your question, e.g. “how many requests per day?” "
    "or “should we go local?”.",
)
WELCOME = Reply(
    "help",
    "Hi! I'm golocal. I answer “should we go local?” from your team's real AI usage and GPUs.\n"
    "Ask me here, mention me in a channel, or use `/golocal`. For example:\n"
    "• should we go local?\n"
    "• how many requests per day?\n"
    "• what did we spend this month?\n"
    "• how busy are our GPUs?\n"
    "Type `help` for everything I understand.",
)


@contextlib.contextmanager
def loading(show: Callable[[], Any], clear: Callable[[], Any]) -> Iterator[threading.Event]:
    """Run the body; if it takes over :data:`LOADING_AFTER_S`, ``show`` then ``clear``.

    Yields an event that is set once the indicator was shown.
    """
    shown = threading.Event()

    def fire() -> None:
        try:
            show()
            shown.set()
        except (SlackClientError, OSError) as exc:
            log.info("could not show the loading indicator: %s", exc)

    timer = threading.Timer(LOADING_AFTER_S, fire)
    timer.daemon = True
    timer.start()
    try:
        yield shown
    finally:
        timer.cancel()
        timer.join()
        if shown.is_set():
            try:
                clear()
            except (SlackClientError, OSError) as exc:
                log.info("could not clear the loading indicator: %s", exc)


def reaction_while(client: WebClient, channel: str, ts: str | None) -> Any:
    """The loading indicator of a mention: a reaction on the question message."""
    if not ts:
        return contextlib.nullcontext()
    return loading(
        lambda: client.reactions_add(channel=channel, timestamp=ts, name=LOADING_REACTION),
        lambda: client.reactions_remove(channel=channel, timestamp=ts, name=LOADING_REACTION),
    )


def welcome_once(client: WebClient, channel: str, greeted: set[str]) -> bool:
    """Post the welcome in the app's DM ``channel`` unless it already has messages."""
    if channel in greeted:
        return False
    greeted.add(channel)
    try:
        history = client.conversations_history(channel=channel, limit=1)
        if history.get("messages"):
            return False
        client.chat_postMessage(channel=channel, text=WELCOME.text)
    except (SlackClientError, OSError) as exc:
        log.warning("could not welcome %s: %s", channel, exc)
        greeted.discard(channel)
        return False
    return True

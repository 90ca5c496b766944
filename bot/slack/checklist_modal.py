"""The checklist modal: declared answers, prefilled, validated per field, stored with who/when.

Slack's modal contract (https://api.slack.com/surfaces/modals): views.open needs a
``trigger_id`` that expires after 3 seconds; a ``view_submission`` is answered in its ack,
with ``response_action: errors`` and a message per input block to keep the modal open
(https://api.slack.com/surfaces/modals#displaying_errors). Validation is the storage's own
(:func:`golocal.db.checklist.normalise_answer`), so the CLI, the chat and the modal accept the
same values. Only the user ids in ``[slack] admins`` may store answers.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from golocal.bot.render.blocks import MAX_VIEW_BLOCKS, context, cut_list, fit, section, slack_text
from golocal.bot.replies import reply_for_error
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.checklist import CHECKLIST_KEYS, current_answers, normalise_answer, set_answer
from golocal.errors import GolocalError

log = logging.getLogger(__name__)

CALLBACK_ID = "golocal_checklist"
ONLY_ADMINS = "Only admins can change this. Ask one of the admins listed in `[slack] admins`."
#: The block holding per-project/team code locations, one "scope: value" per line.
SCOPED_BLOCK = "code_location_scoped"
_SELECT_KEYS = ("code_location", "model_size")
_TEXT_KEYS = ("ops_owner", "exit_cost")


def is_admin(settings: Settings, user_id: str, client: WebClient | None = None) -> bool:
    """Whether ``user_id`` may change answers, thresholds or budgets.

    Admins are the user ids in ``[slack] admins`` and the members of
    ``[slack] admin_usergroup`` (asked of Slack each time: admin changes are rare, and a
    removed member loses the right at once). If Slack cannot say, the answer is no.
    """
    if not user_id:
        return False
    if user_id in settings.slack.admins:
        return True
    group = settings.slack.admin_usergroup
    if group is None or client is None:
        return False
    try:
        response = client.usergroups_users_list(usergroup=group)
    except (SlackClientError, OSError) as exc:
        log.error("could not read the members of admin user group %s: %s", group, exc)
        return False
    return user_id in (response.get("users") or [])


def _select(key: str, current: str | None) -> StaticSelectElement:
    options = [
        Option(value=value, text=value.replace("_", " ")) for value in CHECKLIST_KEYS[key].choices
    ]
    initial = next((o for o in options if o.value == current), None)
    return StaticSelectElement(
        action_id=key, options=options, initial_option=initial, placeholder="not answered"
    )


def checklist_view(services: Services, *, channel: str | None) -> dict[str, Any]:
    """The modal with the current organisation-wide and per-project answers prefilled."""
    answers = current_answers(services.database)
    org = {a.key: a.value for a in answers if a.scope == ""}
    scoped = [f"{a.scope}: {a.value}" for a in answers if a.key == "code_location" and a.scope]
    blocks: list[Block] = [
        section(
            "Declared answers behind the verdict. Measured evidence "
            "(volume, model mix, GPU incidents) is added by golocal."
        )
    ]
    for key in ("code_location", SCOPED_BLOCK, "ops_owner", "model_size", "exit_cost"):
        spec = CHECKLIST_KEYS["code_location" if key == SCOPED_BLOCK else key]
        if key in _SELECT_KEYS:
            element: Any = _select(key, org.get(key))
            label, hint = spec.question, spec.help
        elif key == SCOPED_BLOCK:
            element = PlainTextInputElement(
                action_id=key,
                multiline=True,
                initial_value="\n".join(scoped) or None,
                placeholder="proj_payments: regulated",
            )
            label = "Code location per project or team"
            hint = "One per line: a project id or team:<name>, a colon, then " + ", ".join(
                spec.choices
            )
        else:
            element = PlainTextInputElement(
                action_id=key, multiline=key == "exit_cost", initial_value=org.get(key) or None
            )
            label, hint = spec.question, spec.help
        blocks.append(
            InputBlock(
                block_id=key, label=label[:2000], element=element, hint=hint[:2000], optional=True
            )
        )
    blocks.append(
        context("Every change is kept with who made it and when (`golocal checklist show`).")
    )
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Our checklist answers",
        submit="Save",
        close="Cancel",
        blocks=fit(blocks, MAX_VIEW_BLOCKS),
        private_metadata=json.dumps({"channel": channel}),
    )
    return view.to_dict()


def read_only_view(services: Services) -> dict[str, Any]:
    """What a non-admin sees instead of the form: the current answers and who may change them."""
    answers = current_answers(services.database)
    lines = [
        f"• *{a.key}*{f' ({a.scope})' if a.scope else ''}: {a.value} — {a.answered_by}, "
        f"{a.answered_at:%Y-%m-%d}"
        for a in answers
    ] or ["No answers declared yet."]
    blocks: list[Block] = [section(ONLY_ADMINS), section("\n".join(cut_list(lines, 30)))]
    view = View(type="modal", title="Our checklist answers", close="Close", blocks=blocks)
    return view.to_dict()


def open_checklist_modal(
    client: WebClient, services: Services, trigger_id: str, *, channel: str | None, user: str
) -> bool:
    """Open the form for an admin, the read-only answers for anyone else (views.open).

    A failure is logged with Slack's reason.
    """
    if is_admin(services.settings, user, client):
        view = checklist_view(services, channel=channel)
    else:
        view = read_only_view(services)
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.error(
            "could not open the checklist modal: Slack said %s",
            exc.response.get("error", exc.response.status_code),
        )
        return False
    except (SlackClientError, OSError) as exc:
        log.error("could not open the checklist modal: %s", exc)
        return False
    return True


def submitted_answers(view: dict[str, Any]) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """The submission as ``(key, scope, value)`` triples, and errors per block id.

    Empty fields are left out (an answer is never cleared by leaving a field blank).
    """
    values = view.get("state", {}).get("values", {})
    answers: list[tuple[str, str, str]] = []
    errors: dict[str, str] = {}

    def field(block: str) -> str:
        action = values.get(block, {}).get(block, {})
        selected = action.get("selected_option")
        if selected:
            return str(selected.get("value", ""))
        return str(action.get("value") or "")

    for key in ("code_location", "ops_owner", "model_size", "exit_cost"):
        text = field(key).strip()
        if not text:
            continue
        try:
            value, scope = normalise_answer(key, text)
        except GolocalError as exc:
            errors[key] = exc.message[:150]
            continue
        answers.append((key, scope, value))
    for number, line in enumerate(field(SCOPED_BLOCK).splitlines(), start=1):
        if not line.strip():
            continue
        scope, sep, value = line.rpartition(":")
        if not sep or not scope.strip():
            errors[SCOPED_BLOCK] = f"line {number}: write “project: value”, e.g. proj_x: public"
            break
        try:
            value, scope = normalise_answer("code_location", value, scope)
        except GolocalError as exc:
            errors[SCOPED_BLOCK] = f"line {number}: {exc.message}"[:150]
            break
        answers.append(("code_location", scope, value))
    return answers, errors


def handle_submission(
    ack: Any, services: Services, client: WebClient, *, user: str, view: dict[str, Any]
) -> str | None:
    """Validate a submission, ack it (field errors keep the modal open), then store it.

    The ack carries only what needs no database: the admin check and each field's
    validation. Storing happens after the ack; the person is told the outcome in the
    channel the modal came from, and it is returned (``None`` when nothing was stored)
    for the App Home to show.
    """
    channel = origin_channel(view)
    if not is_admin(services.settings, user, client):
        log.warning("checklist answers from %s refused: not in [slack] admins", user)
        ack(response_action="errors", errors={"code_location": ONLY_ADMINS[:150]})
        _tell(client, channel, user, ONLY_ADMINS)
        return None
    answers, errors = submitted_answers(view)
    if errors:
        ack(response_action="errors", errors=errors)
        return None
    ack()
    try:
        current = {(a.key, a.scope): a.value for a in current_answers(services.database)}
        changed = [(k, s, v) for k, s, v in answers if current.get((k, s)) != v]
        for key, scope, value in changed:
            set_answer(
                services.database, key, value, answered_by=user, scope=scope, at=services.now()
            )
    except Exception as exc:
        outcome = f"Your checklist answers were not saved: {reply_for_error(exc).text}"
        _tell(client, channel, user, outcome)
        return outcome
    log.info("checklist: %s stored %d changed answer(s)", user, len(changed))
    outcome = f"Saved {len(changed)} changed answer(s) to the checklist."
    _tell(client, channel, user, outcome)
    return outcome


def origin_channel(view: dict[str, Any]) -> str | None:
    """The channel the modal was opened from, from the view's ``private_metadata``."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, RecursionError):
        return None
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    return channel if isinstance(channel, str) else None


def _tell(client: WebClient, channel: str | None, user: str, text: str) -> None:
    """An ephemeral note in the channel the modal came from (none when opened from Home)."""
    if not channel:
        return
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=slack_text(text))
    except (SlackClientError, OSError) as exc:
        log.error("could not tell %s in %s: %s", user, channel, exc)

"""Files in Slack: a chart image posted into a channel or thread.

Uses slack_sdk's ``files_upload_v2``, i.e. Slack's current upload flow
(https://api.slack.com/messaging/files#uploading_files): ``files.getUploadURLExternal``,
the bytes POSTed to the returned URL, then ``files.completeUploadExternal`` to share it.
Needs the ``files:write`` scope. The weekly digest posts its chart this way.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)


def share_image(
    client: WebClient,
    channel: str,
    content: bytes,
    *,
    filename: str,
    title: str,
    thread_ts: str | None = None,
) -> str | None:
    """Upload ``content`` (a PNG) and share it in ``channel``; returns the file id.

    A failure is logged with its reason and ``None`` returned: a missing chart never stops
    the message it belongs to.
    """
    try:
        response = client.files_upload_v2(
            channel=channel,
            content=content,
            filename=filename,
            title=title,
            thread_ts=thread_ts,
        )
    except SlackApiError as exc:
        log.error(
            "could not share %s in %s: Slack said %s",
            filename,
            channel,
            exc.response.get("error", exc.response.status_code),
        )
        return None
    except (SlackClientError, OSError) as exc:
        log.error("could not share %s in %s: %s", filename, channel, exc)
        return None
    files = response.get("files") or []
    return str(files[0]["id"]) if files else None

"""Sharing an image uses Slack's external upload flow, end to end against the fake Web API."""

from __future__ import annotations

import json
import logging

import pytest

from golocal.bot.slack.app import web_client
from golocal.bot.slack.files import share_image
from golocal.config.settings import load_settings
from tests.fakes.slack_web import FakeSlackWeb

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def test_image_is_uploaded_then_shared_in_the_thread(fake_slack_web: FakeSlackWeb) -> None:
    client = web_client(load_settings())
    file_id = share_image(
        client,
        "C0000CHAN",
        PNG,
        filename="digest.png",
        title="Digest",
        thread_ts="1700000000.000100",
    )
    assert file_id == "F0000001"
    [get_url] = fake_slack_web.calls_to("files.getUploadURLExternal")
    assert get_url.args["filename"] == "digest.png" and int(get_url.args["length"]) == len(PNG)
    [upload] = fake_slack_web.calls_to("upload")
    assert upload.args["bytes"] == len(PNG)
    [complete] = fake_slack_web.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C0000CHAN"
    assert complete.args["thread_ts"] == "1700000000.000100"
    assert json.loads(complete.args["files"])[0]["id"] == "F0000001"


def test_failed_upload_is_logged(
    fake_slack_web: FakeSlackWeb, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack_web.fail_next(
        "files.getUploadURLExternal", status=200, error="not_in_channel", retry_after=None
    )
    client = web_client(load_settings())
    with caplog.at_level(logging.ERROR, logger="golocal"):
        assert share_image(client, "C0000CHAN", PNG, filename="d.png", title="D") is None
    assert any("not_in_channel" in r.getMessage() for r in caplog.records)

"""``golocal agent --listen`` as a process: it serves, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx


def test_agent_serves_and_stops_on_sigterm() -> None:
    command = [
        sys.executable,
        "-c",
        "from golocal.bot.cli import main; main()",
        "agent",
        "--listen",
        "127.0.0.1:0",
    ]
    process = subprocess.Popen(command, env=dict(os.environ), stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()  # printed once the socket listens
        match = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", banner)
        assert match, banner
        sample = httpx.get(f"http://127.0.0.1:{match.group(1)}/v1/sample", timeout=10).json()
        assert isinstance(sample["gpus"], list)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(20)
    assert code == 0, process.stderr.read() if process.stderr else ""

"""``golocal demo`` as a person and a script see it: a bar on a terminal, one line when piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def test_progress_bar_on_a_terminal_and_one_summary_line_on_the_pipe(tmp_path: Path):
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOLOCAL_", "SLACK_"))}
    env |= {"GOLOCAL_DATA_DIR": str(tmp_path), "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "golocal", "demo", "--days", "3", "--profile", "small"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    terminal = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command exited
            break
        if not chunk:
            break
        terminal += chunk
    stdout, _ = process.communicate(timeout=120)
    os.close(leader)
    assert process.returncode == 0
    assert b"small, 3 days" in terminal  # the bar, drawn on the terminal (stderr)
    lines = stdout.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Loaded demo data (small profile")

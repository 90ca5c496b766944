"""Run the real ``golocal`` entry point in-process and capture what a user would see."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from golocal.bot.cli import main


@dataclass
class Result:
    """Exit code and the two output streams of one ``golocal`` invocation."""

    exit_code: int
    stdout: str
    stderr: str


def run_golocal(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Invoke ``golocal ARGS`` through :func:`golocal.bot.cli.main` (same error handling)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return Result(code if isinstance(code, int) else 1, captured.out, captured.err)

"""The loopback fakes do not print a client hanging up: printed from a handler thread that
outlived its test, the traceback landed in the next test's captured ``--json`` output."""

from __future__ import annotations

import pytest

from tests.fakes.server import LoopbackServer


def _error_printed(
    server: LoopbackServer, error: Exception, capsys: pytest.CaptureFixture[str]
) -> str:
    try:
        raise error
    except Exception:
        server._server.handle_error(None, ("127.0.0.1", 1))
    return capsys.readouterr().err


def test_a_client_hanging_up_is_not_printed_and_a_real_fault_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with LoopbackServer() as server:
        assert _error_printed(server, BrokenPipeError(32, "Broken pipe"), capsys) == ""
        assert _error_printed(server, ConnectionResetError(104, "reset"), capsys) == ""
        assert "ValueError: the fake's own bug" in _error_printed(
            server, ValueError("the fake's own bug"), capsys
        )

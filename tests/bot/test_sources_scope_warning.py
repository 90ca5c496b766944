"""``golocal sources`` says when a LiteLLM key only sees one user's traffic."""

from __future__ import annotations

import json
from datetime import date

from tests.cli_runner import run_golocal
from tests.fakes.litellm import FakeLiteLLM, GatewayRow

MASTER = "sk-litellm-master-sources-SECRET"
USER_KEY = "sk-litellm-user-sources-SECRET"


def test_sources_shows_a_non_admin_litellm_key(
    capsys, database, database_url, monkeypatch, tmp_path
):
    gateway = FakeLiteLLM(MASTER).start()
    try:
        gateway.add_key(USER_KEY, "alice")
        gateway.rows.append(
            GatewayRow(date(2026, 1, 5), "gpt-4o", "h", 5, 10, 1, 0.1, user_id="alice")
        )
        config = tmp_path / "golocal.toml"
        config.write_text(f'[litellm]\nurl = "{gateway.url}"\n')
        monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
        monkeypatch.setenv("GOLOCAL_CONFIG", str(config))
        monkeypatch.setenv("LITELLM_API_KEY", USER_KEY)
        collected = run_golocal(
            capsys, "collect", "litellm", "--since", "2026-01-05", "--until", "2026-01-06"
        )
        assert collected.exit_code == 0, collected.stderr
        assert "WARNING: LiteLLM key is not an admin key" in collected.stdout
        text = run_golocal(capsys, "sources")
        line = next(x for x in text.stdout.splitlines() if x.startswith("litellm:"))
        assert line.startswith("litellm: ok;")
        assert (
            "WARNING: LiteLLM key is not an admin key (role internal_user): only user alice's "
            "traffic is counted" in line
        )
        rows = json.loads(run_golocal(capsys, "sources", "--json").stdout)["sources"]
        (litellm,) = [row for row in rows if row["source"] == "litellm"]
        assert litellm["warnings"] and "only user alice's" in litellm["warnings"][0]
        assert USER_KEY not in text.stdout + json.dumps(rows)
    finally:
        gateway.stop()

"""``golocal checklist``, ``golocal attribute`` and ``golocal ask --json`` from the command line."""

from __future__ import annotations

import json

import pytest

from tests.cli_runner import run_golocal


def run(capsys, *args: str) -> tuple[int, str, str]:
    result = run_golocal(capsys, *args)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db_env(monkeypatch, database_url):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", database_url)
    return database_url


def test_checklist_set_and_show_with_history(capsys, db_env):
    assert run(capsys, "checklist", "set", "ops_owner", "alice", "--by", "bob")[0] == 0
    code, out, _ = run(capsys, "checklist", "set", "ops_owner", "nobody", "--by", "carol")
    assert (code, out.strip()) == (0, "ops_owner [organisation] = none (by carol)")
    run(
        capsys,
        "checklist",
        "set",
        "code_location",
        "regulated",
        "--project",
        "proj_pay",
        "--by",
        "dan",
    )
    code, out, _ = run(capsys, "checklist", "show", "--json")
    assert code == 0
    data = json.loads(out)
    answers = {(a["key"], a["scope"]): a for a in data["answers"]}
    assert answers[("ops_owner", "")]["value"] == "none"
    assert [h["value"] for h in answers[("ops_owner", "")]["history"]] == ["alice"]
    assert answers[("code_location", "proj_pay")]["answered_by"] == "dan"
    assert data["unanswered"] == ["model_size", "exit_cost"]
    code, out, _ = run(capsys, "checklist", "show")
    assert "was: alice (by bob" in out
    assert "model_size: not answered" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("checklist", "set", "code_location", "secret"), "must be one of regulated"),
        (("checklist", "set", "ops_owner", "x", "--project", "p"), "whole organisation"),
        (
            ("checklist", "set", "code_location", "public", "--project", "p", "--team", "t"),
            "either --project or --team",
        ),
    ],
)
def test_checklist_set_rejects_bad_input_with_exit_2(capsys, db_env, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err


def test_attribute_set_list_remove(capsys, db_env):
    code, out, _ = run(
        capsys,
        "attribute",
        "set",
        "proj_pay",
        "--team",
        "payments",
        "--sensitivity",
        "regulated",
        "--provider",
        "openai",
        "--by",
        "alice",
    )
    assert code == 0 and "team payments, sensitivity regulated" in out
    code, out, _ = run(capsys, "attribute", "list", "--json")
    assert [(e["id"], e["team"], e["updated_by"]) for e in json.loads(out)] == [
        ("proj_pay", "payments", "alice")
    ]
    assert run(capsys, "attribute", "remove", "proj_pay", "--provider", "openai")[0] == 0
    code, _, err = run(capsys, "attribute", "remove", "proj_pay", "--provider", "openai")
    assert code == 2 and "no stored attribution" in err
    assert run(capsys, "attribute", "set", "proj_x")[0] == 2


def test_attribution_from_the_config_file_is_listed(capsys, db_env, tmp_path):
    config = tmp_path / "golocal.toml"
    config.write_text(
        '[[advisor.attribution]]\nid = "proj_cfg"\nteam = "web"\nsensitivity = "public"\n'
    )
    code, out, _ = run(capsys, "--config", str(config), "attribute", "list", "--json")
    assert code == 0
    assert json.loads(out)[0]["updated_by"] == "config"


def test_ask_json_on_an_empty_database(capsys, db_env):
    code, out, _ = run(capsys, "ask", "should we go local?", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "insufficient_data"
    assert data["window_days"] == 7
    assert data["cost_model"]["break_even_requests_per_day"] is None


def test_unknown_profile_in_config_is_a_config_error(capsys, db_env, tmp_path):
    config = tmp_path / "golocal.toml"
    config.write_text('[advisor]\nprofile = "nope"\n')
    code, _, err = run(capsys, "--config", str(config), "ask", "should we go local?")
    assert code == 2
    assert "unknown profile 'nope'" in err

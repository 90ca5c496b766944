"""Dates on the command line are range-checked at the border: no hang, no overflow."""

from __future__ import annotations

import pytest

from tests.cli_runner import run_golocal


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # 3.6 million days: the report was built day by day and never finished
        (
            ["report", "volume", "--since", "2000-01-01", "--until", "2100-12-31"],
            "at most 3,660 at a time",
        ),
        (
            ["report", "volume", "--since", "0001-01-01", "--until", "9999-12-31"],
            "--until: 9999-12-31 is outside the days golocal handles",
        ),
        # year 10000 out of range in the monthly rollups
        (
            ["report", "gpus", "--since", "2026-01-01", "--until", "9999-12-31"],
            "--until: 9999-12-31 is outside the days golocal handles",
        ),
        (["collect", "--since", "0001-01-01"], "--since: 0001-01-01 is outside"),
        (["reprice", "--since", "1900-01-01"], "--since: 1900-01-01 is outside"),
        # date value out of range / int('1-W0') while building the digest
        (["digest", "--week", "9999-W52"], "outside the weeks golocal handles"),
        (["digest", "--week", "0001-W01"], "outside the weeks golocal handles"),
    ],
)
def test_out_of_range_dates_are_usage_errors(args, said, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", f"sqlite:///{tmp_path / 'golocal.db'}")
    result = run_golocal(capsys, *args)
    assert result.exit_code == 2, result.stderr
    assert said in result.stderr
    assert len(result.stderr.splitlines()) == 1

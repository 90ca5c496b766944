"""The systemd units in ``deploy/``: valid to systemd, hardened, running real commands."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from golocal.config.settings import load_settings
from tests.ops.processes import require_binary

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED = "/opt/golocal/bin/golocal"


def _service(unit: Path) -> dict[str, list[str]]:
    """The [Service] section, every value of repeated keys kept."""
    values: dict[str, list[str]] = {}
    section = None
    for line in unit.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_there_are_units_for_the_bot_and_the_agent() -> None:
    assert {unit.name for unit in UNITS} == {"golocal.service", "golocal-agent.service"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_analyze_verifies_the_unit(unit: Path, tmp_path: Path) -> None:
    analyze = require_binary("systemd-analyze", "systemd")
    golocal = shutil.which("golocal", path=str(Path(sys.executable).parent))
    assert golocal is not None
    # only the install path differs: verify checks that ExecStart's program exists
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, golocal))
    verified = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_unit_is_hardened(unit: Path) -> None:
    service = _service(unit)
    assert service["User"][0] not in {"root", "0"}
    for key, value in {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "RestrictSUIDSGID": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service.get(key) == [value], key
    assert "@system-service" in service["SystemCallFilter"]


def test_the_bot_reads_its_secrets_from_an_environment_file() -> None:
    service = _service(DEPLOY / "golocal.service")
    assert service["EnvironmentFile"] == ["/etc/golocal/golocal.env"]
    assert "StateDirectory" in service


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_unit_runs_a_real_golocal_command(unit: Path) -> None:
    (command,) = _service(unit)["ExecStart"]
    program, *args = shlex.split(command)
    assert program == INSTALLED
    golocal = Path(sys.executable).with_name("golocal")
    helped = subprocess.run(
        [str(golocal), *args, "--help"], capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0, helped.stderr


def test_the_example_configuration_is_valid(tmp_path: Path) -> None:
    settings = load_settings(DEPLOY / "golocal.toml.example", environ={})
    assert settings.metrics.listen == "0.0.0.0:9836"
    parser = configparser.ConfigParser()
    parser.read_string("[env]\n" + (DEPLOY / "golocal.env.example").read_text(encoding="utf-8"))
    assert all(value == "" for value in parser["env"].values())  # names only, no secret

"""The wheel built from the repository works outside it: migrations, shipped data, commands.

The repository's tracked files are copied to a scratch folder and built there (so nothing
outside version control can slip in, and the checkout gets no ``build/``), the wheel is
installed without dependencies into a fresh virtual environment, and the commands run
from another directory. The third-party dependencies come from this test run's own
environment, appended to the fresh one's path by a ``.pth`` file: ``.pth`` files inside that
folder are not processed, so the development install of golocal stays invisible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from golocal.db import migrate

ROOT = Path(__file__).resolve().parents[1]
_PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _copy_repository(target: Path) -> None:
    listed = _run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT
    ).split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment outside the repository with the wheel installed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot list the repository's files")
    scratch = tmp_path_factory.mktemp("wheel")
    source = scratch / "src"
    _copy_repository(source)
    dist = scratch / "dist"
    _run(
        [*_PIP, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)],
        cwd=scratch,
    )
    (wheel,) = dist.glob("golocal-*.whl")
    venv = scratch / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=scratch)
    python = venv / "bin" / "python"
    _run(
        [*_PIP, "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        cwd=scratch,
    )
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            cwd=scratch,
        ).strip()
    )
    (site / "golocal-test-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return venv


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOLOCAL_", "SLACK_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        GOLOCAL_DATABASE_URL=f"sqlite:///{home / 'golocal.db'}",
        PYTHONNOUSERSITE="1",
    )
    env.pop("PYTHONPATH", None)
    return env


def test_the_wheel_holds_the_code_migrations_and_shipped_data(installed: Path) -> None:
    (wheel,) = installed.parent.joinpath("dist").glob("golocal-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "golocal/bot/cli.py",
        "golocal/db/migrations/env.py",
        "golocal/db/migrations/script.py.mako",
        "golocal/config/hardware.toml",
        "golocal/config/slack-manifest.yaml",
        "golocal/config/prometheus/golocal-rules.yml",
        "golocal/config/grafana/golocal-dashboard.json",
    ):
        assert expected in names, expected
    assert any(n.startswith("golocal/db/migrations/versions/0001") for n in names)
    assert not any(n.startswith(("tests/", "bench/", "bot/", "db/")) for n in names)


def test_the_installed_wheel_upgrades_loads_the_demo_and_answers(
    installed: Path, tmp_path: Path
) -> None:
    home = tmp_path / "elsewhere"
    home.mkdir()
    env = _env(home)
    golocal = str(installed / "bin" / "golocal")
    where = _run(
        [str(installed / "bin" / "python"), "-c", "import golocal.db; print(golocal.db.__file__)"],
        cwd=home,
        env=env,
    )
    assert where.startswith(str(installed)), where  # the wheel's copy, not the checkout

    upgraded = _run([golocal, "db", "upgrade"], cwd=home, env=env)
    assert upgraded == f"database upgraded from empty to {migrate.head_revision()}\n"
    _run([golocal, "demo", "--profile", "small"], cwd=home, env=env)
    answer = _run([golocal, "ask", "how many requests per day?"], cwd=home, env=env)
    assert "Requests per day" in answer
    assert "Zone:" in answer
    verdict = _run([golocal, "ask", "--json", "should we go local?"], cwd=home, env=env)
    assert '"verdict"' in verdict

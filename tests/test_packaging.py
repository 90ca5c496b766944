"""Packaging: the four top-level folders install as subpackages of ``golocal``, all of them."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "bot": "golocal.bot",
    "jobs": "golocal.jobs",
    "db": "golocal.db",
    "config": "golocal.config",
}


def declared() -> tuple[list[str], dict[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    return setuptools["packages"], setuptools["package-dir"]


def test_every_package_folder_is_listed_under_golocal():
    packages, _ = declared()
    expected = {"golocal"}
    for folder, package in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((package, *relative)))
    assert set(packages) == expected


def test_no_generic_top_level_module_is_installed():
    packages, package_dir = declared()
    assert all(name == "golocal" or name.startswith("golocal.") for name in packages)
    assert {package_dir[package] for package in FOLDERS.values()} == set(FOLDERS)

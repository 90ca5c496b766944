"""The repository explains itself: no file cites a document that is not in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: A Markdown file named by its bare name, e.g. ``ARCHITECTURE.md``. Names with a folder
#: (``docs/querying/api.md``) cite an upstream repository's file next to its name, so only
#: bare names are held to this repository.
_MD_REFERENCE = re.compile(r"(?<![\w/.-])([\w-]+\.md)\b")
_CHECKED_SUFFIXES = {".py", ".toml", ".md", ".sh", ".yaml", ".yml", ".cfg", ".service", ""}


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_every_cited_markdown_file_is_in_the_repository() -> None:
    files = _tracked_files()
    names = {path.name for path in files}
    missing: list[str] = []
    for path in files:
        if path.suffix not in _CHECKED_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for cited in _MD_REFERENCE.findall(line):
                if cited not in names:
                    missing.append(f"{path.relative_to(ROOT)}:{number}: {cited}")
    assert missing == []


def test_no_file_points_outside_the_repository() -> None:
    outside = re.compile(r"/work/|/shared/")
    hits = [
        str(path.relative_to(ROOT))
        for path in _tracked_files()
        if path.suffix in _CHECKED_SUFFIXES
        and path != Path(__file__).resolve()
        and outside.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert hits == []


def test_the_architecture_document_names_every_top_level_package_folder() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for folder in ("bot/", "jobs/", "db/", "config/"):
        assert f"`{folder}`" in text
    assert "bot` → `jobs` → `db`" in text


def test_every_path_the_architecture_document_names_exists() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[\w.-]+/)+[\w.-]*)`", text))
    assert named, "the document names no path"
    assert sorted(path for path in named if not (ROOT / path).exists()) == []

"""Is the database already at this golocal's newest migration? Answered without Alembic.

Every command opens the database and checks its schema first. Importing Alembic to do so
costs more than answering most questions, and the answer is nearly always "yes, it is
current". This module reads the revision ids straight from the shipped migration files
(their ``revision`` and ``down_revision`` assignments, the same ones Alembic reads) and the
database's ``alembic_version`` table with one query. Only when they differ does
:mod:`golocal.db.migrate` (and Alembic) get involved; a test checks that both agree on the
head.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

VERSIONS_DIR = Path(__file__).with_name("migrations") / "versions"


@cache
def shipped_heads(versions_dir: Path = VERSIONS_DIR) -> frozenset[str]:
    """The revisions no other shipped migration revises (one, unless a merge is pending)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in versions_dir.glob("*.py"):
        assigned = _module_constants(path)
        revision = assigned.get("revision")
        if not isinstance(revision, str):
            continue  # __init__.py and helpers
        revisions.add(revision)
        down = assigned.get("down_revision")
        if isinstance(down, str):
            revised.add(down)
        elif isinstance(down, tuple | list):
            revised.update(item for item in down if isinstance(item, str))
    return frozenset(revisions - revised)


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database; ``None`` when it was never migrated."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no alembic_version table: a database never migrated
        return None
    return rows[0][0] if len(rows) == 1 else None


def is_current(engine: Engine) -> bool:
    """True when the database is at the single head this golocal ships."""
    heads = shipped_heads()
    return len(heads) == 1 and stored_revision(engine) in heads


def _module_constants(path: Path) -> dict[str, object]:
    """Module-level ``name = <literal>`` assignments (annotated or not) of one file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = [t for t in node.targets if isinstance(t, ast.Name)], node.value
        else:
            continue
        try:
            literal = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError):
            continue
        for target in targets:
            found[target.id] = literal
    return found

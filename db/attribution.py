"""Attribution: which team owns a cloud project / workspace / API key, and how sensitive it is.

One :class:`~golocal.db.models.Attribution` row per (provider, kind, external id), changed in
place with who/when (the checklist keeps history; attribution is a mapping). Sensitivity is
the checklist's code-location scale: ``regulated``, ``proprietary`` or ``public``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select

from golocal.db.checklist import SENSITIVITIES
from golocal.db.database import Database
from golocal.db.models import Attribution
from golocal.errors import UsageError

#: What an attribution can point at.
KINDS = ("project", "workspace", "api_key")


@dataclass(frozen=True, slots=True)
class AttributionEntry:
    """One mapping as stored (or as configured in the TOML file: ``updated_by='config'``)."""

    provider: str
    kind: str
    external_id: str
    team: str | None
    sensitivity: str | None
    label: str | None
    updated_by: str
    updated_at: datetime | None

    def matches(self, provider: str, project: str, api_key: str) -> bool:
        """Whether a usage bucket's dimensions fall under this mapping."""
        if self.provider and self.provider != provider:
            return False
        if self.kind == "api_key":
            return api_key == self.external_id
        return project == self.external_id

    def as_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "kind": self.kind,
            "id": self.external_id,
            "team": self.team,
            "sensitivity": self.sensitivity,
            "label": self.label,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


def _check(kind: str, external_id: str, sensitivity: str | None) -> None:
    if kind not in KINDS:
        raise UsageError(f"attribution kind must be one of {', '.join(KINDS)} (got {kind!r})")
    if not external_id.strip():
        raise UsageError("an attribution needs the project, workspace or API key id")
    if sensitivity is not None and sensitivity not in SENSITIVITIES:
        raise UsageError(
            f"sensitivity must be one of {', '.join(SENSITIVITIES)} (got {sensitivity!r})"
        )


def set_attribution(
    database: Database,
    *,
    external_id: str,
    updated_by: str,
    kind: str = "project",
    provider: str = "",
    team: str | None = None,
    sensitivity: str | None = None,
    label: str | None = None,
    at: datetime | None = None,
) -> AttributionEntry:
    """Create or change the mapping of one project / workspace / API key id.

    Args:
        external_id: the provider's id (``proj_…``, a workspace id, an API key *id*).
        updated_by: who made the change.
        kind: ``project``, ``workspace`` or ``api_key``.
        provider: ``openai``, ``anthropic``, … or ``''`` for any provider.
        team: the owning team; ``None`` keeps the stored one.
        sensitivity: ``regulated``, ``proprietary`` or ``public``; ``None`` keeps the stored one.
        label: a human name for the id; ``None`` keeps the stored one.

    Raises:
        UsageError: an unknown kind or sensitivity, or an empty id.
    """
    sensitivity = sensitivity.lower() if sensitivity else None
    _check(kind, external_id, sensitivity)
    when = at or datetime.now(UTC)
    with database.session() as session:
        row = session.scalars(
            select(Attribution).where(
                Attribution.provider == provider,
                Attribution.kind == kind,
                Attribution.external_id == external_id.strip(),
            )
        ).first()
        if row is None:
            row = Attribution(provider=provider, kind=kind, external_id=external_id.strip())
            session.add(row)
        if team is not None:
            row.team = team or None
        if sensitivity is not None:
            row.sensitivity = sensitivity
        if label is not None:
            row.label = label or None
        row.updated_by = updated_by[:100]
        row.updated_at = when
        session.flush()
        return _entry(row)


def remove_attribution(
    database: Database, *, external_id: str, kind: str = "project", provider: str = ""
) -> bool:
    """Delete one mapping; returns whether it existed."""
    with database.session() as session:
        result = session.execute(
            delete(Attribution).where(
                Attribution.provider == provider,
                Attribution.kind == kind,
                Attribution.external_id == external_id,
            )
        )
        return bool(cast("CursorResult[Any]", result).rowcount)


def list_attributions(database: Database) -> list[AttributionEntry]:
    """Every stored mapping, ordered by provider, kind and id."""
    query = select(Attribution).order_by(
        Attribution.provider, Attribution.kind, Attribution.external_id
    )
    with database.session() as session:
        return [_entry(row) for row in session.scalars(query)]


def _entry(row: Attribution) -> AttributionEntry:
    return AttributionEntry(
        provider=row.provider,
        kind=row.kind,
        external_id=row.external_id,
        team=row.team,
        sensitivity=row.sensitivity,
        label=row.label,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )

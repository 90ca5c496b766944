"""What every chat handler returns, and how errors become replies."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from golocal.errors import GolocalError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """A handler's answer: text for people, structured data for ``--json`` and renderers."""

    intent: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"intent": self.intent, "text": self.text, **self.data}


def reply_for_error(exc: BaseException) -> Reply:
    """Turn a failure into a reply: a GolocalError says what is wrong; anything else is logged."""
    if isinstance(exc, GolocalError):
        return Reply(intent="error", text=exc.message, data={"error": exc.message})
    incident = uuid.uuid4().hex[:8]
    log.error("unhandled error answering a question [%s]", incident, exc_info=exc)
    text = f"Something went wrong, logged as {incident}."
    return Reply(intent="error", text=text, data={"error": text, "incident": incident})

"""The team's measured tokens per request, for sources that report tokens but no count.

Anthropic's usage report (and some local servers) give tokens only; the volume report turns
those tokens into an estimated request count. The divisor is measured where possible: over
the same days, the sources that report both a request count and tokens (OpenAI, a LiteLLM
gateway, vLLM) show how many tokens this team's requests really carry. With too little such
evidence the configured default (``volume.tokens_per_request``) is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

#: fewer counted requests than this in the window is not a measurement
MIN_MEASURED_REQUESTS = 100


class CountedTotals(Protocol):
    """What the measurement reads of a per-(day, source) total (``SourceDay``, ``UsageLine``)."""

    @property
    def requests(self) -> int | None: ...

    @property
    def buckets_without_requests(self) -> int: ...

    @property
    def input_tokens(self) -> int | None: ...

    @property
    def output_tokens(self) -> int | None: ...


def measured_tokens_per_request(
    rows: Iterable[CountedTotals], default: int, *, min_requests: int = MIN_MEASURED_REQUESTS
) -> int:
    """(input + output tokens) / requests over the source-days that report both.

    Only source-days whose every bucket has a request count and that report tokens count
    (Copilot reports requests without tokens; Anthropic tokens without requests).

    Args:
        rows: per-(day, source) totals, e.g. from :func:`golocal.db.usage.source_days`.
        default: the configured tokens per request, used without enough evidence.
        min_requests: the fewest requests that make a measurement.
    """
    tokens = 0
    requests = 0
    for row in rows:
        if row.buckets_without_requests or not row.requests:
            continue
        if row.input_tokens is None or row.output_tokens is None:
            continue
        tokens += row.input_tokens + row.output_tokens
        requests += row.requests
    if requests < min_requests or tokens <= 0:
        return default
    return max(1, round(tokens / requests))

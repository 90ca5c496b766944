"""The daily request-volume report: per UTC day, cloud vs local, with sources and money.

Pure functions over the per-(day, source) totals the database aggregates
(:func:`golocal.db.usage.source_days`). Rules that matter to the decision framework:

* a source that does not report a value has ``None`` for it, never 0;
* where a source reports tokens but no request count (Anthropic's usage report, llama.cpp),
  the request count is estimated from tokens and the day is flagged ``requests_estimated``;
* every day of the range appears, days without data included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from golocal.db.outcomes import ServerOutcomes
from golocal.db.usage import SourceDay
from golocal.jobs.money import usd_string


class Zone(StrEnum):
    """Where a daily volume sits against the decision thresholds."""

    BELOW = "below"
    BETWEEN = "between"
    ABOVE = "above"


def volume_zone(requests_per_day: float, cloud_ok_below: int, run_cost_model_above: int) -> Zone:
    """Place a daily request volume against the decision thresholds.

    The upper threshold is inclusive: 2,000 requests/day is still "between".
    """
    if requests_per_day < cloud_ok_below:
        return Zone.BELOW
    if requests_per_day <= run_cost_model_above:
        return Zone.BETWEEN
    return Zone.ABOVE


@dataclass(frozen=True, slots=True)
class SourceTotals:
    """One source's numbers for one day."""

    location: str
    requests: int | None
    requests_estimate: int | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None
    cost_estimated: bool
    cost_basis: str | None = None
    #: local servers only: cancelled by the client (within ``requests``), and the server's
    #: errors (not within ``requests``); ``None`` where the server does not tell them apart
    aborted_requests: int | None = None
    failed_requests: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "location": self.location,
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": usd_string(self.cost_usd),
            "cost_estimated": self.cost_estimated,
        }
        if self.requests_estimate is not None:
            data["requests_estimate"] = self.requests_estimate
        if self.cost_basis is not None:
            data["cost_basis"] = self.cost_basis
        if self.location == "local":
            data |= local_outcomes([self]).as_json("")
        return data


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Aborted and failed requests of local servers, summed over what reports them."""

    aborted_requests: int | None
    failed_requests: int | None
    #: requests + failures of the sources that report both: the error rate's base
    attempts: int

    @property
    def error_rate(self) -> float | None:
        """Failed / (requests + failed), where a source reports both; else ``None``."""
        if self.failed_requests is None or not self.attempts:
            return None
        return self.failed_requests / self.attempts

    def as_json(self, prefix: str = "local_") -> dict[str, Any]:
        rate = self.error_rate
        return {
            f"{prefix}aborted_requests": self.aborted_requests,
            f"{prefix}failed_requests": self.failed_requests,
            f"{prefix}error_rate": None if rate is None else round(rate, 6),
        }


def local_outcomes(sources: Iterable[SourceTotals]) -> Outcomes:
    """The outcomes of the local sources among ``sources`` (unknown stays ``None``)."""
    local = [source for source in sources if source.location == "local"]
    return Outcomes(
        aborted_requests=_sum_optional([source.aborted_requests for source in local]),
        failed_requests=_sum_optional([source.failed_requests for source in local]),
        attempts=sum(
            source.requests + source.failed_requests
            for source in local
            if source.requests is not None and source.failed_requests is not None
        ),
    )


@dataclass(frozen=True, slots=True)
class VolumeDay:
    """All sources for one UTC day."""

    day: date
    requests: int
    cloud_requests: int
    local_requests: int
    requests_estimated: bool
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None
    cost_estimated: bool
    by_source: dict[str, SourceTotals] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return bool(self.by_source)

    @property
    def outcomes(self) -> Outcomes:
        return local_outcomes(self.by_source.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "requests": self.requests,
            "cloud_requests": self.cloud_requests,
            "local_requests": self.local_requests,
            "requests_estimated": self.requests_estimated,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": usd_string(self.cost_usd),
            "cost_estimated": self.cost_estimated,
            "has_data": self.has_data,
            **self.outcomes.as_json(),
            "by_source": {name: totals.as_json() for name, totals in self.by_source.items()},
        }


@dataclass(frozen=True, slots=True)
class VolumeReport:
    """Per-day volume for ``since <= day < until`` and its totals."""

    since: date
    until: date
    days: list[VolumeDay]
    #: a day still running (today), left out of the mean per day
    open_day: date | None = None

    @property
    def total_requests(self) -> int:
        return sum(day.requests for day in self.days)

    @property
    def days_with_data(self) -> int:
        return sum(1 for day in self.days if day.has_data)

    @property
    def mean_days(self) -> list[VolumeDay]:
        """The days the mean per day is taken over (see :func:`mean_per_day`)."""
        return [day for day in self.days if day.has_data and day.day != self.open_day]

    @property
    def mean_requests_per_day(self) -> float:
        return mean_per_day([day.requests for day in self.mean_days])

    @property
    def mean_cloud_requests_per_day(self) -> float:
        return mean_per_day([day.cloud_requests for day in self.mean_days])

    @property
    def mean_local_requests_per_day(self) -> float:
        return mean_per_day([day.local_requests for day in self.mean_days])

    @property
    def peak(self) -> VolumeDay | None:
        with_data = [day for day in self.days if day.has_data]
        return max(with_data, key=lambda day: (day.requests, day.day)) if with_data else None

    @property
    def total_cost(self) -> Decimal | None:
        costs = [day.cost_usd for day in self.days if day.cost_usd is not None]
        return sum(costs, Decimal(0)) if costs else None

    @property
    def requests_estimated(self) -> bool:
        return any(day.requests_estimated for day in self.days)

    @property
    def has_local(self) -> bool:
        """Whether any local source has data in the range."""
        return any(s.location == "local" for day in self.days for s in day.by_source.values())

    @property
    def outcomes(self) -> Outcomes:
        """Local servers' aborted and failed requests over the whole range."""
        return local_outcomes(s for day in self.days for s in day.by_source.values())

    def as_json(self) -> dict[str, Any]:
        peak = self.peak
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "days": [day.as_json() for day in self.days],
            "totals": {
                "requests": self.total_requests,
                "cloud_requests": sum(day.cloud_requests for day in self.days),
                "local_requests": sum(day.local_requests for day in self.days),
                "requests_estimated": self.requests_estimated,
                "cost_usd": usd_string(self.total_cost),
                "cost_estimated": any(day.cost_estimated for day in self.days),
                "mean_requests_per_day": round(self.mean_requests_per_day, 1),
                "mean_days": len(self.mean_days),
                "peak_day": peak.day.isoformat() if peak else None,
                "peak_requests": peak.requests if peak else None,
                "days_with_data": self.days_with_data,
                **self.outcomes.as_json(),
            },
        }


def mean_per_day(values: list[int]) -> float:
    """golocal's one "mean per day": the mean over complete UTC days that have data.

    Callers pass one value per day with data, leaving out a day still running (today) unless
    the question asked for it; days without data are not zeros, they are left out too.
    ``0.0`` when no such day exists (and ``mean_days`` says 0).
    """
    return sum(values) / len(values) if values else 0.0


def estimate_requests(tokens: int, tokens_per_request: int) -> int:
    """Requests implied by a token count; at least one request if any tokens were used."""
    if tokens <= 0:
        return 0
    return max(1, round(tokens / tokens_per_request))


def _sum_optional(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def build_volume_report(
    rows: list[SourceDay],
    since: date,
    until: date,
    *,
    tokens_per_request: int,
    open_day: date | None = None,
    outcomes: Mapping[tuple[date, str], ServerOutcomes] | None = None,
) -> VolumeReport:
    """Assemble the report from per-(day, source) rows; every day of the range appears.

    ``outcomes``: local servers' aborted/failed requests per (day, server name); a local
    source without an entry has them unknown.
    """
    by_day: dict[date, list[SourceDay]] = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row)

    days = []
    current = since
    while current < until:
        days.append(
            _build_day(current, by_day.get(current, []), tokens_per_request, outcomes or {})
        )
        current += timedelta(days=1)
    return VolumeReport(since=since, until=until, days=days, open_day=open_day)


def _build_day(
    day: date,
    rows: list[SourceDay],
    tokens_per_request: int,
    outcomes: Mapping[tuple[date, str], ServerOutcomes],
) -> VolumeDay:
    sources: dict[str, SourceTotals] = {}
    totals = {"cloud": 0, "local": 0}
    estimated = False
    for row in rows:
        estimate = row.requests_estimate
        if estimate is None and row.buckets_without_requests:
            estimate = estimate_requests(row.tokens_without_requests, tokens_per_request)
        if estimate is not None:
            estimated = estimated or estimate > 0
        counted = (row.requests or 0) + (estimate or 0)
        totals[row.location] = totals.get(row.location, 0) + counted
        outcome = outcomes.get((day, row.source)) if row.location == "local" else None
        sources[row.source] = SourceTotals(
            location=row.location,
            requests=row.requests,
            requests_estimate=None if estimate is None else counted,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost_usd=row.cost_usd,
            cost_estimated=row.cost_estimated,
            cost_basis=row.cost_basis or None,
            aborted_requests=outcome.aborted_requests if outcome else None,
            failed_requests=outcome.failed_requests if outcome else None,
        )
    costs = [row.cost_usd for row in rows if row.cost_usd is not None]
    return VolumeDay(
        day=day,
        requests=totals["cloud"] + totals["local"],
        cloud_requests=totals["cloud"],
        local_requests=totals["local"],
        requests_estimated=estimated,
        input_tokens=sum(row.input_tokens or 0 for row in rows),
        output_tokens=sum(row.output_tokens or 0 for row in rows),
        cost_usd=sum(costs, Decimal(0)) if costs else None,
        cost_estimated=any(row.cost_estimated for row in rows),
        by_source=sources,
    )

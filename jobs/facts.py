"""Measured facts the five checklist points stand on, derived from :class:`Evidence`.

Pure functions: which cloud requests were priced, what a request costs, which models were
frontier-class, how much cloud traffic carried regulated or proprietary code, fine-tuned
model usage, and tokens per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from golocal.config.advisor import Advisor
from golocal.db.attribution import AttributionEntry
from golocal.db.checklist import TEAM_PREFIX, Answer
from golocal.db.evidence import ModelUsage
from golocal.jobs.evidence import Evidence
from golocal.jobs.volume import estimate_requests


@dataclass(frozen=True)
class Facts:
    """What the window's usage says, before any judgement."""

    cloud_requests: int
    priced_requests: int
    priced_spend: Decimal | None
    spend_estimated: bool
    #: model ids whose cloud usage has no cost (left out of the price per request)
    unpriced_models: list[str]
    unpriced_requests: int
    frontier_requests: int
    local_capable_requests: int
    unclassified_requests: int
    fine_tuned_requests: int
    fine_tuned_models: list[str]
    #: cloud requests by sensitivity of their project/team (regulated, proprietary, public, unknown)
    cloud_by_sensitivity: dict[str, int] = field(default_factory=dict)
    tokens_per_request: Decimal | None = None
    tokens_per_request_source: str = "default"
    #: the output (generated) part of tokens_per_request, where measured
    output_tokens_per_request: Decimal | None = None

    @property
    def frontier_share(self) -> float | None:
        classified = self.frontier_requests + self.local_capable_requests
        total = classified + self.unclassified_requests
        return self.frontier_requests / total if total else None

    @property
    def sensitive_cloud_share(self) -> float | None:
        if not self.cloud_requests:
            return None
        sensitive = self.cloud_by_sensitivity.get("regulated", 0) + self.cloud_by_sensitivity.get(
            "proprietary", 0
        )
        return sensitive / self.cloud_requests


def counted_requests(row: ModelUsage, tokens_per_request: int) -> int:
    """A row's requests, estimated from tokens where the source reports no count.

    Rows from the ledger (:meth:`golocal.jobs.ledger.Ledger.model_usage`) carry the estimate
    already, made per day by the one estimator every surface uses.
    """
    if row.requests_estimate is not None:
        return (row.requests or 0) + row.requests_estimate
    counted = row.requests or 0
    if row.tokens_without_requests > 0:
        counted += estimate_requests(row.tokens_without_requests, tokens_per_request)
    return counted


def sensitivity_of(
    row: ModelUsage, attributions: list[AttributionEntry], answers: dict[tuple[str, str], str]
) -> str:
    """The sensitivity of a usage row: API-key mapping, then project mapping, then declared.

    Declared ``code_location`` answers apply by project id, then by ``team:<name>`` (the
    row's team or its attributed team), then organisation-wide; ``unknown`` if none.
    """
    team = row.team
    for kind in ("api_key", "project", "workspace"):
        for entry in attributions:
            if entry.kind == kind and entry.matches(row.provider, row.project, row.api_key):
                team = team or entry.team
                if entry.sensitivity:
                    return entry.sensitivity
    for scope in (row.project, f"{TEAM_PREFIX}{team}" if team else None, ""):
        if scope is not None and ("code_location", scope) in answers:
            return answers[("code_location", scope)]
    return "unknown"


def _plus(total: Decimal | None, amount: Decimal) -> Decimal:
    """A running total that stays ``None`` (nothing priced) until the first amount."""
    return amount if total is None else total + amount


def derive_facts(evidence: Evidence, advisor: Advisor, tokens_per_request: int) -> Facts:
    """Reduce the window's per-model usage to the facts the checklist and cost model need.

    A provider whose own cost report (cost lines) covers the window is priced by what it
    billed; the others by the cost on their usage buckets.
    """
    answers = {(a.key, a.scope): a.value for a in evidence.answers}
    cloud = priced = unpriced = frontier = capable = unclassified = ft = 0
    spend: Decimal | None = None
    estimated = False
    unpriced_models: set[str] = set()
    ft_models: set[str] = set()
    by_sensitivity: dict[str, int] = {}
    local_tokens = local_requests = cloud_tokens = cloud_counted = 0
    local_output = cloud_output = 0
    for row in evidence.models:
        if row.requests and row.input_tokens is not None and row.output_tokens is not None:
            tokens = row.input_tokens + row.output_tokens
            if row.location == "local":
                local_tokens, local_requests = local_tokens + tokens, local_requests + row.requests
                local_output += row.output_tokens
            else:
                cloud_tokens, cloud_counted = cloud_tokens + tokens, cloud_counted + row.requests
                cloud_output += row.output_tokens
        if row.location != "cloud":
            continue
        count = counted_requests(row, tokens_per_request)
        cloud += count
        if row.provider in evidence.billed:
            # the provider's own cost report prices every request of it (added below)
            priced += count
        elif row.cost_usd is None:
            unpriced += count
            unpriced_models.add(row.model or "(unnamed model)")
        else:
            priced += count
            spend = _plus(spend, row.cost_usd)
            estimated = estimated or row.cost_estimated
        model_class = advisor.classify_model(row.model) if row.model else None
        if model_class == "frontier":
            frontier += count
        elif model_class == "local_capable":
            capable += count
        else:
            unclassified += count
        if row.model.lower().startswith("ft:"):
            ft += count
            ft_models.add(row.model)
        tag = sensitivity_of(row, evidence.attributions, answers)
        by_sensitivity[tag] = by_sensitivity.get(tag, 0) + count
    for provider, amount in evidence.billed.items():
        if any(r.location == "cloud" and r.provider == provider for r in evidence.models):
            spend = _plus(spend, amount)
    output: Decimal | None = None
    if local_requests:
        tpr, tpr_source = Decimal(local_tokens) / local_requests, "measured"
        output = Decimal(local_output) / local_requests
    elif cloud_counted:
        tpr, tpr_source = Decimal(cloud_tokens) / cloud_counted, "measured"
        output = Decimal(cloud_output) / cloud_counted
    else:
        tpr, tpr_source = Decimal(tokens_per_request), "default"
    return Facts(
        cloud_requests=cloud,
        priced_requests=priced,
        priced_spend=spend,
        spend_estimated=estimated,
        unpriced_models=sorted(unpriced_models),
        unpriced_requests=unpriced,
        frontier_requests=frontier,
        local_capable_requests=capable,
        unclassified_requests=unclassified,
        fine_tuned_requests=ft,
        fine_tuned_models=sorted(ft_models),
        cloud_by_sensitivity=by_sensitivity,
        tokens_per_request=tpr,
        tokens_per_request_source=tpr_source,
        output_tokens_per_request=output,
    )


def declared(answers: list[Answer], key: str) -> list[Answer]:
    """The current answers for one key, organisation-wide first."""
    return sorted((a for a in answers if a.key == key), key=lambda a: (a.scope != "", a.scope))

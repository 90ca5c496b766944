"""The five checklist points (docs/ARCHITECTURE.md section 1), each judged from evidence.

Each function returns a :class:`Point`: which way it leans (``cloud``, ``local``,
``neutral`` or ``unknown``), the evidence in a sentence, and whether that evidence was
``measured``, ``declared`` or a ``default`` (nothing known).
"""

from __future__ import annotations

from dataclasses import dataclass

from golocal.config.settings import Settings
from golocal.db.checklist import NO_OWNER, exit_cost_level
from golocal.jobs.evidence import Evidence
from golocal.jobs.facts import Facts, declared
from golocal.jobs.volume import Zone


@dataclass(frozen=True)
class Point:
    """One checklist point: which way it leans, why, and where that came from."""

    id: str
    leans: str  # cloud | local | neutral | unknown
    evidence: str
    source: str  # measured | declared | default

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "leans": self.leans,
            "evidence": self.evidence,
            "source": self.source,
        }


def incidents_text(count: int) -> str:
    """ "no GPU incidents", "1 GPU incident", "3 GPU incidents"."""
    if count == 0:
        return "no GPU incidents"
    return f"{count:,} GPU incident" + ("" if count == 1 else "s")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def volume_point(
    zone: Zone | None, mean: float, break_even: int | None, settings: Settings
) -> Point:
    if zone is None:
        return Point("volume", "unknown", "no usage data in the window", "measured")
    t = settings.thresholds
    text = (
        f"mean {mean:,.0f} requests/day — zone {zone.value} "
        f"({t.cloud_ok_below:,}/{t.run_cost_model_above:,})"
    )
    if zone is Zone.BELOW:
        return Point("volume", "cloud", f"{text}: cloud is probably fine", "measured")
    if break_even is not None and mean >= break_even:
        return Point(
            "volume", "local", f"{text}, at or above the break-even {break_even:,}/day", "measured"
        )
    if break_even is not None:
        return Point(
            "volume", "neutral", f"{text}, below the break-even {break_even:,}/day", "measured"
        )
    return Point("volume", "neutral", f"{text}; no break-even without a cloud price", "measured")


def code_point(facts: Facts, evidence: Evidence) -> Point:
    answers = declared(evidence.answers, "code_location")
    tags = {a.value for a in answers} | {
        a.sensitivity for a in evidence.attributions if a.sensitivity
    }
    share = facts.sensitive_cloud_share
    measured = (
        f"{_pct(share)} of cloud requests came from regulated/proprietary projects"
        if share is not None and tags
        else ""
    )
    declared_text = ", ".join(f"{a.scope or 'organisation'}: {a.value}" for a in answers)
    evidence_text = "; ".join(part for part in (declared_text, measured) if part)
    if not tags:
        return Point(
            "code_location",
            "unknown",
            "not declared (golocal checklist set code_location regulated|proprietary|public)",
            "default",
        )
    if tags & {"regulated", "proprietary"}:
        which = "regulated" if "regulated" in tags else "proprietary"
        return Point("code_location", "local", f"{which} code — {evidence_text}", "declared")
    return Point("code_location", "neutral", f"public code — {evidence_text}", "declared")


def model_point(facts: Facts, evidence: Evidence) -> Point:
    share = facts.frontier_share
    measured = (
        f"{_pct(share)} of cloud requests went to frontier-class models"
        if share is not None
        else "no cloud model usage in the window"
    )
    if facts.unclassified_requests:
        measured += f" ({facts.unclassified_requests:,} requests to unclassified models)"
    answers = declared(evidence.answers, "model_size")
    if answers:
        value = answers[0].value
        leans = {"frontier": "cloud", "local_capable": "local", "mixed": "neutral"}[value]
        return Point("model_size", leans, f"declared {value}; {measured}", "declared")
    if share is None:
        return Point("model_size", "unknown", measured, "measured")
    if share >= 0.5:
        return Point("model_size", "cloud", measured, "measured")
    if share <= 0.2:
        return Point(
            "model_size", "local", f"{measured}: a 7B–30B model covers the rest", "measured"
        )
    return Point("model_size", "neutral", f"{measured}: a mix", "measured")


def ops_point(evidence: Evidence) -> Point:
    answers = declared(evidence.answers, "ops_owner")
    incidents = f"{incidents_text(evidence.gpu_incidents)} in the window"
    if evidence.gpu is not None and evidence.gpu.saturated_hours:
        incidents += f", {evidence.gpu.saturated_hours:,.1f} GPU-hours saturated"
    if not answers:
        return Point("ops_owner", "unknown", f"no owner declared; {incidents}", "default")
    owner = answers[0]
    if owner.value == NO_OWNER:
        return Point(
            "ops_owner",
            "cloud",
            f"nobody owns running local inference (declared by {owner.answered_by}); {incidents}",
            "declared",
        )
    return Point("ops_owner", "local", f"owned by {owner.value}; {incidents}", "declared")


def exit_point(facts: Facts, evidence: Evidence) -> Point:
    answers = declared(evidence.answers, "exit_cost")
    note = f"; declared: {answers[0].value}" if answers else ""
    if facts.fine_tuned_requests:
        models = ", ".join(facts.fine_tuned_models[:3])
        return Point(
            "exit_cost",
            "cloud",
            f"{facts.fine_tuned_requests:,} requests to fine-tuned cloud models ({models}) "
            f"would have to be re-trained elsewhere{note}",
            "measured",
        )
    level = exit_cost_level(answers[0].value) if answers else None
    if level == "high":
        return Point("exit_cost", "cloud", f"declared high: {answers[0].value}", "declared")
    if answers:
        return Point("exit_cost", "neutral", f"no fine-tuned models in use{note}", "declared")
    if facts.cloud_requests:
        return Point("exit_cost", "neutral", "no fine-tuned models in use", "measured")
    return Point("exit_cost", "unknown", "no cloud usage to judge lock-in from", "default")

"""Sentences about the hardware an answer priced: the team's fleet, a profile or a purchase."""

from __future__ import annotations

from golocal.jobs.framework import Assessment
from golocal.jobs.money import usd_display


def hardware_line(result: Assessment) -> str:
    """One line: which GPUs, where they came from, what they cost and carry."""
    hardware = result.hardware
    if hardware is None:
        return ""
    capacity = ""
    if hardware.capacity is not None:
        capacity = f"carries {hardware.capacity:,} requests/day"
        if hardware.model_text:
            capacity += (
                f" of {hardware.model_text} at {hardware.target_utilisation:.0%} load (physics)"
            )
    if hardware.source == "measured":
        hosts = f" on {hardware.hosts:,} host" + ("" if hardware.hosts == 1 else "s")
        busy = (
            f", mean utilisation {hardware.util_mean:.0%}" if hardware.util_mean is not None else ""
        )
        text = f"Hardware: your {hardware.label}{hosts} (from telemetry, owned{busy})"
    elif hardware.source == "recommended":
        text = (
            f"Hardware: recommended purchase {hardware.label} "
            f"({usd_display(hardware.purchase_usd)} with host), the cheapest in the catalogue "
            f"that carries your peak {result.peak_per_day:,}/day"
        )
    else:
        text = (
            f"Hardware: {hardware.name} ({hardware.label}, from the catalogue, "
            f"{usd_display(hardware.purchase_usd)})"
        )
    parts = [text]
    if capacity:
        parts.append(capacity)
    line = "; ".join(parts)
    if hardware.notes:
        line += " — " + "; ".join(hardware.notes[:2])
    return line + "."

"""Calibrating the physics with what the team's own inference servers measured.

A server's hourly rollups give the tokens it generated and the integral of its running
sequences; their ratio is the decode rate one sequence really got, at the batch sizes the
server ran. Where a server runs the catalogue model asked about (matched by its model id),
that measured rate replaces the bandwidth-bound estimate, and the answer says so.
"""

from __future__ import annotations

from dataclasses import replace

from golocal.config.advisor import Advisor
from golocal.config.catalogue import find_in, lookup
from golocal.db.inventory import ServerDecode
from golocal.jobs.fit import Fit


def server_model_key(server: ServerDecode, advisor: Advisor) -> str | None:
    """The catalogue model a server runs ("Qwen/Qwen2.5-Coder-32B-Instruct" → qwen2.5-coder-32b)."""
    if not server.model:
        return None
    name = server.model.rsplit("/", 1)[-1]
    return lookup(name, advisor.models) or find_in(name.replace("-Instruct", ""), advisor.models)


def calibrate(result: Fit, servers: list[ServerDecode], advisor: Advisor) -> Fit:
    """``result`` with its decode rate measured on the team's servers running its model."""
    if not result.fits:
        return result
    same = [s for s in servers if server_model_key(s, advisor) == result.model]
    if not same:
        return result
    tokens = sum(s.generation_tokens for s in same)
    seconds = sum(s.sequence_seconds for s in same)
    if tokens <= 0 or seconds <= 0:
        return result
    measured = tokens / seconds
    names = ", ".join(s.server for s in same[:3]) + ("…" if len(same) > 3 else "")
    hours = sum(s.hours for s in same)
    estimate = result.decode_tokens_per_s or 0.0
    note = (
        f"measured {measured:,.1f} tok/s per running sequence on {names} over {hours:,} "
        f"server-hours (physics estimate {estimate:,.1f} tok/s single-stream)"
    )
    return replace(result, decode_tokens_per_s=measured, calibrated=True, calibration=note)

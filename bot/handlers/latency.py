"""The latency intent: the measured latency of the local inference servers.

Cloud providers' usage and cost APIs report no latency, so golocal has none to show for
cloud requests; the reply says so instead of quoting a typical figure as if measured.
"""

from __future__ import annotations

from golocal.bot.chat import intent
from golocal.bot.handlers.wording import day_span
from golocal.bot.periods import period_in
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.db.evidence import server_latency
from golocal.db.latency import latency_histograms
from golocal.jobs.latency import latency_summary


@intent("latency")
def answer_latency(question: str, services: Services) -> Reply:
    """Mean end-to-end latency of the local servers over the period the question names."""
    today = services.now().date()
    period = period_in(question, today, services.settings.volume.window_days)
    measured = server_latency(services.database, period.since, period.until)
    span = f"{period.label}, {day_span(period.since, period.until)}"
    data = {
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "local": None
        if measured is None
        else {"requests": measured.requests, "mean_seconds": measured.mean_seconds},
        "cloud": None,
        "cloud_reason": "the providers' usage APIs report no latency",
    }
    cloud = "Cloud: not measured (the providers' usage APIs report no latency)."
    if measured is None:
        text = (
            f"No local latency measured for {span}: the inference servers' /metrics give it "
            f"(configure `[[inference_servers]]`).\n{cloud}"
        )
        return Reply("latency", text, data)
    text = (
        f"Local latency over {span}: mean {measured.mean_seconds * 1000:,.0f} ms end to end "
        f"over {measured.requests:,} requests (measured by the inference servers)."
    )
    percentiles = latency_summary(latency_histograms(services.database, period.since, period.until))
    data["percentiles"] = percentiles
    if percentiles["local_ttft_p50_ms"] is not None:
        low, high = percentiles["cloud"]["range_ms"]
        text += (
            f"\nTime to first token p50 {percentiles['local_ttft_p50_ms']:,} ms, p95 "
            f"{percentiles['local_ttft_p95_ms']:,} ms (measured) — cloud: typically "
            f"{low}–{high} ms to the first token (typical, not measured)."
        )
    return Reply("latency", f"{text}\n{cloud}", data)


INTENTS = [answer_latency]

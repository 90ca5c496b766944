"""The digest chart: daily requests stacked cloud/local, the threshold lines, the break-even.

matplotlib with the Agg backend (no display, thread-safe enough for the scheduler as long as
each figure is built and closed in one call), returned as PNG bytes.
"""

from __future__ import annotations

import io
from typing import Any

CLOUD_COLOUR = "#4C78A8"
LOCAL_COLOUR = "#F58518"


def render_digest_chart(data: dict[str, Any], *, dpi: int = 110) -> bytes:
    """A PNG of the week's requests/day, cloud stacked under local, with 500/2,000 lines.

    Args:
        data: the digest's JSON (:attr:`golocal.jobs.digest.Digest.data`).
    """
    days = data["days"]
    labels = [f"{day['weekday']}\n{day['day'][5:]}" for day in days]
    cloud = [day["cloud_requests"] for day in days]
    local = [day["local_requests"] for day in days]
    thresholds = data["thresholds"]
    break_even = data.get("break_even_requests_per_day")

    # Imported here, when a chart is drawn: matplotlib costs a command tenths of a second.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    # Figure() rather than pyplot: no global figure registry, nothing leaks between calls.
    figure = Figure(figsize=(8, 4.2), dpi=dpi)
    axes = figure.add_subplot()
    positions = range(len(days))
    axes.bar(positions, cloud, color=CLOUD_COLOUR, label="cloud")
    axes.bar(positions, local, bottom=cloud, color=LOCAL_COLOUR, label="local")
    lines = [
        (thresholds["cloud_ok_below"], "#54A24B", "run the numbers"),
        (thresholds["run_cost_model_above"], "#E45756", "run the cost model"),
    ]
    if break_even is not None:
        lines.append((break_even, "#72B7B2", "break-even"))
    for value, colour, name in lines:
        axes.axhline(
            value, color=colour, linestyle="--", linewidth=1.2, label=f"{name} ({value:,.0f}/day)"
        )
    peak = max([c + lo for c, lo in zip(cloud, local, strict=True)] + [0])
    top = max(peak, *(value for value, _, _ in lines[:1]))
    axes.set_ylim(0, top * 1.2 if top else 1)
    axes.set_xticks(list(positions), labels)
    axes.set_ylabel("requests/day")
    axes.set_title(f"Requests per day, {data['week']} (UTC days)")
    axes.legend(loc="upper right", fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

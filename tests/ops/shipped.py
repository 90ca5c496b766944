"""What golocal ships for Prometheus and Grafana, and the metric names it exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULES = CONFIG / "prometheus" / "golocal-rules.yml"
DASHBOARD = CONFIG / "grafana" / "golocal-dashboard.json"
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created", "_info")


def dashboard_expressions() -> list[str]:
    """Every PromQL expression of the dashboard's panels."""
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def as_prometheus_query(expr: str) -> str:
    """A dashboard expression with Grafana's variables filled in."""
    return expr.replace("$__rate_interval", "1m").replace('=~"$job"', '=~".*"')


def golocal_metric_names(text: str) -> set[str]:
    """The ``golocal_*`` metric names an expression or rule file uses, without suffixes."""
    names = set()
    for name in re.findall(r"\bgolocal_[a-z_]+\b", text):
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        names.add(name)
    return names


def exported_names() -> set[str]:
    """Family names ``golocal run`` and ``golocal agent`` export."""
    from golocal.jobs.selfmetrics import REGISTRY
    from golocal.jobs.sources.gpu_metrics import AGENT_ENERGY, AGENT_GAUGES

    names = {metric.name for metric in REGISTRY.collect()}
    return names | set(AGENT_GAUGES) | {AGENT_ENERGY}

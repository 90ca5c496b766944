"""The shipped alerting rules and dashboard: valid, firing when they should, on real names."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.ops.processes import require_binary
from tests.ops.shipped import (
    DASHBOARD,
    RULES,
    dashboard_expressions,
    exported_names,
    golocal_metric_names,
)

RULE_TESTS = Path(__file__).with_name("golocal-rules.test.yml")


def test_promtool_checks_the_shipped_rules() -> None:
    promtool = require_binary("promtool", "prometheus")
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_the_rules_fire_when_a_source_is_stale_no_replica_leads_or_the_digest_is_late() -> None:
    promtool = require_binary("promtool", "prometheus")
    tested = subprocess.run(
        [promtool, "test", "rules", str(RULE_TESTS)], capture_output=True, text=True, check=False
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_rules_and_dashboard_use_only_metrics_golocal_exports() -> None:
    exported = exported_names()
    used = golocal_metric_names(RULES.read_text(encoding="utf-8"))
    used |= golocal_metric_names(" ".join(dashboard_expressions()))
    assert used, "no golocal metric found in the rules or the dashboard"
    assert used - exported == set()


def test_the_dashboard_covers_sources_jobs_slack_fleet_and_volume() -> None:
    text = " ".join(dashboard_expressions())
    for name in (
        "golocal_source_last_success_timestamp_seconds",
        "golocal_job_runs_total",
        "golocal_slack_posts_total",
        "golocal_slack_ack_duration_seconds_bucket",
        "golocal_gpu_utilization_percent",
        "DCGM_FI_DEV_GPU_UTIL",
        "golocal_volume_requests_per_day",
        "golocal_volume_threshold_requests_per_day",
    ):
        assert name in text, name
    assert DASHBOARD.name.endswith(".json")

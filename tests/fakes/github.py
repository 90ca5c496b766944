"""A loopback fake of GitHub's Copilot usage-metrics reports for an organisation.

Answers as github/docs ``src/rest/data/fpt-2022-11-28/copilot.json`` (subcategory
``copilot-usage-metrics``) documents it, with file fields from
``content/copilot/reference/copilot-usage-metrics/copilot-usage-metrics.md``:
``GET /orgs/{org}/copilot/metrics/reports/organization-1-day?day=YYYY-MM-DD`` →
200 ``{download_links: [uri], report_day}`` or 204 when there is no report;
``GET /orgs/{org}/copilot/metrics/reports/organization-28-day/latest`` → 200
``{download_links: [uri], report_start_day, report_end_day}`` once a test publishes one
(:meth:`FakeGitHub.publish_28_day`), 204 before that; 403/404 with GitHub's
``{"message", "documentation_url", "status"}``. The links point at a *separate*
file server (signed URLs on another host, as in production), which serves NDJSON and
records whether anyone sent it a token.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from tests.fakes.server import LoopbackServer, Reply, Request

DOCS = "https://docs.github.com/rest/copilot/copilot-usage-metrics"


class FakeFiles(LoopbackServer):
    """The download host: serves report files by path, no auth (the URL is signed)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, str] = {}

    def handle(self, request: Request) -> Reply:
        if request.first("sig") != "signed" or request.path not in self.files:
            return Reply(403, "<Error><Code>AuthenticationFailed</Code></Error>")
        return Reply(200, self.files[request.path], {"content-type": "application/x-ndjson"})


class FakeGitHub(LoopbackServer):
    """The REST API part: one organisation's daily reports."""

    def __init__(self, token: str, org: str) -> None:
        super().__init__()
        self.token = token
        self.org = org
        self.files = FakeFiles()
        self.reports: dict[date, list[str]] = {}
        self.records: dict[date, list[dict[str, Any]]] = {}
        #: the 28-day report's (start, end, file paths), once published
        self.latest_28_day: tuple[date, date, list[str]] | None = None

    def start(self) -> FakeGitHub:
        self.files.start()
        super().start()
        return self

    def stop(self) -> None:
        self.files.stop()
        super().stop()

    def add_report(self, day: date, *records: dict[str, Any]) -> None:
        """Publish a report for ``day`` as one NDJSON file per record (several links)."""
        paths = []
        for i, record in enumerate(records):
            path = f"/reports/{day.isoformat()}-{i}.ndjson"
            self.files.files[path] = json.dumps(record) + "\n"
            paths.append(path)
        self.reports[day] = paths
        self.records[day] = list(records)

    def publish_28_day(self, first: date, last: date, *, wrapped: bool = False) -> None:
        """Publish the latest 28-day report over ``[first, last]`` from the daily records.

        One NDJSON line per day by default; ``wrapped`` puts all days in one line's
        ``day_totals[]``, the shape of the enterprise example schema. Per-user rows and an
        undated 28-day aggregate line ride along, as organisation files may carry them.
        """
        days = sorted(d for d in self.records if first <= d <= last)
        entries = [record for d in days for record in self.records[d]]
        aggregate = {"report_start_day": first.isoformat(), "report_end_day": last.isoformat()}
        if wrapped:
            lines = [{**aggregate, "day_totals": entries}]
        else:
            total = sum(e.get("user_initiated_interaction_count", 0) for e in entries)
            lines = [*entries, {**aggregate, "user_initiated_interaction_count": total}]
        if days:
            lines.append(
                {
                    "day": days[0].isoformat(),
                    "user_login": "octocat",
                    "user_id": 1,
                    "user_initiated_interaction_count": 7,
                }
            )
        path = f"/reports/28-day-{first.isoformat()}-{last.isoformat()}.ndjson"
        self.files.files[path] = "".join(json.dumps(line) + "\n" for line in lines)
        self.latest_28_day = (first, last, [path])

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
            )
        reports = f"/orgs/{self.org}/copilot/metrics/reports"
        if request.path == f"{reports}/organization-28-day/latest":
            if self.latest_28_day is None:
                return Reply(204, None)
            first, last, paths = self.latest_28_day
            links = [f"{self.files.url}{path}?sig=signed" for path in paths]
            return Reply(
                200,
                {
                    "download_links": links,
                    "report_start_day": first.isoformat(),
                    "report_end_day": last.isoformat(),
                },
            )
        if request.path != f"{reports}/organization-1-day":
            return Reply(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        day = date.fromisoformat(request.first("day") or "")
        if day not in self.reports:
            return Reply(204, None)
        links = [f"{self.files.url}{path}?sig=signed" for path in self.reports[day]]
        return Reply(200, {"download_links": links, "report_day": day.isoformat()})

"""GitHub Copilot organisation usage-metrics reports → plain records.

Contract: github/docs ``src/rest/data/fpt-2022-11-28/copilot.json`` (subcategory
``copilot-usage-metrics``) and ``content/copilot/reference/copilot-usage-metrics/``
(field reference and example schema); summarised in API-CONTRACTS.md section 4.

``GET /orgs/{org}/copilot/metrics/reports/organization-1-day?day=YYYY-MM-DD`` answers 200
``{download_links: [...], report_day}`` or 204 (no report for that day). Each link is a
signed NDJSON file on another host: it is fetched **without** the GitHub token. A record's
requests = ``user_initiated_interaction_count`` (explicit prompts) + ``totals_by_cli.
request_count`` (omitted on days without CLI use). Copilot is seat-priced: no money, no
tokens per request, so ``cost_usd`` stays ``None`` (not reported), never $0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from golocal.config.settings import Settings
from golocal.jobs.http_client import ApiClient, MalformedResponse
from golocal.jobs.sources.paging import ClientSpec
from golocal.jobs.sources.records import DAY_SECONDS, Page, UsageRecord, day_start, optional_int

NAME = "copilot"
PROVIDER = "github-copilot"
KEY_ENV = "GITHUB_TOKEN"
API_VERSION = "2022-11-28"


CLIENT = ClientSpec(
    provider="GitHub",
    label="GitHub token",
    env_var=KEY_ENV,
    base_url=lambda settings: settings.github_api_url,
    secret=lambda settings: settings.github_token,
    headers={"accept": "application/vnd.github+json", "x-github-api-version": API_VERSION},
)
#: a GitHub REST client (Bearer token, pinned API version)
open_client = CLIENT.open


def missing_credential(settings: Settings) -> str | None:
    """Why the source cannot run (``None`` when it can)."""
    if not settings.copilot.org:
        return "copilot.org not set in the config file"
    return CLIENT.missing(settings)


def iter_pages(client: ApiClient, org: str, start: datetime, end: datetime) -> Iterator[Page]:
    """One window per UTC day of ``[start, end)``: the day's report and its files."""
    day = start.date()
    while day < end.date():
        path = f"orgs/{org}/copilot/metrics/reports/organization-1-day"
        status, body = client.get_status_and_json(path, [("day", day.isoformat())])
        if status == 204 or body is None:
            yield Page(window_done=True)  # no report for that day: nothing used
        else:
            try:
                links = body["download_links"]
                if not isinstance(links, list):
                    raise ValueError("download_links is not a list")
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedResponse(f"GitHub {path} answer is malformed: {exc}") from None
            records: list[UsageRecord] = []
            for link in links:
                records.extend(parse_report(client.get_text(str(link)), day))
            yield Page(usage=records, window_done=True)
        day += timedelta(days=1)


def parse_report(text: str, report_day: date) -> list[UsageRecord]:
    """Turn one NDJSON report file into one usage record per reported day."""
    records = []
    try:
        for line in text.splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            for day_entry in entry.get("day_totals") or [entry]:
                record = _record(day_entry, report_day)
                if record is not None:
                    records.append(record)
    except (json.JSONDecodeError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(f"GitHub Copilot report file is malformed: {exc}") from None
    return records


def _record(entry: dict[str, Any], report_day: date) -> UsageRecord | None:
    if "user_login" in entry or "user_id" in entry:
        return None  # a per-user row; the organisation total already counts it
    day = date.fromisoformat(str(entry.get("day") or report_day.isoformat())[:10])
    interactions = optional_int(entry, "user_initiated_interaction_count")
    cli = entry.get("totals_by_cli") or {}
    cli_requests = optional_int(cli, "request_count")
    if interactions is None and cli_requests is None:
        return None
    return UsageRecord(
        bucket_start=day_start(day),
        bucket_seconds=DAY_SECONDS,
        provider=PROVIDER,
        requests=(interactions or 0) + (cli_requests or 0),
    )

"""GitHub Copilot organisation usage-metrics reports → plain records.

Contract: github/docs ``src/rest/data/fpt-2022-11-28/copilot.json`` (subcategory
``copilot-usage-metrics``) and ``content/copilot/reference/copilot-usage-metrics/``
(field reference and example schema).

``GET /orgs/{org}/copilot/metrics/reports/organization-28-day/latest`` answers 200
``{download_links: [...], report_start_day, report_end_day}``: the last 28 days in one go.
``GET /orgs/{org}/copilot/metrics/reports/organization-1-day?day=YYYY-MM-DD`` answers 200
``{download_links: [...], report_day}`` or 204 (no report for that day). A collection of more
than one day asks for the 28-day report first and takes the days it covers from it (one
request and its files instead of one per day); the 1-day report fills the older days, and
every day when the 28-day report is absent (204/404). Each link is a signed NDJSON file on
another host: it is fetched **without** the GitHub token. A record's
requests = ``user_initiated_interaction_count`` (explicit prompts) + ``totals_by_cli.
request_count`` (omitted on days without CLI use). Copilot is seat-priced: no money, no
tokens per request, so ``cost_usd`` stays ``None`` (not reported), never $0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from golocal.config.settings import Settings
from golocal.jobs.http_client import ApiClient, MalformedResponse, NotFound
from golocal.jobs.sources.paging import ClientSpec
from golocal.jobs.sources.records import (
    DAY_SECONDS,
    Page,
    UsageRecord,
    Window,
    day_start,
    optional_int,
)

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
    """One window per UTC day of ``[start, end)``: the day's records, from either report."""
    days = [start.date() + timedelta(days=n) for n in range((end.date() - start.date()).days)]
    # For a single day the 28-day report saves nothing (one request and its files either way).
    latest = _latest_28_day(client, org, days[0], days[-1]) if len(days) > 1 else None
    for day in days:
        window = Window(day_start(day), day_start(day + timedelta(days=1)))
        if latest is not None and latest.first <= day <= latest.last:
            records = latest.by_day.get(day, [])
        else:
            records = _one_day(client, org, day)
        yield Page(usage=records, window_done=True, window=window)


@dataclass(frozen=True, slots=True)
class _Report28:
    first: date
    last: date
    by_day: dict[date, list[UsageRecord]]


def _latest_28_day(client: ApiClient, org: str, first: date, last: date) -> _Report28 | None:
    """The latest 28-day report's records by day, ``None`` when there is none to use."""
    path = f"orgs/{org}/copilot/metrics/reports/organization-28-day/latest"
    try:
        status, body = client.get_status_and_json(path)
    except NotFound:
        return None  # not offered here: the 1-day reports still are
    if status == 204 or body is None:
        return None
    try:
        report_first = date.fromisoformat(str(body["report_start_day"])[:10])
        report_last = date.fromisoformat(str(body["report_end_day"])[:10])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"GitHub {path} answer is malformed: {exc}") from None
    if report_last < first or report_first > last:
        return None  # no window day inside it: its files would be downloaded for nothing
    by_day: dict[date, list[UsageRecord]] = {}
    for record in _download(client, path, body, report_day=None):
        by_day.setdefault(record.bucket_start.date(), []).append(record)
    return _Report28(report_first, report_last, by_day)


def _one_day(client: ApiClient, org: str, day: date) -> list[UsageRecord]:
    path = f"orgs/{org}/copilot/metrics/reports/organization-1-day"
    status, body = client.get_status_and_json(path, [("day", day.isoformat())])
    if status == 204 or body is None:
        return []  # no report for that day: nothing used
    return _download(client, path, body, report_day=day)


def _download(
    client: ApiClient, path: str, body: Any, report_day: date | None
) -> list[UsageRecord]:
    """Fetch and parse every file a report answer links to."""
    try:
        links = body["download_links"]
        if not isinstance(links, list):
            raise ValueError("download_links is not a list")
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"GitHub {path} answer is malformed: {exc}") from None
    records: list[UsageRecord] = []
    for link in links:
        records.extend(parse_report(client.get_text(_link(path, link)), report_day))
    return records


def _link(path: str, link: Any) -> str:
    """A download link as sent: an absolute http(s) URL, or the answer is malformed."""
    try:
        if not isinstance(link, str):
            raise ValueError("a download link is not a string")
        url = httpx.URL(link)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("a download link is not an http(s) URL")
    except httpx.InvalidURL as exc:
        raise MalformedResponse(
            f"GitHub {path} answer is malformed: a download link is not a valid URL ({exc})"
        ) from None
    except ValueError as exc:
        raise MalformedResponse(f"GitHub {path} answer is malformed: {exc}") from None
    return link


def parse_report(text: str, report_day: date | None) -> list[UsageRecord]:
    """Turn one NDJSON report file into one usage record per reported day.

    A 1-day file's records may leave their ``day`` out (``report_day`` is used); a 28-day
    file passes ``None``, and a record there that names no day (a 28-day aggregate) is skipped.
    """
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


def _record(entry: dict[str, Any], report_day: date | None) -> UsageRecord | None:
    if "user_login" in entry or "user_id" in entry:
        return None  # a per-user row; the organisation total already counts it
    named = entry.get("day") or report_day
    if named is None:
        return None  # no day to put it on
    day = date.fromisoformat(str(named)[:10])
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

"""Collection benchmark: a 365-day OpenAI backfill from a loopback fake into SQLite.

A fake of OpenAI's organisation Usage API (answering as openai/openai-openapi
``openapi.yaml`` documents ``GET /organization/usage/completions``: 1d buckets, at most 31
per page, ``has_more``/``next_page``) serves 365 days × 50 model×project rows a day; the
costs endpoint answers empty pages. ``golocal``'s own collector (HTTP, parsing, genai-prices
estimates, upserts, source status) backfills it into a fresh SQLite file. Prints rows/s and
the ratio to the raw ``sqlite3.executemany`` upsert rate measured by ``bench/ingest.py`` on
the same number of rows, so the HTTP/parsing/pricing overhead is visible. A second
collection of the same window must leave the row count unchanged.

    .venv/bin/python bench/collect.py [--days 365]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from golocal.config.settings import load_settings
from golocal.db.database import open_database
from golocal.db.usage import count_usage_buckets
from golocal.jobs.collect import CollectRequest, collect_sources

# bench/ingest.py measures the raw sqlite3 upsert rate this benchmark compares against
sys.path.insert(0, str(Path(__file__).resolve().parent))
ingest = importlib.import_module("ingest")

KEY = "sk-admin-bench-not-a-real-key"
START = datetime(2025, 1, 1, tzinfo=UTC)
DAY = 86_400
MODELS = [
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
    "o3", "o4-mini", "gpt-5", "gpt-5-mini", "ft:gpt-4o-mini-2024-07-18:acme::bench1",
]  # fmt: skip
PROJECTS = [f"proj_{i}" for i in range(5)]


def _results(day_index: int) -> list[dict[str, Any]]:
    results = []
    for m, model in enumerate(MODELS):
        for p, project in enumerate(PROJECTS):
            seed = day_index * 50 + m * 5 + p
            inputs = 20_000 + seed % 977
            results.append(
                {
                    "object": "organization.usage.completions.result",
                    "input_tokens": inputs,
                    "output_tokens": 3_000 + seed % 311,
                    "input_cached_tokens": inputs // 4,
                    "input_cache_write_tokens": 0,
                    "input_uncached_tokens": inputs - inputs // 4,
                    "num_model_requests": 10 + seed % 17,
                    "project_id": project,
                    "user_id": None,
                    "api_key_id": "key_bench",
                    "model": model,
                    "batch": False,
                    "service_tier": "default",
                }
            )
    return results


def start_fake(days: int) -> ThreadingHTTPServer:
    first = int(START.timestamp())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            start = int(query["start_time"][0])
            end = int(query["end_time"][0])
            limit = int(query.get("limit", ["7"])[0])
            offset = int(query.get("page", ["0"])[0])
            starts = list(range(start, end, DAY))
            chosen = starts[offset : offset + limit]
            usage = parts.path.endswith("/usage/completions")
            data = [
                {
                    "object": "bucket",
                    "start_time": s,
                    "end_time": s + DAY,
                    "results": _results((s - first) // DAY) if usage else [],
                }
                for s in chosen
            ]
            more = offset + limit < len(starts)
            body = json.dumps(
                {
                    "object": "page",
                    "data": data,
                    "has_more": more,
                    "next_page": str(offset + limit) if more else None,
                }
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    server = start_fake(args.days)
    host, port = server.server_address[:2]
    os.environ["OPENAI_ADMIN_KEY"] = KEY
    os.environ["GOLOCAL_OPENAI_BASE_URL"] = f"http://{host}:{port}/v1"
    settings = load_settings(None)
    until = START + timedelta(days=args.days)
    with tempfile.TemporaryDirectory() as tmp:
        database = open_database(f"sqlite:///{Path(tmp) / 'collect.db'}")
        request = CollectRequest(
            settings=settings,
            database=database,
            now=until,
            since=START.date(),
            until=until.date(),
        )
        started = time.perf_counter()
        (result,) = collect_sources(["openai"], request)
        elapsed = time.perf_counter() - started
        assert result.ok, result.message
        first = count_usage_buckets(database)
        collect_sources(["openai"], request)
        second = count_usage_buckets(database)
        database.dispose()
        rows = ingest.make_rows(first)
        raw_s = ingest.bench_raw(Path(tmp) / "raw.db", rows)
    server.shutdown()
    rate = first / elapsed
    raw_rate = first / raw_s
    print(f"days:                 {args.days} (1d buckets, 50 model x project rows a day)")
    print(f"windows fetched:      {result.windows} (usage: 31 days each; costs: 180 days each)")
    print(f"rows stored:          {first:,}")
    print(f"collect (HTTP+parse+price+upsert): {elapsed:8.2f} s  {rate:12,.0f} rows/s")
    print(f"raw sqlite3 upsert (bench/ingest): {raw_s:8.2f} s  {raw_rate:12,.0f} rows/s")
    print(f"ratio collect/raw:    {rate / raw_rate:8.3f}")
    print(f"row count after 2nd:  {second:,}  ({'unchanged' if first == second else 'CHANGED'})")
    print(f"unpriced models:      {', '.join(result.unpriced) or 'none'}")


if __name__ == "__main__":
    main()

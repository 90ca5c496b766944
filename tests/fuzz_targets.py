"""Fuzz targets shared by ``tests/test_fuzz.py`` (hypothesis, in the suite) and
``scripts/fuzz.py`` (many more inputs, counting crashes instead of stopping at the first).

Each target takes hypothesis's ``data`` object, draws its input and runs one golocal border
with it. Returning normally, or raising one of golocal's own clear errors (a
``GolocalError``, or the documented error of a parser), is the property; anything else is
a crash. The provider pages are the fakes' own valid answers with a few values replaced by
nasty ones (huge integers, 1E+999999999, NaN, wrong types, empty containers), so the fuzz
reaches deep into each parser instead of failing at the first key.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from hypothesis import strategies as st

from golocal.config.settings import ConfigError, Settings, load_settings
from golocal.db.database import Database
from golocal.errors import GolocalError
from golocal.jobs.collect import CollectRequest, collect_sources
from golocal.jobs.sources.gpu_metrics import parse_gpu_metrics
from golocal.jobs.sources.inference import MetricsFormatError, parse_metrics, parse_ollama_ps
from golocal.jobs.sources.prometheus_api import PrometheusError, parse_envelope
from tests.fakes.anthropic import ClaudeCodeRecord, FakeAnthropic, MessagesRow
from tests.fakes.anthropic import CostRow as AnthropicCost
from tests.fakes.github import FakeGitHub
from tests.fakes.litellm import FakeLiteLLM, GatewayRow
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import LoopbackServer, Reply, Request

KEY = "sk-fuzz-0123456789abcdef"
DAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
_RAW = "\x00raw:"

#: Values that have crashed parsers somewhere: overflow, precision, type and range edges.
NASTY = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            [],
            {},
            "",
            "x",
            -1,
            0,
            2**53 + 1,
            2**63,
            2**64 + 1,
            10**25,
            10**400,
            1e25,
            -1e25,
            1e308,
            float("inf"),
            float("-inf"),
            float("nan"),
            "1E+999999999",
            "NaN",
            "-5",
            "2026-13-45",
            "9" * 300,
            [[]],
            {"a": {}},
            _RAW + "1E+999999999",
            _RAW + "-1E-999999999",
            _RAW + "1" + "0" * 400,
            _RAW + "1e400",
        ]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
)


def _encode(value: Any) -> bytes:
    """JSON as a provider might send it, raw numbers such as 1E+999999999 included."""
    text = json.dumps(value, allow_nan=True)
    return re.sub(r'"\\u0000raw:([^"]*)"', r"\1", text).encode()


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nodes(item, (*path, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def mutate(data: Any, value: Any) -> Any:
    """``value`` with up to three of its nodes (drawn from ``data``) replaced by nasty values."""
    count = data.draw(st.integers(0, 3), label="mutations")
    for _ in range(count):
        nodes = _nodes(value)
        path = nodes[data.draw(st.integers(0, len(nodes) - 1), label="node")]
        value = _replace(value, path, data.draw(NASTY, label="nasty"))
    return value


# --- provider pages through the whole collection path ------------------------------------


@dataclass
class Providers:
    """The fakes whose valid answers are mutated; never started: ``handle`` is called."""

    openai: FakeOpenAI
    anthropic: FakeAnthropic
    litellm: FakeLiteLLM
    github: FakeGitHub

    @classmethod
    def build(cls) -> Providers:
        openai = FakeOpenAI(KEY)
        anthropic = FakeAnthropic(KEY)
        litellm = FakeLiteLLM(KEY)
        github = FakeGitHub(KEY, "acme")
        for offset in range(3):
            day = date(2026, 1, 5 + offset)
            openai.add_usage(day, "gpt-4o", "proj_a", api_key_id="key_a")
            openai.add_cost(day, "gpt-4o, input", "proj_a", 0.125)
            anthropic.messages.append(MessagesRow(day, "claude-haiku-4-5", "wrk", "k", 100, 10))
            anthropic.costs.append(AnthropicCost(day, "Claude Haiku usage", "wrk", "12.5"))
            model = {
                "model": "claude-sonnet-4-5",
                "tokens": {"input": 10, "output": 5, "cache_read": 0, "cache_creation": 0},
                "estimated_cost": {"amount": 12, "currency": "USD"},
            }
            anthropic.claude_code.append(
                ClaudeCodeRecord(
                    day,
                    {"type": "user_actor", "email_address": "a@example.com"},
                    "subscription",
                    [model],
                )
            )
            litellm.rows.append(GatewayRow(day, "gpt-4o", "hash_a", 30, 3_000, 300, 0.25))
            github.add_report(day, {"day": day.isoformat(), "user_initiated_interaction_count": 9})
        github.publish_28_day(date(2026, 1, 6), date(2026, 2, 2))
        return cls(openai, anthropic, litellm, github)

    def settings(self) -> Settings:
        return Settings(
            openai_admin_key=KEY,
            anthropic_admin_key=KEY,
            litellm_api_key=KEY,
            github_token=KEY,
            openai_base_url="http://openai.test/v1",
            anthropic_base_url="http://anthropic.test",
            github_api_url=f"http://{_host(self.github)}",
            litellm={"url": "http://litellm.test"},
            copilot={"org": "acme"},
            collection={"max_attempts": 1, "max_pages": 50},
        )

    def server_for(self, request: httpx.Request) -> LoopbackServer:
        host = request.url.host + (f":{request.url.port}" if request.url.port else "")
        servers = {
            "openai.test": self.openai,
            "anthropic.test": self.anthropic,
            "litellm.test": self.litellm,
            _host(self.github): self.github,
            _host(self.github.files): self.github.files,
        }
        if host not in servers:  # a mutated download link: as httpx would find it
            raise httpx.ConnectError(f"no such host {host!r}", request=request)
        return servers[host]


def _host(server: LoopbackServer) -> str:
    return server.url.removeprefix("http://")


def _as_fake_request(request: httpx.Request) -> Request:
    query: dict[str, list[str]] = {}
    for name, value in request.url.params.multi_items():
        query.setdefault(name, []).append(value)
    return Request(
        method=request.method,
        path=request.url.path,
        query=query,
        headers={k.lower(): v for k, v in request.headers.items()},
        params=query,
    )


def _mutated_reply(data: Any, reply: Reply) -> httpx.Response:
    body = reply.body
    if isinstance(body, dict | list):
        content = _encode(mutate(data, body))
    elif isinstance(body, str) and body.strip().startswith("{"):  # NDJSON report files
        lines = [mutate(data, json.loads(line)) for line in body.splitlines() if line.strip()]
        content = b"".join(_encode(line) + b"\n" for line in lines)
    else:
        content = reply.encoded()
    return httpx.Response(reply.status, headers=reply.headers, content=content)


SOURCES = ("openai", "anthropic", "claude_code", "litellm", "copilot")


def collect_mutated_pages(data: Any, database: Database, providers: Providers) -> None:
    """Collect every cloud source from mutated provider answers; no crash may escape."""

    def answer(request: httpx.Request) -> httpx.Response:
        reply = providers.server_for(request).handle(_as_fake_request(request))
        return _mutated_reply(data, reply)

    source = data.draw(st.sampled_from(SOURCES), label="source")
    request = CollectRequest(
        settings=providers.settings(),
        database=database,
        now=NOW,
        since=date(2026, 1, 5),
        until=date(2026, 1, 8),
        sleep=lambda _s: None,
        transport=httpx.MockTransport(answer),
    )
    (result,) = collect_sources([source], request)
    if result.message.startswith("unexpected error"):
        raise AssertionError(f"{source} crashed: {result.message}")


# --- parsers of local telemetry -------------------------------------------------------------

_PROM_LINES = [
    "# HELP vllm:request_success_total Count of successfully processed requests.",
    "# TYPE vllm:request_success_total counter",
    'vllm:request_success_total{finished_reason="stop",model_name="m"} 42',
    'vllm:prompt_tokens_total{model_name="m"} 1e3',
    'vllm:generation_tokens_total{model_name="m"} 500',
    'vllm:num_requests_running{model_name="m"} 2',
    'vllm:gpu_cache_usage_perc{model_name="m"} 0.5',
    'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1",Hostname="n1",modelName="H100"} 97',
    'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-1",Hostname="n1"} 1000',
    'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-1",Hostname="n1"} 350.5',
    'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-1",Hostname="n1"} 123456',
    "llamacpp:prompt_tokens_total 10",
]

_PROM_VALUES = st.sampled_from(
    ["NaN", "+Inf", "-Inf", "-1", "1e400", "9" * 400, "0x10", "", "1_000", "1e25", "abc"]
)


@st.composite
def prometheus_text(draw: Any) -> str:
    lines = draw(st.lists(st.sampled_from(_PROM_LINES), max_size=12))
    out = []
    for line in lines:
        if draw(st.booleans()) and " " in line and not line.startswith("#"):
            line = line.rsplit(" ", 1)[0] + " " + draw(_PROM_VALUES)
        out.append(line)
    if draw(st.booleans()):
        out.append(draw(st.text(max_size=40)))
    return "\n".join(out) + "\n"


def parse_prometheus_text(data: Any) -> None:
    text = data.draw(prometheus_text(), label="text")
    kind = data.draw(st.sampled_from(["vllm", "llamacpp", "tgi", "sglang"]), label="kind")
    with contextlib.suppress(MetricsFormatError):
        parse_metrics(kind, text)
    # ValueError is documented: not Prometheus text (the caller makes it a clear line)
    with contextlib.suppress(ValueError):
        parse_gpu_metrics(text, at=0.0, default_host="h")


_ENVELOPE = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [
            {
                "metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "gpu": "0", "UUID": "GPU-1"},
                "values": [[1767571200, "97"], [1767571215, "98.5"]],
            }
        ],
    },
}


def parse_prometheus_api(data: Any) -> None:
    payload = json.loads(_encode(mutate(data, _ENVELOPE)))
    with contextlib.suppress(PrometheusError):
        parse_envelope(200, payload)


_OLLAMA = {"models": [{"name": "m", "model": "m", "size": 10, "size_vram": 5}]}


def parse_ollama(data: Any) -> None:
    with contextlib.suppress(MetricsFormatError):
        parse_ollama_ps(json.loads(_encode(mutate(data, _OLLAMA))))


# --- the configuration loader ----------------------------------------------------------------

_SECTIONS = {
    "": ["timezone", "log_level", "database_url", "data_dir"],
    "thresholds": ["cloud_ok_below", "run_cost_model_above"],
    "volume": ["window_days", "min_days", "tokens_per_request"],
    "retention": ["minute_days", "hourly_days", "pack_hours_after_days", "daily_days"],
    "collection": ["max_attempts", "timeout_s", "max_pages", "max_response_mb"],
    "schedule": ["digest_day_of_week", "digest_hour", "collect_minutes"],
    "budget": ["monthly_usd"],
    "agent": ["listen", "sample_seconds"],
    "litellm": ["url"],
    "alerts": ["hysteresis", "util_percent"],
}

_TOML_VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
    st.sampled_from(["1E+999999999", "127.0.0.1:notaport", "mysql://x", "Mars/Olympus", "9" * 80]),
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def load_fuzzed_config(data: Any, tmp_dir: Any) -> None:
    lines: dict[str, list[str]] = {}
    for _ in range(data.draw(st.integers(0, 6), label="keys")):
        section = data.draw(st.sampled_from(list(_SECTIONS)), label="section")
        key = data.draw(st.sampled_from(_SECTIONS[section]), label="key")
        value = data.draw(_TOML_VALUES, label="value")
        lines.setdefault(section, []).append(f"{key} = {_toml_value(value)}")
    text = "\n".join(lines.get("", []))
    for section, entries in lines.items():
        if section:
            text += f"\n[{section}]\n" + "\n".join(entries)
    if data.draw(st.booleans(), label="garbage"):
        text += "\n" + data.draw(st.text(max_size=30), label="tail")
    path = tmp_dir / f"fuzz-{random.getrandbits(32)}.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_settings(path, environ={})
    except ConfigError:
        pass
    finally:
        path.unlink()


# --- the chat ----------------------------------------------------------------------------------

_NUMBERS = st.one_of(
    st.integers(min_value=-(10**80), max_value=10**80).map(str),
    st.sampled_from(
        ["9" * 300, "1e400", "1E+999999999", "9" * 40, "9" * 76, "3k", "1.5M", "NaN", "-0", "∞"]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

_PHRASES = [
    "what if we had {n} requests a day",
    "what if power was ${n}",
    "what if power was ${n} per kWh",
    "what if the price was {n}% lower",
    "what if we had {n} requests per day and {n} GPUs",
    "how many requests per day since {n}",
    "spend in the last {n} days",
    "break-even at {n} requests",
    "should we go local with {n} tokens a day",
    "volume for 2026-W{n}",
    "forecast {n} months",
]


@st.composite
def chat_text(draw: Any) -> str:
    if draw(st.booleans()):
        return draw(st.text(max_size=60))
    phrase = draw(st.sampled_from(_PHRASES))
    return phrase.replace("{n}", draw(_NUMBERS), 1).replace("{n}", draw(_NUMBERS))


def ask_fuzzed(data: Any, ask: Callable[[str], Any]) -> None:
    text = data.draw(chat_text(), label="question")
    with contextlib.suppress(GolocalError):
        ask(text)


def collect_replaced(
    database: Database,
    providers: Providers,
    source: str,
    path: str,
    field: tuple[Any, ...],
    value: Any,
) -> Any:
    """Collect ``source`` with one field of every answer on ``path`` set to ``value``
    (``field`` is the key path into the JSON body; ``_RAW + text`` sends a raw number)."""

    def answer(request: httpx.Request) -> httpx.Response:
        reply = providers.server_for(request).handle(_as_fake_request(request))
        body = reply.body
        if request.url.path == path and isinstance(body, dict):
            body = _replace(body, field, value)
            return httpx.Response(reply.status, headers=reply.headers, content=_encode(body))
        return httpx.Response(reply.status, headers=reply.headers, content=reply.encoded())

    request = CollectRequest(
        settings=providers.settings(),
        database=database,
        now=NOW,
        since=date(2026, 1, 5),
        until=date(2026, 1, 8),
        sleep=lambda _s: None,
        transport=httpx.MockTransport(answer),
    )
    (result,) = collect_sources([source], request)
    return result


RAW = _RAW

"""Property-based fuzzing (hypothesis): no input makes golocal crash.

Every provider page parser (through the whole collection path), the Prometheus text and
API parsers, Ollama's /api/ps, the configuration loader and the chat are fed generated
input; the property is that each returns, or raises only golocal's own clear error. The
targets live in :mod:`tests.fuzz_targets`; ``scripts/fuzz.py`` runs them with many more
inputs and counts the crashes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golocal.bot.chat import answer
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db.database import open_database
from golocal.jobs.demo import DemoOptions, generate_demo
from golocal.jobs.sources.gpu_metrics import parse_gpu_metrics
from golocal.jobs.sources.inference import MetricsFormatError, parse_metrics
from golocal.jobs.sources.prometheus_api import PrometheusError, parse_envelope
from tests import fuzz_targets

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FAST = settings(max_examples=300, deadline=None)
SLOW = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def collection_db(tmp_path_factory):
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'golocal.db'}")
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def providers():
    return fuzz_targets.Providers.build()


@pytest.fixture(scope="module")
def demo_services(tmp_path_factory):
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('chat') / 'golocal.db'}")
    generate_demo(db, DemoOptions(days=14, profile="team"), now=NOW)
    yield Services(settings=Settings(), database=db, clock=lambda: NOW)
    db.dispose()


@SLOW
@given(data=st.data())
def test_no_provider_page_crashes_collection(data, collection_db, providers):
    fuzz_targets.collect_mutated_pages(data, collection_db, providers)


@FAST
@given(data=st.data())
def test_no_prometheus_text_crashes_the_parsers(data):
    fuzz_targets.parse_prometheus_text(data)


@FAST
@given(data=st.data())
def test_no_prometheus_api_answer_crashes_the_parser(data):
    fuzz_targets.parse_prometheus_api(data)


@FAST
@given(data=st.data())
def test_no_ollama_answer_crashes_the_parser(data):
    fuzz_targets.parse_ollama(data)


@SLOW
@given(data=st.data())
def test_no_configuration_crashes_the_loader(data, tmp_path):
    fuzz_targets.load_fuzzed_config(data, tmp_path)


@SLOW
@given(data=st.data())
def test_no_question_crashes_the_chat(data, demo_services):
    fuzz_targets.ask_fuzzed(data, lambda text: answer(text, demo_services))


# --- the crashes the fuzzing found, kept as plain examples -----------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "what if we had " + "9" * 300 + " requests a day",
        "what if power was $" + "9" * 40,
        "what if power was $" + "9" * 300,
        "what if prices dropped by " + "9" * 76 + "%",
        "what if we had 1e400 requests a day",
    ],
)
def test_huge_numbers_in_a_what_if_get_a_clear_reply(question, demo_services):
    reply = answer(question, demo_services)
    assert reply.text  # an answer or a refusal naming the number, never a crash


def test_a_400_digit_sample_value_is_a_format_error():
    text = 'vllm:num_requests_running{model_name="m"} ' + "9" * 400 + "\n"
    with pytest.raises(MetricsFormatError):
        parse_metrics("vllm", text)
    with pytest.raises(ValueError, match="out of range"):
        parse_gpu_metrics(
            'DCGM_FI_DEV_GPU_UTIL{gpu="0"} ' + "9" * 400 + "\n", at=0, default_host="h"
        )


def _series(at: object, value: object) -> dict[str, object]:
    return {"metric": {"__name__": "up"}, "values": [[at, value]]}


@pytest.mark.parametrize(
    "payload",
    [
        {"status": ["success"]},
        {"status": "success", "data": {"resultType": "matrix", "result": [None]}},
        {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": []}]}},
        {"status": "success", "data": {"resultType": "matrix", "result": {"a": 1}}},
        # a JSON integer of 400 digits as a sample's time or value (OverflowError in float())
        {"status": "success", "data": {"resultType": "matrix", "result": [_series(10**400, "1")]}},
        {"status": "success", "data": {"resultType": "matrix", "result": [_series(0, 10**400)]}},
    ],
)
def test_a_prometheus_answer_of_the_wrong_shape_is_a_prometheus_error(payload):
    with pytest.raises(PrometheusError):
        parse_envelope(200, payload)


@pytest.mark.parametrize(
    ("source", "path", "field", "value"),
    [
        # an integer above 2^63 as a request count
        (
            "openai",
            "/v1/organization/usage/completions",
            ("data", 0, "results", 0, "num_model_requests"),
            2**63 + 1,
        ),
        # a bucket whose end_time is 1e25
        ("openai", "/v1/organization/usage/completions", ("data", 0, "end_time"), 1e25),
        # a cost line whose model is a list (OpenAI's line_item, Anthropic's model)
        ("openai", "/v1/organization/costs", ("data", 0, "results", 0, "line_item"), []),
        ("anthropic", "/v1/organizations/cost_report", ("data", 0, "results", 0, "model"), []),
        # an Anthropic amount of 1E+999999999, as a string and as a raw JSON number
        (
            "anthropic",
            "/v1/organizations/cost_report",
            ("data", 0, "results", 0, "amount"),
            "1E+999999999",
        ),
        (
            "anthropic",
            "/v1/organizations/cost_report",
            ("data", 0, "results", 0, "amount"),
            fuzz_targets.RAW + "1E+999999999",
        ),
        # a 10^25 request count through a gateway
        (
            "litellm",
            "/user/daily/activity",
            (
                "results",
                0,
                "breakdown",
                "models",
                "gpt-4o",
                "api_key_breakdown",
                "hash_a",
                "metrics",
                "api_requests",
            ),
            10**25,
        ),
    ],
)
def test_the_reported_page_crashes_are_clear_refusals(
    source, path, field, value, collection_db, providers
):
    result = fuzz_targets.collect_replaced(collection_db, providers, source, path, field, value)
    assert not result.message.startswith("unexpected error"), result.message
    assert not result.ok, result.message
    assert "rejected" in result.message or "malformed" in result.message, result.message

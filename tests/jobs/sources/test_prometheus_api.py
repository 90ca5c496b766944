"""Parsing Prometheus API envelopes (docs/querying/api.md, d15adb9) and vLLM counters."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from golocal.jobs.sources.inference import MetricsFormatError, parse_metrics, parse_ollama_ps
from golocal.jobs.sources.prometheus_api import PrometheusError, parse_envelope


def test_matrix_values_are_strings_and_nan_is_kept_as_nan() -> None:
    result = parse_envelope(
        200,
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {
                        "metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "gpu": "0"},
                        "values": [[1700000000, "NaN"], [1700000015.5, "4.821033e+07"]],
                    }
                ],
            },
            "warnings": ["query hit the sample limit"],
        },
    )
    ((name, labels, values),) = result.series
    assert (name, labels) == ("DCGM_FI_DEV_GPU_UTIL", {"gpu": "0"})
    assert math.isnan(values[0][1])
    assert values[1] == (1700000015.5, 48210330.0)
    assert result.warnings == ["query hit the sample limit"]


def test_empty_result() -> None:
    payload = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    assert parse_envelope(200, payload).series == []


@pytest.mark.parametrize(
    ("error_type", "retryable"),
    [("timeout", True), ("unavailable", True), ("bad_data", False), ("execution", False)],
)
def test_errors(error_type: str, retryable: bool) -> None:
    with pytest.raises(PrometheusError) as caught:
        parse_envelope(503, {"status": "error", "errorType": error_type, "error": "boom"})
    assert caught.value.retryable is retryable
    assert caught.value.message == f"Prometheus {error_type}: boom"


def test_not_an_api_answer() -> None:
    with pytest.raises(PrometheusError, match="not a Prometheus API answer"):
        parse_envelope(200, ["nope"])


def test_abridged_vllm_scrape_with_unknown_families_in_any_order() -> None:
    text = (
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n"
        'vllm:num_requests_waiting{engine="0",model_name="m"} 2.0\n'
        "# TYPE vllm:request_success_total counter\n"
        'vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} '
        "4.821033e+07\n"
        'vllm:request_success_total{engine="0",finished_reason="abort",model_name="m"} 3\n'
        "# TYPE vllm:cache_config_info gauge\n"
        'vllm:cache_config_info{block_size="16"} 1.0\n'
        'vllm:gpu_cache_usage_perc{engine="0",model_name="m"} 0.93\n'
    )
    scrape = parse_metrics("vllm", text)
    assert sum(v for v, _ in scrape.counters["requests"].values()) == 48210333
    assert "prompt_tokens" not in scrape.counters  # not exposed ≠ 0
    assert scrape.gauges == {"waiting": 2.0, "kv_cache": 0.93}  # the pre-0.9 name
    assert scrape.models == ["m"]


def test_garbage_is_not_prometheus_text() -> None:
    with pytest.raises(MetricsFormatError):
        parse_metrics("vllm", 'vllm:x{engine="0" 1\n')


def test_ollama_shape_is_checked() -> None:
    with pytest.raises(MetricsFormatError):
        parse_ollama_ps({"error": "unauthorized"})


def _matrix(result: object) -> dict[str, object]:
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


@pytest.mark.parametrize(
    "payload",
    [
        {"status": ["success"]},
        {"status": {"a": 1}},
        {"status": 7},
        _matrix("not a list"),
        _matrix({"metric": {}}),
        _matrix(["a string, not a series"]),
        _matrix([{"metric": ["gpu", "0"], "values": []}]),
        _matrix([{"metric": {"gpu": 0}, "values": []}]),
        _matrix([{"metric": {}, "values": "1,2"}]),
        _matrix([{"metric": {}, "values": [[1700000000]]}]),
        _matrix([{"metric": {}, "values": [["1" * 400, "1"]]}]),
        _matrix([{"metric": {}, "values": [[1e25, "1"]]}]),
        _matrix([{"metric": {}, "values": [[1700000000, None]]}]),
        {"status": "success", "data": {"resultType": "matrix", "result": []}, "warnings": "x"},
    ],
    ids=[
        "status-list",
        "status-object",
        "status-number",
        "result-string",
        "result-object",
        "series-string",
        "metric-list",
        "label-not-string",
        "values-string",
        "sample-without-value",
        "time-400-digits",
        "time-1e25",
        "value-null",
        "warnings-string",
    ],
)
def test_undocumented_shapes_are_an_error_not_a_crash(payload: object) -> None:
    with pytest.raises(PrometheusError):
        parse_envelope(200, payload)


def test_a_400_digit_value_is_no_data_not_a_number() -> None:
    result = parse_envelope(
        200, _matrix([{"metric": {}, "values": [[1700000000, "9" * 400], [1700000015, "2"]]}])
    )
    ((_, _, values),) = result.series
    assert math.isnan(values[0][1]) and values[1] == (1700000015.0, 2.0)


def test_an_error_message_is_bounded() -> None:
    with pytest.raises(PrometheusError) as caught:
        parse_envelope(400, {"status": "error", "errorType": "bad_data", "error": "x" * 10_000})
    assert len(caught.value.message) < 400


_ATOMS = st.one_of(
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1.5", "NaN", "+Inf", "-Inf", "1" * 400, "x", "", "1e11", "2e11"]),
    st.booleans(),
    st.none(),
)


@given(st.lists(st.one_of(st.lists(_ATOMS, min_size=0, max_size=3), _ATOMS), max_size=6))
def test_a_series_is_checked_as_each_of_its_samples_would_be(values: list) -> None:
    """The whole-series fast path accepts and refuses exactly what the per-sample check does."""
    from golocal.jobs.sources.prometheus_api import _sample, _samples

    def outcome(parse):
        try:
            return ("ok", [(a, "nan" if math.isnan(b) else b) for a, b in parse()])
        except (TypeError, ValueError, OverflowError):
            return ("refused", None)

    assert outcome(lambda: _samples(values)) == outcome(lambda: [_sample(p) for p in values])


_LABELS = st.dictionaries(
    st.sampled_from(["__name__", "instance", "le", "gpu"]),
    st.one_of(st.sampled_from(["up", "a:1", "0.1"]), st.integers(0, 3), st.none()),
    max_size=3,
)
_ITEMS = st.one_of(
    st.fixed_dictionaries(
        {
            "metric": _LABELS,
            "values": st.lists(st.lists(_ATOMS, min_size=2, max_size=2), max_size=3),
        }
    ),
    st.fixed_dictionaries(
        {"metric": st.one_of(_LABELS, _ATOMS), "values": st.one_of(st.none(), _ATOMS)}
    ),
    _ATOMS,
)


@given(st.lists(_ITEMS, max_size=5))
def test_a_whole_answer_is_checked_as_series_by_series_would_be(items: list) -> None:
    """The whole-answer fast path gives exactly the series (or the refusal) that the
    series-by-series path gives."""
    from golocal.jobs.sources import prometheus_api

    def outcome():
        try:
            series = parse_envelope(200, _matrix(items)).series
        except PrometheusError as exc:
            return ("refused", exc.message)
        return (
            "ok",
            [(n, ls, [(a, "nan" if math.isnan(b) else b) for a, b in s]) for n, ls, s in series],
        )

    fast = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(prometheus_api, "_ordinary_series", lambda _items: None)
        assert fast == outcome()

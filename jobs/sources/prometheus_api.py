"""The Prometheus HTTP API (``query_range``, and ``query`` of range-vector selectors for raw
counter samples), for fleets that already run dcgm-exporter and vLLM.

Source: prometheus/prometheus ``docs/querying/api.md`` and ``web/api/v1/api.go`` (d15adb9).
The envelope is ``{status, data, errorType?, error?, warnings?, infos?}``; a matrix result is
``[{metric: {...}, values: [[unix_seconds, "value"], ...]}]`` with values as *strings*
(``"NaN"`` is "no data", not 0). ``errorType`` ``timeout``/``unavailable`` (HTTP 503) are
retried a few times with a short backoff; ``bad_data`` (400) and the rest are reported.
Warnings are logged and the data kept.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)

RETRIED_ERROR_TYPES = frozenset({"timeout", "unavailable"})


class PrometheusError(Exception):
    """A query failed; ``message`` is fit for a source status (no secrets in it)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass
class RangeResult:
    """A matrix: (metric name, labels, [(time, value)]) per series, and any warnings."""

    series: list[tuple[str, dict[str, str], list[tuple[float, float]]]] = field(
        default_factory=list
    )
    warnings: list[str] = field(default_factory=list)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, PrometheusError) and exc.retryable


#: sample times outside this range (Unix seconds) are not from a real TSDB
_TIME_RANGE = (0.0, 1e11)
_MAX_TEXT = 300


def _text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _sample(pair: Any) -> tuple[float, float]:
    """``[unix_time, "value"]``: a time that is not a sane number is malformed; a value
    that does not fit a float (``"1" * 400``, ``"+Inf"``) is "no data" (NaN), never a number
    golocal would store."""
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise ValueError("not [time, value]")
    raw_time, raw_value = pair
    if isinstance(raw_time, bool) or not isinstance(raw_time, int | float | str):
        raise ValueError("time is not a number")
    at = float(raw_time)
    if not math.isfinite(at) or not _TIME_RANGE[0] <= at <= _TIME_RANGE[1]:
        raise ValueError("time out of range")
    if not isinstance(raw_value, str | int | float) or isinstance(raw_value, bool):
        raise ValueError("value is not a string")
    value = float(raw_value)
    return at, value if math.isfinite(value) else math.nan


def _samples(values: list[Any]) -> list[tuple[float, float]]:
    """The samples of one series, checked as :func:`_sample` checks each one, in a few
    passes over the list rather than a call per sample (a fleet's vLLM minute is 150,000
    samples); anything unusual takes :func:`_sample`'s path for its exact verdict."""
    if all(
        type(pair) is list
        and len(pair) == 2
        and type(pair[0]) in _TIME_TYPES
        and type(pair[1]) in _VALUE_TYPES
        for pair in values
    ):
        try:
            times = [float(pair[0]) for pair in values]
            numbers = [float(pair[1]) for pair in values]
        except (ValueError, OverflowError):
            pass
        else:
            low, high = _TIME_RANGE
            if all(low <= at <= high for at in times):  # NaN and ±inf fail the comparison
                isfinite, nan = math.isfinite, math.nan
                return list(zip(times, [v if isfinite(v) else nan for v in numbers], strict=True))
    return [_sample(pair) for pair in values]


_TIME_TYPES = frozenset((int, float, str))
_VALUE_TYPES = frozenset((str, int, float))


def _ordinary_series(
    items: list[Any],
) -> list[tuple[str, dict[str, str], list[tuple[float, float]]]] | None:
    """Every series of an ordinary answer, checked in a few passes over all its samples at
    once (a fleet's answer is thousands of series of a few samples each, where a pass per
    series costs more than its samples); ``None`` at anything unusual, which the per-series
    path of :func:`parse_envelope` then judges exactly."""
    labels_of: list[dict[str, Any]] = []
    lengths: list[int] = []
    pairs: list[Any] = []
    for item in items:
        if type(item) is not dict:
            return None
        metric, values = item.get("metric"), item.get("values")
        if type(metric) is not dict or type(values) is not list:
            return None
        labels_of.append(metric)
        lengths.append(len(values))
        pairs.extend(values)
    if not all(
        type(pair) is list
        and len(pair) == 2
        and type(pair[0]) in _TIME_TYPES
        and type(pair[1]) in _VALUE_TYPES
        for pair in pairs
    ):
        return None
    try:
        times = [float(pair[0]) for pair in pairs]
        numbers = [float(pair[1]) for pair in pairs]
    except (ValueError, OverflowError):
        return None
    low, high = _TIME_RANGE
    if not all(low <= at <= high for at in times):  # NaN and ±inf fail the comparison
        return None
    isfinite = math.isfinite
    if not all(map(isfinite, numbers)):
        numbers = [v if isfinite(v) else math.nan for v in numbers]
    series = []
    offset = 0
    for metric, length in zip(labels_of, lengths, strict=True):
        if not all(type(k) is str and type(v) is str for k, v in metric.items()):
            return None
        labels = dict(metric)
        name = labels.pop("__name__", "")
        end = offset + length
        series.append(
            (name, labels, list(zip(times[offset:end], numbers[offset:end], strict=True)))
        )
        offset = end
    return series


def parse_envelope(status_code: int, payload: Any) -> RangeResult:
    """Turn a decoded ``query_range`` (or range-vector ``query``) answer into a
    :class:`RangeResult`.

    Anything the API does not document — a ``status``, ``data``, ``result``, ``metric`` or
    sample that is not the documented type — is a :class:`PrometheusError`, never a crash.

    Raises:
        PrometheusError: an error answer (retryable for timeout/unavailable) or a shape
            this API does not document.
    """
    status = payload.get("status") if isinstance(payload, Mapping) else None
    if not isinstance(status, str) or status not in {"success", "error"}:
        raise PrometheusError(f"not a Prometheus API answer (HTTP {status_code})")
    assert isinstance(payload, Mapping)
    if status == "error":
        error_type = _text(payload.get("errorType") or "unknown")
        raise PrometheusError(
            f"Prometheus {error_type}: {_text(payload.get('error') or 'no message')}",
            retryable=error_type in RETRIED_ERROR_TYPES,
        )
    data = payload.get("data")
    if not isinstance(data, Mapping) or data.get("resultType") != "matrix":
        raise PrometheusError("Prometheus answered without a matrix result")
    warnings = payload.get("warnings") or []
    items = data.get("result") or []
    if not isinstance(items, list) or not isinstance(warnings, list):
        raise PrometheusError("Prometheus answered a result that is not a list")
    result = RangeResult(warnings=[_text(w) for w in warnings])
    ordinary = _ordinary_series(items)
    if ordinary is not None:
        result.series = ordinary
        return result
    for item in items:
        metric = item.get("metric") if isinstance(item, Mapping) else None
        values = item.get("values") if isinstance(item, Mapping) else None
        if not isinstance(metric, Mapping) or not isinstance(values, list | None):
            raise PrometheusError("Prometheus answered a series that is not {metric, values}")
        labels = {str(k): v for k, v in metric.items()}
        if not all(isinstance(v, str) for v in labels.values()):
            raise PrometheusError("Prometheus answered a label value that is not a string")
        name = labels.pop("__name__", "")
        try:
            samples = _samples(values or [])
        except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: a 400-digit int
            raise PrometheusError(
                f"Prometheus answered a sample that is malformed ({exc})"
            ) from None
        result.series.append((name, labels, samples))
    return result


def _post(
    client: httpx.Client, url: str, data: dict[str, Any], query: str, attempts: int
) -> RangeResult:
    @retry(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.2, max=2),
        reraise=True,
    )
    def attempt() -> RangeResult:
        try:
            response = client.post(url, data=data)
        except httpx.TimeoutException:
            raise PrometheusError("Prometheus did not answer in time") from None
        except httpx.HTTPError as exc:
            raise PrometheusError(f"cannot reach Prometheus ({type(exc).__name__})") from None
        try:
            payload = response.json()
        except ValueError:
            raise PrometheusError(
                f"Prometheus answered HTTP {response.status_code} without JSON",
                retryable=response.status_code == 503,
            ) from None
        return parse_envelope(response.status_code, payload)

    result = attempt()
    for warning in result.warnings:
        log.warning("Prometheus warned about %r: %s", query, warning)
    return result


def query_range(
    client: httpx.Client,
    base_url: str,
    query: str,
    *,
    start: float,
    end: float,
    step: float,
    attempts: int = 3,
) -> RangeResult:
    """Run one ``query_range`` (POST, form-encoded, as the API allows for long queries).

    Raises:
        PrometheusError: the server is unreachable, or answered an error.
    """
    data = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step}
    return _post(client, f"{base_url}/api/v1/query_range", data, query, attempts)


def raw_samples(
    client: httpx.Client,
    base_url: str,
    selector: str,
    *,
    end: float,
    seconds: int,
    attempts: int = 3,
) -> RangeResult:
    """Every stored sample of ``selector`` in the ``seconds`` before ``end``: an instant
    ``query`` of the range-vector selector ``selector[<seconds>s]``, which Prometheus answers
    with the raw samples (no evaluation steps, no extrapolation).

    Raises:
        PrometheusError: the server is unreachable, or answered an error.
    """
    query = f"{selector}[{seconds}s]"
    data = {"query": query, "time": f"{end:.3f}"}
    return _post(client, f"{base_url}/api/v1/query", data, query, attempts)

"""The Prometheus HTTP API's ``query_range``, for fleets that already run dcgm-exporter.

Source: prometheus/prometheus ``docs/querying/api.md`` and ``web/api/v1/api.go`` (d15adb9).
The envelope is ``{status, data, errorType?, error?, warnings?, infos?}``; a matrix result is
``[{metric: {...}, values: [[unix_seconds, "value"], ...]}]`` with values as *strings*
(``"NaN"`` is "no data", not 0). ``errorType`` ``timeout``/``unavailable`` (HTTP 503) are
retried a few times with a short backoff; ``bad_data`` (400) and the rest are reported.
Warnings are logged and the data kept.
"""

from __future__ import annotations

import logging
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


def parse_envelope(status_code: int, payload: Any) -> RangeResult:
    """Turn a decoded ``query_range`` answer into a :class:`RangeResult`.

    Raises:
        PrometheusError: an error answer (retryable for timeout/unavailable) or a shape
            this API does not document.
    """
    status = payload.get("status") if isinstance(payload, Mapping) else None
    if status not in ("success", "error"):  # a tuple: a non-object status is not hashable
        raise PrometheusError(f"not a Prometheus API answer (HTTP {status_code})")
    if payload["status"] == "error":
        error_type = str(payload.get("errorType") or "unknown")
        raise PrometheusError(
            f"Prometheus {error_type}: {payload.get('error') or 'no message'}",
            retryable=error_type in RETRIED_ERROR_TYPES,
        )
    data = payload.get("data")
    if not isinstance(data, Mapping) or data.get("resultType") != "matrix":
        raise PrometheusError("Prometheus answered without a matrix result")
    warnings = payload.get("warnings") or []
    items = data.get("result") or []
    if not isinstance(warnings, list) or not isinstance(items, list):
        raise PrometheusError("Prometheus answered a result or warnings that is not a list")
    result = RangeResult(warnings=[str(w) for w in warnings])
    for item in items:
        metric = item.get("metric") if isinstance(item, Mapping) else None
        if not isinstance(metric, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metric.items()
        ):
            raise PrometheusError("Prometheus answered a series whose metric is not an object")
        labels = dict(metric)
        name = labels.pop("__name__", "")
        try:
            values = [(float(t), float(v)) for t, v in item.get("values") or []]
        except (TypeError, ValueError, OverflowError):
            raise PrometheusError(
                "Prometheus answered a sample that is not [time, value]"
            ) from None
        result.series.append((name, labels, values))
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

    @retry(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.2, max=2),
        reraise=True,
    )
    def attempt() -> RangeResult:
        try:
            response = client.post(
                f"{base_url}/api/v1/query_range",
                data={"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step},
            )
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

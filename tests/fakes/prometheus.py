"""A Prometheus server holding raw samples, answering its HTTP API as Prometheus does.

prometheus/prometheus ``docs/querying/api.md`` and ``docs/querying/basics.md`` (d15adb9):

* ``POST /api/v1/query`` with ``query=<metric>[<n>s]`` and ``time``: a range-vector selector
  answers ``resultType: matrix`` with every **raw** stored sample in ``(time - n, time]``
  (no evaluation steps, no extrapolation).
* ``POST /api/v1/query_range`` with an instant selector (``<metric>`` or
  ``{__name__=~"a|b",instance=~"x"}``, ``docs/querying/basics.md``: regexes are RE2, fully
  anchored), ``start``, ``end`` and ``step``: at every step ``t`` each series' latest sample
  in ``(t - 5m, t]`` (the default lookback delta), ``resultType: matrix``; and
  ``count by (instance) (<selector>)``: per step, how many series of each ``instance`` have
  a sample there (the series' name dropped, as aggregations do); and
  ``max by (instance) (count_over_time(<selector>[<n>s]) or …)``: per step, the most raw
  samples one series of each ``instance`` holds in ``(t - n, t]`` (``count_over_time``
  drops the name; ``or`` keeps a right-hand element only when no left-hand one has its
  labels, ``docs/querying/operators.md``); and terms
  ``label_replace(sum|count by (instance) (resets(<selector>[<n>s])), "<label>", "<value>",
  "", "")`` joined by ``or``: per step, each ``instance``'s counter resets (a value below
  the one before it, ``docs/querying/functions.md``) over the raw samples in ``(t - n, t]``
  summed, or the series with samples there counted, with ``<label>`` set to ``<value>``
  (an empty regex matches the empty source, so ``label_replace`` adds the label).

Sample values are strings, as ``strconv.FormatFloat(v, 'f', -1, 64)`` writes them; times
are Unix seconds (JSON numbers). Other PromQL is answered ``bad_data`` (HTTP 400), the way
Prometheus answers a query it cannot parse — this fake holds data; it evaluates selectors
and that one aggregation, nothing else.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from tests.fakes.server import JSON, LoopbackServer, Reply, Request, json_reply

LOOKBACK_S = 300.0
_SELECTOR = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)?(\{[^}]*\})?(?:\[(\d+)s\])?$")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
_COUNT_BY_INSTANCE = re.compile(r"^count by \(instance\) \((.*)\)$")
_MAX_BY_INSTANCE = re.compile(r"^max by \(instance\) \((count_over_time\(.*\))\)$")
_COUNT_OVER_TIME = re.compile(r"^count_over_time\((.*)\)$")
_RESETS_TERM = re.compile(
    r"^label_replace\((sum|count) by \(instance\) \(resets\((.*)\)\), "
    r'"([A-Za-z_]+)", "([^"]*)", "", ""\)$'
)


def _matchers(name: str | None, braces: str | None) -> list[tuple[str, str, str]]:
    """``name{a=~"x"}`` as (label, operator, value) matchers; PromQL string escapes undone."""
    found = [("__name__", "=", name)] if name else []
    body = (braces or "{}")[1:-1]
    position = 0
    while position < len(body.strip()):
        match = _MATCHER.match(body, position)
        if match is None:
            raise ValueError(f"cannot parse matchers {braces!r}")
        value = re.sub(r"\\(.)", r"\1", match.group(3))
        found.append((match.group(1), match.group(2), value))
        position = match.end()
    if not found:
        raise ValueError("a selector needs a name or a matcher")
    return found


def _matches(series_labels: dict[str, str], matchers: list[tuple[str, str, str]]) -> bool:
    for label, operator, value in matchers:
        actual = series_labels.get(label, "")
        if operator == "=" and actual != value:
            return False
        if operator == "!=" and actual == value:
            return False
        if operator == "=~" and not re.fullmatch(value, actual):
            return False
        if operator == "!~" and re.fullmatch(value, actual):
            return False
    return True


@dataclass
class Series:
    name: str
    labels: dict[str, str]
    samples: list[tuple[float, float]] = field(default_factory=list)


def format_value(value: float) -> str:
    """Go's ``FormatFloat(v, 'f', -1, 64)``: shortest round-trip digits, no exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return format(Decimal(repr(value)), "f").removesuffix(".0")


def _error(error_type: str, message: str, status: int) -> Reply:
    return json_reply({"status": "error", "errorType": error_type, "error": message}, status)


class FakePrometheus(LoopbackServer):
    """A Prometheus whose TSDB is :attr:`series` (add samples with :meth:`add`)."""

    def __init__(self) -> None:
        super().__init__(default_content_type=JSON)
        self.series: list[Series] = []
        #: (query, samples in the answer) for every matrix answered, in order
        self.answers: list[tuple[str, int]] = []

    def add(self, name: str, labels: dict[str, str], samples: list[tuple[float, float]]) -> None:
        for series in self.series:
            if series.name == name and series.labels == labels:
                series.samples = sorted([*series.samples, *samples])
                return
        self.series.append(Series(name, dict(labels), sorted(samples)))

    def _matrix(self, query: str, result: list[dict[str, object]]) -> Reply:
        samples = sum(len(cast(list[object], item["values"])) for item in result)
        with self._lock:
            self.answers.append((query, samples))
        return json_reply({"status": "success", "data": {"resultType": "matrix", "result": result}})

    def handle(self, request: Request) -> Reply:
        if request.path not in ("/api/v1/query", "/api/v1/query_range"):
            return Reply(404, "404 page not found", content_type="text/plain")
        query = (request.first("query") or "").strip()
        density = _MAX_BY_INSTANCE.match(query)
        if density and request.path == "/api/v1/query_range":
            return self._density(density.group(1), request)
        if query.startswith("label_replace(") and request.path == "/api/v1/query_range":
            return self._resets(query, request)
        count = _COUNT_BY_INSTANCE.match(query)
        match = _SELECTOR.match(count.group(1) if count else query)
        try:
            if match is None:
                raise ValueError(query)
            matchers = _matchers(match.group(1), match.group(2))
        except ValueError:
            return _error("bad_data", f"this fake does not evaluate {query!r}", 400)
        seconds = match.group(3)
        chosen = [s for s in self.series if _matches({"__name__": s.name, **s.labels}, matchers)]
        if request.path == "/api/v1/query":
            if seconds is None or count:
                return _error("bad_data", "this fake answers range-vector selectors only", 400)
            at = float(request.first("time") or 0)
            since = at - float(seconds)
            return self._matrix(
                query,
                [
                    {
                        "metric": {"__name__": s.name, **s.labels},
                        "values": [[t, format_value(v)] for t, v in s.samples if since < t <= at],
                    }
                    for s in chosen
                    if any(since < t <= at for t, _ in s.samples)
                ],
            )
        if seconds is not None:
            return _error("bad_data", 'invalid expression type "range vector" for range query', 400)
        steps = self._steps(request)
        if count:
            return self._matrix(query, self._count_by_instance(chosen, steps))
        result = []
        for s in chosen:
            values = []
            for t in steps:
                latest = [(at, v) for at, v in s.samples if t - LOOKBACK_S < at <= t]
                if latest:
                    values.append([t, format_value(latest[-1][1])])
            if values:
                result.append({"metric": {"__name__": s.name, **s.labels}, "values": values})
        return self._matrix(query, result)

    def _steps(self, request: Request) -> list[float]:
        start, end = float(request.first("start") or 0), float(request.first("end") or 0)
        step = float(request.first("step") or 0)
        steps = []
        t = start
        while t <= end + 1e-9:
            steps.append(round(t, 3))
            t += step
        return steps

    def _density(self, terms: str, request: Request) -> Reply:
        query = request.first("query") or ""
        parsed = []
        for term in terms.split(" or "):
            inner = _COUNT_OVER_TIME.match(term)
            match = _SELECTOR.match(inner.group(1)) if inner else None
            if match is None or match.group(3) is None:
                return _error("bad_data", f"this fake does not evaluate {term!r}", 400)
            chosen = [
                s
                for s in self.series
                if _matches({"__name__": s.name, **s.labels}, _matchers(*match.group(1, 2)))
            ]
            parsed.append((chosen, float(match.group(3))))
        per_instance: dict[str, dict[float, int]] = {}
        for t in self._steps(request):
            seen: set[tuple[tuple[str, str], ...]] = set()
            for chosen, seconds in parsed:
                added = set()
                for s in chosen:
                    key = tuple(sorted(s.labels.items()))
                    n = sum(1 for at, _ in s.samples if t - seconds < at <= t)
                    if n == 0 or key in seen:
                        continue
                    added.add(key)
                    counts = per_instance.setdefault(s.labels.get("instance", ""), {})
                    counts[t] = max(counts.get(t, 0), n)
                seen |= added
        return self._matrix(
            query,
            [
                {
                    "metric": {"instance": instance} if instance else {},
                    "values": [[t, str(n)] for t, n in sorted(per_step.items())],
                }
                for instance, per_step in sorted(per_instance.items())
            ],
        )

    def _resets(self, query: str, request: Request) -> Reply:
        result = []
        for term in query.split(" or "):
            parsed = _RESETS_TERM.match(term)
            match = _SELECTOR.match(parsed.group(2)) if parsed else None
            if parsed is None or match is None or match.group(3) is None:
                return _error("bad_data", f"this fake does not evaluate {term!r}", 400)
            operator, label, value = parsed.group(1, 3, 4)
            seconds = float(match.group(3))
            matchers = _matchers(*match.group(1, 2))
            chosen = [
                s for s in self.series if _matches({"__name__": s.name, **s.labels}, matchers)
            ]
            per_instance: dict[str, dict[float, int]] = {}
            for t in self._steps(request):
                for s in chosen:
                    values = [v for at, v in s.samples if t - seconds < at <= t]
                    if not values:
                        continue
                    resets = sum(1 for a, b in itertools.pairwise(values) if b < a)
                    counts = per_instance.setdefault(s.labels.get("instance", ""), {})
                    counts[t] = counts.get(t, 0) + (resets if operator == "sum" else 1)
            result.extend(
                {
                    "metric": {"instance": instance, label: value},
                    "values": [[t, str(n)] for t, n in sorted(per_step.items())],
                }
                for instance, per_step in sorted(per_instance.items())
            )
        return self._matrix(query, result)

    @staticmethod
    def _count_by_instance(chosen: list[Series], steps: list[float]) -> list[dict[str, object]]:
        counts: dict[str, dict[float, int]] = {}
        for s in chosen:
            for t in steps:
                if any(t - LOOKBACK_S < at <= t for at, _ in s.samples):
                    per_step = counts.setdefault(s.labels.get("instance", ""), {})
                    per_step[t] = per_step.get(t, 0) + 1
        return [
            {
                "metric": {"instance": instance} if instance else {},
                "values": [[t, str(n)] for t, n in sorted(per_step.items())],
            }
            for instance, per_step in sorted(counts.items())
        ]

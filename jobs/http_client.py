"""The one HTTP layer every cloud collector uses: httpx with bounded, honest retries.

What each status means to golocal:

* 429: the provider asked us to slow down. Wait ``Retry-After`` seconds (capped, so a
  provider cannot park a collection run for an hour) and try again.
* 5xx, 529, timeouts and dropped connections: transient. Retry a bounded number of times
  with exponential backoff and jitter.
* 401/403: the credential is wrong or lacks a permission. Retrying cannot help, so the
  source fails at once with a reason that names the environment variable to check.
* A 200 whose body is not the JSON we expect: the window fails; what was stored stays.

Secrets never leave this module in any message: error texts are written here from the
status and the provider's *error type*, and any provider text we quote is redacted first
(OpenAI echoes part of a rejected key in its 401 message). The sleep function is injectable
so tests never wait for real.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from golocal.errors import GolocalError
from golocal.jobs.http_limits import DEFAULT_MAX_BYTES, ResponseTooLarge, get_bounded
from golocal.redaction import redact, register_secrets

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({500, 502, 503, 504, 529})


class SourceError(GolocalError):
    """A collection failed; the message is safe to show, log and store."""


class CredentialsRejected(SourceError):
    """401/403: the key is wrong, revoked or lacks a permission; never retried."""


class SourceUnavailable(SourceError):
    """The provider kept failing (5xx, 429, timeouts) after every allowed retry."""


class NotFound(SourceError):
    """404: the provider has no such resource (an endpoint a plan or policy does not offer)."""


class MalformedResponse(SourceError):
    """The provider answered 200 with a body that is not what its documentation says."""


class BudgetExceeded(SourceError):
    """A source run used up its time budget or page limit; the window fails, rows stay."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before a source is marked failing."""

    #: attempts in total for one request (the first one included)
    max_attempts: int = 5
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    #: the longest ``Retry-After`` honoured; longer requests are cut to this
    retry_after_cap_s: float = 120.0
    timeout_s: float = 30.0
    #: the largest answer read (decoded bytes); a larger one fails the source
    max_response_bytes: int = DEFAULT_MAX_BYTES
    #: pages followed in one window before the provider is taken to be paging forever
    max_pages: int = 1000
    #: the wall-clock budget of one source run (every request and wait of one client)
    budget_s: float = 1800.0
    #: how far this machine's clock may be from the provider's ``Date`` before collecting
    #: is refused (a clock ahead would store future days and move the cursor past now)
    max_clock_skew_s: float = 900.0


@dataclass(frozen=True, slots=True)
class Credential:
    """How one provider wants its secret sent, and what to tell a person when it is rejected."""

    header: str
    value: str
    #: e.g. "OpenAI admin key"
    label: str
    #: the environment variable to check, e.g. "OPENAI_ADMIN_KEY"
    env_var: str


class _Retryable(Exception):
    """Internal: a response or transport failure worth another attempt."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        # HTTP dates are allowed by RFC 9110 but no provider we read sends them
        return None


class ApiClient:
    """GET JSON (or text) from one provider with the retry rules above.

    Args:
        provider: a display name ("OpenAI"), used in every error message.
        base_url: the API root; relative paths are joined to it.
        credential: the secret and how to send it; sent only to ``base_url``'s host, never
            to absolute URLs elsewhere (Copilot's signed download links).
        headers: further fixed headers (``anthropic-version``).
        policy: the retry policy.
        sleep: the function used to wait between attempts (tests pass a recorder).
        transport: an httpx transport (tests may pass ``httpx.MockTransport``).
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        credential: Credential,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._deadline = clock() + self.policy.budget_s
        self._wall_clock = wall_clock
        self._clock_checked = False
        self._credential = credential
        # the value as configured and as sent ("Bearer <key>"): a provider may echo either
        register_secrets([credential.value, credential.value.split(" ")[-1]])
        self._sleep = sleep
        # "full jitter": a random wait up to initial * 2**attempt, capped, so many clients
        # retrying at once do not hit the provider in lockstep
        self._backoff = wait_random_exponential(
            multiplier=self.policy.backoff_initial_s, max=self.policy.backoff_max_s
        )
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._http = httpx.Client(
            headers={"accept": "application/json", "user-agent": "golocal", **(headers or {})},
            timeout=self.policy.timeout_s,
            transport=transport,
            trust_env=True,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def url(self, path: str) -> httpx.URL:
        """The absolute URL of ``path`` under the base URL."""
        return self._base.join(path.lstrip("/"))

    def get_json(self, path: str, params: Any = None) -> Any:
        """GET ``path`` (relative to the base URL) and return its parsed JSON body.

        JSON numbers with a fraction become ``Decimal`` straight from their text, so a
        provider's ``0.1`` dollars is exactly 0.1, never a binary float's neighbour.
        """
        response = self._get(self.url(path), params, authenticated=True)
        try:
            return response.json(parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MalformedResponse(
                f"{self.provider} returned a page that is not JSON ({self._where(response)})"
            ) from None

    def get_status_and_json(self, path: str, params: Any = None) -> tuple[int, Any]:
        """Like :meth:`get_json`, but a 204 comes back as ``(204, None)``."""
        response = self._get(self.url(path), params, authenticated=True)
        if response.status_code == 204 or not response.content:
            return response.status_code, None
        try:
            return response.status_code, response.json(parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MalformedResponse(
                f"{self.provider} returned a page that is not JSON ({self._where(response)})"
            ) from None

    def get_text(self, url: str) -> str:
        """GET an absolute URL (a signed download link) without sending the credential."""
        try:
            target = httpx.URL(url)
            if target.scheme not in ("http", "https") or not target.host:
                raise httpx.InvalidURL("not an absolute http(s) URL")
        except httpx.InvalidURL:
            raise MalformedResponse(
                f"{self.provider} sent a download link that is not an http(s) URL"
            ) from None
        authenticated = target.host == self._base.host and target.port == self._base.port
        return self._get(target, None, authenticated=authenticated).text

    def _where(self, response: httpx.Response) -> str:
        return f"GET {response.request.url.path}"

    def _get(self, url: httpx.URL, params: Any, *, authenticated: bool) -> httpx.Response:
        headers = {self._credential.header: self._credential.value} if authenticated else {}
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(url, params, headers)
        except _Retryable as exc:
            raise SourceUnavailable(
                f"{self.provider} unavailable after {self.policy.max_attempts} attempts: "
                f"{exc.reason} (GET {url.path})"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover - Retrying always returns/raises

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.policy.retry_after_cap_s)
        return float(self._backoff(state))

    def check_budget(self, where: str) -> None:
        """Raise :class:`BudgetExceeded` once this run's time budget is spent."""
        if self._clock() > self._deadline:
            raise BudgetExceeded(
                f"{self.provider} stopped at {where}: the time budget of "
                f"{self.policy.budget_s:g} s for one run is spent (collection.source_budget_s); "
                "this window failed, the pages before it stay stored"
            )

    def _attempt(self, url: httpx.URL, params: Any, headers: dict[str, str]) -> httpx.Response:
        self.check_budget(f"GET {url.path}")
        try:
            response = get_bounded(
                self._http,
                url,
                max_bytes=self.policy.max_response_bytes,
                params=params,
                headers=headers,
            )
        except ResponseTooLarge as exc:
            raise SourceError(f"{self.provider}: {exc.message}") from None
        except httpx.InvalidURL:  # a link the provider sent with characters a URL cannot hold
            raise MalformedResponse(f"{self.provider} sent a URL that is not valid") from None
        except httpx.TimeoutException:
            log.info("%s: timeout on GET %s, retrying", self.provider, url.path)
            raise _Retryable("timed out") from None
        except httpx.TransportError as exc:
            log.info("%s: %s on GET %s, retrying", self.provider, type(exc).__name__, url.path)
            raise _Retryable(f"connection failed ({type(exc).__name__})") from None
        status = response.status_code
        if status < 300:
            self._check_clock(response)
            return response
        if status == 429:
            wait = _retry_after_seconds(response)
            log.info("%s: 429 on GET %s, Retry-After %s", self.provider, url.path, wait)
            raise _Retryable("rate limited (429)", retry_after=wait)
        if status in _RETRYABLE_STATUS:
            log.info("%s: %s on GET %s, retrying", self.provider, status, url.path)
            raise _Retryable(f"server error ({status})")
        if status in (401, 403):
            cred = self._credential
            raise CredentialsRejected(
                f"{cred.label} rejected ({status}): check {cred.env_var}"
                + self._error_type_suffix(response)
            )
        error = NotFound if status == 404 else SourceError
        raise error(
            f"{self.provider} refused GET {url.path} ({status})" + self._error_detail(response)
        )

    def _check_clock(self, response: httpx.Response) -> None:
        """Refuse to collect when this machine's clock disagrees with the provider's."""
        if self._clock_checked:
            return
        self._clock_checked = True
        try:
            theirs = parsedate_to_datetime(response.headers.get("date", ""))
        except (TypeError, ValueError, IndexError):
            return  # no usable Date header: nothing to compare with
        if theirs.tzinfo is None:
            theirs = theirs.replace(tzinfo=UTC)
        ours = self._wall_clock()
        skew = (ours - theirs).total_seconds()
        if abs(skew) > self.policy.max_clock_skew_s:
            direction = "ahead of" if skew > 0 else "behind"
            raise SourceError(
                f"this machine's clock ({ours:%Y-%m-%d %H:%M} UTC) is {abs(skew) / 3600:.1f} h "
                f"{direction} {self.provider}'s ({theirs:%Y-%m-%d %H:%M} UTC): not collecting, "
                "so no future day is stored and the cursor stays; fix the clock (NTP)"
            )

    def _error_body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return error
        return body if isinstance(body, dict) else {}

    def _error_type_suffix(self, response: httpx.Response) -> str:
        # Only the error *type*: a rejected-key message may quote part of the key.
        body = self._error_body(response)
        kind = body.get("type") or body.get("code")
        return f" [{redact(str(kind))[:60]}]" if kind else ""

    def _error_detail(self, response: httpx.Response) -> str:
        message = self._error_body(response).get("message")
        if not message:
            return ""
        return ": " + redact(str(message))[:300]

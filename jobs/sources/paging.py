"""What the cloud sources share on the wire: opening a client, following pages, buckets.

Each source module declares a :class:`ClientSpec` (which settings hold its base URL and
secret, and how the secret is sent) and reads its pages with :func:`cursor_pages` (the
``has_more``/``next_page`` pagination OpenAI and Anthropic share) or its own loop, then
turns provider JSON into :mod:`golocal.jobs.sources.records`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

from golocal.config.settings import Settings
from golocal.jobs.http_client import (
    ApiClient,
    BudgetExceeded,
    Credential,
    MalformedResponse,
    RetryPolicy,
)
from golocal.jobs.sources.records import Page, Window

#: what a malformed page can raise while it is parsed
PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, ArithmeticError)


@dataclass(frozen=True)
class ClientSpec:
    """How one provider's API is reached: its base URL, its secret and how the secret is sent.

    ``scheme`` prefixes the secret in ``header`` (``"Bearer "`` for an Authorization header,
    ``""`` for a bare key header). The secret only ever lives in the client's
    :class:`~golocal.jobs.http_client.Credential`, which never prints it.
    """

    provider: str
    label: str
    env_var: str
    base_url: Callable[[Settings], str]
    secret: Callable[[Settings], SecretStr | None]
    header: str = "authorization"
    scheme: str = "Bearer "
    headers: Mapping[str, str] = field(default_factory=dict)

    def missing(self, settings: Settings) -> str | None:
        """Why the client cannot be opened (its secret is not set), or ``None``."""
        return None if self.secret(settings) else f"{self.env_var} not set"

    def open(
        self,
        settings: Settings,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], None],
        transport: httpx.BaseTransport | None = None,
    ) -> ApiClient:
        """An API client for this provider; the caller has checked the secret is set."""
        secret = self.secret(settings)
        assert secret is not None
        return ApiClient(
            provider=self.provider,
            base_url=self.base_url(settings),
            credential=Credential(
                header=self.header,
                value=f"{self.scheme}{secret.get_secret_value()}",
                label=self.label,
                env_var=self.env_var,
            ),
            headers=self.headers,
            policy=policy,
            sleep=sleep,
            transport=transport,
        )


class PageGuard:
    """Stops a pagination loop that would never end: a repeated cursor, or too many pages.

    A provider whose ``next_page`` comes back unchanged, or whose ``has_more`` stays true
    for ever, would otherwise be paged until the process is killed. Each call of
    :meth:`next` names the page about to be fetched; the window fails with one clear line
    (the pages before it stay stored) when the page was seen before or the limit is reached.
    """

    def __init__(self, client: ApiClient, provider: str, path: str) -> None:
        self._client = client
        self._where = f"{provider} {path}"
        self._seen: set[str] = set()
        self._limit = client.policy.max_pages

    def next(self, page: str | int) -> None:
        """Record that ``page`` (a cursor or a page number) is the next one to fetch."""
        key = str(page)
        if key in self._seen:
            raise MalformedResponse(
                f"{self._where} sent the page cursor {key[:40]!r} again: stopped paging "
                "(the provider is repeating itself); this window failed"
            )
        self._seen.add(key)
        if len(self._seen) > self._limit:
            raise BudgetExceeded(
                f"{self._where} still had more after {self._limit} pages "
                "(collection.max_pages): stopped paging; this window failed"
            )
        self._client.check_budget(self._where)


def cursor_pages(
    client: ApiClient,
    provider: str,
    path: str,
    params: list[tuple[str, str | int]],
    parse: Callable[[dict[str, Any]], Page],
    window: Window,
) -> Iterator[Page]:
    """Follow ``has_more``/``next_page`` (sent back as ``page``) to the end of one window.

    Every page carries ``window``; the last is marked ``window_done``. A page that does not
    parse, or whose pagination fields are not what the contract says, raises
    :class:`MalformedResponse` naming ``provider`` and ``path``.
    """
    page_token: str | None = None
    guard = PageGuard(client, provider, path)
    while True:
        guard.next(page_token or "")
        query = [*params, ("page", page_token)] if page_token else list(params)
        body = client.get_json(path, query)
        try:
            page = parse(body)
            has_more = body["has_more"]
            page_token = body["next_page"]
            if not isinstance(has_more, bool):
                raise ValueError("has_more is not a boolean")
            if has_more and not isinstance(page_token, str):
                raise ValueError("has_more is true but next_page is not a string")
        except PARSE_ERRORS as exc:
            raise MalformedResponse(f"{provider} {path} page is malformed: {exc}") from None
        yield Page(usage=page.usage, costs=page.costs, window_done=not has_more, window=window)
        if not has_more:
            return


def bucket_seconds(start: datetime, end: datetime) -> int:
    """The length of a provider bucket ``[start, end)``; an empty or reversed one is malformed."""
    seconds = int((end - start).total_seconds())
    if seconds <= 0:
        raise ValueError("bucket ends before it starts")
    return seconds

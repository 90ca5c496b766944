"""Bounded HTTP reads: no answer may be larger than golocal is prepared to hold in memory.

Every collector reads its answers through :func:`get_bounded`, which streams the body and
stops at ``max_bytes`` of *decoded* content (so a small gzip bomb counts at its real size),
and refuses an answer whose ``Content-Length`` already says it is too large before reading
any of it.
"""

from __future__ import annotations

from typing import Any

import httpx

from golocal.errors import GolocalError

#: The default limit for one answer (a 28-day Copilot report of a large organisation fits).
DEFAULT_MAX_BYTES = 128 * 1024 * 1024


class ResponseTooLarge(GolocalError):
    """An answer was larger than the configured limit; nothing of it was used."""


def _too_large(url: httpx.URL, max_bytes: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"GET {url.path} answered more than {max_bytes / 1048576:.3g} MiB; refused "
        "(raise collection.max_response_mb if this is expected)"
    )


def get_bounded(
    client: httpx.Client, url: httpx.URL | str, *, max_bytes: int, **kwargs: Any
) -> httpx.Response:
    """``client.get(url, **kwargs)`` with the body read in full, but never past ``max_bytes``.

    Raises:
        ResponseTooLarge: the body (decoded) is larger than ``max_bytes``.
        httpx.HTTPError: as ``client.get`` would.
    """
    with client.stream("GET", url, **kwargs) as response:
        declared = response.headers.get("content-length", "")
        target = response.request.url
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        if declared.isdigit() and int(declared) > max_bytes and not encoded:
            raise _too_large(target, max_bytes)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(target, max_bytes)
            chunks.append(chunk)
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
    )

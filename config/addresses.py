"""Checking the addresses and URLs golocal is given, before it does any work with them.

One parser for ``HOST:PORT`` (``--http``, ``agent.listen``, ``--listen``) and one check for
http(s) base URLs, so a typo is a configuration error (exit 2) at start-up, never a
failure after the digest was posted or the collectors ran.

This module imports nothing else of golocal's.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def parse_host_port(text: str, *, default_host: str | None = None) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:3000`` for IPv6) → ``(host, port)``.

    Raises:
        ValueError: not HOST:PORT, an empty host (unless ``default_host``), or a port
            outside 0-65535.
    """
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]") or (default_host or "")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{text!r} is not HOST:PORT")
    if any(c.isspace() for c in host) or "/" in host:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def check_http_url(value: str) -> str:
    """An ``http(s)://host[:port][/path]`` URL, returned unchanged.

    Raises:
        ValueError: another scheme, no host, or a port that is not a number in range.
    """
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise ValueError(f"{value!r} is not a valid http(s) URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    del port
    return value.strip()

"""golocal: should we run AI inference locally, in the cloud, or both? Answered from evidence."""

from typing import Any


def __getattr__(name: str) -> Any:
    # ``__version__`` is read from the installed package's metadata when first asked for:
    # importlib.metadata (and the email parser under it) costs every command ~8 ms to import
    if name != "__version__":
        raise AttributeError(f"module 'golocal' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("golocal")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found

"""golocal: should we run AI inference locally, in the cloud, or both? Answered from evidence."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("golocal")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

"""cleanse: check Vietnamese population-related extracts (Đề án 06 data cleaning)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cleanse")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

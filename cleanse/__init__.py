"""cleanse: check Vietnamese population-related extracts (Đề án 06 data cleaning).

The Python API (``cleanse.api``)::

    import cleanse
    result = cleanse.validate(["bhxh.csv"], today="2026-11-21")
    result.findings
    linked = cleanse.reconcile(["bhxh.csv", "hotich.csv"], reference="dancu.csv")
    linked.persons, linked.links, linked.review, linked.discrepancies
    linked.write("doi-chieu", formats=("csv", "xlsx"))

Options are typed: ``ReadOptions``, ``OutputOptions``, ``LinkOptions``. The API is
imported on first use, so ``import cleanse`` (and ``cleanse --help``) stays light.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cleanse")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "LinkOptions",
    "OutputOptions",
    "ReadOptions",
    "__version__",
    "reconcile",
    "validate",
]

_API = {
    "validate": "cleanse.api",
    "reconcile": "cleanse.api",
    "fix": "cleanse.api",
    "ReadOptions": "cleanse.options",
    "OutputOptions": "cleanse.options",
    "LinkOptions": "cleanse.options",
}


def __getattr__(name: str) -> object:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'cleanse' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)

"""Fixtures of the rule tests: one case of a family's RULE_CASES through the CLI.

Each ``tests/rules/test_<family>.py`` holds the tests of the rules whose codes start with
``<family>.`` (SPEC §3). Its ``RULE_CASES`` (``helpers.case``) are named
``<code>-fires-…`` or ``<code>-quiet-…``; test_registry.py checks that, over all the
families, every rule has both. ``helpers`` is importable here as in ``tests/``: the
``tests/conftest.py`` above puts ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import compact, read_findings, validate, write_extract


@pytest.fixture
def rule_findings(tmp_path: Path) -> Callable[[str, dict[int, dict[str, str]]], list[list[Any]]]:
    """``(kind, edits) -> findings``: validate a ``kind`` extract with ``edits`` as that
    kind, failing on nothing, and give its findings as ``helpers.hit`` writes them."""

    def run(kind: str, edits: dict[int, dict[str, str]]) -> list[list[Any]]:
        path = write_extract(tmp_path, kind, edits)
        out = tmp_path / "out"
        result = validate(path, "--out", out, "--source", kind, "--fail-on", "never")
        assert result.exit_code == 0, result.stderr
        return compact(read_findings(out))

    return run

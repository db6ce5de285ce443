"""The rules as a whole: every rule has cases that fire and cases that stay quiet, each
in its family's file; `cleanse rules`, SPEC §3 and the README list the registry."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest
from helpers import PERSON_RULES, invoke

from cleanse.rules import REGISTRY

PROJECT = Path(__file__).resolve().parents[2]
SPEC = PROJECT.parent / "shared" / "SPEC.md"
HERE = Path(__file__).resolve().parent


def families() -> dict[str, ModuleType]:
    """``{family: module}`` of each ``test_<family>.py`` beside this file (imported as
    pytest imported it: its default import mode puts this folder on ``sys.path``)."""
    return {
        path.stem.removeprefix("test_"): importlib.import_module(path.stem)
        for path in sorted(HERE.glob("test_*.py"))
        if path != Path(__file__).resolve()
    }


def test_rule_cases_cover_every_code():
    cases = {name: getattr(module, "RULE_CASES", []) for name, module in families().items()}
    # Each case sits in the file of its rule's family.
    strays = {
        p.id: name
        for name, found in cases.items()
        for p in found
        if p.id[: len(name) + 1] != f"{name}."
    }
    assert strays == {}
    every = [p for found in cases.values() for p in found]
    codes = {p.id.split("-")[0] for p in every}
    fires = {p.id.split("-")[0] for p in every if "-fires" in p.id}
    quiet = {p.id.split("-")[0] for p in every if "-quiet" in p.id}
    # A month-first date column shows only in a column of many dates: its cases are in
    # test_spreadsheet_damage.py.
    assert codes == fires == quiet == set(REGISTRY) - {"dob.day_month_swapped"}


def test_every_person_rule_fires_somewhere() -> None:
    cases = [c for module in families().values() for c in getattr(module, "PERSON_CASES", [])]
    assert {code for case in cases for code in case[2]} == set(PERSON_RULES)


# --- rules, README and SPEC agree ----------------------------------------------------------


def test_rules_command_lists_every_rule():
    # Wide enough that no message wraps (a console reads COLUMNS when it is made).
    result = invoke(["rules"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    for code, rule in REGISTRY.items():
        [line] = [ln for ln in lines if re.search(rf"\b{re.escape(code)}\b", ln)]
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        assert cells == [code, rule.severity, rule.vi, rule.en]


RECONCILE_FAMILIES = ("link.", "person.", "vital.")  # SPEC §4: not validate rules
RULE_ROW = re.compile(r"^\|\s*`([a-z]+\.[a-z_]+)`\s*\|\s*([^|]*?)\s*\|")


def rule_table(text: str) -> dict[str, str]:
    """``{code: severity}`` from the markdown table(s) listing ``id.missing`` in backticks."""
    tables: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    found: dict[str, str] = {}
    for table in tables:
        rows = {m[1]: m[2] for m in map(RULE_ROW.match, table) if m}
        if "id.missing" in rows:
            found.update(rows)
    return found


def test_registry_matches_spec_section_3():
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not here")
    text = SPEC.read_text(encoding="utf-8")
    section = text.split("\n## 3.", 1)[1].split("\n## 4.", 1)[0]
    spec = rule_table(section)
    assert set(spec) == set(REGISTRY)
    assert dict(spec.items()) == {code: rule.severity for code, rule in REGISTRY.items()}


def test_registry_matches_the_readme_rule_table():
    readme = rule_table((PROJECT / "README.md").read_text(encoding="utf-8"))
    assert readme, (
        "README.md has no rule table yet: add a markdown table whose first column is each "
        "rule code in backticks (`id.missing`, …) and whose second is its severity"
    )
    codes = {c for c in readme if not c.startswith(RECONCILE_FAMILIES)}
    assert codes == set(REGISTRY), (
        f"missing from README: {sorted(set(REGISTRY) - codes)}; "
        f"not rules: {sorted(codes - set(REGISTRY))}"
    )
    assert {c: readme[c] for c in codes} == {c: r.severity for c, r in REGISTRY.items()}

"""The design, held: every module of cleanse/ sits on a layer and imports only from the
layers below it (lazy imports included), so no import runs upward or in a circle; every
package's ``__init__`` says what it holds and what it may import; no file over about
600 lines but data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cleanse"

# Lowest first. A module may import any module of a lower layer, and modules of its own
# package; two modules on one layer never import each other.
LAYERS: list[set[str]] = [
    {"i18n", "terminal", "safe", "reference", "data", "legacy", "__version__"},
    {"errors", "normalise", "mask"},
    {"fields", "facts", "secret", "idnumber", "output", "address"},
    {"read", "options", "sample"},
    {"damage", "inspect"},
    {"prepare"},
    {"rules", "keys"},
    {"link", "xlsx", "repair", "worklist"},
    {"write", "rewrite"},
    {"validation", "report"},
    {"fixing", "sync"},
    {"run"},
    {"api", "batch"},
    {"cli"},
    {"__main__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports() -> list[tuple[str, str, str]]:
    """(importing top module, imported top module, file:line) for every cleanse import."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")
        me = _top(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "cleanse":
                    names = [f"cleanse.{a.name}" for a in node.names]
                elif node.module.startswith("cleanse."):
                    names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("cleanse.")]
            for name in names:
                other = _top(name)
                if other != me:
                    found.append((me, other, f"{rel.as_posix()}.py:{node.lineno}"))
    return found


def test_every_module_has_a_layer():
    tops = {_top(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts))
            for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir()
                                             if (p / "__init__.py").exists()}  # fmt: skip
    tops.discard("__init__")
    assert tops - set(RANK) == set(), "place the new module on a layer of LAYERS"


def test_no_import_runs_upward_or_in_a_circle():
    upward = [
        f"{where}: {me} imports {other}"
        for me, other, where in imports()
        if other in RANK and RANK[other] >= RANK.get(me, -1)
    ]
    assert upward == []


def test_the_checker_sees_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "cleanse"
    fake.mkdir()
    (fake / "normalise.py").write_text("def f():\n    from cleanse.run import run_validate\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    assert imports() == [("normalise", "run", "cleanse/normalise.py:2")]


@pytest.mark.parametrize("init", sorted(PACKAGE.rglob("__init__.py")), ids=lambda p: p.parent.name)
def test_every_package_says_what_it_holds_and_may_import(init: Path):
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert len(doc) > 80, f"{init}: say what the package holds"
    if init.parent != PACKAGE and init.parent.name != "data":
        assert "import" in doc.lower(), f"{init}: say what it may import"


def test_no_module_is_over_about_600_lines():
    long = {
        p.relative_to(PACKAGE).as_posix(): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 650
    }
    assert long == {}

"""The message catalogue's tool: find every message of the code, keep the .po in step, compile.

    python scripts/catalogue.py check     # what is missing or stale (the test runs this)
    python scripts/catalogue.py update    # add new messages to the .po (empty), drop gone ones
    python scripts/catalogue.py compile   # .po -> .mo, after editing a translation

A message is found where the code says it: the first argument of ``msg``/``Msg``,
``N_``, ``say``, ``translate``, ``CleanseError`` and its ``hint=``, ``_fail``, and the
message argument of the jobs-file checks (``_bad``, ``bad``); a conditional of two such
texts counts both. click's own messages (its modules' ``gettext`` calls, worded through
this catalogue by ``cleanse.i18n.word_click``) are found with Babel's extractor.
Needs Babel (the ``test`` extra).
"""

from __future__ import annotations

import ast
import io
import string
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cleanse"
PO = PACKAGE / "locale" / "vi" / "LC_MESSAGES" / "cleanse.po"
MO = PO.with_suffix(".mo")

# Function -> positions of its message arguments (None: keyword ``hint`` too).
_CALLS = {
    "msg": (0,),
    "Msg": (0,),
    "N_": (0,),
    "say": (0,),
    "translate": (0,),
    "CleanseError": (0,),
    "_fail": (0,),
    "_bad": (3,),
    "bad": (1,),
}
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types")


def _texts(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body)
        yield from _texts(node.orelse)


def _message_args(tree: ast.AST) -> Iterator[tuple[ast.Call, ast.expr]]:
    """Each call that says a message, with each of its message arguments."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in _CALLS:
            continue
        args = [node.args[i] for i in _CALLS[name] if i < len(node.args)]
        if name == "CleanseError":
            args += [k.value for k in node.keywords if k.arg == "hint"]
        for arg in args:
            yield node, arg


def code_messages() -> dict[str, list[str]]:
    """Every msgid the code of ``cleanse/`` says, with where (``file:line``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT).as_posix()
        for node, arg in _message_args(tree):
            for text in _texts(arg):
                if text.strip():
                    found.setdefault(text, []).append(f"{where}:{node.lineno}")
    return found


def unworded(paths: list[Path] | None = None) -> list[str]:
    """Places where a message is built so that no catalogue can word it: an f-string,
    ``%`` or ``+`` given as a message argument."""
    bad = []
    for path in paths or sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, arg in _message_args(tree):
            if isinstance(arg, ast.JoinedStr | ast.BinOp):
                bad.append(f"{_shown(path)}:{node.lineno}")
    return bad


def click_messages() -> dict[str, str | None]:
    """click's msgids in the modules the CLI words: msgid -> plural msgid (or None)."""
    import click
    from babel.messages.extract import extract_from_file

    base = Path(click.__file__).parent
    found: dict[str, str | None] = {}
    for module in CLICK_MODULES:
        for _line, message, _comments, _context in extract_from_file(
            "python",
            str(base / f"{module}.py"),
            keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
        ):
            if isinstance(message, tuple):
                found[message[0]] = message[1]
            elif message:
                found[message] = None
    return found


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def fields(text: str) -> set[str]:
    """The placeholder names of a template (``{name!r}`` -> ``name``)."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError:
        return {"<unbalanced braces>"}


def read() -> object:
    from babel.messages.pofile import read_po

    with PO.open("rb") as fh:
        return read_po(fh, locale="vi", domain="cleanse")


def problems() -> list[str]:
    """What is wrong with the catalogue: missing, untranslated, mismatched, stale."""
    from babel.messages.mofile import write_mo

    catalogue = read()
    out: list[str] = [f"{w}: message built as an f-string or by + / %" for w in unworded()]
    wanted: dict[str, str | None] = dict.fromkeys(code_messages())
    wanted.update(click_messages())
    for msgid, plural in wanted.items():
        message = catalogue.get(msgid)  # type: ignore[attr-defined]
        if message is None:
            out.append(f"missing from cleanse.po: {msgid!r}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            out.append(f"not translated: {msgid!r}")
            continue
        ids = [msgid] if plural is None else [msgid, plural]
        expected = set().union(*(fields(i) for i in ids))
        for s in strings:
            if fields(s) - expected or (plural is None and fields(s) != expected):
                out.append(f"placeholders differ: {msgid!r} -> {s!r}")
    for message in catalogue:  # type: ignore[attr-defined]
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        # click's messages differ between its versions: one this click lacks is kept.
        if key and key not in wanted and "click" not in message.auto_comments:
            out.append(f"stale in cleanse.po (no longer said): {key!r}")
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    if not MO.exists() or MO.read_bytes() != compiled.getvalue():
        out.append(
            "cleanse.mo is not compiled from cleanse.po: python scripts/catalogue.py compile"
        )
    return out


HEADER = """\
# The Vietnamese wording of every line cleanse says.
# Correct a translation (msgstr) here, keep each {placeholder} as it is, then run
#     python scripts/catalogue.py compile
# The English text (msgid) is the key: change it in the code, not here."""


def _place(where: str) -> tuple[str, int]:
    path, line = where.rsplit(":", 1)
    return path, int(line)


def update() -> None:
    """Add the messages the code says and the .po lacks (empty), drop those it no longer
    says; translations already made are kept."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    old = read()
    new = Catalog(
        locale="vi",
        domain="cleanse",
        project="cleanse",
        version="0.1",
        header_comment=HEADER,
        creation_date=old.creation_date,  # type: ignore[attr-defined]
        revision_date=old.revision_date,  # type: ignore[attr-defined]
        last_translator="cleanse",
        language_team="cleanse",
        fuzzy=False,
    )
    ordered = sorted(code_messages().items(), key=lambda kv: _place(kv[1][0]))
    for msgid, places in ordered:
        before = old.get(msgid)  # type: ignore[attr-defined]
        locations = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places]
        new.add(msgid, before.string if before else "", locations=locations)
    clicks = click_messages()
    for message in old:  # type: ignore[attr-defined]  # other click versions' messages
        if "click" in message.auto_comments and message.id and message.id not in clicks:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            clicks[key] = message.id[1] if isinstance(message.id, tuple) else None
    for msgid, plural in clicks.items():
        key = msgid if plural is None else (msgid, plural)
        before = old.get(msgid)  # type: ignore[attr-defined]
        string = before.string if before else ("" if plural is None else ("", ""))
        new.add(key, string, auto_comments=["click"])
    with PO.open("wb") as fh:
        write_po(fh, new, width=100, sort_output=False, omit_header=False)


def compile_mo() -> None:
    from babel.messages.mofile import write_mo

    with MO.open("wb") as fh:
        write_mo(fh, read())


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_mo()
    found = problems()
    for line in found:
        print(line)
    sys.exit(1 if found and command == "check" else 0)

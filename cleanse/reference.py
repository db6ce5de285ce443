"""Domain reference tables shipped with the package (DOMAIN.md §1, §2, §6).

Loaded once from ``cleanse/data``; nothing is read from outside the package at run time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("cleanse.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@dataclass(frozen=True)
class Reference:
    """The reference data the rules, normalisers and sample generator use."""

    place_codes: dict[str, str]  # "001" -> "Hà Nội" (63 provinces, TT 07/2016 Phụ lục I)
    gender_century: dict[str, tuple[str, int]]  # "0" -> ("male", 1900) (Phụ lục III)
    ethnic_groups: dict[str, str]  # "01" -> "Kinh" (QĐ 121-TCTK/PPCĐ)
    ethnic_aliases: dict[str, str]  # alias -> code
    provinces_2025: dict[str, tuple[str, str]]  # old 3-digit code -> (new name, new 2-digit code)
    # "Nguyễn" -> 38.0: percent of the population (Lê Trung Hoa 2005, DOMAIN.md §7.4),
    # the 16 commonest and a tail of 22; the sample draws from it, linking weighs by it.
    surnames: dict[str, float]


@cache
def reference() -> Reference:
    """Load the packaged reference tables (cached)."""
    places = {r["code"]: r["name"] for r in _rows("id_place_codes.csv")}
    gc = {
        r["digit"]: (r["gender"], int(r["century_start_year"]))
        for r in _rows("id_gender_century.csv")
    }
    ethnic = {r["code"]: r["name"] for r in _rows("ethnic_groups.csv")}
    aliases = {r["alias"]: r["code"] for r in _rows("ethnic_group_aliases.csv")}
    merged: dict[str, tuple[str, str]] = {}
    for r in _rows("provinces_2025.csv"):
        for old in r["absorbed_old_codes"].split(";"):
            merged[old.strip()] = (r["new_name"], r["new_code"])
    surnames = {r["surname"]: float(r["percent"]) for r in _rows("surnames.csv")}
    return Reference(places, gc, ethnic, aliases, merged, surnames)

"""Masking IDs, names and log text (SPEC §7): what reaches a screen shows no full ID."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanse.mask import mask_id, mask_name, mask_text

# Text made mostly of digits and the separators numbers are written with, so that long
# numbers, grouped numbers and near misses (8 digits, double spaces) all turn up.
NUMBERISH = st.text(alphabet="0123456789 .-aĐ\t", max_size=80)
LONG_NUMBER = re.compile(r"[0-9](?:[ .]?[0-9]){8,}")
FOUR_DIGITS = re.compile(r"[0-9](?:[ .]?[0-9]){3}")
OPTIONAL_TEXT = st.lists(st.none() | st.text(max_size=30), max_size=20)


@pytest.mark.parametrize(
    ("description", "value", "masked"),
    [
        ("CCCD number", "001085012345", "001******345"),
        ("BHXH code", "0123456789", "012****789"),
        ("CMND number", "123456789", "123***789"),
        ("seven characters", "1234567", "123*567"),
        ("six characters become all stars", "123456", "******"),
        ("short value", "12", "**"),
        ("empty stays empty", "", ""),
        ("letters too", "Nguyễn Văn", "Ngu****Văn"),
    ],
)
def test_mask_id_cases(description: str, value: str, masked: str):
    assert mask_id(pd.Series([value])).tolist() == [masked], description


def test_mask_id_keeps_na_index_and_takes_numbers():
    values = pd.Series(["001085012345", None], index=[7, 3], dtype=object)
    out = mask_id(values)
    assert out.index.tolist() == [7, 3]
    assert out.iloc[0] == "001******345"
    assert pd.isna(out.iloc[1])
    assert mask_id(pd.Series([1085012345, None], dtype="Int64")).iloc[0] == "108****345"


@pytest.mark.parametrize(
    ("description", "value", "masked"),
    [
        ("three words", "Nguyễn Văn An", "N***** V** A*"),
        ("one letter", "Đ", "Đ"),
        ("extra spaces kept", " Lê  Thị ", " L*  T** "),
        ("a tab is masked with the letters", "Lê\tThị", "L*****"),
        ("empty", "", ""),
    ],
)
def test_mask_name_cases(description: str, value: str, masked: str):
    assert mask_name(pd.Series([value])).tolist() == [masked], description


def test_mask_name_keeps_na():
    assert pd.isna(mask_name(pd.Series([None, "An"])).iloc[0])


@pytest.mark.parametrize(
    ("description", "line", "masked"),
    [
        ("CCCD in a message", "id 001085012345 sai", "id 001******345 sai"),
        ("grouped by spaces", "001 085 012 345", "001*********345"),
        ("grouped by dots", "số 1.234.567.890", "số 1.2*******890"),
        ("phone number", "0912345678", "091****678"),
        ("8 digits are not masked", "12345678 and 2024-01-01", "12345678 and 2024-01-01"),
        ("two numbers", "001085012345/0123456789", "001******345/012****789"),
    ],
)
def test_mask_text_cases(description: str, line: str, masked: str):
    assert mask_text(line) == masked, description


@given(OPTIONAL_TEXT)
def test_mask_id_properties(values: list[str | None]):
    out = mask_id(pd.Series(values, dtype=object))
    assert len(out) == len(values)
    for before, after in zip(values, out, strict=True):
        if before is None:
            assert pd.isna(after)
            continue
        assert len(after) == len(before)
        assert set(after[3:-3]) <= {"*"}
        if len(before) > 6:
            assert after[:3] == before[:3] and after[-3:] == before[-3:]
        else:
            assert after == "*" * len(before)
    assert mask_id(out).tolist() == out.tolist()


@given(OPTIONAL_TEXT)
def test_mask_name_properties(values: list[str | None]):
    out = mask_name(pd.Series(values, dtype=object))
    for before, after in zip(values, out, strict=True):
        if before is None:
            assert pd.isna(after)
            continue
        assert len(after) == len(before)
        for word_before, word_after in zip(before.split(" "), after.split(" "), strict=True):
            assert word_after[:1] == word_before[:1]
            assert set(word_after[1:]) <= {"*"}
    assert mask_name(out).tolist() == out.tolist()


@given(st.one_of(NUMBERISH, st.text(max_size=80)))
def test_mask_text_properties(line: str):
    out = mask_text(line)
    assert len(out) == len(line)
    assert not LONG_NUMBER.search(out)
    for found in LONG_NUMBER.finditer(line):
        # No run of 4 of the number's digits survives where the number stood.
        assert not FOUR_DIGITS.search(out[found.start() : found.end()])
    assert mask_text(out) == out

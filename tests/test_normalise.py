"""Normalisers: dates, genders, names and text (SPEC §1, DOMAIN.md §7)."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanse.normalise import (
    clean_text,
    fold_scalar,
    name_key,
    parse_dates,
    parse_gender,
    parse_gender_codes,
)

TEXT = pd.StringDtype("pyarrow")


def series(*values: str | None) -> pd.Series:
    """A text column as the readers produce it."""
    return pd.Series(list(values), dtype=TEXT)


def one_date(value: str | None) -> dict[str, object]:
    """parse_dates of a single value, as a plain dict."""
    return parse_dates(series(value), "dob").iloc[0].to_dict()


def one_gender(value: str | None, codes: dict[str, str] | None = None) -> dict[str, object]:
    """parse_gender of a single value, as a plain dict."""
    return parse_gender(series(value), codes).iloc[0].to_dict()


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parts", "precision"),
    [
        pytest.param("12/05/1990", (1990, 5, 12), "full", id="dd/mm/yyyy"),
        pytest.param("1/5/1990", (1990, 5, 1), "full", id="d/m/yyyy"),
        pytest.param("1990-05-12", (1990, 5, 12), "full", id="yyyy-mm-dd"),
        pytest.param("05/1990", (1990, 5, None), "month", id="mm/yyyy"),
        pytest.param("5/1990", (1990, 5, None), "month", id="m/yyyy"),
        pytest.param("1990", (1990, None, None), "year", id="yyyy"),
        pytest.param("19900512", (1990, 5, 12), "full", id="yyyymmdd"),
        pytest.param("12051990", (1990, 5, 12), "full", id="ddmmyyyy"),
        pytest.param("1990-05-12 00:00:00", (1990, 5, 12), "full", id="excel-midnight"),
        pytest.param("12-05-1990", (1990, 5, 12), "full", id="dd-mm-yyyy"),
        pytest.param("12.05.1990", (1990, 5, 12), "full", id="dd.mm.yyyy"),
        pytest.param(" 12/05/1990 ", (1990, 5, 12), "full", id="stray-spaces"),
        pytest.param("29/02/2000", (2000, 2, 29), "full", id="leap-day-2000"),
        pytest.param("31/12/1899", (1899, 12, 31), "full", id="nineteenth-century"),
    ],
)
def test_date_is_read_into_parts(value: str, parts: tuple, precision: str):
    got = one_date(value)
    read = tuple(
        None if pd.isna(got[f"dob_{k}"]) else got[f"dob_{k}"] for k in ("year", "month", "day")
    )
    assert (read, got["dob_precision"], bool(got["dob_invalid"])) == (parts, precision, False)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("31/02/1990", id="31-february"),
        pytest.param("29/02/1900", id="29-february-1900-not-leap"),
        pytest.param("29/02/1990", id="29-february-1990"),
        pytest.param("31/04/1990", id="31-april"),
        pytest.param("13/13/2000", id="month-13"),
        pytest.param("32/01/2000", id="day-32"),
        pytest.param("00/00/0000", id="zeros"),
        pytest.param("00/1990", id="month-0"),
        pytest.param("abc", id="letters"),
        pytest.param("12/05/90", id="two-digit-year"),
        pytest.param("1990-05-12 10:30:00", id="with-a-time"),
    ],
)
def test_impossible_date_is_invalid(value: str):
    got = one_date(value)
    assert bool(got["dob_invalid"]) is True
    assert pd.isna(got["dob_precision"])
    assert pd.isna(got["dob_year"])


@pytest.mark.parametrize(
    "value",
    [pytest.param("", id="empty"), pytest.param("   ", id="blank"), pytest.param(None, id="NA")],
)
def test_empty_date_is_neither_valid_nor_invalid(value: str | None):
    got = one_date(value)
    assert bool(got["dob_invalid"]) is False
    assert pd.isna(got["dob_precision"])


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        pytest.param("01/01/1985", True, id="01/01/yyyy"),
        pytest.param("1985-01-01", True, id="yyyy-01-01"),
        pytest.param("1/1/1985", True, id="1/1/yyyy"),
        pytest.param("02/01/1985", False, id="2-january"),
        pytest.param("01/02/1985", False, id="1-february"),
        pytest.param("1985", False, id="year-only"),
        pytest.param("01/1985", False, id="january-only"),
    ],
)
def test_first_of_january_is_marked_placeholder(value: str, placeholder: bool):
    assert bool(one_date(value)["dob_placeholder"]) is placeholder


def test_full_date_ord_is_yyyymmdd():
    assert parse_dates(series("12/05/1990", "05/1990"), "dob")["dob_ord"].tolist() == [
        19900512,
        pd.NA,
    ]


def test_date_columns_are_named_by_prefix_and_keep_the_index():
    values = pd.Series(["12/05/1990", "x"], index=[7, 9], dtype=TEXT)
    out = parse_dates(values, "death")
    assert list(out.index) == [7, 9]
    assert list(out.columns) == [
        "death_year",
        "death_month",
        "death_day",
        "death_precision",
        "death_ord",
        "death_invalid",
        "death_placeholder",
    ]


# --- gender ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("Nam", "M", id="Nam"),
        pytest.param("NAM", "M", id="NAM"),
        pytest.param("nam", "M", id="nam"),
        pytest.param("Nữ", "F", id="Nữ"),
        pytest.param("NỮ", "F", id="NỮ"),
        pytest.param("Nu\u0303", "F", id="Nữ-decomposed"),
        pytest.param("Nu", "F", id="Nu"),
        pytest.param("nu", "F", id="nu"),
        pytest.param("M", "M", id="M"),
        pytest.param("F", "F", id="F"),
        pytest.param("male", "M", id="male"),
        pytest.param("Female", "F", id="Female"),
        pytest.param(" Nữ ", "F", id="spaces"),
        pytest.param("1", "M", id="1-default-table"),
        pytest.param("2", "F", id="2-default-table"),
    ],
)
def test_gender_is_read(value: str, code: str):
    got = one_gender(value)
    assert (got["gender_code"], bool(got["gender_invalid"])) == (code, False)
    assert pd.isna(got["gender_suggestion"])


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        pytest.param("Trai", "Nam", id="Trai"),
        pytest.param("Gái", "Nữ", id="Gái"),
        pytest.param("trai", "Nam", id="trai-lower"),
        pytest.param("gai", "Nữ", id="gai-unaccented"),
        pytest.param("GÁI", "Nữ", id="GÁI"),
        pytest.param("Con trai", "Nam", id="Con-trai"),
        pytest.param("Con gái", "Nữ", id="Con-gái"),
        pytest.param("con  gai", "Nữ", id="con-gai-spaced"),
        pytest.param("Bé trai", "Nam", id="Bé-trai"),
        pytest.param("Nam giới", "Nam", id="Nam-giới"),
        pytest.param("Nữ giới", "Nữ", id="Nữ-giới"),
        pytest.param("Đàn ông", "Nam", id="Đàn-ông"),
        pytest.param("Đàn bà", "Nữ", id="Đàn-bà"),
        pytest.param("Phụ nữ", "Nữ", id="Phụ-nữ"),
        pytest.param("Phu nu", "Nữ", id="Phu-nu-unaccented"),
        pytest.param("woman", "Nữ", id="woman"),
    ],
)
def test_gender_word_outside_the_spec_is_invalid_with_its_meaning(value: str, meant: str):
    """SPEC §1: only Nam/Nữ, M/F, male/female are valid; a word whose meaning is plain is
    invalid, with the SPEC value suggested, and gives no gender code (nothing is decided
    on a guess)."""
    got = one_gender(value)
    assert pd.isna(got["gender_code"])
    assert bool(got["gender_invalid"]) is True
    assert got["gender_suggestion"] == meant


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Khác", id="khac-other"),
        pytest.param("x", id="x"),
        pytest.param("?", id="question-mark"),
        pytest.param("3", id="3"),
        pytest.param("Nam/Nữ", id="both"),
        pytest.param("Bà", id="ba-also-father-in-the-south"),
        pytest.param("Ông", id="ong"),
    ],
)
def test_gender_without_a_plain_meaning_gets_no_suggestion(value: str):
    got = one_gender(value)
    assert bool(got["gender_invalid"]) is True
    assert pd.isna(got["gender_suggestion"])


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0", id="0-not-in-default-table"),
        pytest.param("3", id="3"),
        pytest.param("x", id="x"),
        pytest.param("Khác", id="khac-other"),
    ],
)
def test_unknown_gender_is_invalid(value: str):
    got = one_gender(value)
    assert pd.isna(got["gender_code"])
    assert bool(got["gender_invalid"]) is True


@pytest.mark.parametrize(
    "value",
    [pytest.param("", id="empty"), pytest.param("  ", id="blank"), pytest.param(None, id="NA")],
)
def test_empty_gender_is_not_invalid(value: str | None):
    got = one_gender(value)
    assert pd.isna(got["gender_code"])
    assert bool(got["gender_invalid"]) is False


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("0", "M", id="0-is-Nam"),
        pytest.param("1", "F", id="1-is-Nữ"),
        pytest.param("Nam", "M", id="words-still-read"),
    ],
)
def test_gender_code_table_reads_numbers(value: str, code: str):
    assert one_gender(value, parse_gender_codes("0=Nam,1=Nữ"))["gender_code"] == code


def test_gender_code_table_replaces_the_default():
    got = one_gender("2", parse_gender_codes("0=Nam,1=Nữ"))
    assert bool(got["gender_invalid"]) is True


@pytest.mark.parametrize(
    ("spec", "table"),
    [
        pytest.param("0=Nam,1=Nữ", {"0": "M", "1": "F"}, id="0-1"),
        pytest.param("1=nam, 2=NU", {"1": "M", "2": "F"}, id="any-case-and-spaces"),
        pytest.param("1=Nam,2=Nữ,", {"1": "M", "2": "F"}, id="trailing-comma"),
        pytest.param("1=Trai,2=Gái", {"1": "M", "2": "F"}, id="plain-words-stated-by-the-user"),
    ],
)
def test_gender_code_table_is_read(spec: str, table: dict[str, str]):
    assert parse_gender_codes(spec) == table


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("", id="empty"),
        pytest.param("x=Nam", id="code-not-a-number"),
        pytest.param("1=Khác", id="not-a-gender"),
        pytest.param("1Nam", id="no-equals"),
        pytest.param("1=", id="no-gender"),
    ],
)
def test_bad_gender_code_table_raises_value_error(spec: str):
    with pytest.raises(ValueError):
        parse_gender_codes(spec)


# --- names and text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        pytest.param("Nguyễn  Văn Đức", "nguyen van duc", id="accents-and-double-space"),
        pytest.param(unicodedata.normalize("NFD", "Nguyễn Văn Đức"), "nguyen van duc", id="nfd"),
        pytest.param("ĐẶNG", "dang", id="capital-đ"),
        pytest.param("NGUYEN VAN DUC", "nguyen van duc", id="capitals-no-accents"),
        pytest.param("Trần\u00a0Thị\u200b Bình", "tran thi binh", id="odd-spaces"),
        pytest.param("Lê \u0301 Văn", "le van", id="stray-tone-mark-between-spaces"),
    ],
)
def test_name_key_folds_the_name(value: str, key: str):
    assert name_key(series(value)).tolist() == [key]


def test_name_key_nfd_and_nfc_give_one_key():
    name = "Nguyễn Thị Thuỷ"
    keys = name_key(series(name, unicodedata.normalize("NFD", name))).tolist()
    assert keys[0] == keys[1]


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        pytest.param("Nguyễn\u00a0Văn An", "Nguyễn Văn An", id="no-break-space"),
        pytest.param("Nguyễn\u200b Văn An", "Nguyễn Văn An", id="zero-width-space"),
        pytest.param("Nguyê\u200b\u0303n", "Nguyễn", id="zero-width-inside-a-letter"),
        pytest.param("Nguyễn\tVăn\r\nAn", "Nguyễn Văn An", id="tab-and-newline"),
        pytest.param("  Nguyễn   Văn  An ", "Nguyễn Văn An", id="runs-of-spaces"),
        pytest.param(unicodedata.normalize("NFD", "Nguyễn Văn An"), "Nguyễn Văn An", id="nfd"),
        pytest.param("ĐẶNG", "ĐẶNG", id="case-kept"),
    ],
)
def test_clean_text_tidies_the_value(value: str, clean: str):
    assert clean_text(series(value)).tolist() == [clean]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("\u00a0\u200b\t", id="odd-spaces"),
        pytest.param(None, id="NA"),
    ],
)
def test_clean_text_blank_becomes_na(value: str | None):
    assert clean_text(series(value)).isna().tolist() == [True]


@pytest.mark.parametrize(
    "index",
    [
        pytest.param([3, 4], id="later-chunk"),
        pytest.param([1, 0], id="reversed"),
        pytest.param(["x", "y"], id="labels"),
    ],
)
@pytest.mark.parametrize(
    ("normalise", "expected"),
    [
        pytest.param(clean_text, ["Nguyễn Văn An", "Lê Thị Bình"], id="clean_text"),
        pytest.param(name_key, ["nguyen van an", "le thi binh"], id="name_key"),
    ],
)
def test_text_normalisers_keep_the_index(normalise, expected: list[str], index: list):
    values = pd.Series([" Nguyễn Văn An", "Lê Thị Bình "], index=index, dtype=TEXT)
    assert normalise(values).to_dict() == dict(zip(index, expected, strict=True))


@pytest.mark.parametrize(
    "index", [pytest.param([3, 4], id="later-chunk"), pytest.param([1, 0], id="reversed")]
)
def test_parse_gender_keeps_the_index(index: list[int]):
    values = pd.Series(["Nam", "Nữ"], index=index, dtype=TEXT)
    assert parse_gender(values)["gender_code"].to_dict() == dict(zip(index, "MF", strict=True))


@pytest.mark.parametrize(
    ("header", "folded"),
    [
        pytest.param("Họ và tên", "hovaten", id="accents-spaces"),
        pytest.param("Số CMND/CCCD", "socmndcccd", id="punctuation"),
        pytest.param("SĐT", "sdt", id="capital-đ"),
        pytest.param("", "", id="empty"),
    ],
)
def test_fold_scalar_keeps_letters_and_digits(header: str, folded: str):
    assert fold_scalar(header) == folded


# --- properties -----------------------------------------------------------------------

VIETNAMESE = (
    "ăâđêôơưĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "ÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
)
COMBINING = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"
ODD_SPACES = " \u00a0\u200b\u200c\u202f\u3000\ufeff\u00ad\t\r\n"
DATE_CHARS = "0123456789/.-: T"

characters = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(VIETNAMESE + COMBINING + ODD_SPACES),
)
texts = st.text(characters, max_size=24)
date_like = st.one_of(texts, st.text(st.sampled_from(DATE_CHARS), max_size=19))
columns = st.lists(st.one_of(st.none(), texts), max_size=8)
date_columns = st.lists(st.one_of(st.none(), date_like), max_size=8)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(columns)
def test_clean_text_is_idempotent(values: list[str | None]):
    once = clean_text(series(*values))
    assert clean_text(once).tolist() == once.tolist()


@PROPERTY
@given(columns)
def test_clean_text_output_is_nfc(values: list[str | None]):
    out = clean_text(series(*values))
    assert all(unicodedata.is_normalized("NFC", v) for v in out.dropna())


@PROPERTY
@given(columns)
def test_clean_text_keeps_length_and_never_gives_empty_text(values: list[str | None]):
    out = clean_text(series(*values))
    assert len(out) == len(values)
    assert "" not in out.dropna().tolist()


@PROPERTY
@given(columns)
def test_name_key_is_idempotent(values: list[str | None]):
    once = name_key(series(*values))
    assert name_key(once).tolist() == once.tolist()


@PROPERTY
@given(columns)
def test_name_key_output_is_nfc(values: list[str | None]):
    out = name_key(series(*values))
    assert all(unicodedata.is_normalized("NFC", v) for v in out.dropna())


@PROPERTY
@given(columns)
def test_name_key_ignores_normal_form(values: list[str | None]):
    nfd = [None if v is None else unicodedata.normalize("NFD", v) for v in values]
    assert name_key(series(*nfd)).tolist() == name_key(series(*values)).tolist()


@PROPERTY
@given(date_columns)
def test_parse_dates_never_marks_a_value_valid_and_invalid(values: list[str | None]):
    out = parse_dates(series(*values), "dob")
    assert len(out) == len(values)
    assert not (out["dob_precision"].notna() & out["dob_invalid"]).any()


@PROPERTY
@given(date_columns)
def test_parse_dates_reads_every_present_value_one_way_or_the_other(values: list[str | None]):
    out = parse_dates(series(*values), "dob")
    present = clean_text(series(*values)).notna()
    assert ((out["dob_precision"].notna() | out["dob_invalid"]) == present).all()


@PROPERTY
@given(columns)
def test_parse_gender_never_marks_a_value_valid_and_invalid(values: list[str | None]):
    out = parse_gender(series(*values))
    assert len(out) == len(values)
    assert not (out["gender_code"].notna() & out["gender_invalid"]).any()
    assert not (out["gender_suggestion"].notna() & ~out["gender_invalid"]).any()


@PROPERTY
@given(st.text(characters, max_size=40))
def test_fold_scalar_never_raises(text: str):
    folded = fold_scalar(text)
    assert fold_scalar(folded) == folded

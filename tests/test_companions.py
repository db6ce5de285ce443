"""The linking companions prepare() adds: other_id_clean, phone_digits, address_key."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanse.prepare import address_key, other_id_clean, phone_digits, prepare

STRING = pd.StringDtype("pyarrow")


def one(fn, value: str | None) -> str | None:  # type: ignore[no-untyped-def]
    return fn(pa.array([value], pa.string())).to_pylist()[0]


# --- other_id_clean -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("HS-2024.0153", "HS20240153", id="dashes-and-dots"),
        pytest.param(" hs 2024 0153 ", "HS20240153", id="spaces-lower-case"),
        pytest.param("HS\u20132024\u20140153", "HS20240153", id="unicode-dashes"),
        pytest.param("HS\u00a02024", "HS2024", id="no-break-space"),
        pytest.param("0012345", "0012345", id="leading-zeros-kept"),
        pytest.param("Đ-12", "Đ12", id="letter-with-mark-kept"),
        pytest.param("e\u0301-1", "É1", id="decomposed-made-nfc"),
        pytest.param("A/12", "A/12", id="slash-kept"),
        pytest.param("", None, id="empty"),
        pytest.param("  ", None, id="blank"),
        pytest.param(" - . ", None, id="only-separators"),
        pytest.param(None, None, id="null"),
    ],
)
def test_other_id_clean(value: str | None, expected: str | None):
    assert one(other_id_clean, value) == expected


# --- phone_digits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("0912345678", "0912345678", id="national"),
        pytest.param("0912.345.678", "0912345678", id="dots"),
        pytest.param("0912 345 678", "0912345678", id="spaces"),
        pytest.param("+84 912 345 678", "0912345678", id="plus-84"),
        pytest.param("(+84) 912345678", "0912345678", id="plus-84-in-brackets"),
        pytest.param("0084912345678", "0912345678", id="0084"),
        pytest.param("84912345678", "0912345678", id="84-before-nine-digits"),
        pytest.param("912345678", "0912345678", id="zero-a-spreadsheet-dropped"),
        pytest.param("842345678", "0842345678", id="nine-digits-starting-84-is-084"),
        pytest.param("(028) 3822 1234", "02838221234", id="landline"),
        pytest.param("+84 28 3822 1234", "02838221234", id="landline-plus-84"),
        pytest.param("0912345678 / 0987654321", "0912345678", id="first-of-two"),
        pytest.param("0912345678; 0987654321", "0912345678", id="first-of-two-semicolon"),
        pytest.param("0912345678 0987654321", None, id="two-run-together"),
        pytest.param("12345678", None, id="eight-digits"),
        pytest.param("không có", None, id="no-digits"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="null"),
    ],
)
def test_phone_digits(value: str | None, expected: str | None):
    assert one(phone_digits, value) == expected


# --- address_key ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Số 12, Đường Lê Lợi", "so 12 duong le loi", id="accents-d-case"),
        pytest.param("SỐ 12  ĐƯỜNG LÊ LỢI", "so 12 duong le loi", id="capitals-spaces"),
        pytest.param("So 12 - duong Le Loi.", "so 12 duong le loi", id="punctuation"),
        pytest.param("Thôn 3,Xã Yên Thế", "thon 3 xa yen the", id="comma-without-space"),
        pytest.param("Hoà Bình", "hoa binh", id="tone-placement-folded"),
        pytest.param("Ho\u0300a Bi\u0300nh", "hoa binh", id="decomposed"),
        pytest.param("12/4A Nguyễn Trãi", "12 4a nguyen trai", id="house-number"),
        pytest.param(" , ; ", None, id="only-punctuation"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="null"),
    ],
)
def test_address_key(value: str | None, expected: str | None):
    assert one(address_key, value) == expected


# --- normaliser properties ------------------------------------------------------------

TEXT = st.one_of(
    st.none(),
    st.text(
        alphabet=st.sampled_from("0123456789 +-./,;()abcĐđÔôàá\u0301\u00a0\u2013"), max_size=24
    ),
    st.text(max_size=16),
)


@pytest.mark.parametrize("fn", [other_id_clean, phone_digits, address_key])
@given(values=st.lists(TEXT, max_size=8))
def test_companions_never_raise_and_are_idempotent(fn, values):  # type: ignore[no-untyped-def]
    once = fn(pa.array(values, pa.string()))
    assert len(once) == len(values)
    assert fn(once).to_pylist() == once.to_pylist()


# --- in prepare() ---------------------------------------------------------------------


def _frame(**columns: list[str]) -> pd.DataFrame:
    index = pd.RangeIndex(4, 4 + len(next(iter(columns.values()))))  # a later chunk
    return pd.DataFrame({k: pd.array(v, dtype=STRING) for k, v in columns.items()}, index=index)


def test_prepare_adds_the_companions_of_the_columns_the_file_has():
    frame = _frame(
        full_name=["Nguyễn Văn An", "Lê Thị Bình"],
        other_id=["hs-01", ""],
        phone=["+84 912 345 678", "123"],
        address=["Số 12, Đường Lê Lợi", " "],
    )
    out = prepare(frame)
    assert list(out.index) == [4, 5]
    assert out["other_id_clean"].tolist() == ["HS01", pd.NA]
    assert out["phone_digits"].tolist() == ["0912345678", pd.NA]
    assert out["address_key"].tolist() == ["so 12 duong le loi", pd.NA]
    assert out["other_id"].tolist() == ["hs-01", ""]  # the raw column untouched


def test_prepare_gives_all_null_companions_for_absent_columns():
    out = prepare(_frame(full_name=["Nguyễn Văn An", "Lê Thị Bình"]))
    for name in ("other_id_clean", "phone_digits", "address_key"):
        assert out[name].isna().all()
        assert out[name].dtype == STRING

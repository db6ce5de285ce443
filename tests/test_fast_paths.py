"""The fast paths give exactly what the plain computations give.

Cleaning, folding and the NFC test skip values that cannot change and work on distinct
values of repetitive columns; duplicates decide two-row groups in numpy. Each is checked
here against the straightforward version it replaced.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanse.idnumber import parse_ids
from cleanse.normalise import _WIDE_SPACES, _ZERO_WIDTH, clean_arrow, fold_arrow, not_nfc
from cleanse.rules.duplicates import _close_numbers, _close_numbers_vec

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")


def plain_clean(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring_regex(arr, _ZERO_WIDTH, "")
    arr = pc.replace_substring_regex(arr, _WIDE_SPACES, " ")
    arr = pc.replace_substring_regex(arr, " {2,}", " ")
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.utf8_normalize(arr, "NFC")
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def plain_fold(arr: pa.Array) -> pa.Array:
    arr = pc.utf8_normalize(arr, "NFD")
    arr = pc.replace_substring_regex(arr, r"\p{Mn}", "")
    arr = pc.replace_substring(arr, "Đ", "d")
    arr = pc.replace_substring(arr, "đ", "d")
    return plain_clean(pc.utf8_lower(arr))


# Vietnamese letters precomposed and decomposed, the odd spaces, and a few other scripts.
PIECES = [
    "Nguyễn",
    "Nguye\u0302\u0303n",
    "Đức",
    "hoà",
    "hòa",
    "Ho\u0300a",
    "a",
    "Z",
    "0",
    " ",
    "  ",
    "\t",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\u3000",
    "\u2029",
    "\u0301",
    "\u0323",
    "\u212b",
    "\u1100\u1161",
    "가",
    "ﬁ",
    "Ω",
    "\u0344",
    "",
]
values = st.lists(
    st.one_of(
        st.none(),
        st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
        st.text(max_size=8),
    ),
    max_size=40,
)


@given(values)
@settings(max_examples=300, deadline=None)
def test_clean_and_fold_match_the_plain_pipeline(items: list[str | None]) -> None:
    arr = pa.array(items, pa.string())
    assert clean_arrow(arr).equals(plain_clean(arr))
    assert fold_arrow(arr).equals(plain_fold(arr))
    expected = ~np.asarray(
        pc.fill_null(pc.equal(pc.utf8_normalize(arr, "NFC"), arr), True).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    assert (not_nfc(arr) == expected).all()


@given(st.lists(st.sampled_from([p for p in PIECES if p] + [None]), min_size=1, max_size=8))
@settings(max_examples=30, deadline=None)
def test_repetitive_columns_take_the_distinct_value_path(pool: list[str | None]) -> None:
    # 10,000 values drawn from a few: the column is dictionary-encoded, and the answer
    # must be the same as over every value.
    rng = np.random.default_rng(len(pool))
    arr = pa.array([pool[i] for i in rng.integers(0, len(pool), 10_000)], pa.string())
    assert clean_arrow(arr).equals(plain_clean(arr))
    assert fold_arrow(arr).equals(plain_fold(arr))
    chunked = pa.chunked_array([arr.slice(0, 3000), arr.slice(3000)])
    assert clean_arrow(chunked).equals(plain_clean(arr))


def test_the_nfc_table_covers_every_code_point_nfc_can_change() -> None:
    """The packaged ranges hold every combining mark, every character NFC maps away and
    every second letter of a composition pair, by this Python's Unicode tables."""
    from cleanse.normalise import _NFC_UNSTABLE

    needed = set()
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if unicodedata.combining(c) or not unicodedata.is_normalized("NFC", c):
            needed.add(c)
        d = unicodedata.decomposition(c)
        if d and not d.startswith("<") and len(d.split()) == 2:
            needed.add(chr(int(d.split()[1], 16)))
    needed.update(chr(cp) for cp in [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)])
    hits = pc.match_substring_regex(pa.array(sorted(needed)), _NFC_UNSTABLE)
    assert pc.all(hits).as_py()
    # Plain Vietnamese in NFC is outside it: no NFC pass over a clean column.
    assert not pc.any(
        pc.match_substring_regex(pa.array(["Nguyễn Thị Ánh Tuyết", "ĐẶNG VĂN Ơ"]), _NFC_UNSTABLE)
    ).as_py()


# As _number() gives them: a value below 10**length, or (-1, 0) where unusable.
numbers = st.one_of(
    st.just((-1, 0)),
    st.sampled_from([9, 10, 12]).flatmap(
        lambda n: st.tuples(st.integers(0, 10**n - 1), st.just(n))
    ),
    st.sampled_from([9, 10, 12]).flatmap(  # near misses: one digit or a swap apart
        lambda n: st.tuples(
            st.sampled_from([10**n // 3, 10**n // 3 + 1, 10**n // 3 + 10]), st.just(n)
        )
    ),
)


@given(st.lists(st.tuples(numbers, numbers), min_size=1, max_size=50))
@settings(max_examples=200, deadline=None)
def test_vectorised_close_numbers_match_the_scalar_rule(pairs: list) -> None:
    a = np.array([p[0][0] for p in pairs], dtype=np.int64)
    a_len = np.array([p[0][1] for p in pairs], dtype=np.int64)
    b = np.array([p[1][0] for p in pairs], dtype=np.int64)
    b_len = np.array([p[1][1] for p in pairs], dtype=np.int64)
    expected = [
        _close_numbers(int(x), int(xl), int(y), int(yl))
        for x, xl, y, yl in zip(a, a_len, b, b_len, strict=True)
    ]
    assert _close_numbers_vec(a, a_len, b, b_len).tolist() == expected


def test_close_numbers_typo_and_transposition_cases() -> None:
    base = 1085012345
    cases = [
        (base, base + 1, True),  # one digit
        (base, 1085012354, True),  # adjacent digits swapped
        (base, 1085012534, False),  # not adjacent
        (base, base + 11, False),  # two digits differ
    ]
    for x, y, close in cases:
        got = _close_numbers_vec(
            np.array([x]), np.array([12]), np.array([y]), np.array([12])
        ).tolist()
        assert got == [close] == [_close_numbers(x, 12, y, 12)]


def test_parse_ids_plain_digits_and_odd_values() -> None:
    arr = pa.array(["079123456789", "079 123.456-789", "1.23457E+11", "12a", None, "٠١٢"])
    out = parse_ids(arr, "id", cleaned=True)
    assert out["id_digits"].tolist()[:2] == ["079123456789", "079123456789"]
    assert out["id_digits"].isna().tolist() == [False, False, True, True, True, True]
    assert out["id_scientific"].tolist() == [False, False, True, False, False, False]
    assert out["id_present"].tolist() == [True, True, True, True, False, True]


# --- chunks read and prepared ahead, in worker threads ---------------------------------


def _extract(tmp_path, rows: int, bad_at: int | None = None):  # type: ignore[no-untyped-def]
    from cleanse.read import open_extract

    lines = ["Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính"]
    for i in range(rows):
        lines.append(f"0010850{i:05d},Nguyễn Văn An,01/02/1985,Nam")
        if bad_at is not None and i == bad_at:
            lines.append("1,2,3,4,5,6")  # a line with too many fields
    path = tmp_path / "dancu.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return open_extract(path, chunk_rows=3)


@pytest.mark.parametrize("ahead", [1, 2, 3])
def test_prepared_chunks_come_in_file_order(tmp_path, ahead: int) -> None:  # type: ignore[no-untyped-def]
    from cleanse.prepare import prepared_chunks

    ext = _extract(tmp_path, 20)
    got = prepared_chunks([ext], None, lambda i, c, p: (c.first_row, len(p)), ahead=ahead)
    firsts = [first for _, first in got]
    assert firsts == [(1 + 3 * i, 3) for i in range(6)] + [(19, 2)]


@pytest.mark.parametrize("ahead", [2, 3])
def test_read_ahead_never_swaps_two_chunks(tmp_path, monkeypatch, ahead: int) -> None:  # type: ignore[no-untyped-def]
    # The workers race for the reader: whichever wins, task k must read the k-th chunk.
    # A plain lock let a later task read first now and then. Preparing is skipped here:
    # only the reading order is under test, and many streams are needed to see a race.
    import cleanse.prepare
    from cleanse.prepare import prepared_chunks

    monkeypatch.setattr(cleanse.prepare, "prepare", lambda frame, codes, damage=None: frame)
    ext = _extract(tmp_path, 60)
    expected = [1 + 3 * i for i in range(20)]
    for _ in range(100):
        got = prepared_chunks([ext], None, lambda i, c, p: c.first_row, ahead=ahead)
        assert [first for _, first in got] == expected


def test_an_error_in_the_reading_thread_reaches_the_caller(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cleanse.errors import CleanseError
    from cleanse.prepare import prepared_chunks

    ext = _extract(tmp_path, 20, bad_at=10)
    with pytest.raises(CleanseError) as err:
        list(prepared_chunks([ext], None, lambda i, c, p: c.first_row))
    assert "line 13" in str(err.value)  # header, eleven records, then the bad line


def test_files_with_no_records_keep_their_place_in_the_stream(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cleanse.read import open_extract
    from cleanse.validation import validate_extracts

    header = "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính\n"
    record = "001085012345,Nguyễn Văn An,01/02/1985,Nam\n"
    paths = []
    for name, body in [("a", ""), ("b", record * 3), ("c", ""), ("d", ""), ("e", record)]:
        path = tmp_path / f"{name}.csv"
        path.write_text(header + body, encoding="utf-8")
        paths.append(path)
    extracts = [open_extract(p, source="dancu", chunk_rows=2) for p in paths]
    started: list[str] = []
    results = validate_extracts(extracts, on_file=lambda ext: started.append(ext.name))
    assert [r.extract.name for r in results] == ["a.csv", "b.csv", "c.csv", "d.csv", "e.csv"]
    assert started == ["a.csv", "b.csv", "c.csv", "d.csv", "e.csv"]
    assert [r.rows for r in results] == [0, 3, 0, 0, 1]
    # b's three rows share an ID: found within b only, never across files.
    assert set(results[1].findings["rule"]) >= {"record.duplicate"}
    assert results[4].findings.empty or "record.duplicate" not in set(results[4].findings["rule"])

"""Canonical fields, header matching and source kinds (SPEC §1)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from cleanse.errors import CleanseError
from cleanse.normalise import fold_scalar

# Canonical field -> headers seen in real extracts. Matching folds accents, case, spaces
# and punctuation, so "Họ và tên", "HO VA TEN" and "ho_va_ten" are one header.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id_number": (
        "Số định danh cá nhân",
        "Số định danh",
        "Mã định danh",
        "Mã định danh cá nhân",
        "Số CCCD",
        "CCCD",
        "Số CMND/CCCD",
        "Số CCCD/CMND",
        "CMND/CCCD",
        "CCCD/CMND",
        "CMND",
        "Số CMND",
        "Số căn cước",
        "Số thẻ căn cước",
        "Căn cước công dân",
        "Số căn cước công dân",
        "Số CMND/Hộ chiếu/Thẻ căn cước",
        "Số CMND/Thẻ căn cước/Hộ chiếu",
        "Số CMND/CCCD/Hộ chiếu",
        "ID number",
        "cmnd",
    ),
    "full_name": (
        "Họ và tên",
        "Họ tên",
        "Họ, chữ đệm và tên",
        "Họ chữ đệm và tên",
        "Họ và tên đầy đủ",
        "Full name",
        "Name",
        "hoTen",
    ),
    "dob": (
        "Ngày sinh",
        "Ngày tháng năm sinh",
        "Ngày, tháng, năm sinh",
        "Năm sinh",
        "Ngày/tháng/năm sinh",
        "Date of birth",
        "DOB",
        "Birth date",
        "ngaySinh",
    ),
    "gender": ("Giới tính", "Phái", "Gender", "Sex", "gioiTinh"),
    "bhxh_code": (
        "Mã số BHXH",
        "Mã BHXH",
        "Số sổ BHXH",
        "Mã số BHXH/BHYT",
        "Số sổ BHXH/Mã số BHXH",
        "maSoBHXH",
    ),
    "ethnicity": ("Dân tộc", "Ethnicity", "danToc"),
    "nationality": ("Quốc tịch", "Nationality", "quocTich"),
    "address": (
        "Địa chỉ",
        "Nơi thường trú",
        "Địa chỉ thường trú",
        "Nơi cư trú",
        "Nơi ở hiện tại",
        "Nơi cư trú cuối cùng",
        "Address",
    ),
    "ward": ("Xã/Phường", "Phường/Xã", "Xã, phường", "Phường, xã", "Xã", "Phường", "Ward"),
    "province": ("Tỉnh/Thành phố", "Tỉnh/TP", "Tỉnh, thành phố", "Tỉnh", "Province"),
    "event": (
        "Loại sự kiện",
        "Loại việc hộ tịch",
        "Loại việc",
        "Sự kiện hộ tịch",
        "Event",
    ),
    "death_date": (
        "Ngày chết",
        "Ngày mất",
        "Ngày tử vong",
        "Ngày, tháng, năm chết",
        "Ngày tháng năm chết",
        "Date of death",
    ),
    "benefit_type": ("Đối tượng", "Loại đối tượng", "Nhóm đối tượng", "Diện đối tượng"),
    "benefit_status": (
        "Trạng thái hưởng",
        "Tình trạng hưởng",
        "Trạng thái",
    ),
    "benefit_start": (
        "Ngày hưởng",
        "Ngày bắt đầu hưởng",
        "Thời điểm hưởng",
        "Hưởng từ ngày",
        "Hưởng từ tháng",
    ),
    "phone": ("Số điện thoại", "SĐT", "Điện thoại", "Phone"),
}

FIELDS: tuple[str, ...] = tuple(FIELD_ALIASES)

# Folded header -> canonical field; the canonical names themselves match too.
_LOOKUP: dict[str, str] = {}
for _field, _aliases in FIELD_ALIASES.items():
    for _alias in (_field, *_aliases):
        _LOOKUP.setdefault(fold_scalar(_alias), _field)

SOURCE_KINDS: tuple[str, ...] = ("dancu", "bhxh", "hotich", "btxh", "generic")

REQUIRED: dict[str, tuple[str, ...]] = {
    "dancu": ("id_number", "full_name", "dob", "gender"),
    "bhxh": ("bhxh_code", "id_number", "full_name", "dob", "gender"),
    "hotich": ("event", "id_number", "full_name", "dob", "gender"),
    "btxh": ("id_number", "full_name", "dob", "gender", "benefit_type", "benefit_status"),
    "generic": ("full_name", "dob"),
}

SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "dancu": ("dữ liệu dân cư", "population database"),
    "bhxh": ("bảo hiểm xã hội", "social insurance"),
    "hotich": ("hộ tịch", "civil status"),
    "btxh": ("bảo trợ xã hội", "social welfare"),
    "generic": ("danh sách chung", "generic list"),
}


def match_header(header: str) -> str | None:
    """The canonical field a header names, or None for a column to pass through."""
    return _LOOKUP.get(fold_scalar(header))


def nearest_fields(header: str, limit: int = 3) -> list[str]:
    """Canonical fields whose known headers look most like ``header``."""
    folded = fold_scalar(header)
    if not folded:
        return []
    hits = process.extract(folded, list(_LOOKUP), scorer=fuzz.WRatio, limit=limit * 4)
    out: list[str] = []
    for key, score, _ in hits:
        field = _LOOKUP[key]
        if score >= 60 and field not in out:
            out.append(field)
    return out[:limit]


def parse_map_option(items: Iterable[str]) -> dict[str, str]:
    """Read ``--map "Header=field"`` items into {header: field}, checking each field name."""
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, field = item.rpartition("=")
        header, field = header.strip(), field.strip()
        if not sep or not header or not field:
            raise CleanseError(f'--map {item!r} is not of the form "Header=field"')
        if field not in FIELDS:
            near = nearest_fields(field) or list(FIELDS[:3])
            raise CleanseError(
                f"--map {item!r}: {field!r} is not a field; nearest: {', '.join(near)}",
                hint="`cleanse fields` lists them",
            )
        mapping[header] = field
    return mapping


def read_map_file(path: str | Path) -> dict[str, str]:
    """Read a mapping file: one ``Header = field`` a line; ``#`` starts a comment."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CleanseError(f"cannot read the mapping file: {exc}", path=str(p)) from None
    items = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            items.append(line)
    try:
        return parse_map_option(items)
    except CleanseError as exc:
        raise CleanseError(exc.message, path=str(p), hint=exc.hint) from None


@dataclass(frozen=True)
class ColumnMap:
    """How the columns of one file map to canonical fields."""

    headers: tuple[str, ...]  # the file's headers, made unique
    fields: dict[str, str]  # header -> canonical field, for the headers that matched
    explicit: frozenset[str]  # headers mapped by the user

    @property
    def present(self) -> frozenset[str]:
        """Canonical fields the file has."""
        return frozenset(self.fields.values())

    def rename(self) -> dict[str, str]:
        """Column renames for a frame: matched headers to their field names."""
        return dict(self.fields)


def unique_headers(headers: Sequence[str]) -> tuple[str, ...]:
    """Headers with blanks named and repeats numbered (``Ghi chú``, ``Ghi chú (2)``)."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, raw in enumerate(headers, start=1):
        base = name = (raw or "").strip() or f"column {i}"
        # A new name may itself be a later header ("Ghi chú", "Ghi chú", "Ghi chú (2)").
        while name in out:
            seen[base] = seen.get(base, 1) + 1
            name = f"{base} ({seen[base]})"
        out.append(name)
    return tuple(out)


def map_columns(
    headers: Sequence[str], user_map: Mapping[str, str] | None = None, *, path: str | None = None
) -> ColumnMap:
    """Match a file's headers to canonical fields.

    A field the user mapped explicitly is never matched automatically to another header.
    Two headers that both look like one field are an error: which one holds the data
    is a question only the user can answer (``--map``).
    """
    names = unique_headers(headers)
    user_map = dict(user_map or {})
    by_fold = {fold_scalar(h): h for h in names}
    fields: dict[str, str] = {}
    explicit: set[str] = set()
    for header, field in user_map.items():
        actual = header if header in names else by_fold.get(fold_scalar(header), "")
        if not actual:
            continue  # a mapping file serves many extracts; a header it names may be absent
        fields[actual] = field
        explicit.add(actual)
    taken = {f: h for h, f in fields.items()}
    for header in names:
        if header in fields:
            continue
        matched = match_header(header)
        if matched is None or matched in taken and taken[matched] in explicit:
            continue
        field = matched
        if field in taken:
            raise CleanseError(
                f"columns {taken[field]!r} and {header!r} both look like {field}",
                path=path,
                hint=f'choose one with --map "{taken[field]}={field}"',
            )
        fields[header] = field
        taken[field] = header
    return ColumnMap(names, fields, frozenset(explicit))


def detect_kind(present: Iterable[str]) -> str:
    """The source kind a set of canonical fields suggests.

    Civil-status events come first, then the BHXH code (a BHXH list may carry a status
    column too), then welfare columns; a population extract is one with the four
    identity fields and ethnicity or nationality; anything else is generic.
    """
    have = set(present)
    if "event" in have:
        return "hotich"
    if "bhxh_code" in have:
        return "bhxh"
    if have & {"benefit_type", "benefit_status", "benefit_start"}:
        return "btxh"
    if set(REQUIRED["dancu"]) <= have and have & {"ethnicity", "nationality"}:
        return "dancu"
    return "generic"


# A header that holds a long number or a date is a record read as a header.
_VALUE_LIKE = re.compile(r"\d{6,}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}")


_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tabs", "|": "'|'", ":": "':'"}


def _split_by_other_delimiter(header: str) -> str | None:
    """The name of the delimiter ``header`` holds if it is several known headers in one."""
    for delim, name in _DELIMITER_NAMES.items():
        parts = header.split(delim)
        if len(parts) >= 3 and sum(match_header(p.strip(' "')) is not None for p in parts) >= 2:
            return name
    return None


def check_required(columns: ColumnMap, kind: str, *, path: str | None = None) -> None:
    """Raise when a column the kind requires is absent, naming what was found."""
    missing = [f for f in REQUIRED[kind] if f not in columns.present]
    if not missing:
        return
    unmatched = [h for h in columns.headers if h not in columns.fields]
    guesses = []
    for field in missing:
        near = [h for h in unmatched if field in nearest_fields(h)]
        if near:
            guesses.append(f'--map "{near[0]}={field}"')
    if any(_VALUE_LIKE.search(h) for h in columns.headers):
        # A file without a header line, or a header whose quote is never closed and so
        # runs into the records: what was read as headers is personal data, not shown.
        raise CleanseError(
            f"a {kind} extract needs column(s) {', '.join(missing)}; the line read as its "
            "header holds values (long numbers or dates), not column names",
            path=path,
            hint="check that the file starts with its header line and that no quote in it "
            "is left open",
        )
    for header in columns.headers:
        split = _split_by_other_delimiter(header)
        if split:
            # The header line uses a delimiter the records do not (or one that is not
            # read): the --map hint would quote the whole line, which helps nobody.
            raise CleanseError(
                f"a {kind} extract needs column(s) {', '.join(missing)}; the header line "
                f"reads as one column holding names separated by {split}",
                path=path,
                hint="save the file again with one delimiter throughout, in the header and "
                "the records: a comma, a semicolon, a tab or |",
            )
    found = ", ".join(columns.headers[:12]) + (" …" if len(columns.headers) > 12 else "")
    hint = f"try {'; '.join(guesses)}" if guesses else 'map a column with --map "Header=field"'
    raise CleanseError(
        f"a {kind} extract needs column(s) {', '.join(missing)}; found: {found}",
        path=path,
        hint=hint,
    )

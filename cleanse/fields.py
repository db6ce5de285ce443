"""Canonical fields, header matching and source kinds (SPEC §1)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from cleanse.errors import CleanseError
from cleanse.i18n import Msg, msg
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
    # The house number when a file keeps it apart from the street (Số nhà | Đường):
    # joined in front of the address for comparison.
    "house_number": ("Số nhà", "Số nhà/Ngõ", "Số nhà, ngõ", "House number", "Street number"),
    "ward": ("Xã/Phường", "Phường/Xã", "Xã, phường", "Phường, xã", "Xã", "Phường", "Ward"),
    "province": ("Tỉnh/Thành phố", "Tỉnh/TP", "Tỉnh, thành phố", "Tỉnh", "Province"),
    "postcode": ("Mã bưu chính", "Mã bưu điện", "Postcode", "Postal code", "Zip code"),
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
    # A name split over columns, joined into full_name (family, middle, given) when the
    # file has no full-name column. Matched automatically only as a set: "Họ" and "Tên"
    # both (see map_columns), since a lone "Tên" column often holds the whole name.
    # "Họ đệm" holds the family name with the middle name: joined, the name is the same.
    # Not "First name"/"Last name": Vietnamese writes the family name first, so which
    # of the two holds it depends on who filled the form; --map says which.
    "family_name": ("Họ", "Họ đệm", "Họ và chữ đệm", "Họ và tên đệm", "Family name", "Surname"),
    "middle_name": ("Tên đệm", "Chữ đệm", "Tên lót", "Middle name"),
    "given_name": ("Tên", "Tên gọi", "Given name"),
    # Any other person number of a generic extract (a beneficiary or patient number):
    # no header is common enough to guess; map one with --map "Số hồ sơ=other_id".
    "other_id": (),
}

# The parts of a split name, in the order they are joined.
NAME_PARTS: tuple[str, ...] = ("family_name", "middle_name", "given_name")

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


class FileHeader(str):
    """A header named by a mapping file rather than by ``--map``.

    One mapping file serves many extracts, so a file that lacks such a header is not an
    error, and a ``--map`` naming the same field wins over it.
    """

    __slots__ = ()


def map_item(header: str, field: str) -> str:
    """The ``--map`` option that maps ``header`` to ``field``, as a user would type it."""
    return f'--map "{header}={field}"'


def parse_map_option(items: Iterable[str]) -> dict[str, str]:
    """Read ``--map "Header=field"`` items into {header: field}, checking each field name.

    Two items naming one field, or one header (loosely matched) mapped to two fields, are
    an error: which column holds the field is for the user to say once.
    """
    return _parse_map(items, from_file=False)


def _parse_map(items: Iterable[str], *, from_file: bool) -> dict[str, str]:
    def shown(header: str, field: str) -> Msg | str:
        if from_file:
            return msg('the line "{header} = {field}"', header=header, field=field)
        return map_item(header, field)

    mapping: dict[str, str] = {}
    by_fold: dict[str, str] = {}
    by_field: dict[str, str] = {}
    for item in items:
        header, sep, field = item.rpartition("=")
        header, field = header.strip(), field.strip()
        if not sep or not header or not field:
            raise CleanseError(msg('--map {item!r} is not of the form "Header=field"', item=item))
        if field not in FIELDS:
            near = nearest_fields(field) or list(FIELDS[:3])
            raise CleanseError(
                msg(
                    "--map {item!r}: {field!r} is not a field; nearest: {near}",
                    item=item,
                    field=field,
                    near=", ".join(near),
                ),
                hint="`cleanse fields` lists them",
            )
        key = fold_scalar(header) or header
        before = by_fold.get(key)
        if before is not None:
            if mapping[before] == field:
                continue  # the same mapping given twice
            raise CleanseError(
                msg(
                    "{item}: the column {header!r} is already mapped by {before}",
                    item=shown(header, field),
                    header=header,
                    before=shown(before, mapping[before]),
                ),
                hint="map each column to one field",
            )
        other = by_field.get(field)
        if other is not None and not from_file:
            # A mapping file may name one field under several headers (it serves many
            # extracts); a file that has two of them is refused by map_columns.
            raise CleanseError(
                msg(
                    "{item}: {field} is already mapped by {other}",
                    item=shown(header, field),
                    field=field,
                    other=shown(other, field),
                ),
                hint="map one column to each field",
            )
        name = FileHeader(header) if from_file else header
        mapping[name] = field
        by_fold[key] = name
        by_field.setdefault(field, name)
    return mapping


def read_map_file(path: str | Path) -> dict[str, str]:
    """Read a mapping file: one ``Header = field`` a line; ``#`` starts a comment."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CleanseError(
            msg("cannot read the mapping file: {exc}", exc=exc), path=str(p)
        ) from None
    items = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            items.append(line)
    try:
        return _parse_map(items, from_file=True)
    except CleanseError as exc:
        raise CleanseError(exc.message, path=str(p), hint=exc.hint) from None


@dataclass(frozen=True)
class ColumnMap:
    """How the columns of one file map to canonical fields."""

    headers: tuple[str, ...]  # the file's headers, made unique
    fields: dict[str, str]  # header -> canonical field, for the headers that matched
    explicit: frozenset[str]  # headers mapped by the user
    # The parts of a split name joined into full_name, in order (the file has no
    # full-name column); empty when the file has one or no parts.
    joined: tuple[str, ...] = ()
    # (header, field) of --map options naming a header the file does not have.
    absent: tuple[tuple[str, str], ...] = ()

    @property
    def present(self) -> frozenset[str]:
        """Canonical fields the file has (``full_name`` too when it is joined from parts)."""
        have = frozenset(self.fields.values())
        return have | {"full_name"} if self.joined else have

    def rename(self) -> dict[str, str]:
        """Column renames for a frame: matched headers to their field names."""
        return dict(self.fields)

    def header_of(self, field: str) -> str | None:
        """The header of the column that holds ``field``, if one does."""
        return next((h for h, f in self.fields.items() if f == field), None)


def nearest_header(header: str, headers: Iterable[str]) -> str | None:
    """The header among ``headers`` that looks most like ``header`` (None if none is close)."""
    folded: dict[str, str] = {}
    for h in headers:
        folded.setdefault(fold_scalar(h), h)
    hit = process.extractOne(fold_scalar(header), list(folded), scorer=fuzz.WRatio, score_cutoff=50)
    return folded[hit[0]] if hit else None


def absent_header_error(
    header: str, field: str, headers: Sequence[str], *, path: str | None = None
) -> CleanseError:
    """The error for a ``--map`` naming a header that is not among ``headers``."""
    near = nearest_header(header, headers)
    if near is not None:
        return CleanseError(
            msg(
                "{item}: no column is headed {header!r}; nearest: {near!r}",
                item=map_item(header, field),
                header=header,
                near=near,
            ),
            path=path,
            hint=msg("did you mean {item}?", item=map_item(near, field)),
        )
    found = ", ".join(headers[:12]) + (" …" if len(headers) > 12 else "")
    return CleanseError(
        msg(
            "{item}: no column is headed {header!r}; found: {found}",
            item=map_item(header, field),
            header=header,
            found=found,
        ),
        path=path,
        hint="give the header as the file writes it; `cleanse inspect` lists them",
    )


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


def _settle(
    fields: dict[str, str],
    given_by: dict[str, str],
    actual: str,
    header: str,
    field: str,
    path: str | None,
) -> bool:
    """Settle a mapping of ``actual`` to ``field`` against those made before it.

    True when it is to be made (a mapping file's line it clashes with is dropped: the
    option wins), False when it yields to an option; raises on two options or two lines
    of a mapping file that clash.
    """
    clashes = [h for h, f in fields.items() if h == actual or f == field]
    from_file = isinstance(header, FileHeader)
    for other in clashes:
        if from_file and not isinstance(given_by[other], FileHeader):
            return False
    for other in clashes:
        if isinstance(given_by[other], FileHeader) and not from_file:
            del fields[other]
            continue
        if other == actual:
            what = msg(
                "the column {actual!r} is mapped to {other} and to {field}",
                actual=actual,
                other=fields[other],
                field=field,
            )
        else:
            what = msg(
                "columns {other!r} and {actual!r} are both mapped to {field}",
                other=other,
                actual=actual,
                field=field,
            )
        raise CleanseError(
            what,
            path=path,
            hint=msg(
                "map one column to each field, such as {item}",
                item=map_item(other, fields[other]),
            ),
        )
    return True


def map_columns(
    headers: Sequence[str], user_map: Mapping[str, str] | None = None, *, path: str | None = None
) -> ColumnMap:
    """Match a file's headers to canonical fields.

    A field the user mapped explicitly is never matched automatically to another header.
    Two headers that both look like one field are an error: which one holds the data
    is a question only the user can answer (``--map``); so are two headers mapped to one
    field, unless one is a ``--map`` and the other a mapping file's line (the option
    wins). A mapped header the file lacks is skipped; a ``--map`` one is listed in
    ``absent`` for the caller to judge (a ``--map`` given for several files may name a
    header only some of them have). The parts of a split name are matched automatically
    only when the file has both a family and a given name; joined, they make
    ``full_name`` when the file has no full-name column.
    """
    names = unique_headers(headers)
    user_map = dict(user_map or {})
    by_fold = {fold_scalar(h): h for h in names}
    fields: dict[str, str] = {}
    given_by: dict[str, str] = {}  # the file's header -> the user's spelling of it
    absent: list[tuple[str, str]] = []
    for header, field in user_map.items():
        actual = header if header in names else by_fold.get(fold_scalar(header), "")
        if not actual:
            if not isinstance(header, FileHeader):
                absent.append((header, field))
            continue  # a mapping file serves many extracts; a header it names may be absent
        if fields.get(actual) == field:
            continue  # the same mapping twice (a mapping file's line and a --map)
        if not _settle(fields, given_by, actual, header, field, path):
            continue
        fields[actual] = field
        given_by[actual] = header
    explicit = set(fields)
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
                msg(
                    "columns {taken!r} and {header!r} both look like {field}",
                    taken=taken[field],
                    header=header,
                    field=field,
                ),
                path=path,
                hint=msg(
                    'choose one with --map "{taken}={field}"', taken=taken[field], field=field
                ),
            )
        fields[header] = field
        taken[field] = header
    if not {"family_name", "given_name"} <= set(taken):
        # "Tên" alone, or "Họ và tên" beside a "Tên" kept for sorting by given name: the
        # column is not known to be a part of the name, so it passes through.
        for header in [h for h, f in fields.items() if f in NAME_PARTS and h not in explicit]:
            del fields[header]
    have = set(fields.values())
    joined = () if "full_name" in have else tuple(f for f in NAME_PARTS if f in have)
    return ColumnMap(names, fields, frozenset(explicit), joined, tuple(absent))


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
    for header, field in columns.absent:
        if field in missing or field in NAME_PARTS and "full_name" in missing:
            # The field is missing because its --map names no column of this file.
            raise absent_header_error(header, field, columns.headers, path=path)
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
            msg(
                "a {kind} extract needs column(s) {missing}; the line read as its header holds "
                "values (long numbers or dates), not column names",
                kind=kind,
                missing=", ".join(missing),
            ),
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
                msg(
                    "a {kind} extract needs column(s) {missing}; the header line reads as one "
                    "column holding names separated by {split}",
                    kind=kind,
                    missing=", ".join(missing),
                    split=split,
                ),
                path=path,
                hint="save the file again with one delimiter throughout, in the header and "
                "the records: a comma, a semicolon, a tab or |",
            )
    found = ", ".join(columns.headers[:12]) + (" …" if len(columns.headers) > 12 else "")
    hint = (
        msg("try {guesses}", guesses="; ".join(guesses))
        if guesses
        else msg('map a column with --map "Header=field"')
    )
    raise CleanseError(
        msg(
            "a {kind} extract needs column(s) {missing}; found: {found}",
            kind=kind,
            missing=", ".join(missing),
            found=found,
        ),
        path=path,
        hint=hint,
    )

"""Name and place data for the sample generator (DOMAIN.md §7.4).

Synthetic, not drawn from any real register. Weights are percentages or relative shares;
the generator normalises them. Given names are gender-specific. Names that carry a tone
mark in an ``oa``/``oe``/``uy`` open syllable (Hòa, Thủy, Thúy, Thùy, Thụy, Hòe) are listed
in the old style; ``TONE_STYLE`` gives their new-style spelling (DOMAIN.md §7.2).

Plain data; may import cleanse's reference data (``cleanse.reference``: the surname shares).
"""

from __future__ import annotations

from cleanse.reference import reference

# Surname shares, in percent: the packaged table (cleanse/data/surnames.csv).
SURNAMES: dict[str, float] = dict(reference().surnames)

# Middle names: (weight for people born before 1980, weight for people born later).
MIDDLE_MALE: dict[str, tuple[float, float]] = {
    "Văn": (55, 18), "Hữu": (8, 5), "Đức": (7, 8), "Minh": (5, 12), "Quang": (5, 7),
    "Thanh": (4, 5), "Xuân": (4, 3), "Công": (4, 4), "Ngọc": (3, 3), "Đình": (4, 3),
    "Trọng": (2, 3), "Duy": (1, 5), "Anh": (1, 4), "Tuấn": (1, 3), "Hoàng": (1, 5),
    "Gia": (0.5, 5), "Bảo": (0.5, 4), "Thế": (2, 2), "Mạnh": (1, 2), "Quốc": (2, 4),
    "Thành": (1, 2), "Tiến": (1, 2), "Thụy": (0.3, 0.5),
}  # fmt: skip
MIDDLE_FEMALE: dict[str, tuple[float, float]] = {
    "Thị": (65, 22), "Ngọc": (4, 8), "Thu": (4, 6), "Thanh": (4, 5), "Hồng": (4, 4),
    "Kim": (3, 4), "Phương": (1, 5), "Thùy": (1, 5), "Thúy": (2, 3), "Mỹ": (1, 4),
    "Bích": (2, 2), "Minh": (1, 5), "Khánh": (0.5, 4), "Bảo": (0.3, 4), "Hải": (1, 3),
    "Diệu": (0.5, 2), "Như": (0.5, 3), "Lan": (1, 2), "Quỳnh": (0.5, 3), "Hoài": (1, 2),
    "Tuyết": (1, 1), "Cẩm": (1, 2), "Mai": (1, 3),
}  # fmt: skip
# A second middle name (Nguyễn Hoàng Gia Bảo, Trần Ngọc Bảo Anh) is drawn from these.
SECOND_MIDDLE_MALE = ("Gia", "Bảo", "Minh", "Hoàng", "Anh", "Quốc", "Đăng", "Khôi")
SECOND_MIDDLE_FEMALE = ("Ngọc", "Bảo", "Khánh", "Thảo", "Mai", "Phương", "Gia", "An")

GIVEN_MALE: tuple[str, ...] = (
    "An", "Bảo", "Bình", "Cảnh", "Chiến", "Chính", "Công", "Cường", "Dũng", "Duy", "Dương",
    "Đạt", "Định", "Đông", "Đức", "Hải", "Hào", "Hậu", "Hiển", "Hiếu", "Hiệp", "Hòa",
    "Hoàng", "Hùng", "Huy", "Hưng", "Khang", "Khải", "Khánh", "Khoa", "Khôi", "Kiên", "Lâm",
    "Lộc", "Lợi", "Long", "Luân", "Lực", "Mạnh", "Minh", "Nam", "Nghĩa", "Nguyên", "Nhân",
    "Phát", "Phong", "Phú", "Phúc", "Phước", "Quân", "Quang", "Quốc", "Quý", "Sang", "Sơn",
    "Tài", "Tâm", "Thái", "Thành", "Thắng", "Thiện", "Thịnh", "Thông", "Thuận", "Thụy",
    "Tiến", "Toàn", "Trí", "Trọng", "Trung", "Trường", "Tuấn", "Tùng", "Tú", "Việt", "Vinh",
)  # fmt: skip
GIVEN_FEMALE: tuple[str, ...] = (
    "Anh", "Bích", "Châu", "Chi", "Dung", "Diệp", "Diệu", "Duyên", "Đào", "Giang", "Hà",
    "Hạnh", "Hằng", "Hảo", "Hiền", "Hoa", "Hòe", "Hồng", "Huệ", "Hương", "Huyền", "Khuê",
    "Kiều", "Lan", "Lệ", "Liên", "Linh", "Loan", "Lụa", "Ly", "Mai", "My", "Nga", "Ngà",
    "Ngân", "Nguyệt", "Nhàn", "Nhi", "Như", "Nhung", "Oanh", "Phương", "Phượng", "Quyên",
    "Quỳnh", "Sen", "Thảo", "Thắm", "Thơ", "Thu", "Thủy", "Thúy", "Trang", "Trâm", "Trinh",
    "Tuyền", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Thùy",
)  # fmt: skip

# Old-style → new-style tone placement in oa/oe/uy open syllables (not after qu/gi).
TONE_STYLE: dict[str, str] = {
    "Hòa": "Hoà", "Thủy": "Thuỷ", "Thúy": "Thuý", "Thùy": "Thuỳ", "Thụy": "Thuỵ", "Hòe": "Hoè",
}  # fmt: skip

# Ethnic-minority names of the Central Highlands, written with an apostrophe or a hyphen:
# Ê-đê men "Y-Moan Niê", Ê-đê women "H'Hen Niê", Gia-rai women "Ksor H'Blương".
EDE_SURNAMES = ("Niê", "Êban", "Mlô", "Byă", "Adrơng", "Hđơk", "Knul", "Ayũn", "Kbuôr")
JRAI_SURNAMES = ("Ksor", "Rơ Châm", "Siu", "Rơ Mah", "Kpă", "Nay", "Puih", "Rah Lan")
MINORITY_GIVEN_MALE = (
    "Moan", "Jut", "Ngông", "Bih", "Thông", "Bhin", "Kông", "Phu", "Dhăm", "Mơ", "Sươl", "Wai",
)  # fmt: skip
MINORITY_GIVEN_FEMALE = (
    "Blương", "Yuôn", "Hen", "Ngiêm", "Bia", "Wen", "Luyên", "Mai", "Nhung", "Zuyên", "Dơk",
    "Lim",
)  # fmt: skip

# Ethnic groups (codes of ethnic_groups.csv) of people with Kinh-style names, other than
# Kinh: relative shares. The minority-name people above are Ê-đê (12) or Gia-rai (10).
OTHER_ETHNIC: dict[str, float] = {
    "02": 2.0, "03": 2.0, "06": 1.5, "05": 1.5, "04": 1.0, "07": 1.2, "08": 1.4, "09": 1.0,
    "17": 0.2, "18": 0.2, "16": 0.2, "14": 0.2, "13": 0.3, "25": 0.1, "23": 0.1,
}  # fmt: skip

# Place-code weights for the first three ID digits (the rest of the 63 share the remainder).
PLACE_WEIGHTS: dict[str, float] = {
    "001": 10.0, "079": 10.0, "038": 4.0, "040": 3.5, "031": 2.5, "075": 3.0, "074": 2.5,
    "034": 2.0, "036": 2.0, "048": 1.2, "092": 1.2, "066": 2.0, "052": 1.5,
}  # fmt: skip

# Where people who moved away from their birth province live now (new provinces, 2025).
MOVED_TO: dict[str, float] = {
    "Hồ Chí Minh": 40, "Hà Nội": 30, "Đồng Nai": 10, "Đà Nẵng": 5, "Bắc Ninh": 5,
    "Hải Phòng": 5, "Cần Thơ": 5,
}  # fmt: skip
CITIES = ("Hà Nội", "Hải Phòng", "Huế", "Đà Nẵng", "Hồ Chí Minh", "Cần Thơ")

WARD_STEMS: tuple[str, ...] = (
    "An Bình", "An Phú", "Tân Phú", "Tân Định", "Bình Thạnh", "Hòa Bình", "Hòa Thuận",
    "Phú Mỹ", "Phú Lợi", "Long Hưng", "Thạnh Mỹ", "Đông Hòa", "Tây Sơn", "Nam Sơn",
    "Bắc Sơn", "Quang Trung", "Trung Hòa", "Hoàng Mai", "Thanh Xuân", "Cầu Giấy",
    "Vĩnh Hưng", "Vĩnh Phúc", "Xuân Phương", "Xuân Hòa", "Đức Thắng", "Thắng Lợi",
    "Hưng Đạo", "Lê Lợi", "Trần Phú", "Minh Khai", "Đồng Tâm", "Hợp Thành", "Yên Hòa",
    "Yên Thế", "Kim Liên", "Phước Long", "Phước Hải", "Hiệp Thành", "Tân Hiệp", "Mỹ Xuân",
    "Cát Lái", "Bến Thành", "Sài Gòn", "Chánh Hưng", "Định Công", "Tương Mai", "Ninh Kiều",
    "Cái Răng", "Sơn Trà", "Hải Châu", "Ngũ Hành Sơn", "Đông Ngạc", "Thượng Cát",
)  # fmt: skip
STREETS: tuple[str, ...] = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt",
    "Quang Trung", "Nguyễn Huệ", "Lê Duẩn", "Điện Biên Phủ", "Phan Đình Phùng",
    "Nguyễn Văn Cừ", "Võ Văn Kiệt", "Hùng Vương", "Trường Chinh", "Cách Mạng Tháng Tám",
)  # fmt: skip

"""What the four extracts are: file names, columns and formats, the rules each shows,
the values of their coded fields, and the rates of the people model and variations.

Plain data, for every other module of the generator; imports nothing.
"""

from __future__ import annotations

DANCU, BHXH, HOTICH, BTXH = "dancu.csv", "bhxh.csv", "hotich.csv", "btxh.csv"
SOURCES = (DANCU, BHXH, HOTICH, BTXH)

# (canonical field, header) per extract, in file order.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    DANCU: (
        ("id_number", "Số định danh cá nhân"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("ethnicity", "Dân tộc"),
        ("nationality", "Quốc tịch"),
        ("address", "Nơi thường trú"),
        ("ward", "Xã/Phường"),
        ("province", "Tỉnh/Thành phố"),
    ),
    BHXH: (
        ("bhxh_code", "Mã số BHXH"),
        ("id_number", "Số CCCD"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("ethnicity", "Dân tộc"),
        ("address", "Địa chỉ"),
        ("phone", "Số điện thoại"),
        ("benefit_status", "Trạng thái hưởng"),
    ),
    HOTICH: (
        ("event", "Loại việc hộ tịch"),
        ("id_number", "Số định danh cá nhân"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("ethnicity", "Dân tộc"),
        ("nationality", "Quốc tịch"),
        ("death_date", "Ngày chết"),
        ("registration_date", "Ngày đăng ký"),
        ("address", "Nơi cư trú"),
    ),
    BTXH: (
        ("id_number", "Số định danh"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("address", "Địa chỉ"),
        ("benefit_type", "Đối tượng"),
        ("coefficient", "Hệ số"),
        ("amount", "Mức trợ cấp"),
        ("benefit_start", "Ngày hưởng"),
        ("benefit_status", "Trạng thái hưởng"),
    ),
}
# (encoding, delimiter): BHXH and hộ tịch exports carry a BOM, BTXH lists use ';'.
FORMATS: dict[str, tuple[str, str]] = {
    DANCU: ("utf-8", ","),
    BHXH: ("utf-8-sig", ","),
    HOTICH: ("utf-8-sig", ","),
    BTXH: ("utf-8", ";"),
}

# Required fields per kind whose emptiness is `field.missing` (an empty ID is `id.missing`).
MISSING_FIELDS: dict[str, tuple[str, ...]] = {
    DANCU: ("full_name", "dob", "gender"),
    BHXH: ("full_name", "dob", "gender", "bhxh_code"),
    HOTICH: ("full_name", "dob", "gender", "event", "death_date"),
    BTXH: ("full_name", "dob", "gender", "benefit_type", "benefit_status"),
}

# Validate rules injected into every extract, plus the extract-specific ones.
COMMON_RULES = (
    "id.missing",
    "id.format",
    "id.place_code",
    "id.foreign_code",
    "id.gender_century",
    "id.birth_year",
    "id.duplicate",
    "field.missing",
    "dob.invalid",
    "dob.out_of_range",
    "dob.partial",
    "gender.invalid",
    "name.invalid",
    "name.format",
    "text.mojibake",
    "record.duplicate",
)
RULES: dict[str, tuple[str, ...]] = {
    DANCU: COMMON_RULES,
    BHXH: (*COMMON_RULES, "id.legacy", "bhxh.format", "bhxh.duplicate"),
    HOTICH: (*COMMON_RULES, "death.before_birth"),
    BTXH: (*COMMON_RULES, "id.legacy"),
}

# People-model and variation rates (fractions); samples/README.md quotes them.
RATES = {
    "unreferenced": 0.007,  # of people; only in bhxh/btxh
    "dead": 0.015,  # of people aged 3+, weighted towards the old
    "partial_dob": 0.10,  # of people born before 1950
    "bhxh_participant": 0.45,  # of people aged 18-59
    "bhxh_pensioner": 0.30,  # of people aged 60+
    "marriage": 0.02,  # of people aged 20-39
    "btxh_elderly": 0.80,  # of people aged 80+
    "btxh_disabled": 0.01,  # of people, any age
    "btxh_orphan": 0.003,  # of people (all of them children under 16)
    "btxh_single_parent": 0.003,  # of people (all of them women aged 20-49)
    "deceased_active_bhxh": 0.10,  # of dead people in bhxh
    "deceased_active_btxh": 0.20,  # of dead people in btxh
    "id_conflict": 0.003,  # of bhxh rows
    "homonym": 0.001,  # pairs per person: one name, birth date and ward, two people
    "homonym_death": 0.10,  # of homonym pairs: one of the two has died
    "upper": 0.90,  # bhxh names in capitals
    "no_accents": 0.05,  # bhxh, btxh
    "tone_style": 0.02,
    "dob_swap": 0.01,
    "dob_placeholder": 0.01,  # of people born before 1960
    "name_typo": 0.005,
    "middle_name_dropped": 0.005,
    "legacy_id": 0.02,  # bhxh, btxh
    "bhxh_is_id": 0.10,  # bhxh
    "id_spaced": 0.01,  # btxh
}
BASE_ALLOWANCE = 500_000  # mức chuẩn trợ giúp xã hội, đ/month (NĐ 76/2024, DOMAIN.md §5)

GENDER_TEXT = ("Nam", "Nữ")
KHAI_SINH, KHAI_TU, KET_HON = "Khai sinh", "Khai tử", "Kết hôn"
BHXH_STATUS = ("Đang tham gia", "Đang hưởng", "Dừng tham gia", "Dừng hưởng")
BTXH_ACTIVE, BTXH_STOPPED, BTXH_PAUSED = "Đang hưởng", "Dừng hưởng", "Tạm dừng"
BENEFIT_TYPES = (
    "Người cao tuổi từ 80 tuổi trở lên",
    "Người khuyết tật nặng",
    "Người khuyết tật đặc biệt nặng",
    "Trẻ em mồ côi cả cha và mẹ",
    "Người đơn thân nghèo nuôi con",
)
ELDERLY, DISABLED, DISABLED_SEVERE, ORPHAN, SINGLE_PARENT = range(1, 6)

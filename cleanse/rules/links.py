"""Cross-file rules of ``reconcile`` (SPEC §4): their findings come from ``cleanse.link.findings``.

They are registered here so that ``cleanse rules``, reports and summaries know their
severity and messages; ``cleanse.rules`` keeps them apart from the single-file rules of
``validate`` (``RECONCILE_ORDER``).
"""

from __future__ import annotations

from cleanse.rules import file_rule

file_rule(
    "link.field_mismatch",
    severity="warning",
    field="",
    vi="các bản ghi đã liên kết khác nhau về họ tên, ngày sinh, giới tính hoặc số định danh",
    en="linked records disagree on name, birth date, gender or ID",
)
file_rule(
    "link.id_conflict",
    severity="error",
    field="id_number",
    vi="các bản ghi của cùng một người mang số định danh hợp lệ khác nhau",
    en="records of one person carry different well-formed IDs",
)
file_rule(
    "link.unmatched",
    severity="warning",
    field="",
    vi="bản ghi không có bản tương ứng trong dữ liệu dân cư (dữ liệu đối chiếu)",
    en="a record with no counterpart in the reference (population data)",
)
file_rule(
    "person.duplicate",
    severity="error",
    field="",
    vi="hai dòng của cùng một tệp thuộc về một người (báo ở các dòng sau dòng đầu)",
    en="two rows of the same extract belong to one person (reported after the first)",
)
file_rule(
    "vital.deceased_active",
    severity="error",
    field="benefit_status",
    vi="người đã chết (có đăng ký khai tử hoặc ngày chết) vẫn đang hưởng hoặc tham gia "
    "sau tháng chết",
    en="a deceased person (death registration or death date) is still active "
    "after the month of death",
)

"""Benchmark writing the Excel report: ``report.xlsx`` for a million findings.

    python benchmarks/report_xlsx.py --findings 1000000 --out bench-out [--check]

The findings are synthetic but shaped like a district's validate run: every SPEC column,
IDs with their leading zeros, Vietnamese names and messages, suggestions on a share of
the rows, and the person's name and ID beside each finding (``attach_people``). Only the
writing of the workbook is timed (``write_tables(..., ["xlsx"])``), in this process; the
table is built first. Prints a line and writes ``OUT/report_xlsx.json`` with the seconds,
the peak RSS of the process (MiB), what the writing added to the memory the findings
already held (Linux) and the file's size. With ``--check`` the workbook is
then read back with openpyxl in read-only mode to count its rows (slow: minutes at 1M).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleanse.write import attach_people, write_tables  # noqa: E402

RULES = [
    ("id.format", "error", "id_number", "số định danh sai định dạng: không phải 9 hoặc 12 chữ số"),
    ("id.leading_zeros", "error", "id_number", "số định danh mất số 0 ở đầu (do Excel)"),
    ("name.format", "warning", "full_name", "họ tên chưa chuẩn: thừa dấu cách"),
    ("dob.invalid", "error", "dob", "ngày sinh không đọc được hoặc không có thật"),
    ("record.duplicate", "error", None, "cùng một người xuất hiện trên nhiều dòng"),
    ("gender.invalid", "error", "gender", "giới tính không hợp lệ"),
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Thu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Khánh", "Lan", "Nam", "Thảo", "Yến"]


def findings_table(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` findings over ``n // 2`` records of two files, and those records' people."""
    rng = np.random.default_rng(seed)
    records = max(1, n // 2)
    ids = pd.Series(rng.integers(1_000_000_000, 99_999_999_999, records)).astype(str)
    ids = ids.str.zfill(12)
    names = (
        pd.Series(np.array(FAMILY)[rng.integers(0, len(FAMILY), records)])
        + " "
        + np.array(MIDDLE)[rng.integers(0, len(MIDDLE), records)]
        + " "
        + np.array(GIVEN)[rng.integers(0, len(GIVEN), records)]
    )
    source = np.where(np.arange(records) % 2 == 0, "bhxh-quan-1.csv", "btxh-quan-1.xlsx")
    rows = np.arange(records) // 2 + 1
    people = pd.DataFrame({"source": source, "row": rows, "full_name": names, "id_number": ids})
    at = np.sort(rng.integers(0, records, n))
    rule = rng.integers(0, len(RULES), n)
    codes, severities, fields, messages = (np.array([r[i] for r in RULES]) for i in range(4))
    their_id = ids.to_numpy()[at]
    zeros_lost = pd.Series(their_id).str.lstrip("0").to_numpy()  # id.leading_zeros' value
    value = np.where(fields[rule] == "id_number", their_id, names.to_numpy()[at])
    value = np.where(rule == 1, zeros_lost, value)
    suggestion = np.where(rule == 1, their_id, None)
    related = np.where(rule == 4, np.maximum(rows[at] - 1, 1), -1)
    findings = pd.DataFrame(
        {
            "source": pd.array(source[at], dtype="string"),
            "row": pd.array(rows[at], dtype="Int64"),
            "rule": pd.array(codes[rule], dtype="string"),
            "severity": pd.array(severities[rule], dtype="string"),
            "field": pd.array(fields[rule], dtype="string"),
            "value": pd.array(value, dtype="string"),
            "message": pd.array(messages[rule], dtype="string"),
            "suggestion": pd.array(suggestion, dtype="string"),
            "related_source": pd.array(np.where(related > 0, source[at], None), dtype="string"),
            "related_row": pd.array(np.where(related > 0, related, None), dtype="Int64"),
        }
    )
    return findings, people


def run(n: int, out: Path, *, check: bool = False) -> dict[str, object]:
    """Build ``n`` findings, time writing their report; return the figures."""
    findings, people = findings_table(n)
    table = attach_people(findings, people)
    summary = {
        "command": "validate",
        "lang": "vi",
        "inputs": [
            {"source": s, "kind": "bhxh", "rows": int(n // 4), "findings": int(c)}
            for s, c in findings["source"].value_counts(sort=False).items()
        ],
        "counts": {
            "findings": n,
            "by_rule": {str(k): int(v) for k, v in findings["rule"].value_counts().items()},
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.xlsx").unlink(missing_ok=True)
    before = _reset_peak()
    start = time.perf_counter()
    (path,) = write_tables({"findings": table}, out, ["xlsx"], summary=summary)
    seconds = time.perf_counter() - start
    result: dict[str, object] = {
        "findings": n,
        "seconds": round(seconds, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # Linux: the resident memory with the findings built, and the most the writing
        # added to it (the peak is reset before it starts).
        "rss_before_mib": before,
        "writing_added_mib": (_status("VmHWM") - before) if before is not None else None,
        "size_mb": round(path.stat().st_size / 1e6, 1),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "run_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if check:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        result["rows_read_back"] = sum(
            wb[t].max_row - 1 for t in wb.sheetnames if t.startswith("findings")
        )
        wb.close()
    return result


def _status(key: str) -> int:
    """A ``/proc/self/status`` memory figure in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024
    raise KeyError(key)


def _reset_peak() -> int | None:
    """Reset the process's peak resident memory (Linux); return its resident MiB now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status("VmRSS")
    except OSError:
        return None


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: time the report and print one line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument("--check", action="store_true", help="read the workbook back (slow)")
    args = ap.parse_args(argv)
    result = run(args.findings, args.out / "report-xlsx", check=args.check)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report_xlsx.json").write_text(json.dumps(result, indent=2))
    added = result.get("writing_added_mib")
    print(
        f"report.xlsx: {result['findings']:,} findings in {result['seconds']:.2f} s, "
        f"{result['size_mb']} MB, peak {result['peak_mib']} MiB"
        + (f" (writing added {added} MiB)" if added is not None else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The peer for ``cleanse reconcile``: Splink 5 (DuckDB backend), set up as a competent user would.

    python benchmarks/splink_peer.py DATA_DIR OUT_JSON

reads the four extracts (``dancu.csv``, ``bhxh.csv``, ``hotich.csv``, ``btxh.csv``) in
DATA_DIR, links and deduplicates them, writes the clusters it finds to OUT_JSON with the
suffix ``.parquet`` (columns ``source, row, cluster``; ``row`` is the 1-based data row, as
in ``truth/persons.csv``) and a report to OUT_JSON: versions, the configuration, counts
and the seconds of each stage. ``benchmarks/run.py`` runs it in its own process, so its
wall time and peak memory are measured like the ``cleanse`` steps, and scores the clusters
with the same pairwise F1 as ``cleanse reconcile``'s.

What a Splink user would write, with no knowledge of ``cleanse``:

* **Preparation** (pandas): every column read as text; the columns mapped by their
  Vietnamese headers (ID: ``Số định danh cá nhân``, ``Số định danh`` or ``Số CCCD``;
  ``Họ và tên``, ``Ngày sinh``, ``Giới tính``); the name folded (lower case, accents and
  đ removed, anything but letters and spaces dropped, spaces collapsed) and split into
  surname (first word) and first name (last word); the birth date parsed from
  ``dd/mm/yyyy`` or ``yyyy-mm-dd`` to an ISO string (anything else, such as a year alone,
  is null) and the birth year taken as the trailing 4 digits (so a year alone keeps it);
  the gender mapped to ``M``/``F`` from Nam/Nữ (also male/female, 1/2), anything else
  null; the ID reduced to its digits (no zero-padding).
* **Model**: ``link_and_dedupe`` over the four extracts, one input table each (they are
  four sources, and each can hold duplicates of its own), ``unique_id`` = the row.
* **Blocking** for predictions: same birth date; same surname, first name and birth
  year; same ID. Under 57 million pairs at a million people, where birth year with
  surname alone would give 2.3 billion (every Nguyễn born in one year in one block).
* **Comparisons**: ``NameComparison`` (exact, Jaro-Winkler ≥ 0.92, 0.88, 0.7) on the
  folded name; ``DateOfBirthComparison`` on the ISO date (exact, Levenshtein ≤ 1, within
  a month, a year, ten years); exact gender; ID exact or Levenshtein ≤ 1, ≤ 2.
* **Training**: the prior from the deterministic rule "same ID" (recall 0.9); u by
  random sampling of 1e7 pairs (seeded); m by expectation maximisation blocked on the
  birth date, then on the folded name, each on at most 1e7 pairs and without term
  frequencies (the model has none).
* **Prediction**: pairs with match probability ≥ 0.9, clustered by connected components
  at 0.9.

DuckDB runs in memory with one thread per usable core and never installs an extension;
nothing is fetched. Nothing personal is printed: stage timings go to stderr.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    from splink import SettingsCreator

EXTRACTS = ("dancu.csv", "bhxh.csv", "hotich.csv", "btxh.csv")
ID_HEADERS = ("Số định danh cá nhân", "Số định danh", "Số CCCD")
NAME, DOB, GENDER = "Họ và tên", "Ngày sinh", "Giới tính"
THRESHOLD = 0.9
BLOCKING = (("dob",), ("surname", "first_name", "birth_year"), ("id",))
EM_RULES = (("dob",), ("name",))
PRIOR_RECALL = 0.9
U_PAIRS = 1e7
EM_PAIRS = 1e7

_started = time.perf_counter()
_last = _started
STAGES: dict[str, float] = {}


def stage(name: str) -> None:
    """Record the seconds since the last stage; say so on stderr (no record's content)."""
    global _last
    now = time.perf_counter()
    STAGES[name] = round(now - _last, 3)
    _last = now
    print(f"[splink_peer {now - _started:7.1f}s] {name}", file=sys.stderr)


def read_extract(path: Path) -> pd.DataFrame:
    """Read one extract with every column as text; delimiter sniffed, BOM dropped."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    sep = ";" if first.count(";") > first.count(",") else ","
    names = next(csv.reader([first], delimiter=sep))
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf-8"),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
    )
    return table.to_pandas()  # pyarrow drops a UTF-8 BOM itself


def fold(s: pd.Series) -> pd.Series:
    """Lower case, accents and đ removed, only letters and spaces kept, spaces collapsed.

    An empty result is null.
    """
    out = (
        s.str.lower()
        .str.replace("đ", "d", regex=False)
        .str.normalize("NFD")
        .str.replace(r"[\u0300-\u036f]", "", regex=True)
        .str.replace(r"[^a-z\s]", "", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    return out.where(out != "")


def prepare(raw: pd.DataFrame) -> pd.DataFrame:
    """Map the extract's columns to the model's and clean them lightly."""
    id_col = next(c for c in ID_HEADERS if c in raw.columns)
    name = fold(raw[NAME])
    words = name.str.split(" ")
    dob_raw = raw[DOB].str.strip()
    dob = pd.to_datetime(dob_raw, format="%d/%m/%Y", errors="coerce")
    dob = dob.fillna(pd.to_datetime(dob_raw, format="%Y-%m-%d", errors="coerce"))
    # Nam/Nữ in every extract; 1/2 is the usual numeric code. Anything else is unknown.
    gender = (
        raw[GENDER]
        .str.strip()
        .map({"1": "M", "2": "F"})
        .fillna(fold(raw[GENDER]).map({"nam": "M", "male": "M", "nu": "F", "female": "F"}))
    )
    ident = raw[id_col].str.replace(r"\D", "", regex=True)
    return pd.DataFrame(
        {
            "unique_id": pd.RangeIndex(1, len(raw) + 1),
            "name": name,
            "first_name": words.str[-1],
            "surname": words.str[0],
            "dob": dob.dt.strftime("%Y-%m-%d"),
            # From the date, else the trailing year of a partial date ("03/1942").
            "birth_year": dob.dt.strftime("%Y").fillna(
                dob_raw.str.extract(r"(\d{4})$", expand=False)
            ),
            "gender": gender,
            "id": ident.where(ident != ""),
        }
    ).astype(
        {
            "name": "string",
            "first_name": "string",
            "surname": "string",
            "dob": "string",
            "birth_year": "string",
            "gender": "string",
            "id": "string",
        }
    )


def settings() -> tuple[SettingsCreator, dict[str, object]]:
    """The Splink settings, and a summary of the whole configuration for the report."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    creator = SettingsCreator(
        link_type="link_and_dedupe",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in BLOCKING],
        comparisons=[
            cl.NameComparison("name"),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.ExactMatch("gender"),
            cl.LevenshteinAtThresholds("id", [1, 2]),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    summary: dict[str, object] = {
        "link_type": "link_and_dedupe (one input table per extract, unique_id = row)",
        "blocking_rules": [" & ".join(rule) for rule in BLOCKING],
        "comparisons": [
            "NameComparison(name): exact, Jaro-Winkler >= 0.92, 0.88, 0.7",
            "DateOfBirthComparison(dob ISO string): exact, Levenshtein <= 1, "
            "<= 1 month, <= 1 year, <= 10 years",
            "ExactMatch(gender)",
            "LevenshteinAtThresholds(id, [1, 2])",
        ],
        "prior": f"deterministic rule id, recall {PRIOR_RECALL}",
        "u": f"random sampling, max_pairs {U_PAIRS:.0e}, seed 1",
        "em": [f"{' & '.join(rule)} (max_pairs {EM_PAIRS:.0e})" for rule in EM_RULES],
        "threshold_match_probability": THRESHOLD,
        "clustering": f"connected components at {THRESHOLD}",
    }
    return creator, summary


def main(argv: list[str]) -> int:
    """Link DATA_DIR's extracts with Splink; write the report and the clusters."""
    if len(argv) != 2:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    data, report = Path(argv[0]), Path(argv[1])

    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    tables = {src: prepare(read_extract(data / src)) for src in EXTRACTS}
    stage("read and prepare")

    con = duckdb.connect(":memory:")
    # No network: never fetch a DuckDB extension. Threads: one per core we may use.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"SET threads = {len(os.sched_getaffinity(0))}")
    db_api = DuckDBAPI(con)
    inputs = [
        db_api.register(df, dataset_display_name=src.removesuffix(".csv"))
        for src, df in tables.items()
    ]
    creator, summary = settings()
    linker = Linker(inputs, creator, log_level=logging.WARNING)
    stage("register")

    linker.training.estimate_probability_two_random_records_match(
        [block_on("id")], recall=PRIOR_RECALL
    )
    stage("prior")
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=1)
    stage("u")
    for rule in EM_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*rule), estimate_without_term_frequencies=True, max_pairs=EM_PAIRS
        )
        stage(f"em {' & '.join(rule)}")

    pairs = linker.inference.predict(threshold_match_probability=THRESHOLD)
    stage("predict")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, THRESHOLD)
    stage("cluster")

    out = report.with_suffix(".parquet")
    con.sql(
        f"""
        select source_dataset || '.csv' as source,
               cast(unique_id as bigint) as "row",
               cluster_id as cluster
        from {clusters.physical_name}
        order by source, "row"
        """
    ).write_parquet(str(out))

    def scalar(sql: str) -> int:
        return int(con.execute(sql).fetchall()[0][0])

    counts = {
        "records": sum(map(len, tables.values())),
        "pairs_at_threshold": scalar(f"select count(*) from {pairs.physical_name}"),
        "clusters": scalar(f"select count(distinct cluster_id) from {clusters.physical_name}"),
    }
    stage("write")
    report.write_text(
        json.dumps(
            {
                "versions": {"splink": _version("splink"), "duckdb": duckdb.__version__},
                "settings": summary,
                "counts": counts,
                "stages": STAGES,
            },
            indent=2,
        )
    )
    return 0


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

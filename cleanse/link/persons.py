"""Links, review pairs and persons: ``link``, which returns a ``LinkResult``.

``link`` takes the candidate pairs (``blocking``), scores them (``scoring``), links the
pairs from the threshold that the twins guard and the other rules on top of the score
let through, and groups the links into persons under the chaining guard (``_guard``: a
person never holds two IDs that cannot be one person; links that would chain them go to
review). The other pairs from the review threshold go to review, and each person gets a
stable ``person_id``, a keyed digest of its number or name and birth date.

May import: the standard library, numpy, pandas, pyarrow, ``cleanse.secret`` and, of
``cleanse.link``, ``arrays``, ``blocking``, ``scoring``, ``levels``, ``reasons``,
``records`` and ``weights``: every step of linking, none of the reconcile tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.link.arrays import _Arrays, _arrays, _distinct
from cleanse.link.blocking import _block_pairs, _candidates, _identical
from cleanse.link.levels import _dob_levels, _id_similarity
from cleanse.link.reasons import _reasons
from cleanse.link.records import _STRING
from cleanse.link.scoring import _calibrated, _score, offset
from cleanse.link.weights import _DOB_COMPATIBLE, _ID_NEAR, ID_DIFF, METHODS
from cleanse.secret import keyed_digests

CAP_GUARD = 300  # id-carrying records of a component checked pairwise; more: rebuilt


@dataclass
class LinkResult:
    """Links, pairs for review and persons, all by record index into the records frame.

    ``links`` and ``review``: ``left, right`` (record indices, left < right), ``method``
    (``id``, ``bhxh``, ``fuzzy``), ``score`` in [0, 1], ``reason`` (English words);
    method and reason are categoricals. ``persons``: ``record, source, row, person_id``,
    one row per record in record order. ``stats``: counts per blocking pass, skipped
    blocks, guard rejections and timings.
    """

    links: pd.DataFrame
    review: pd.DataFrame
    persons: pd.DataFrame
    stats: dict[str, object] = field(default_factory=dict)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components by hooking and pointer jumping: each record's smallest member."""
    parent = np.arange(n, dtype=np.int64)
    u, v = left, right
    while len(u):
        pu, pv = parent[u], parent[v]
        keep = pu != pv
        if not keep.any():
            break
        u, v, pu, pv = u[keep], v[keep], pu[keep], pv[keep]
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return parent


def _conflict(a: _Arrays, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """0 none; 1 different well-formed IDs that cannot be one person; 2 different IDs, one
    extract.

    IDs one digit apart, or with two neighbouring digits swapped, count as one ID
    mistyped. Different IDs cannot be one person when the birth dates differ, or when
    both IDs are consistent with their own records and neither phone nor address ties
    the two records.
    """
    ids = (a.id12[ia] >= 0) & (a.id12[ib] >= 0) & (a.id12[ia] != a.id12[ib])
    sim = _id_similarity(a, ia, ib)
    ids &= ~np.isin(sim, _ID_NEAR)
    same_src = a.src[ia] == a.src[ib]
    dob_bad = ~np.isin(_dob_levels(a, ia, ib), _DOB_COMPATIBLE)
    pa_, pb_ = a.phone[ia], a.phone[ib]
    tied = ((pa_ >= 0) & (pa_ == pb_)) | ((a.address[ia] >= 0) & (a.address[ia] == a.address[ib]))
    two_people = (sim == ID_DIFF) & ~tied
    return np.select([ids & same_src, ids & (dob_bad | two_people)], [2, 1], 0).astype(np.int8)


def _guard(
    a: _Arrays, left: np.ndarray, right: np.ndarray, score: np.ndarray, method: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Components of the links, minus the links that would chain different people.

    Returns the component root of every record and, per link, 0 (kept) or the conflict
    kind that rejected it.
    """
    labels = _components(a.n, left, right)
    rejected = np.zeros(len(left), dtype=np.int8)
    has_id = np.flatnonzero(a.id12 >= 0)
    if not len(has_id) or not len(left):
        return labels, rejected
    # Components holding two or more different IDs are suspects; check them pairwise.
    # Sorted by component then ID: a component with two IDs has a change of ID inside.
    order = np.lexsort((a.id12[has_id], labels[has_id]))
    lab, ids = labels[has_id][order], a.id12[has_id][order]
    suspects = _distinct(lab[1:][(lab[1:] == lab[:-1]) & (ids[1:] != ids[:-1])])
    if not len(suspects):
        return labels, rejected
    members = has_id[np.isin(labels[has_id], suspects)]
    key = np.full(a.n, -1, dtype=np.int64)
    key[members] = labels[members]
    ia, ib, _, _ = _block_pairs(key, CAP_GUARD)
    kinds = _conflict(a, ia, ib)
    sizes = np.bincount(labels[members], minlength=a.n)
    bad = np.zeros(a.n, dtype=bool)
    bad[labels[ia[kinds > 0]]] = True
    bad[np.flatnonzero(sizes > CAP_GUARD)] = True
    if not bad.any():
        return labels, rejected
    # Rebuild the conflicting components greedily, strongest links first.
    edges = np.flatnonzero(bad[labels[left]])
    edges = edges[np.lexsort((method[edges], -score[edges]))]
    parent: dict[int, int] = {}
    anchors: dict[int, list[int]] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for e in edges.tolist():
        ru, rv = find(int(left[e])), find(int(right[e]))
        if ru == rv:
            continue
        au = anchors.get(ru, [ru] if a.id12[ru] >= 0 else [])
        av = anchors.get(rv, [rv] if a.id12[rv] >= 0 else [])
        if au and av:
            xa = np.repeat(np.array(au, dtype=np.int64), len(av))
            xb = np.tile(np.array(av, dtype=np.int64), len(au))
            kind = _conflict(a, xa, xb).max()
            if kind:
                rejected[e] = kind
                continue
        parent[rv] = ru
        anchors[ru] = au + av
        anchors.pop(rv, None)
    nodes = np.flatnonzero(bad[labels])
    labels = labels.copy()
    labels[nodes] = [find(int(x)) for x in nodes.tolist()]
    return labels, rejected


def _hashes(texts: list[str]) -> np.ndarray:
    """``P`` + the first 12 hex digits of the keyed digest of each text."""
    # Keyed, so that a person_id cannot be turned back into the ID it came from.
    return np.array(["P" + d[:12] for d in keyed_digests(texts)], dtype=object)


def _group_min(comp: np.ndarray, values: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    out = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, comp[mask], values[mask])
    return out


def _padded(values: np.ndarray, width: int, prefix: str = "") -> list[str]:
    """Numbers as zero-padded text (with a prefix), in one Arrow pass."""
    text = pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, "0")
    if prefix:
        text = pc.binary_join_element_wise(prefix, text, "")
    return text.to_pylist()


def _person_ids(records: pd.DataFrame, a: _Arrays, labels: np.ndarray) -> np.ndarray:
    """A stable ``person_id`` per record (see docs/linking.md)."""
    comp, _ = pd.factorize(labels)
    comp = np.asarray(comp, dtype=np.int64)
    size = int(comp.max()) + 1 if len(comp) else 0
    none = np.iinfo(np.int64).max
    ref_id = _group_min(comp, a.id12, (a.id12 >= 0) & a.reference, size)
    any_id = _group_min(comp, a.id12, a.id12 >= 0, size)
    cmnd = _group_min(comp, a.cmnd, a.cmnd >= 0, size)
    bhxh = _group_min(comp, a.bhxh, a.bhxh >= 0, size)
    number = np.where(ref_id != none, ref_id, any_id)
    # What the person_id hashes: 0 an ID, 1 a CMND, 2 a BHXH code, 3 a name and date.
    kind = np.select([number != none, cmnd != none, bhxh != none], [0, 1, 2], 3)
    value = np.select([kind == 0, kind == 1, kind == 2], [number, cmnd, bhxh], -1)
    base = np.empty(size, dtype=object)
    for k, width, prefix in ((0, 12, ""), (1, 9, "cmnd:"), (2, 10, "bhxh:")):
        where = np.flatnonzero(kind == k)
        base[where] = _padded(value[where], width, prefix)

    def label_of(idx: np.ndarray) -> list[str]:
        """Folded name and birth date ("name|y-m-d") of records, for the few that need it."""
        sub = records.iloc[idx]
        dob = (
            sub["dob_year"].astype("string").fillna("")
            + "-"
            + sub["dob_month"].astype("string").fillna("")
            + "-"
            + sub["dob_day"].astype("string").fillna("")
        )
        return (sub["name_key"].fillna("") + "|" + dob).tolist()

    by_name = kind == 3
    if by_name.any():
        idx = np.flatnonzero(by_name[comp])
        name_min: dict[int, str] = {}
        for c, text in zip(comp[idx].tolist(), label_of(idx), strict=True):
            if c not in name_min or text < name_min[c]:
                name_min[c] = text
        for c, text in name_min.items():
            base[c] = "name:" + text
    ids = _hashes(base.tolist())

    # Persons with one base (a number two persons share, not linked): -2, -3 … in a
    # content order. Numbers are compared as numbers, names as text.
    key = kind.astype(np.int64) * np.int64(10**13) + value
    dup = np.zeros(size, dtype=bool)
    numeric = np.flatnonzero(~by_name)
    order = numeric[np.argsort(key[numeric], kind="stable")]
    same = key[order][1:] == key[order][:-1]
    dup[order[1:][same]] = dup[order[:-1][same]] = True
    if by_name.any():
        named = np.flatnonzero(by_name)
        dup[named] = pd.Series(base[named], dtype=object).duplicated(keep=False).to_numpy()
    if dup.any():
        _number_suffixes(records, a, comp, base, ids, dup, label_of)
    return ids[comp]


def _number_suffixes(
    records: pd.DataFrame,
    a: _Arrays,
    comp: np.ndarray,
    base: np.ndarray,
    ids: np.ndarray,
    dup: np.ndarray,
    label_of: Callable[[np.ndarray], list[str]],
) -> None:
    """Tell apart the persons in ``dup`` that share a base: ``-2``, ``-3`` … in place."""
    rec = np.flatnonzero(dup[comp])
    texts = label_of(rec)
    sources = records["source"].iloc[rec].astype(str).tolist()
    rows = records["row"].iloc[rec].tolist()
    info: dict[int, list] = {}
    for r, c, t, s, w in zip(rec.tolist(), comp[rec].tolist(), texts, sources, rows, strict=True):
        holds = a.id12[r] >= 0 and base[c] == f"{a.id12[r]:012d}"
        cur = info.setdefault(c, [0, 0, "\uffff", ("\uffff", 0)])
        cur[0] -= int(holds and a.reference[r])  # holds the number in the reference
        cur[1] -= int(holds)  # holds it on more records
        cur[2] = min(cur[2], t)
        cur[3] = min(cur[3], (s, int(w)))
    groups: dict[str, list[int]] = {}
    for c in info:
        groups.setdefault(base[c], []).append(c)
    for members in groups.values():
        members.sort(key=lambda c: info[c])
        for k, c in enumerate(members[1:], start=2):
            ids[c] = f"{ids[c]}-{k}"


def _pairs_frame(
    left: np.ndarray,
    right: np.ndarray,
    method: np.ndarray,
    score: np.ndarray,
    reason: pd.Categorical,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "left": left.astype(np.int64),
            "right": right.astype(np.int64),
            "method": pd.Categorical.from_codes(method.astype(np.int64), pd.Index(list(METHODS))),
            "score": score.astype(float),
            "reason": reason,
        }
    )


def link(
    records: pd.DataFrame,
    *,
    threshold: float = 0.85,
    review_threshold: float = 0.70,
    reference: int | None = None,
    twins_guard: bool = True,
) -> LinkResult:
    """Link the records of ``load_records`` into persons (see docs/linking.md).

    Args:
        threshold: the score from which a pair is linked.
        review_threshold: the score from which an unlinked pair goes to ``review``.
        reference: the ``src`` of the reference extract; None takes every ``dancu``
            extract as the reference. It decides ``person_id`` only.
        twins_guard: keep records whose given names clearly differ out of links
            (review at most) unless they share a number. Off only for lists known to
            hold no twins (one record per person in each, such as FEBRL's): then the
            score decides.
    """
    if not 0.0 <= review_threshold <= threshold <= 1.0:
        raise ValueError("thresholds must satisfy 0 <= review_threshold <= threshold <= 1")
    started = time.perf_counter()
    stats: dict[str, object] = {"records": len(records)}
    records = records.reset_index(drop=True)
    a = _arrays(records, reference)
    same_as = _identical(a)
    copies = np.flatnonzero(same_as != np.arange(a.n))
    stats["identical_records"] = int(len(copies))
    left, right = _candidates(a, stats, same_as == np.arange(a.n))
    stats["seconds_blocking"] = round(time.perf_counter() - started, 3)
    prior = offset(len(records))
    stats["offset_bits"] = round(prior, 2)
    # Identical records are one person: each copy joins its first record unscored.
    n_scored = len(left)
    left = np.concatenate([left, same_as[copies]])
    right = np.concatenate([right, copies])
    sc = _score(a, left, right, prior)
    star = np.zeros(len(left), dtype=bool)
    star[n_scored:] = True
    sc.score = _calibrated(sc, prior, ~star)
    sc.score[star] = 1.0
    sc.veto[star] = sc.weak[star] = sc.apart[star] = False
    if not twins_guard:
        sc.veto[:] = False
    stats["seconds_scoring"] = round(time.perf_counter() - started, 3)

    linked = (sc.score >= threshold) & ~sc.veto & ~sc.weak & ~sc.apart
    band = (sc.score >= review_threshold) & ~sc.veto & ~sc.apart & ~linked
    band |= sc.veto & sc.shared & (sc.score >= review_threshold)
    li = np.flatnonzero(linked)
    labels, rejected = _guard(a, left[li], right[li], sc.score[li], sc.method[li])
    kept = li[rejected == 0]
    refused = li[rejected > 0]
    stats["guard_rejected"] = int(len(refused))
    stats["kept_apart"] = int((sc.apart & (sc.score >= review_threshold)).sum())

    rv = np.sort(np.concatenate([np.flatnonzero(band), refused]))
    rv = rv[labels[left[rv]] != labels[right[rv]]]  # already one person through others
    notes = np.zeros(len(left), dtype=np.int64)
    notes[sc.weak & (sc.score >= threshold)] = 4
    notes[sc.veto] = 1
    notes[refused] = np.where(rejected[rejected > 0] == 2, 3, 2)

    links = _pairs_frame(
        left[kept],
        right[kept],
        sc.method[kept],
        sc.score[kept],
        _reasons(sc.reason[kept], notes[kept]),
    )
    review = _pairs_frame(
        left[rv], right[rv], sc.method[rv], sc.score[rv], _reasons(sc.reason[rv], notes[rv])
    )
    person_id = _person_ids(records, a, labels)
    persons = pd.DataFrame(
        {
            "record": np.arange(len(records), dtype=np.int64),
            "source": records["source"].array,
            "row": records["row"].to_numpy(dtype=np.int64),
            "person_id": pd.array(person_id, dtype=_STRING),
        }
    )
    stats["links"] = int(len(kept))
    stats["review"] = int(len(rv))
    stats["persons"] = int(len(_distinct(labels)))
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return LinkResult(links=links, review=review, persons=persons, stats=stats)

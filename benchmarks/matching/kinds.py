"""Benchmark case kinds: one maker per hard case, and the workload builder.

This module owns *which documents the benchmark feeds the matcher*: for each
kind in :data:`CASE_RATES` (clean, nickname, maiden name, OCR slips, twins,
foreign MRN, unknown patient, batch fax, ...) a maker that builds the
document's entities from a roster row, with the truth per page range and
whether the policy should file it.  Deterministic by seed; no I/O.
"""

from __future__ import annotations

import datetime as dt
import random

from benchmarks.matching.cases import (
    CASE_RATES,
    Case,
    Groups,
    Person,
    Row,
    Truth,
    Workload,
    _fallback_rows,
    confusable_dob,
    e164,
    entities_of,
    load_rows,
    ocr_digit,
    ocr_name_typo,
    pages_for,
    person_from,
    single,
    strip_accents,
    to_patient,
)
from indexer.matching.normalize import date_relation, fold, nickname_equivalent
from indexer.matching.types import Alias
from intake.model import PageEntities


class CaseMaker:
    """Builds one case of a given kind from the roster (deterministic by its rng)."""

    def __init__(self, rows: list[Row], groups: dict[str, list[list[str]]], extras: dict[str, dict[str, str]],
                 alias_mrns: set[str]) -> None:
        self.rows = rows
        self.by_mrn = {r["mrn"]: r for r in rows}
        self.pid = {r["mrn"]: i + 1 for i, r in enumerate(rows)}
        self.groups = groups
        self.extras = extras
        self.alias_mrns = alias_mrns
        self.twin_mrns = {m for g in groups.get("twins", []) for m in g}
        self.stranger_seq = 0
        self.dobs_by_name: dict[tuple[str, str], list[dt.date]] = {}
        for r in rows:
            self.dobs_by_name.setdefault((r["family_name"], r["given_name"]), []).append(
                dt.date.fromisoformat(r["dob"]))

    # helpers
    def _pick(self, rng: random.Random, kind: str | None = None) -> Row:
        if kind and self.groups.get(kind):
            return self.by_mrn[rng.choice(rng.choice(self.groups[kind]))]
        return rng.choice(self.rows)

    def _one(self, rng: random.Random, row: Row, p: Person, kind: str, fileable: bool = True) -> Case:
        e = single(p, rng)
        return Case(kind, e, [Truth((1, len(e.pages)), self.pid[row["mrn"]], fileable and self.ok(row, p))])

    def ok(self, row: Row, p: Person) -> bool:
        """Not a twin, and not registered twice unless the document names the chart by MRN."""
        dups = {m for g in self.groups.get("duplicate_chart", []) for m in g}
        return row["mrn"] not in self.twin_mrns and (row["mrn"] not in dups or p.mrn is not None)

    def _stranger(self) -> Row:
        """A person not in the roster."""
        self.stranger_seq += 1
        try:
            from samples.roster import make_stranger
        except ImportError:  # pragma: no cover
            row = dict(_fallback_rows(1, 10_000 + self.stranger_seq)[0][0])
            row["dob"] = "1901-01-01"
            return row
        return make_stranger(self.stranger_seq, self.rows)

    def _namesake_born_alike(self, family: str, given: str, dob: str) -> bool:
        """A roster patient with this name born on this day or one OCR slip from it exists."""
        day = dt.date.fromisoformat(dob)
        return any(date_relation(day, d)[0] != "conflict" for d in self.dobs_by_name.get((family, given), []))

    def make(self, kind: str, rng: random.Random) -> Case | None:
        return getattr(self, "k_" + kind)(rng)

    # kinds
    def k_clean(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        return self._one(rng, row, person_from(row, rng), "clean")

    def k_mrn_and_name(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng, mrn_rate=1.0)
        p.dob = None
        return self._one(rng, row, p, "mrn_and_name")

    def k_ocr_typo_name(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng)
        if rng.random() < 0.5:
            p.family = ocr_name_typo(rng, p.family)
        else:
            p.given = ocr_name_typo(rng, p.given)
        return self._one(rng, row, p, "ocr_typo_name")

    def k_nickname(self, rng: random.Random) -> Case:
        row = self._pick(rng, "nickname")
        p = person_from(row, rng)
        p.given = self.extras.get(row["mrn"], {}).get("nickname", p.given)
        return self._one(rng, row, p, "nickname")

    def _maiden(self, rng: random.Random, with_alias: bool) -> Case | None:
        pool = [g for g in self.groups.get("maiden_name", []) if (g[0] in self.alias_mrns) == with_alias]
        if not pool:
            return None
        row = self.by_mrn[rng.choice(pool)[0]]
        p = person_from(row, rng, mrn_rate=0.0)
        p.family = self.extras[row["mrn"]]["maiden_name"]
        kind = "maiden_alias" if with_alias else "maiden_no_alias"
        in_roster = (row.get("middle_name") or "") == p.family  # maiden name kept as middle name
        return self._one(rng, row, p, kind, fileable=with_alias or in_roster)

    def k_maiden_alias(self, rng: random.Random) -> Case | None:
        return self._maiden(rng, True)

    def k_maiden_no_alias(self, rng: random.Random) -> Case | None:
        return self._maiden(rng, False)

    def k_hyphenated(self, rng: random.Random) -> Case:
        row = self._pick(rng, "hyphenated")
        p = person_from(row, rng)
        parts = p.family.split("-")
        p.family = rng.choice([parts[0], parts[-1], " ".join(parts), p.family])
        return self._one(rng, row, p, "hyphenated")

    def k_diacritics(self, rng: random.Random) -> Case:
        row = self._pick(rng, "diacritics")
        p = person_from(row, rng)
        p.family, p.given = strip_accents(p.family), strip_accents(p.given)
        return self._one(rng, row, p, "diacritics")

    def k_apostrophe(self, rng: random.Random) -> Case:
        row = self._pick(rng, "apostrophe")
        p = person_from(row, rng)
        p.family = p.family.replace("'", rng.choice(["", " ", "’"]))
        return self._one(rng, row, p, "apostrophe")

    def k_suffix(self, rng: random.Random) -> Case:
        row = self._pick(rng, "suffix")
        p = person_from(row, rng)
        base, _, sfx = p.family.rpartition(" ")
        p.family = rng.choice([base, f"{base} {sfx}.", f"{base}, {sfx}"]) if base else p.family
        return self._one(rng, row, p, "suffix")

    def k_swapped_dob(self, rng: random.Random) -> Case:
        for _ in range(50):
            row = self._pick(rng)
            d = dt.date.fromisoformat(row["dob"])
            if d.day <= 12 and d.day != d.month:
                p = person_from(row, rng)
                p.dob = dt.date(d.year, d.day, d.month).isoformat()
                return self._one(rng, row, p, "swapped_dob")
        return self.k_clean(rng)

    def k_ocr_dob_digit(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng)
        p.dob = confusable_dob(rng, row["dob"]) or row["dob"]
        return self._one(rng, row, p, "ocr_dob_digit")

    def k_ocr_mrn_digit(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng, mrn_rate=1.0)
        p.mrn = ocr_digit(rng, row["mrn"], start=2)
        if rng.random() < 0.3:
            p.dob = None
        # the slip may produce another patient's MRN: then the document is contradictory
        return self._one(rng, row, p, "ocr_mrn_digit", fileable=p.dob is not None and p.mrn not in self.by_mrn)

    def k_swapped_name_order(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng)
        p.family, p.given = p.given, p.family
        return self._one(rng, row, p, "swapped_name_order")

    def k_same_name_diff_dob(self, rng: random.Random) -> Case:
        row = self._pick(rng, "same_name_diff_dob")
        return self._one(rng, row, person_from(row, rng), "same_name_diff_dob")

    def k_twins(self, rng: random.Random) -> Case:
        row = self._pick(rng, "twins")
        return self._one(rng, row, person_from(row, rng), "twins", fileable=False)

    def k_foreign_mrn_only(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng, mrn_rate=0.0)
        p.foreign = f"VC{rng.randint(0, 999999):06d}"
        return self._one(rng, row, p, "foreign_mrn_only", fileable=False)

    def k_foreign_plus_own_mrn(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng, mrn_rate=1.0)
        p.foreign = f"H{rng.randint(0, 99999999):08d}"
        return self._one(rng, row, p, "foreign_plus_own_mrn")

    def k_unknown_patient(self, rng: random.Random) -> Case:
        p = person_from(self._stranger(), rng, mrn_rate=0.0)
        e = single(p, rng)
        return Case("unknown_patient", e, [Truth((1, len(e.pages)), None, False)])

    def k_unknown_same_name(self, rng: random.Random) -> Case:
        row = self._pick(rng, "same_name_diff_dob") if rng.random() < 0.5 else self._pick(rng)
        s = self._stranger()
        # a namesake born on the same day (or one OCR slip away) is indistinguishable without an MRN:
        # no matcher can tell them apart, so the benchmark does not pretend to
        while self._namesake_born_alike(row["family_name"], row["given_name"], s["dob"]):
            s = self._stranger()
        p = person_from(s, rng, mrn_rate=0.0)
        p.family, p.given = row["family_name"], row["given_name"]
        e = single(p, rng)
        return Case("unknown_same_name", e, [Truth((1, len(e.pages)), None, False)])

    def k_two_patients_one_doc(self, rng: random.Random) -> Case:
        a, b = self._pick(rng), self._pick(rng, )
        pa, pb = person_from(a, rng), person_from(b, rng)
        page = pages_for(pa, 1, 1, rng)[0]
        other = pages_for(pb, 1, 1, rng)[0]
        page.names += other.names
        page.dobs += other.dobs
        page.mrns += other.mrns
        return Case("two_patients_one_doc", entities_of([pa, pb], [page]), [Truth((1, 1), None, False)])

    def k_name_only(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng, mrn_rate=0.0)
        p.dob = None
        return self._one(rng, row, p, "name_only", fileable=False)

    def k_wrong_dob(self, rng: random.Random) -> Case:
        row = self._pick(rng)
        p = person_from(row, rng)
        true = dt.date.fromisoformat(row["dob"])
        d = true + dt.timedelta(days=rng.randint(400, 4000))
        while date_relation(d, true)[0] != "conflict":  # an OCR-near DOB is not a wrong DOB
            d += dt.timedelta(days=rng.randint(30, 300))
        p.dob = d.isoformat()
        return self._one(rng, row, p, "wrong_dob", fileable=False)

    def k_batch_fax(self, rng: random.Random) -> Case:
        """Cover page + two or three patients' documents back to back."""
        cover = PageEntities(page=1, is_cover=True)
        pages, truth, people = [cover], [], []
        seen: set[str] = set()
        for n in range(3 if rng.random() < 0.3 else 2):
            row = self._pick(rng)
            while row["mrn"] in seen:  # the same patient twice in a row would be one document
                row = self._pick(rng)
            seen.add(row["mrn"])
            p = person_from(row, rng)
            first = len(pages) + 1
            count = rng.choice((1, 1, 2, 3))
            pages += pages_for(p, first, count, rng)
            truth.append(Truth((1 if n == 0 else first, first + count - 1), self.pid[row["mrn"]], self.ok(row, p)))
            people.append(p)
        return Case("batch_fax", entities_of(people, pages), truth)


    def k_household(self, rng: random.Random) -> Case:
        """A household member, with the shared phone and address on the document."""
        row = self._pick(rng, "household")
        p = person_from(row, rng)
        p.phone, p.address = e164(row["phone"]), f"{row['address']}, {row['city']}, {row['state']}"
        return self._one(rng, row, p, "household")

    def k_unknown_household_member(self, rng: random.Random) -> Case:
        """A new baby or relative not registered yet: same family name, phone and address as patients."""
        row = self._pick(rng, "household")
        p = person_from(row, rng, mrn_rate=0.0)
        s = self._stranger()
        while self._namesake_born_alike(row["family_name"], s["given_name"], s["dob"]):
            s = self._stranger()
        p.given, p.dob, p.sex = s["given_name"], s["dob"], s["sex"]
        p.phone, p.address = e164(row["phone"]), f"{row['address']}, {row['city']}, {row['state']}"
        e = single(p, rng)
        return Case("unknown_household_member", e, [Truth((1, len(e.pages)), None, False)])

    def k_unregistered_twin(self, rng: random.Random) -> Case:
        """The twin of a patient, not registered: same family name, DOB, phone and address."""
        row = self._pick(rng)
        p = person_from(row, rng, mrn_rate=0.0, moved_rate=0.0)
        s = self._stranger()
        while nickname_equivalent(fold(s["given_name"]), fold(row["given_name"])) or \
                self._namesake_born_alike(row["family_name"], s["given_name"], row["dob"]):
            s = self._stranger()
        p.given, p.middle, p.sex = s["given_name"], "", s["sex"] if rng.random() < 0.5 else None
        e = single(p, rng)
        return Case("unregistered_twin", e, [Truth((1, len(e.pages)), None, False)])

    def k_unknown_near_dob(self, rng: random.Random) -> Case | None:
        """Someone not in the roster whose name equals a patient's and whose DOB is one OCR slip away."""
        row = self._pick(rng)
        p = person_from(row, rng, mrn_rate=0.0)
        p.dob = confusable_dob(rng, row["dob"]) or row["dob"]
        if dt.date.fromisoformat(p.dob) in self.dobs_by_name[(row["family_name"], row["given_name"])]:
            return None  # that namesake *is* in the roster
        p.phone = p.address = None
        e = single(p, rng)
        return Case("unknown_near_dob", e, [Truth((1, len(e.pages)), None, False)])

    def k_wrong_mrn(self, rng: random.Random) -> Case:
        """Name and DOB of one patient, another patient's MRN (a clerical slip at the sender)."""
        row, other = self._pick(rng), self._pick(rng)
        p = person_from(row, rng)
        p.mrn = other["mrn"]
        return self._one(rng, row, p, "wrong_mrn", fileable=other["mrn"] == row["mrn"])


    def k_duplicate_chart(self, rng: random.Random) -> Case | None:
        """A person registered twice (two MRNs); the document has name and DOB only."""
        if not self.groups.get("duplicate_chart"):
            return None
        pair = rng.choice(self.groups["duplicate_chart"])
        truth = rng.choice(pair)  # either chart may be the one the clerk would pick
        p = person_from(self.by_mrn[truth], rng, mrn_rate=0.0)
        e = single(p, rng)
        return Case("duplicate_chart", e, [Truth((1, len(e.pages)), self.pid[truth], False)])


def _duplicate_charts(rows: list[Row], groups: Groups, rng: random.Random, rate: float = 0.004) -> list[Row]:
    """Register a few patients a second time under a new MRN and a newer address (a classic data-quality trap)."""
    used = {r["mrn"] for r in rows}
    twins = {m for g in groups.get("twins", []) for m in g}
    out: list[Row] = []
    for row in rng.sample(rows, int(len(rows) * rate)):
        if row["mrn"] in twins:
            continue
        mrn = row["mrn"]
        while mrn in used:
            mrn = f"CF{rng.randint(100000, 999999):06d}"
        used.add(mrn)
        dup = dict(row, mrn=mrn, address=f"{rng.randint(10, 9899)} Orchard Ln")
        out.append(dup)
        groups.setdefault("duplicate_chart", []).append([row["mrn"], mrn])
    return out


def build_workload(patients: int, cases: int, seed: int) -> Workload:
    """Roster + aliases + ``cases`` documents with truth."""
    rows, groups, extras, source = load_rows(patients, seed)
    rng = random.Random(f"cases:{seed}")
    rows = rows + _duplicate_charts(rows, groups, rng)
    maiden = [g[0] for g in groups.get("maiden_name", [])]
    alias_mrns = {m for m in maiden if rng.random() < 0.6}  # clerks already confirmed these
    maker = CaseMaker(rows, groups, extras, alias_mrns)
    pts = [to_patient(i + 1, r) for i, r in enumerate(rows)]
    aliases = [Alias(maker.pid[m], extras[m]["maiden_name"]) for m in sorted(alias_mrns)]
    kinds, weights = list(CASE_RATES), list(CASE_RATES.values())
    out: list[Case] = []
    while len(out) < cases:
        kind = rng.choices(kinds, weights)[0]
        case = maker.make(kind, random.Random(rng.random()))
        if case is not None:
            out.append(case)
    return Workload(pts, aliases, out, source)

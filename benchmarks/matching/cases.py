"""Benchmark cases for the matcher: documents with known truth, hard cases at realistic rates.

This module owns the *synthetic workload* of :mod:`benchmarks.matching`:
a roster (from :mod:`samples.roster` when available, else a small built-in
generator), clerk-confirmed aliases for some maiden names, and
:class:`Case` objects — an :class:`Entities` as the extractor would produce
it (including OCR slips) plus the truth per page range.  Pure and
deterministic by seed; no I/O.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field

from indexer.matching.normalize import CONFUSABLE
from indexer.matching.types import Alias, RosterPatient
from intake.model import Entities, NameMention, PageEntities, ValueMention

Row = dict[str, str]

# kind -> share of the document stream
CASE_RATES: dict[str, float] = {
    "clean": 0.30, "mrn_and_name": 0.06, "ocr_typo_name": 0.07, "nickname": 0.06,
    "maiden_alias": 0.015, "maiden_no_alias": 0.01, "hyphenated": 0.02, "diacritics": 0.02,
    "apostrophe": 0.01, "suffix": 0.015, "swapped_dob": 0.03, "ocr_dob_digit": 0.02,
    "ocr_mrn_digit": 0.03, "swapped_name_order": 0.015, "same_name_diff_dob": 0.03, "twins": 0.02,
    "foreign_mrn_only": 0.06, "foreign_plus_own_mrn": 0.03, "unknown_patient": 0.05,
    "unknown_same_name": 0.02, "two_patients_one_doc": 0.02, "batch_fax": 0.04, "name_only": 0.02,
    "wrong_dob": 0.01, "household": 0.03, "unknown_household_member": 0.01, "unknown_near_dob": 0.01,
    "wrong_mrn": 0.01, "duplicate_chart": 0.01, "unregistered_twin": 0.01,
}
# Kinds the policy must send to review even though the truth patient is in the roster.
MANDATORY_REVIEW = frozenset({"twins", "foreign_mrn_only", "wrong_dob", "maiden_no_alias", "name_only", "wrong_mrn"})
_OCR_LETTERS = {"m": "rn", "rn": "m", "e": "c", "c": "e", "a": "o", "o": "a", "i": "l", "l": "i",
                "h": "b", "u": "v", "n": "h", "cl": "d", "d": "cl"}


@dataclass
class Truth:
    pages: tuple[int, int]
    patient_id: int | None  # None: not in roster, or several patients
    fileable: bool  # the policy should file it automatically


@dataclass
class Case:
    kind: str
    entities: Entities
    truth: list[Truth] = field(default_factory=list)


@dataclass
class Workload:
    patients: list[RosterPatient]
    aliases: list[Alias]
    cases: list[Case]
    source: str  # where the roster came from


# --------------------------------------------------------------------------- roster
Groups = dict[str, list[list[str]]]  # hard-case kind -> MRN lists
Extras = dict[str, dict[str, str]]  # mrn -> {"nickname": ..., "maiden_name": ...}


def load_rows(count: int, seed: int) -> tuple[list[Row], Groups, Extras, str]:
    """Rows, hard-case groups (kind -> MRN lists) and extras (mrn -> nickname/maiden)."""
    try:
        from samples.roster import build_roster
    except ImportError:  # pragma: no cover - samples/ is another engineer's work in progress
        return _fallback_rows(count, seed) + ("built-in generator",)
    r = build_roster(count, seed)
    groups: Groups = {}
    extras: Extras = {}
    for g in r.groups:
        groups.setdefault(g.kind, []).append(list(g.mrns))
        for m in g.mrns:
            if "nickname" in g.extra:
                extras.setdefault(m, {})["nickname"] = str(g.extra["nickname"])
            if "maiden_name" in g.extra:
                extras.setdefault(m, {})["maiden_name"] = str(g.extra["maiden_name"])
    return r.rows, groups, extras, "samples.roster"


def _fallback_rows(count: int, seed: int) -> tuple[list[Row], Groups, Extras]:
    rng = random.Random(f"fallback:{seed}")
    fams = ["Smith", "Johnson", "Garcia", "Nguyen", "Lee", "Brown", "Okafor", "Lindqvist", "Muñoz", "O'Brien",
            "Garcia-Lopez", "Patel", "Kowalski", "Yamamoto", "Baxter", "Delgado"]
    givs = ["Robert", "William", "Elizabeth", "Margaret", "Mary", "John", "José", "Zoë", "Emma", "Liam",
            "Priya"]
    rows: list[Row] = []
    mrns = rng.sample(range(100000, 1000000), count)
    for i in range(count):
        d = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 34000))
        rows.append({"mrn": f"CF{mrns[i]:06d}", "family_name": rng.choice(fams),
                     "given_name": rng.choice(givs), "middle_name": "", "dob": d.isoformat(),
                     "sex": rng.choice("FM"),
                     "phone": f"(555) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                     "address": f"{rng.randint(1, 999)} Maple St", "city": "Salem", "state": "OR",
                     "postal_code": "97301"})
    groups: Groups = {"twins": [], "nickname": [], "maiden_name": []}
    extras: Extras = {}
    for i in range(0, max(count // 50, 1) * 2, 2):
        if i + 1 < count:
            rows[i + 1].update({k: rows[i][k] for k in ("family_name", "dob", "address", "phone")})
            groups["twins"].append([rows[i]["mrn"], rows[i + 1]["mrn"]])
    for r in rows:
        if r["given_name"] in ("Robert", "William", "Elizabeth") and rng.random() < 0.5:
            nick = {"Robert": "Bob", "William": "Bill", "Elizabeth": "Liz"}[r["given_name"]]
            extras[r["mrn"]] = {"nickname": nick}
            groups["nickname"].append([r["mrn"]])
    return rows, groups, extras


def to_patient(i: int, row: Row) -> RosterPatient:
    return RosterPatient(
        id=i, mrn=row["mrn"], family_name=row["family_name"], given_name=row["given_name"],
        middle_name=row.get("middle_name") or None, dob=row.get("dob") or None, sex=row.get("sex") or None,
        phone=row.get("phone") or None, address=row.get("address") or None, city=row.get("city") or None,
        state=row.get("state") or None, postal_code=row.get("postal_code") or None,
    )


# --------------------------------------------------------------------------- perturbations
def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def ocr_name_typo(rng: random.Random, name: str) -> str:
    """One OCR slip in a name: look-alike letters, a dropped letter or two letters swapped."""
    if len(name) < 4:
        return name
    r = rng.random()
    low = name.lower()
    if r < 0.5:
        spots = [(i, k) for k in _OCR_LETTERS for i in range(1, len(low)) if low.startswith(k, i)]
        if spots:
            i, k = rng.choice(spots)
            return name[:i] + _OCR_LETTERS[k] + name[i + len(k):]
    i = rng.randrange(1, len(name) - 1)
    if r < 0.75:
        return name[:i] + name[i + 1:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def ocr_digit(rng: random.Random, text: str, start: int = 0) -> str:
    """Replace one digit (at or after ``start``) with an OCR-confusable digit."""
    spots = [(i, a) for i, c in enumerate(text) if i >= start and c.isdigit()
             for a in CONFUSABLE.get(c, frozenset()) if a.isdigit()]
    i, alt = rng.choice(spots)
    return text[:i] + alt + text[i + 1:]


def confusable_dob(rng: random.Random, dob: str) -> str | None:
    for _ in range(20):
        cand = ocr_digit(rng, dob)
        try:
            dt.date.fromisoformat(cand)
            return cand
        except ValueError:
            continue
    return None


def e164(phone: str) -> str:
    return "+1" + "".join(c for c in phone if c.isdigit())[-10:]


# --------------------------------------------------------------------------- documents
@dataclass
class Person:
    family: str
    given: str
    middle: str = ""
    dob: str | None = None
    mrn: str | None = None
    foreign: str | None = None
    sex: str | None = None
    phone: str | None = None
    address: str | None = None


def person_from(row: Row, rng: random.Random, mrn_rate: float = 0.4, moved_rate: float = 0.1) -> Person:
    """What an outside document prints about a roster patient; ``moved_rate`` of them moved since."""
    if rng.random() < moved_rate:  # the roster's phone and address are out of date
        row = dict(row, phone=f"(555) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                   address=f"{rng.randint(10, 9899)} Juniper Way")
    return Person(
        family=row["family_name"], given=row["given_name"],
        middle=row.get("middle_name", "") if rng.random() < 0.4 else "",
        dob=row["dob"], mrn=row["mrn"] if rng.random() < mrn_rate else None,
        sex=row.get("sex") if rng.random() < 0.5 else None,
        phone=e164(row["phone"]) if row.get("phone") and rng.random() < 0.3 else None,
        address=(f"{row['address']}, {row['city']}, {row['state']} {row['postal_code']}"
                 if row.get("address") and rng.random() < 0.3 else None),
    )


def pages_for(p: Person, first: int, count: int, rng: random.Random) -> list[PageEntities]:
    """Per-page entities: full patient block on page 1, a continuation header on most later pages."""
    out = []
    for n in range(first, first + count):
        page = PageEntities(page=n)
        if n == first or rng.random() < 0.7:
            page.names.append(NameMention(p.family, p.given, p.middle or None, page=n, source="label"))
            if p.dob and (n == first or rng.random() < 0.8):
                page.dobs.append(ValueMention(p.dob, page=n, label="DOB"))
            if p.mrn and n == first:
                page.mrns.append(ValueMention(p.mrn, page=n, label="MRN", scheme="own"))
            if p.foreign and n == first:
                page.mrns.append(ValueMention(p.foreign, page=n, label="MRN", scheme="foreign"))
        out.append(page)
    return out


def entities_of(people: list[Person], pages: list[PageEntities]) -> Entities:
    e = Entities(pages=pages)
    for pg in pages:
        e.patient_names += pg.names
        e.dobs += pg.dobs
        e.mrns += pg.mrns
    if len(people) == 1:
        p = people[0]
        e.sex, e.address = p.sex, p.address
        e.phones = [ValueMention(p.phone, page=1, label="Phone")] if p.phone else []
    return e


def single(p: Person, rng: random.Random) -> Entities:
    return entities_of([p], pages_for(p, 1, rng.choice((1, 1, 1, 2, 2, 3)), rng))




"""Does a document contradict the patient a clerk chose?  The guard behind manual filing.

This module owns one pure question, asked before a clerk's filing or
refiling is carried out: which of the identifiers read from the document
(name, date of birth, sex, our own MRN) *contradict* the chosen roster
patient.  It reuses the matcher's comparators (:mod:`indexer.matching.fields`)
so that what the matcher forgives — nicknames (Bob/Robert), hyphenated and
double-barrelled family names, OCR look-alikes, a DOB with swapped day and
month, names written family-first — is forgiven here too, and a changed
family name (maiden name) is accepted when the date of birth agrees exactly.
A given name that differs (Samuel vs Jessica), a DOB or sex that differs, or
an MRN that is not this chart's is a contradiction; the caller refuses the
filing unless a clerk gives an override reason.  Nothing is logged here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from indexer.matching.fields import compare_dob, compare_family, compare_given, compare_mrn, compare_sex
from indexer.matching.normalize import NameParts
from indexer.matching.roster import Prepared, Roster
from indexer.matching.scoring import Query, prepare_query
from intake.model import Entities

FAMILY_FITS = frozenset({"exact", "part", "typo", "similar"})
# Not "similar": Mary Ann and Mary Beth, Christina and Christine may be twins or sisters.
GIVEN_FITS = frozenset({"exact", "first", "nickname", "typo", "middle", "initial"})
GIVEN_STRONG = frozenset({"exact", "first", "nickname"})  # enough, with the same DOB, for a changed family name


class IdField(StrEnum):
    """Identifiers that can contradict a chart."""

    NAME = "name"
    DOB = "dob"
    SEX = "sex"
    MRN = "mrn"


@dataclass(frozen=True)
class Contradiction:
    """One identifier on the document that does not fit the chosen patient (clerk-readable)."""

    field: IdField
    on_document: str
    in_chart: str
    detail: str

    def __str__(self) -> str:
        return f"{self.detail}: the document says {self.on_document}, the chart says {self.in_chart}"


def _written(name: NameParts) -> str:
    return " ".join(t.capitalize() for t in (*name.given, *name.family)) or "?"


def _name_fit(doc: NameParts, prep: Prepared) -> str:
    """How one document name fits the patient: "fits", "family-changed" (given agrees) or "differs"."""
    best = "differs"
    for ident, _label, _factor in prep.identities:
        for d in (doc, doc.swapped()):
            fam = compare_family(d, ident.family, ident.family_raw)[0]
            giv = compare_given(d, ident)[0]
            if (fam in FAMILY_FITS or fam == "missing") and (giv in GIVEN_FITS or giv == "missing"):
                return "fits"
            if fam == "conflict" and giv in GIVEN_STRONG:
                best = "family-changed"
    return best


def _name_contradiction(q: Query, prep: Prepared, dob_exact: bool) -> Contradiction | None:
    if not q.names:
        return None
    fits = [_name_fit(n, prep) for n in q.names]
    if "fits" in fits or ("family-changed" in fits and dob_exact):
        return None  # a nickname, a hyphenated name; or a new family name with the very same DOB
    written = _written(q.names[0])
    chart = _written(prep.name)
    if "family-changed" in fits:
        return Contradiction(IdField.NAME, written, chart,
                             "family name differs and no matching date of birth shows it is a name change")
    return Contradiction(IdField.NAME, written, chart, "name differs")


def contradictions(entities: Entities, roster: Roster, patient_id: int) -> list[Contradiction]:
    """Every identifier read from the document that contradicts roster patient ``patient_id``."""
    prep = roster.get(patient_id)
    q = prepare_query(entities)
    out: list[Contradiction] = []
    dob = compare_dob(q.dobs, prep.dob)
    name = _name_contradiction(q, prep, dob.level == "exact")
    if name is not None:
        out.append(name)
    if dob.level == "conflict" and prep.dob is not None:
        out.append(Contradiction(IdField.DOB, ", ".join(d.isoformat() for d in q.dobs), prep.dob.isoformat(),
                                 "date of birth differs"))
    sex = compare_sex(q.sex, prep.sex)
    if sex is not None and sex.level == "conflict":
        out.append(Contradiction(IdField.SEX, q.sex or "?", prep.sex or "?", "sex differs"))
    mrn = compare_mrn(q.own_mrns, prep.mrn, roster.owned_mrns(q.own_mrns))
    if mrn.level == "conflict":
        out.append(Contradiction(IdField.MRN, ", ".join(q.own_mrns), prep.mrn,
                                 "MRN is another patient's" if roster.owned_mrns(q.own_mrns) else "MRN differs"))
    return out

"""Scoring one roster patient against one document, and grading the score.

This module owns the *candidate-level* logic: turning :class:`Entities` into a
normalised :class:`Query`, summing per-field weights into a score (choosing
the best of the roster name, clerk-confirmed aliases and swapped name order),
and the grade (certain / probable / possible / none) including the
*certainty gate*: a certain grade needs two independent identifiers, never a
name alone, never an alias without DOB agreement, never a conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from indexer.matching.fields import (
    FAMILY_AGREE,
    GIVEN_AGREE,
    WEIGHTS,
    FieldScore,
    Weights,
    compare_address,
    compare_dob,
    compare_family,
    compare_given,
    compare_middle,
    compare_mrn,
    compare_phone,
    compare_sex,
    compare_suffix,
)
from indexer.matching.normalize import (
    AddressKey,
    NameParts,
    address_key,
    canonical_mrn,
    canonical_phone,
    name_parts,
    parse_date,
)
from indexer.matching.roster import Prepared, Roster
from indexer.matching.types import CERTAIN, NONE, POSSIBLE, PROBABLE
from intake.config import MatchConfig
from intake.model import Entities, NameMention, ValueMention


@dataclass(frozen=True)
class Query:
    """The identifying content of one document, normalised."""

    names: tuple[NameParts, ...]  # the names used for matching (label mentions preferred)
    dobs: tuple[dt.date, ...]
    own_mrns: tuple[str, ...]
    foreign_mrns: tuple[str, ...]
    sex: str | None
    phones: tuple[str, ...]
    address: AddressKey | None

    @property
    def empty(self) -> bool:
        return not (self.names or self.dobs or self.own_mrns)


def primary_mentions(mentions: list[NameMention]) -> list[NameMention]:
    """Names after a "Patient:"-style label when any, else every mention."""
    labelled = [m for m in mentions if m.source == "label"]
    return labelled or list(mentions)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def prepare_query(entities: Entities) -> Query:
    """Normalise the identifying entities of a document."""
    parts = (name_parts(m.family, m.given, m.middle) for m in primary_mentions(entities.patient_names))
    names = tuple(n for n in dict.fromkeys(parts) if n.family or n.given)
    dobs = tuple(dict.fromkeys(d for d in (parse_date(v.value) for v in entities.dobs) if d is not None))
    own = _unique([canonical_mrn(v.value) for v in entities.mrns if v.scheme != "foreign"])
    foreign = _unique([canonical_mrn(v.value) for v in entities.mrns if v.scheme == "foreign"])
    phones = _unique([canonical_phone(v.value) or "" for v in entities.phones])
    sex = (entities.sex or "").upper()[:1] or None
    return Query(names, dobs, own, foreign, sex, phones, address_key(entities.address))


def query_for_values(names: list[NameMention], dobs: list[ValueMention], mrns: list[ValueMention]) -> Query:
    """A query from page-level entities (used when splitting batch faxes)."""
    return prepare_query(Entities(patient_names=names, dobs=dobs, mrns=mrns))


@dataclass
class Scored:
    """One candidate's score with the evidence behind it."""

    prepared: Prepared
    score: float
    fields: list[FieldScore] = field(default_factory=list)
    via_alias: bool = False
    swapped: bool = False

    def level(self, name: str) -> str:
        for f in self.fields:
            if f.field == name:
                return f.level
        return "missing"

    @property
    def conflicts(self) -> list[str]:
        """Hard identifier conflicts: these veto filing whatever the score."""
        return [f.field for f in self.fields if f.field in ("dob", "mrn") and f.level == "conflict"]

    def reasons(self) -> dict[str, str]:
        return {f.field: f.reason for f in self.fields}


def _name_score(
    doc: NameParts, target: NameParts, family_w: float, given_w: float, w: Weights, label: str
) -> tuple[float, list[FieldScore]]:
    flevel, ffac, fdesc = compare_family(doc, target.family, target.family_raw)
    glevel, gfac, gdesc = compare_given(doc, target)
    fw = w.family_conflict if flevel == "conflict" else ffac * family_w
    gw = w.given_conflict if glevel == "conflict" else gfac * given_w
    prefix = f"{label}: " if label else ""
    return fw + gw, [
        FieldScore("family_name", flevel, fw, prefix + fdesc),
        FieldScore("given_name", glevel, gw, prefix + gdesc),
    ]


def _identities(prep: Prepared) -> list[tuple[NameParts, str, float]]:
    """(name, label, factor) the document may be written under; label '' = the roster name."""
    out = [(prep.name, "", 1.0)]
    out.extend((a, "alias (clerk-confirmed)", 1.0) for a in prep.aliases)
    n = prep.name
    if n.middle and len(n.middle[0]) > 1 and n.middle != n.family:
        as_family = NameParts(n.middle, n.given, (), n.suffix, n.middle[0], n.given_raw)
        out.append((as_family, "roster middle name as family name", 0.7))
    return out


# (total weight, fields, matched via alias, names swapped, the document name used)
NameEvidence = tuple[float, list[FieldScore], bool, bool, NameParts | None]


def best_name(
    doc_names: tuple[NameParts, ...], prep: Prepared, roster: Roster, w: Weights = WEIGHTS
) -> NameEvidence:
    """Best name evidence over document names × identities × orientation."""
    best: NameEvidence = (0.0, [], False, False, None)
    found = False
    gw = roster.given_weight(prep.name)
    for doc in doc_names:
        for ident, label, factor in _identities(prep):
            fw = roster.family_weight(ident) * factor
            total, fields = _name_score(doc, ident, fw, gw, w, label)
            if not found or total > best[0]:
                best, found = (total, fields, bool(label), False, doc), True
            if fields[0].level in FAMILY_AGREE and fields[1].level in GIVEN_AGREE:
                continue
            swapped = doc.swapped()
            sf = w.swapped_factor
            total, fields = _name_score(swapped, ident, fw * sf, gw * sf, w, label)
            if total > best[0]:
                fields = [FieldScore(f.field, f.level, f.weight, f.detail + " (names in swapped order)")
                          for f in fields]
                best = (total, fields, bool(label), True, doc)
    return best


def score_patient(q: Query, prep: Prepared, roster: Roster, w: Weights = WEIGHTS) -> Scored:
    """Score one roster patient against a document query."""
    fields: list[FieldScore] = [compare_mrn(q.own_mrns, prep.mrn, w), compare_dob(q.dobs, prep.dob, w)]
    via_alias = swapped = False
    if q.names:
        _, name_fields, via_alias, swapped, doc = best_name(q.names, prep, roster, w)
        fields.extend(name_fields)
        if doc is not None:
            extras = (compare_middle(doc, prep.name, w), compare_suffix(doc, prep.name, w))
            fields.extend(f for f in extras if f)
    for extra in (compare_sex(q.sex, prep.sex, w), compare_phone(q.phones, prep.phone, w),
                  compare_address(q.address, prep.address, w)):
        if extra is not None:
            fields.append(extra)
    fields = [f for f in fields if f.level != "missing"]
    return Scored(prep, round(sum(f.weight for f in fields), 2), fields, via_alias, swapped)


def certainty_gate(s: Scored) -> str | None:
    """Why this candidate may not be graded certain whatever its score (None = it may)."""
    if s.conflicts:
        return "conflicting " + " and ".join(s.conflicts)
    fam, giv = s.level("family_name"), s.level("given_name")
    mrn, dob = s.level("mrn"), s.level("dob")
    if mrn == "exact" and dob == "exact" and not s.via_alias and (fam in FAMILY_AGREE or giv in GIVEN_AGREE):
        return None  # two exact identifiers plus half the name (OCR-mangled or changed other half)
    if fam not in FAMILY_AGREE:
        return "family name does not agree"
    if giv not in GIVEN_AGREE:
        if giv == "initial" and mrn == "exact" and dob == "exact" and not s.via_alias:
            return None
        return "given name does not agree"
    if s.via_alias and dob not in ("exact", "near"):
        return "name matched through an alias but the DOB does not agree"
    if s.via_alias and dob == "near" and mrn != "exact":
        return "name matched through an alias and the DOB only nearly agrees"
    if mrn == "exact" or dob == "exact":
        return None
    if dob == "near" and (mrn == "near" or s.level("phone") == "exact" or s.level("address") == "exact"):
        return None
    return "needs an exact MRN or DOB besides the name"


def grade(s: Scored, cfg: MatchConfig) -> str:
    """certain / probable / possible / none from score, thresholds and the certainty gate."""
    if s.score >= cfg.certain_score and certainty_gate(s) is None:
        return CERTAIN
    if s.score >= cfg.probable_score and not s.conflicts:
        return PROBABLE
    if s.score >= cfg.possible_score:
        return POSSIBLE
    return NONE

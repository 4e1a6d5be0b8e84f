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
    FAMILY_STRONG,
    GIVEN_AGREE,
    GIVEN_STRONG,
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
    mrn_relation,
    name_parts,
    parse_date,
)
from indexer.matching.roster import Prepared, Roster
from indexer.matching.types import CERTAIN, NONE, POSSIBLE, PROBABLE
from intake.config import MatchConfig
from intake.model import Entities, NameMention, ValueMention

MAX_SCORED = 4  # names / DOBs per document used for blocking and scoring (bounds the work)


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
    plain_mrns: tuple[str, ...] = ()  # our MRN shape after a label that does not say whose it is

    @property
    def empty(self) -> bool:
        return not (self.names or self.dobs or self.own_mrns)

    @property
    def scored_names(self) -> tuple[NameParts, ...]:
        """Names compared with candidates: a document listing many people is reviewed anyway."""
        return self.names[:MAX_SCORED]

    @property
    def scored_dobs(self) -> tuple[dt.date, ...]:
        return self.dobs[:MAX_SCORED]


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
    own = _unique([canonical_mrn(v.value) for v in entities.mrns if v.scheme not in ("foreign", "plain")])
    foreign = _unique([canonical_mrn(v.value) for v in entities.mrns if v.scheme == "foreign"])
    plain = _unique([canonical_mrn(v.value) for v in entities.mrns if v.scheme == "plain"])
    phones = _unique([canonical_phone(v.value) or "" for v in entities.phones])
    sex = (entities.sex or "").upper()[:1] or None
    return Query(names, dobs, own, foreign, sex, phones, address_key(entities.address), plain)


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


Comparison = tuple[str, float, str]  # (level, weight factor, description)


def _weight(c: Comparison, scale: float, conflict: float) -> float:
    return conflict if c[0] == "conflict" else c[1] * scale


@dataclass(frozen=True)
class NameEvidence:
    """The best way a document name matches one roster patient."""

    total: float
    fields: tuple[FieldScore, ...]
    via_alias: bool
    swapped: bool
    doc: NameParts


def best_name(
    doc_names: tuple[NameParts, ...], prep: Prepared, roster: Roster, w: Weights = WEIGHTS
) -> NameEvidence | None:
    """Best name evidence over document names × roster identities (name, aliases) × orientation."""
    gw = roster.given_weight(prep.name)
    best: tuple[float, Comparison, Comparison, float, float, str, bool, NameParts] | None = None
    for doc in doc_names:
        for ident, label, factor in prep.identities:
            fw = roster.family_weight(ident) * factor
            for swapped in (False, True):
                d = doc.swapped() if swapped else doc
                sf = w.swapped_factor if swapped else 1.0
                fam = compare_family(d, ident.family, ident.family_raw)
                giv = compare_given(d, ident)
                total = _weight(fam, fw * sf, w.family_conflict) + _weight(giv, gw * sf, w.given_conflict)
                if best is None or total > best[0]:
                    best = (total, fam, giv, fw * sf, gw * sf, label, swapped, doc)
                if fam[0] in FAMILY_AGREE and giv[0] in GIVEN_AGREE:
                    break  # the written order already agrees: no need to try it swapped
    if best is None:
        return None
    total, fam, giv, fw, gwt, label, swapped, doc = best
    prefix = f"{label}: " if label else ""
    suffix = " (names in swapped order)" if swapped else ""
    fields = (
        FieldScore("family_name", fam[0], _weight(fam, fw, w.family_conflict), prefix + fam[2] + suffix),
        FieldScore("given_name", giv[0], _weight(giv, gwt, w.given_conflict), prefix + giv[2] + suffix),
    )
    return NameEvidence(total, fields, bool(label), swapped, doc)


def score_patient(
    q: Query, prep: Prepared, roster: Roster, w: Weights = WEIGHTS, taken: frozenset[str] | None = None
) -> Scored:
    """Score one roster patient against a document query (``taken``: see :func:`compare_mrn`)."""
    if taken is None:
        taken = roster.owned_mrns(q.own_mrns)
    fields: list[FieldScore] = [compare_mrn(q.own_mrns, prep.mrn, taken, w), compare_dob(q.scored_dobs, prep.dob, w)]
    via_alias = swapped = False
    ev = best_name(q.scored_names, prep, roster, w) if q.names else None
    if ev is not None:
        via_alias, swapped = ev.via_alias, ev.swapped
        fields.extend(ev.fields)
        extras = (compare_middle(ev.doc, prep.name, w), compare_suffix(ev.doc, prep.name, w))
        fields.extend(f for f in extras if f)
    for extra in (compare_sex(q.sex, prep.sex, w), compare_phone(q.phones, prep.phone, w),
                  compare_address(q.address, prep.address, w)):
        if extra is not None:
            fields.append(extra)
    fields = [f for f in fields if f.level != "missing"]
    plain = _plain_mrn(q, prep, fields, w)
    if plain is not None:
        fields = [f for f in fields if f.field != "mrn"] + [plain]
    return Scored(prep, round(sum(f.weight for f in fields), 2), fields, via_alias, swapped)


def _plain_mrn(q: Query, prep: Prepared, fields: list[FieldScore], w: Weights) -> FieldScore | None:
    """An MRN whose label does not say whose it is counts only when it is exactly this patient's and
    the patient's name or DOB agrees too (then it is ours by the roster); otherwise it is ignored."""
    if q.own_mrns or not q.plain_mrns or not prep.mrn:
        return None
    if not any(mrn_relation(m, prep.mrn)[0] == "exact" for m in q.plain_mrns):
        return None
    levels = {f.field: f.level for f in fields}
    name_ok = levels.get("family_name") in FAMILY_AGREE and levels.get("given_name") in GIVEN_AGREE
    if not (name_ok or levels.get("dob") == "exact"):
        return None
    return FieldScore("mrn", "exact", w.mrn_exact, "exact (unqualified MRN label; the roster agrees)")


def certainty_gate(s: Scored) -> str | None:
    """Why this candidate may not be graded certain whatever its score (None = it may)."""
    if s.conflicts:
        return "conflicting " + " and ".join(s.conflicts)
    fam, giv = s.level("family_name"), s.level("given_name")
    mrn, dob = s.level("mrn"), s.level("dob")
    if s.level("suffix") != "conflict" and mrn == "exact" and dob == "exact" and not s.via_alias and (
        fam in FAMILY_AGREE or giv in GIVEN_AGREE
    ):
        return None  # two exact identifiers plus half the name (the other half OCR-mangled or changed)
    if fam not in FAMILY_AGREE:
        return "family name does not agree"
    if giv not in GIVEN_AGREE:
        if giv == "initial" and mrn == "exact" and dob == "exact" and not s.via_alias:
            return None
        return "given name does not agree"
    if s.level("suffix") == "conflict":
        return "generational suffix differs (Jr/Sr)"
    if s.level("sex") == "conflict" and mrn != "exact":
        return "sex differs and no exact MRN"
    if mrn != "exact" and fam not in FAMILY_STRONG and giv not in GIVEN_STRONG:
        return "both name parts only approximately agree"
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

"""Splitting batch faxes into one document per patient.

This module owns :func:`split_and_match`.  It reads the per-page entities
(:class:`PageEntities`), decides for every page that carries identifiers
whether it continues the current document or starts a new patient's document
(comparing names, DOBs and MRNs, and the roster's best guess for the page),
attaches cover, blank and identifier-less pages, and matches each segment.

A split is *certain* only when every boundary is unambiguous: consistent
identifiers within a segment, conflicting identifiers across the boundary,
no page naming two patients and no patient reappearing later.  Otherwise the
whole file goes to review as one segment, with the proposed split attached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from indexer.matching.normalize import NameParts, date_relation, mrn_relation
from indexer.matching.policy import document_reasons, match_entities, rank, same_person
from indexer.matching.roster import Roster
from indexer.matching.scoring import Query, grade, query_for_values
from indexer.matching.types import CERTAIN, PROBABLE, REVIEW, MatchResult, Segment
from intake.config import MatchConfig
from intake.model import Entities, PageEntities

T = TypeVar("T")
SAME, DIFFERENT, AMBIGUOUS = "same", "different", "ambiguous"


@dataclass
class _Identity:
    """Identifiers accumulated for one (proposed) segment or one page."""

    names: list[NameParts] = field(default_factory=list)
    dobs: list[dt.date] = field(default_factory=list)
    mrns: list[str] = field(default_factory=list)
    patients: set[int] = field(default_factory=set)  # roster guesses (certain/probable)
    certain: set[int] = field(default_factory=set)

    def absorb(self, other: _Identity) -> None:
        self.names += other.names
        self.dobs += other.dobs
        self.mrns += other.mrns
        self.patients |= other.patients
        self.certain |= other.certain


@dataclass
class _Proposed:
    first: int
    last: int
    identity: _Identity


def _page_identity(q: Query, roster: Roster, cfg: MatchConfig) -> _Identity:
    """The page's identifiers plus the roster's guess for it (only a clear, unrivalled guess counts)."""
    ident = _Identity(list(q.names), list(q.dobs), list(q.own_mrns))
    ranked = rank(q, roster)
    if not ranked:
        return ident
    top, g = ranked[0], grade(ranked[0], cfg)
    clear = len(ranked) == 1 or top.score - ranked[1].score >= cfg.min_margin
    if clear and g in (CERTAIN, PROBABLE):
        ident.patients.add(top.prepared.patient.id)
        if g == CERTAIN:
            ident.certain.add(top.prepared.patient.id)
    return ident


def _rel(a: Sequence[T], b: Sequence[T], related: Callable[[T, T], tuple[str, str]]) -> str | None:
    if not a or not b:
        return None
    return "agree" if any(related(x, y)[0] != "conflict" for x in a for y in b) else "conflict"


def _names_rel(a: list[NameParts], b: list[NameParts]) -> str | None:
    if not a or not b:
        return None
    return "agree" if any(same_person(x, y) for x in a for y in b) else "conflict"


def relation(seg: _Identity, page: _Identity) -> str:
    """Does ``page`` continue ``seg`` (same patient), start a new patient, or is it unclear?"""
    rels = [_names_rel(seg.names, page.names), _rel(seg.dobs, page.dobs, date_relation),
            _rel(seg.mrns, page.mrns, mrn_relation)]
    agree, conflict = rels.count("agree"), rels.count("conflict")
    roster_same = bool(seg.patients & page.patients)
    roster_diff = bool(seg.certain and page.certain and not (seg.certain & page.certain))
    if conflict == 0 and agree > 0:
        return AMBIGUOUS if roster_diff else SAME
    if conflict == 0:  # nothing comparable on both sides
        return SAME if roster_same else AMBIGUOUS
    if agree == 0:
        return AMBIGUOUS if roster_same else DIFFERENT
    return DIFFERENT if roster_diff else AMBIGUOUS


def _multi(q: Query) -> bool:
    return any(r.startswith("document names more than one patient") for r in document_reasons(q))


def propose(entities: Entities, roster: Roster, cfg: MatchConfig) -> tuple[list[_Proposed], list[str]]:
    """Propose page ranges per patient; return them with the doubts found (empty = certain)."""
    pages = sorted(entities.pages, key=lambda p: p.page)
    doubts: list[str] = []
    segs: list[_Proposed] = []
    pending: list[PageEntities] = []  # pages without identifiers waiting for a home
    for p in pages:
        # only labelled names mark a patient's page; a gazetteer hit may be a relative or a provider
        q = query_for_values([n for n in p.names if n.source == "label"], p.dobs, p.mrns)
        if p.is_cover or p.is_blank or q.empty:
            pending.append(p)
            continue
        if _multi(q):
            doubts.append(f"page {p.page} names more than one patient")
        ident = _page_identity(q, roster, cfg)
        rel = relation(segs[-1].identity, ident) if segs else DIFFERENT
        if rel == AMBIGUOUS:
            prev = segs[-1]
            doubts.append(f"page {p.page}: unclear whether it continues pages {prev.first}-{prev.last}")
        if segs and rel == SAME:
            segs[-1].last = p.page
            segs[-1].identity.absorb(ident)
        else:
            leading = pending
            if segs:
                cover_at = next((i for i, x in enumerate(pending) if x.is_cover), len(pending))
                segs[-1].last = max([segs[-1].last] + [x.page for x in pending[:cover_at]])
                leading = pending[cover_at:]
                doubts.extend(f"page {p.page}: patient of pages {old.first}-{old.last} appears again"
                              for old in segs[:-1] if relation(old.identity, ident) == SAME)
            segs.append(_Proposed(min([p.page] + [x.page for x in leading]), p.page, ident))
        pending = []
    if pending and segs:
        segs[-1].last = max([segs[-1].last] + [x.page for x in pending])
    return segs, doubts


def restrict(entities: Entities, first: int, last: int, covers: set[int]) -> Entities:
    """Entities of pages ``first..last``; cover pages' identifiers and document-level sex/address dropped."""
    def keep(page: int) -> bool:
        return first <= page <= last and page not in covers

    # from the pages, not the file-level lists: those keep one mention per value, maybe from another page
    kept = [p for p in entities.pages if keep(p.page)]
    return replace(
        entities,
        patient_names=[m for p in kept for m in p.names],
        dobs=[v for p in kept for v in p.dobs],
        mrns=[v for p in kept for v in p.mrns],
        phones=[v for v in entities.phones if keep(v.page)],
        faxes=[v for v in entities.faxes if first <= v.page <= last],
        dates=[v for v in entities.dates if first <= v.page <= last],
        sex=None,
        address=None,
        pages=[p for p in entities.pages if first <= p.page <= last],
    )


def _whole(entities: Entities) -> tuple[int, int]:
    nums = [p.page for p in entities.pages] or [m.page for m in entities.patient_names] or [1]
    return min(nums), max(nums)


def split_and_match(entities: Entities, roster: Roster, cfg: MatchConfig) -> tuple[list[Segment], bool]:
    """Split a batch fax into one segment per patient and match each; return (segments, split_certain)."""
    whole = _whole(entities)
    all_cover = bool(entities.pages) and all(p.is_cover or p.is_blank for p in entities.pages)
    segs, doubts = propose(entities, roster, cfg) if len(entities.pages) > 1 else ([], [])
    if len(segs) <= 1 and not doubts:
        return [Segment(whole, all_cover, entities, match_entities(entities, roster, cfg))], True
    ranges = [(s.first, s.last) for s in segs]
    if doubts:
        result = match_entities(entities, roster, cfg)
        note = "batch fax split uncertain; proposed split " + ", ".join(f"pages {a}-{b}" for a, b in ranges)
        result = _to_review(result, [note] + doubts)
        result.proposed_split = ranges
        return [Segment(whole, all_cover, entities, result)], False
    covers = {p.page for p in entities.pages if p.is_cover}
    out = []
    for s in segs:
        sub = restrict(entities, s.first, s.last, covers)
        out.append(Segment((s.first, s.last), False, sub, match_entities(sub, roster, cfg)))
    return out, True


def _to_review(result: MatchResult, reasons: list[str]) -> MatchResult:
    return replace(result, decision=REVIEW, patient_id=None, mrn=None,
                   review_reasons=list(result.review_reasons) + reasons)


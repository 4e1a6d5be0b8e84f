"""Splitting a source file into its documents and matching each one.

This module owns :func:`split_and_match`.  The worker cut the file into
documents by layout and identifiers (:mod:`intake.segment`: covers, "page k
of n", running headers, letterheads and titles, a new patient's
identifiers); each document — a cover merged into the document after it —
is described (:func:`intake.segment.describe`: type, date, sender) and
matched on its own identifiers.  A document that looks addressed to another
practice goes to review whatever its match.

No page rides along with another patient's document without evidence: when
the file holds more than one patient and a page without identifiers was
joined to a document with no continuity evidence (no "page 2 of 3", running
header or same-report header), the whole file goes to review with the
proposed split.  A file the layout could not cut is split per patient from
its pages' identifiers (comparing names, DOBs and MRNs and the roster's best
guess); that split is *certain* only when every boundary is unambiguous,
otherwise the whole file goes to review as one segment with the proposed
split attached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from indexer.matching.context import lend_file_identity
from indexer.matching.normalize import NameParts, date_relation, mrn_relation
from indexer.matching.policy import document_reasons, match_entities, rank, same_person
from indexer.matching.roster import Roster
from indexer.matching.scoring import Query, grade, query_for_values
from indexer.matching.types import CERTAIN, PROBABLE, REVIEW, MatchResult, Segment
from intake.config import MatchConfig
from intake.model import Entities, PageEntities
from intake.segment import describe

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


def propose(entities: Entities, roster: Roster, cfg: MatchConfig,
            continued: frozenset[int] = frozenset()) -> tuple[list[_Proposed], list[str]]:
    """Propose page ranges per patient; return them with the doubts found (empty = certain).

    A page in ``continued`` says it continues the page before ("page 2 of 3", "(continued)"):
    unclear identifiers on it do not make it another patient's.
    """
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
        if rel == AMBIGUOUS and p.page in continued:
            rel = SAME
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
    """Entities of pages ``first..last``, described as one document; cover pages' identifiers
    and document-level sex/address dropped."""
    def keep(page: int) -> bool:
        return first <= page <= last and page not in covers

    # described from the part's own pages' evidence; entities read before layout evidence existed keep theirs
    info = describe(entities, first, last) if any(
        p.type_scores or p.is_cover for p in entities.pages if first <= p.page <= last) else None
    # from the pages, not the file-level lists: those keep one mention per value, maybe from another page
    kept = [p for p in entities.pages if keep(p.page)]
    sub = replace(
        entities,
        patient_names=[m for p in kept for m in p.names] if kept else
        [m for m in entities.patient_names if keep(m.page)],
        dobs=[v for p in kept for v in p.dobs] if kept else [v for v in entities.dobs if keep(v.page)],
        mrns=[v for p in kept for v in p.mrns] if kept else [v for v in entities.mrns if keep(v.page)],
        phones=[v for v in entities.phones if keep(v.page)],
        faxes=[v for v in entities.faxes if first <= v.page <= last],
        dates=[v for v in entities.dates if first <= v.page <= last],
        sex=None,
        address=None,
        pages=[p for p in entities.pages if first <= p.page <= last],
        parts=[p for p in entities.parts if first <= p.first and p.last <= last],
        misdirected=next((p.misdirected for p in entities.pages if first <= p.page <= last and p.misdirected),
                         None),
    )
    if info is not None:
        sub = replace(sub, doc_type=info.doc_type, doc_type_confidence=info.confidence, loinc=info.loinc,
                      doc_date=info.doc_date, sender_org=info.sender, provider=info.provider,
                      urgent=info.urgent, urgency_reasons=info.urgency_reasons)
    return sub


def _whole(entities: Entities) -> tuple[int, int]:
    nums = [p.page for p in entities.pages] or [m.page for m in entities.patient_names] or [1]
    return min(nums), max(nums)


def documents(entities: Entities) -> list[tuple[int, int]]:
    """The worker's documents as page ranges, each cover merged into the document after it."""
    ranges: list[tuple[int, int]] = []
    pending: int | None = None  # first page of covers waiting for their document
    for part in sorted(entities.parts, key=lambda p: p.first):
        if part.cover:
            pending = part.first if pending is None else pending
            continue
        ranges.append((part.first if pending is None else pending, part.last))
        pending = None
    if pending is not None:  # covers at the end (or nothing but covers) join the last document
        if ranges:
            ranges[-1] = (ranges[-1][0], max(p.last for p in entities.parts))
        else:
            ranges.append((pending, max(p.last for p in entities.parts)))
    return ranges


def _identity(sub: Entities, roster: Roster, cfg: MatchConfig) -> _Identity | None:
    labelled = [n for n in sub.patient_names if n.source == "label"]
    q = query_for_values(labelled, sub.dobs, sub.mrns)
    return None if q.empty else _page_identity(q, roster, cfg)


def _unproven_doubts(entities: Entities, subs: list[Entities], roster: Roster, cfg: MatchConfig) -> list[str]:
    """Pages joined without continuity evidence, in a file that holds more than one patient."""
    unproven = [(page, part) for part in entities.parts for page in part.unproven]
    if not unproven:
        return []
    idents = [i for i in (_identity(sub, roster, cfg) for sub in subs) if i is not None]
    several = any(relation(a, b) == DIFFERENT for n, a in enumerate(idents) for b in idents[n + 1:])
    if not several:
        return []
    return [f"page {page} has no identifiers and nothing shows it continues pages {part.first}-{page - 1}"
            for page, part in unproven]


def _misdirected(result: MatchResult, sub: Entities, whole: Entities | None = None) -> MatchResult:
    """A document addressed to another practice — or carried by a cover addressed to one — goes to review."""
    cover = next((p.misdirected for p in (whole or sub).pages if p.is_cover and p.misdirected), None)
    why = sub.misdirected or cover
    if not why:
        return result
    return _to_review(result, [f"possibly misdirected: {why}"])


def split_and_match(entities: Entities, roster: Roster, cfg: MatchConfig) -> tuple[list[Segment], bool]:
    """Split a file into its documents and match each; return (segments, split_certain)."""
    docs = documents(entities)
    if len(docs) <= 1:
        return _split_by_patient(entities, roster, cfg)
    covers = {p.page for p in entities.pages if p.is_cover}
    subs = [restrict(entities, a, b, covers) for a, b in docs]
    doubts = _unproven_doubts(entities, subs, roster, cfg)
    if doubts:
        whole = _whole(entities)
        first = subs[0]
        result = _to_review(match_entities(entities, roster, cfg),
                            ["file holds several documents; split uncertain; proposed split "
                             + ", ".join(f"pages {a}-{b}" for a, b in docs)] + doubts)
        result.proposed_split = docs
        merged = replace(entities, doc_type=first.doc_type, doc_type_confidence=first.doc_type_confidence,
                         loinc=first.loinc, doc_date=first.doc_date)
        return [Segment(whole, False, merged, _misdirected(result, entities))], False
    out = [Segment(rng, False, sub, match_entities(sub, roster, cfg)) for rng, sub in zip(docs, subs, strict=True)]
    out = lend_file_identity(out, entities, roster)
    return [_checked(s, entities) for s in out], True


def _checked(seg: Segment, entities: Entities) -> Segment:
    """A segment goes to review when it carries a page joined without evidence or looks misdirected."""
    result = _misdirected(seg.result, seg.entities, entities)
    first, last = seg.pages
    orphans = [(page, part.first) for part in entities.parts for page in part.unproven if first < page <= last]
    if orphans:
        result = _to_review(result, [f"page {page} has no identifiers and nothing shows it continues pages "
                                     f"{start}-{page - 1}" for page, start in orphans])
    return replace(seg, result=result)


def _split_by_patient(entities: Entities, roster: Roster, cfg: MatchConfig) -> tuple[list[Segment], bool]:
    """A file the layout did not cut: split per patient from the pages' identifiers."""
    whole = _whole(entities)
    all_cover = bool(entities.pages) and all(p.is_cover or p.is_blank for p in entities.pages)
    continued = frozenset(page for part in entities.parts for page in part.continued)
    segs, doubts = propose(entities, roster, cfg, continued) if len(entities.pages) > 1 else ([], [])
    if len(segs) <= 1 and not doubts:
        return [_checked(Segment(whole, all_cover, entities, match_entities(entities, roster, cfg)), entities)], True
    ranges = [(s.first, s.last) for s in segs]
    if doubts:
        result = match_entities(entities, roster, cfg)
        note = "batch fax split uncertain; proposed split " + ", ".join(f"pages {a}-{b}" for a, b in ranges)
        result = _to_review(result, [note] + doubts)
        result.proposed_split = ranges
        return [Segment(whole, all_cover, entities, _misdirected(result, entities))], False
    covers = {p.page for p in entities.pages if p.is_cover}
    out = []
    for s in segs:
        sub = restrict(entities, s.first, s.last, covers)
        out.append(_checked(Segment((s.first, s.last), False, sub, match_entities(sub, roster, cfg)), entities))
    return out, True


def _to_review(result: MatchResult, reasons: list[str]) -> MatchResult:
    return replace(result, decision=REVIEW, patient_id=None, mrn=None,
                   review_reasons=list(result.review_reasons) + reasons)

"""Filing policy: when a document may be filed automatically, and why not.

This module owns :func:`match_entities`, the matcher's entry point for one
document.  It blocks, scores and ranks candidates (via
:mod:`indexer.matching.scoring`) and then applies the policy:

* file only a single ``certain`` candidate, with no conflicting identifier
  and a margin of at least ``min_margin`` over the runner-up;
* always review twins (same family name, DOB and address), a document DOB or
  MRN that conflicts with the best candidate, a patient not in the roster and
  a document that names more than one patient.

Identifiers of other facilities (their MRN, account or member number) are
never trusted — neither for nor against a patient — so they do not block
filing on name and DOB either.  The matcher never creates patients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from indexer.matching.fields import FAMILY_AGREE, GIVEN_STRONG, compare_family, compare_given
from indexer.matching.normalize import NameParts, date_relation, mrn_relation
from indexer.matching.roster import Roster
from indexer.matching.scoring import MAX_SCORED, Query, Scored, certainty_gate, grade, prepare_query, score_patient
from indexer.matching.types import CERTAIN, FILE, NONE, PROBABLE, REVIEW, Candidate, MatchResult
from intake.config import MatchConfig
from intake.model import Entities

T = TypeVar("T")
MAX_CANDIDATES = 5

NOT_IN_ROSTER = "patient not in roster"
NO_IDENTIFIERS = "document carries no patient identifiers"
DOB_CONFLICT = "document DOB conflicts with the roster"
MRN_CONFLICT = "document MRN conflicts with the roster"
MULTI_PATIENT = "document names more than one patient"
TWINS = "twins: same family name, DOB and address"


def same_person(a: NameParts, b: NameParts) -> bool:
    """Two names on one document plausibly denote the same person."""
    for x in (b, b.swapped()):
        fam, _, _ = compare_family(a, x.family, x.family_raw)
        giv, _, _ = compare_given(a, x)
        if fam not in ("conflict",) and giv not in ("conflict", "similar"):
            return True
    return False


def distinct_people(names: tuple[NameParts, ...]) -> list[NameParts]:
    """One representative name per distinct person."""
    reps: list[NameParts] = []
    for n in names:
        if not any(same_person(n, r) for r in reps):
            reps.append(n)
    return reps


def _distinct(values: Sequence[T], related: Callable[[T, T], tuple[str, str]]) -> int:
    """How many values are mutually unrelated (exact or OCR-near values count as one)."""
    reps: list[T] = []
    for v in values:
        if not any(related(v, r)[0] != "conflict" for r in reps):
            reps.append(v)
    return len(reps)


def document_reasons(q: Query) -> list[str]:
    """Review reasons that follow from the document alone."""
    out: list[str] = []
    if q.empty:
        out.append(NO_IDENTIFIERS)
    people = len(distinct_people(q.names))
    dobs = _distinct(q.dobs, date_relation)
    mrns = _distinct(q.own_mrns, mrn_relation)
    if max(people, dobs, mrns) > 1:
        what = [f"{n} {label}" for n, label in ((people, "names"), (dobs, "DOBs"), (mrns, "MRNs")) if n > 1]
        out.append(f"{MULTI_PATIENT} ({', '.join(what)})")
    return out


def _candidate(s: Scored, cfg: MatchConfig) -> Candidate:
    p = s.prepared.patient
    return Candidate(patient_id=p.id, mrn=p.mrn, score=s.score, grade=grade(s, cfg), reasons=s.reasons())


def rank(q: Query, roster: Roster) -> list[Scored]:
    """Score every blocked patient; best first (ties broken by patient id for determinism)."""
    mrns = (q.own_mrns or q.plain_mrns)[:MAX_SCORED]
    ids = roster.block(q.scored_names, q.scored_dobs, mrns, q.phones[:MAX_SCORED])
    taken = roster.owned_mrns(q.own_mrns)
    scored = [score_patient(q, roster.get(i), roster, taken=taken) for i in ids]
    scored.sort(key=lambda s: (-s.score, s.prepared.patient.id))
    return scored


def twin_in_doubt(q: Query, top: Scored, roster: Roster) -> bool:
    """Could the document be about the best candidate's twin?  Not when its given name is written in
    full, agrees with the candidate's and differs from every twin's (Ava, not Aiden, Kowalski)."""
    twins = roster.twins_of(top.prepared.patient.id)
    if not twins:
        return False
    if top.level("given_name") not in GIVEN_STRONG:
        return True
    names = [n for n in q.scored_names if len(n.given_first) > 1]
    return not names or any(compare_given(n, roster.get(t).name)[0] != "conflict" for n in names for t in twins)


def candidate_reasons(
    top: Scored | None, runner: Scored | None, top_grade: str, roster: Roster, cfg: MatchConfig,
    q: Query | None = None,
) -> list[str]:
    """Review reasons that follow from the best candidate and the runner-up."""
    if top is None or top_grade == NONE:
        out = [NOT_IN_ROSTER]
        if top is not None and "dob" in top.conflicts and top.level("family_name") in FAMILY_AGREE:
            out.append(DOB_CONFLICT)
        return out
    out = []
    if "dob" in top.conflicts:
        out.append(DOB_CONFLICT)
    if "mrn" in top.conflicts:
        out.append(MRN_CONFLICT)
    if top_grade != CERTAIN:
        why = certainty_gate(top)
        if top.score >= cfg.certain_score and why:
            out.append(f"not certain: {why}")
        elif not top.conflicts:
            out.append(f"best candidate only {top_grade} (score {top.score:.1f} < {cfg.certain_score:.1f})")
    if twin_in_doubt(q, top, roster) if q is not None else roster.twins_of(top.prepared.patient.id):
        out.append(TWINS)
    if runner is not None and top_grade in (CERTAIN, PROBABLE):
        margin = top.score - runner.score
        if margin < cfg.min_margin:
            out.append(f"runner-up too close (margin {margin:.1f} < {cfg.min_margin:.1f})")
    return out


def decide(q: Query, roster: Roster, cfg: MatchConfig) -> MatchResult:
    """Rank candidates for a prepared query and apply the filing policy."""
    scored = rank(q, roster)
    top = scored[0] if scored else None
    runner = scored[1] if len(scored) > 1 else None
    top_grade = grade(top, cfg) if top else NONE
    review = document_reasons(q) + candidate_reasons(top, runner, top_grade, roster, cfg, q)
    candidates = [_candidate(s, cfg) for s in scored[:MAX_CANDIDATES] if s.score > 0 or s is top]
    reasons = [] if top is None else [f"{f.field}: {f.reason}" for f in top.fields]
    filed = top is not None and top_grade == CERTAIN and not review
    if filed and top is not None:
        reasons.append(f"score {top.score:.1f} certain; margin over runner-up "
                       + ("n/a" if runner is None else f"{top.score - runner.score:.1f}"))
    p = top.prepared.patient if (filed and top is not None) else None
    return MatchResult(
        decision=FILE if filed else REVIEW,
        grade=top_grade,
        score=top.score if top else 0.0,
        patient_id=p.id if p else None,
        mrn=p.mrn if p else None,
        reasons=reasons,
        review_reasons=review,
        candidates=candidates,
    )


def match_entities(entities: Entities, roster: Roster, cfg: MatchConfig) -> MatchResult:
    """Match one document's entities against the roster and decide file vs review."""
    return decide(prepare_query(entities), roster, cfg)


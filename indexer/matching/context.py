"""One patient's packet: a document that names its patient weakly is filed with the rest of the file.

This module owns :func:`lend_file_identity`.  When a file has been cut into
documents and exactly one patient is matched with certainty by some of them,
and no identifier anywhere in the file — cover included — conflicts with that
patient or names anyone else, a document of the same file that is held back
*only* because its own match is merely probable (its full name agrees, the
DOB was not printed or not read) is filed to that patient: the clerk reads
the packet as one patient's, as the cover's "RE:" line says.

Never lent: to a document with no identifiers of its own, with a conflicting
DOB or MRN, a close runner-up, twins, another facility's MRN only, a patient
not in the roster, or any review reason besides "only probable".
"""

from __future__ import annotations

from dataclasses import replace

from indexer.matching.fields import FAMILY_STRONG, GIVEN_STRONG
from indexer.matching.policy import document_reasons
from indexer.matching.roster import Roster
from indexer.matching.scoring import query_for_values, score_patient
from indexer.matching.types import FILE, PROBABLE, Segment
from intake.model import Entities

# The only review reasons a document may carry to be filed with its file's patient.
_WEAK_ONLY = ("best candidate only probable", "not certain: needs an exact MRN or DOB besides the name")


def _page_conflicts(entities: Entities, patient_id: int, roster: Roster) -> bool:
    """Does any page of the file name someone other than the patient?"""
    prepared = roster.get(patient_id)
    for page in entities.pages:
        labelled = [n for n in page.names if n.source == "label"]
        q = query_for_values(labelled, page.dobs, page.mrns)
        if q.empty:
            continue
        if any(r.startswith("document names more than one patient") for r in document_reasons(q)):
            return True
        s = score_patient(q, prepared, roster)
        if s.conflicts or "conflict" in (s.level("family_name"), s.level("given_name")):
            return True
    return False


def _weak_only(seg: Segment, patient_id: int) -> bool:
    r = seg.result
    if r.decision == FILE or r.grade != PROBABLE or not r.candidates:
        return False
    if r.candidates[0].patient_id != patient_id or len(r.candidates) > 1 and r.candidates[1].grade == PROBABLE:
        return False
    return bool(r.review_reasons) and all(x.startswith(_WEAK_ONLY) for x in r.review_reasons)


def _own_name_agrees(seg: Segment, patient_id: int, roster: Roster) -> bool:
    labelled = [n for n in seg.entities.patient_names if n.source == "label"]
    q = query_for_values(labelled, seg.entities.dobs, seg.entities.mrns)
    if q.empty:
        return False
    s = score_patient(q, roster.get(patient_id), roster)
    name = s.level("family_name") in FAMILY_STRONG and s.level("given_name") in GIVEN_STRONG
    return not s.conflicts and (name or s.level("dob") == "exact" or s.level("mrn") == "exact")


def lend_file_identity(segments: list[Segment], entities: Entities, roster: Roster) -> list[Segment]:
    """File the weakly identified documents of a one-patient file with that patient."""
    filed = [s for s in segments if s.result.decision == FILE and s.result.patient_id is not None]
    patients = {s.result.patient_id for s in filed}
    if len(patients) != 1 or len(filed) == len(segments):
        return segments
    patient_id = patients.pop()
    assert patient_id is not None
    if _page_conflicts(entities, patient_id, roster):
        return segments
    anchor = ", ".join(f"pages {s.pages[0]}-{s.pages[1]}" for s in filed)
    out = []
    for seg in segments:
        if _weak_only(seg, patient_id) and _own_name_agrees(seg, patient_id, roster):
            top = seg.result.candidates[0]
            why = (f"same patient as {anchor} of this file (certain match); "
                   "no identifier in the file names anyone else")
            seg = replace(seg, result=replace(seg.result, decision=FILE, patient_id=patient_id, mrn=top.mrn,
                                              reasons=list(seg.result.reasons) + [why], review_reasons=[]))
        out.append(seg)
    return out

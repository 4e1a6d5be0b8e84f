"""Issue 18: each part of a manual split keeps what its own pages say."""

from __future__ import annotations

from indexer.parts import part_entities
from intake.model import Entities, NameMention, PageEntities, ValueMention

JOE_COVER = NameMention(family="Sullivan", given="Joe", middle="J", page=1, source="label")
JOE_LAB = NameMention(family="Sullivan", given="Joe", page=2, source="label")
DOB_COVER = ValueMention("1983-06-03", page=1, label="DOB")
DOB_LAB = ValueMention("1983-06-03", page=2, label="D.O.B.")
FOREIGN = ValueMention("SB1583955", page=2, label="Med Rec #", scheme="foreign")


def lab_fax() -> Entities:
    """The demo's urgent lab fax: a cover naming the patient, then four pages of results."""
    return Entities(
        patient_names=[JOE_COVER], dobs=[DOB_COVER], mrns=[FOREIGN],  # one mention per person, from page 1
        doc_type="lab_result", doc_type_confidence=0.94, doc_date="2026-10-21", urgent=True,
        urgency_reasons=["critical_value"],
        pages=[PageEntities(1, [JOE_COVER], [DOB_COVER], [], is_cover=True),
               PageEntities(2, [JOE_LAB], [DOB_LAB], [FOREIGN]),
               PageEntities(3), PageEntities(4)])


def test_report_pages_are_matched_on_their_own_identifiers() -> None:
    part = part_entities(lab_fax(), 2, 4)
    assert [(n.family, n.given, n.page) for n in part.patient_names] == [("Sullivan", "Joe", 2)]
    assert [d.value for d in part.dobs] == ["1983-06-03"] and [m.value for m in part.mrns] == ["SB1583955"]
    assert (part.doc_type, part.urgent) == ("lab_result", True)


def test_a_cover_alone_is_a_cover_with_the_cover_identifiers() -> None:
    part = part_entities(lab_fax(), 1, 1)
    assert (part.doc_type, part.urgent, part.urgency_reasons) == ("fax_cover", False, [])
    assert [n.page for n in part.patient_names] == [1] and [d.page for d in part.dobs] == [1]


def test_identifiers_already_in_range_are_kept() -> None:
    ent = lab_fax()
    ent.patient_names.append(JOE_LAB)
    part = part_entities(ent, 2, 4)
    assert part.patient_names == [JOE_LAB]

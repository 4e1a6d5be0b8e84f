"""Pages into documents, and what each document is (synthetic pages)."""

from __future__ import annotations

import pytest

from intake.config import Config
from intake.entities import EntityExtractor
from intake.model import DocPart, NameMention, PageEntities, PageText, ValueMention
from intake.segment import describe, segment

ROSTER = [("Doe", "Jane"), ("Roe", "John"), ("Poe", "Edgar")]
HEADER = "04/11/2026 TUE 09:12 FAX 312 555 0144 NORTHSIDE CLINIC @00{n}/004\n"

COVER = HEADER.format(n=1) + """FAX COVER SHEET
To: Lakeside Family Medicine         From: Dr. Mia Chen
Fax: (312) 555-0100                  Fax: (312) 555-0144
Date: 04/11/2026                     Pages: 4 (including cover)
Re: DOE, JANE  DOB 04/05/1960
Please see the attached records.
CONFIDENTIALITY NOTICE: if you received this fax in error, please notify the sender.
"""
REFERRAL = HEADER.format(n=2) + """Northside Clinic
1200 Lake Shore Dr, Chicago, IL 60610   Tel (312) 555-0143
REFERRAL REQUEST
Patient Name: DOE, JANE   DOB: 04/05/1960
Referral Date: 04/02/2026
Reason for referral: evaluate and treat chronic cough
Referring Provider: Dr. Mia Chen
Page 1 of 1
"""
LAB = HEADER.format(n=3) + """CITY REFERENCE LABORATORY    LABORATORY REPORT
500 Industrial Way, Chicago, IL 60601   (312) 555-0190
Patient: DOE, JANE   DOB: 04/05/1960
Collected: 03/30/2026 08:10   Reported: 03/31/2026 09:00
TEST  RESULT  UNITS  REFERENCE RANGE
Glucose  92  mg/dL  70-99
Creatinine  0.9  mg/dL  0.6-1.3
Page 1 of 1
"""
NOTE = HEADER.format(n=4) + """Northside Clinic
1200 Lake Shore Dr, Chicago, IL 60610   Tel (312) 555-0143
PROGRESS NOTE
Patient Name: DOE, JANE   DOB: 04/05/1960
Date of Service: 04/01/2026
Chief Complaint: cough for three weeks
Assessment and Plan: likely post-viral cough; chest x-ray ordered.
Page 1 of 1
"""


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(Config(), ROSTER)


def pages(*texts: str) -> list[PageText]:
    return [PageText(i, t, "ocr") for i, t in enumerate(texts, 1)]  # type: ignore[arg-type]


def test_packet_is_cut_into_its_documents_each_typed_and_dated(extractor: EntityExtractor) -> None:
    ent = extractor.extract(pages(COVER, REFERRAL, LAB, NOTE))
    assert [(p.first, p.last, p.cover) for p in ent.parts] == [(1, 1, True), (2, 2, False), (3, 3, False),
                                                                (4, 4, False)]
    described = [describe(ent, p.first, p.last) for p in ent.parts]
    assert [(d.doc_type, d.doc_date) for d in described] == [
        ("fax_cover", "2026-04-11"), ("referral", "2026-04-02"), ("lab_result", "2026-03-30"),
        ("clinical_note", "2026-04-01")]
    # the cover merged into the first document: typed and dated by the document, not the cover
    merged = describe(ent, 1, 2)
    assert (merged.doc_type, merged.doc_date) == ("referral", "2026-04-02")


def test_lab_bundle_back_to_back_is_cut_per_patient(extractor: EntityExtractor) -> None:
    lab_for = [LAB.replace("DOE, JANE   DOB: 04/05/1960", who).replace("Page 1 of 1\n", "")
               for who in ("DOE, JANE   DOB: 04/05/1960", "ROE, JOHN   DOB: 07/08/1959",
                           "POE, EDGAR   DOB: 01/19/1950")]
    ent = extractor.extract(pages(*lab_for))
    assert [(p.first, p.last) for p in ent.parts] == [(1, 1), (2, 2), (3, 3)]


def test_continued_page_and_blank_back_stay_with_their_document(extractor: EntityExtractor) -> None:
    first = NOTE.replace("Page 1 of 1", "Page 1 of 2")
    second = (HEADER.format(n=2) + "Northside Clinic  DOE, JANE - DOB 04/05/1960 (continued)\n"
              "Plan: follow up in two weeks.\nPage 2 of 2\n")
    blank = HEADER.format(n=3)
    ent = extractor.extract(pages(first, second, blank, LAB))
    assert [(p.first, p.last) for p in ent.parts] == [(1, 3), (4, 4)]
    assert all(not p.unproven for p in ent.parts)


def p(n: int, *, who: tuple[str, str, str] | None = None, cover: bool = False, words: int = 50,
      page_of: list[int] | None = None, starts: bool = False, continued: bool = False,
      letterhead: str | None = None, scores: dict[str, float] | None = None) -> PageEntities:
    page = PageEntities(page=n, is_cover=cover, content_words=words, page_of=page_of, starts=starts,
                        continued=continued, letterhead=letterhead, type_scores=scores or {})
    if who:
        page.names.append(NameMention(who[0], who[1], page=n, source="label"))
        page.dobs.append(ValueMention(who[2], page=n, label="DOB"))
    return page


DOE = ("Doe", "Jane", "1960-04-05")
ROE = ("Roe", "John", "1959-07-08")


def test_page_without_evidence_is_joined_but_unproven() -> None:
    parts = segment([p(1, who=DOE, starts=True, letterhead="northside clinic"), p(2, letterhead="city lab")])
    assert parts == [DocPart(1, 2, False, [2], "first page")]


def test_same_patient_is_evidence_a_repeated_report_header_alone_is_not() -> None:
    same_header = segment([p(1, who=DOE, letterhead="city lab"), p(2, letterhead="city lab")])
    same_patient = segment([p(1, who=DOE), p(2, who=DOE)])
    counted = segment([p(1, who=DOE, page_of=[1, 2]), p(2, page_of=[2, 2])])
    assert same_header[0].unproven == [2]  # a lab's header repeats over several patients' reports
    assert same_patient[0].unproven == [] and counted[0].unproven == [] and counted[0].continued == [2]


def test_boundaries() -> None:
    parts = segment([
        p(1, cover=True, words=40),
        p(2, who=DOE, page_of=[1, 2]),
        p(3, page_of=[2, 2]),  # its counter continues page 2
        p(4, who=DOE, starts=True),  # a new letterhead after the last page of the last document
        p(5, who=ROE),  # another patient
        p(6, who=ROE, words=2),  # a blank back
        p(7, who=ROE, starts=True, scores={"lab_result": 40.0}),
        p(8, who=ROE, scores={"discharge_summary": 45.0}),  # plainly another kind of document
    ])
    assert [(x.first, x.last) for x in parts] == [(1, 1), (2, 3), (4, 4), (5, 6), (7, 7), (8, 8)]
    assert [x.starts_with for x in parts][1:] == [
        "first page after a cover", "previous document's last page", "another patient's identifiers",
        "letterhead or title", "a different kind of document"]


def test_describe_weighs_the_first_page_and_skips_covers() -> None:
    from intake.model import Entities

    ent = Entities(pages=[p(1, cover=True, scores={"fax_cover": 20.0}),
                          p(2, scores={"referral": 12.0, "clinical_note": 5.0}),
                          p(3, scores={"clinical_note": 14.0})])
    assert describe(ent, 1, 3).doc_type == "referral"  # 12 + 0 vs 5 + 14 * 0.5
    assert describe(ent, 1, 1).doc_type == "fax_cover"


def test_a_continuation_page_without_counter_or_marker_joins_by_patient_not_by_its_table(
        extractor: EntityExtractor) -> None:
    first = LAB.replace("Page 1 of 1\n", "")
    second = (HEADER.format(n=2) + "DOE, JANE | DOB 04/05/1960\nTEST  RESULT  UNITS  REFERENCE RANGE\n"
              "Sodium  140  mmol/L  135-145\n01: City Reference Laboratory, 500 Industrial Way, Chicago, IL 60601\n")
    ent = extractor.extract(pages(first, second))
    assert [(p.first, p.last, p.unproven) for p in ent.parts] == [(1, 2, [])]  # same patient: proven


def test_a_page_the_counter_promises_continues_unless_another_kind_of_document_begins() -> None:
    promised = segment([p(1, who=DOE, page_of=[1, 2], scores={"intake_form": 40.0}),
                        p(2, who=("Doe", "Janet", "1960-04-05"), starts=True, scores={"intake_form": 12.0})])
    assert [(x.first, x.last) for x in promised] == [(1, 2)]  # its own title, the same kind of form
    misread = segment([p(1, who=DOE, page_of=[1, 4], scores={"clinical_note": 50.0}),
                       p(2, who=DOE, starts=True, scores={"lab_result": 45.0})])
    assert [(x.first, x.last) for x in misread] == [(1, 1), (2, 2)]  # a lab report's letterhead and title
    other = segment([p(1, who=DOE, page_of=[1, 2]), p(2, who=ROE)])
    assert [(x.first, x.last) for x in other] == [(1, 1), (2, 2)]  # another DOB: another patient's page

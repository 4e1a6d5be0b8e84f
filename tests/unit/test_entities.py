"""Entity extraction: names, DOBs, MRNs, dates, phones, sex, urgency (no OCR involved)."""

from __future__ import annotations

from datetime import date

import pytest

from intake.config import Config
from intake.dates import find_dates, parse_date, resolve_year
from intake.doctype import urgency
from intake.entities import EntityExtractor
from intake.model import Entities, PageText, RosterLexicon
from intake.mrnformat import MrnFormat
from intake.names import Gazetteer, parse_name

TODAY = date(2026, 11, 23)
ROSTER = [("Smith", "John"), ("Gonzalez", "Maria"), ("O'Neil", "Mary-Jane"), ("Lee", "Ann")]


CF_FORMAT = MrnFormat("CF", 6, 6).to_json()  # as `patients import` learns it from a CF roster


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(Config(), RosterLexicon(ROSTER, ["1957-03-04"], ["CF123456"], CF_FORMAT))


def page(text: str, number: int = 1, source: str = "ocr") -> PageText:
    return PageText(number, text, source)  # type: ignore[arg-type]


# ---------------------------------------------------------------- dates
@pytest.mark.parametrize("raw, iso", [
    ("03/04/1957", "1957-03-04"),
    ("3/4/1957", "1957-03-04"),
    ("1957-03-04", "1957-03-04"),
    ("Mar 4, 1957", "1957-03-04"),
    ("March 4, 1957", "1957-03-04"),
    ("4 March 1957", "1957-03-04"),
    ("04-MAR-1957", "1957-03-04"),
    ("03-04-1957", "1957-03-04"),
    ("03.04.1957", "1957-03-04"),
    ("31/12/1957", "1957-12-31"),  # day-first only when month-first is impossible
])
def test_date_formats(raw: str, iso: str) -> None:
    assert parse_date(raw, "birth", TODAY) == iso


@pytest.mark.parametrize("raw, iso", [
    ("O3/O4/l957", "1957-03-04"),
    ("03/O4/1957", "1957-03-04"),
    ("O3/14/I957", "1957-03-14"),
    ("03/04/195B", "1958-03-04"),
    ("1957-O3-O4", "1957-03-04"),
    ("O5/1S/1960", "1960-05-15"),
])
def test_dates_with_ocr_confusable_digits(raw: str, iso: str) -> None:
    hits = find_dates(raw, "birth", TODAY)
    assert hits and hits[0].iso == iso and hits[0].repaired


def test_two_digit_years_resolve_by_purpose() -> None:
    assert parse_date("3/4/57", "birth", TODAY) == "1957-03-04"
    assert parse_date("3/4/24", "birth", TODAY) == "2024-03-04"
    assert parse_date("3/4/30", "birth", TODAY) == "1930-03-04"  # never a future birth
    assert resolve_year(26, "any", TODAY) == 2026
    assert resolve_year(99, "any", TODAY) == 1999


def test_not_dates() -> None:
    for text in ("555-123-4567", "1.5 mg", "v2.3.4", "70-99 mg/dL", "13/13/2001", "02/30/2001"):
        assert find_dates(text, "any", TODAY) == [], text


# ---------------------------------------------------------------- names
@pytest.mark.parametrize("raw, family, given, middle", [
    ("SMITH, JOHN A", "SMITH", "JOHN", "A"),
    ("Smith, John", "Smith", "John", None),
    ("John A. Smith", "Smith", "John", "A"),
    ("Mary-Jane O'Neil", "O'Neil", "Mary-Jane", None),
    ("Dr. Jane Doe MD", "Doe", "Jane", None),
    ("GARCIA LOPEZ, ANA", "GARCIA LOPEZ", "ANA", None),
])
def test_parse_name(raw: str, family: str, given: str, middle: str | None) -> None:
    parsed = parse_name(raw)
    assert parsed is not None
    assert (parsed.family, parsed.given, parsed.middle) == (family, given, middle)


def test_parse_name_rejects_non_names() -> None:
    assert parse_name("Records for 3 patients") is None
    assert parse_name("Smith") is None
    assert parse_name("") is None


def test_gazetteer_tolerates_ocr_errors() -> None:
    g = Gazetteer(ROSTER)
    found = {(h.family, h.given) for h in g.find("Seen: Maria Gonza1ez and SMITH, JOHN A; Ann Lee")}
    assert found == {("Gonzalez", "Maria"), ("Smith", "John"), ("Lee", "Ann")}
    fuzzy = g.find("pt Maria Gonzalex came in")  # one substitution
    assert [(h.family, h.exact) for h in fuzzy] == [("Gonzalez", False)]
    assert g.find("Maria Gomez and John Smythe-Jones") == []


# ---------------------------------------------------------------- labelled fields
def test_labelled_patient_fields(extractor: EntityExtractor) -> None:
    ent = extractor.extract([page(
        "VALLEY GENERAL HOSPITAL\nPhone: (555) 555-0110   Fax: (555) 555-0111\n"
        "LABORATORY REPORT\n"
        "Patient: SMITH, JOHN A   DOB: 03/04/1957\nSex: Male   MRN: CF123456\n"
        "Med Rec #: SB1234567\nCollected: 11/02/2026   Reported: 11/03/2026\n"
        "Glucose 95 mg/dL 70-99\nReference range shown.\n")])
    top = ent.patient_names[0]
    assert (top.family, top.given, top.source) == ("Smith", "John", "label")  # roster spelling, labelled
    assert [d.value for d in ent.dobs] == ["1957-03-04"]
    assert {(m.value, m.scheme) for m in ent.mrns} == {("CF123456", "own"), ("SB1234567", "foreign")}
    assert ent.sex == "M"
    assert ent.doc_date == "2026-11-02"
    assert ent.doc_type == "lab_result" and ent.loinc == "11502-2"
    assert [p.value for p in ent.phones] == ["+15555550110"]
    assert [f.value for f in ent.faxes] == ["+15555550111"]
    assert ent.sender_org == "VALLEY GENERAL HOSPITAL"


@pytest.mark.parametrize("line", [
    "Patient Name: John Smith", "Pt Name: SMITH, JOHN", "Name: Smith, John A.",
    "PATIENT NAME ........ SMITH, JOHN A", "Patient: John A Smith", "RE: John Smith DOB: 1/2/1950",
])
def test_name_label_forms(extractor: EntityExtractor, line: str) -> None:
    ent = extractor.extract([page(line)])
    assert ent.patient_names, line
    assert (ent.patient_names[0].family.lower(), ent.patient_names[0].given.lower()) == ("smith", "john")


@pytest.mark.parametrize("line", [
    "DOB: 03/04/1957", "D.O.B.: 3/4/57", "D.O.B. 03-04-1957", "Date of Birth: Mar 4, 1957",
    "Birthdate: 1957-03-04", "DOB:03/04/1957", "dob 04-MAR-1957", "DOB: O3/O4/l957",
    "D,O.B.: 03/04/1957", "DOB; 03/04/1957", "D0B: 03/04/1957",  # OCR slips in the label
    '" -D.0,B.: 1957-03-04', "D.0.B: 03/04/1957", "-DOB: 03/04/1957", "DO.B: 03/04/1957",
    "D.O.8.: 03/04/1957",
])
def test_dob_label_forms(extractor: EntityExtractor, line: str) -> None:
    ent = extractor.extract([page(f"Patient: John Smith\n{line}")])
    assert [d.value for d in ent.dobs] == ["1957-03-04"], line


@pytest.mark.parametrize("raw, value", [
    ("CF123456", "CF123456"), ("CF 123456", "CF123456"), ("CFl23456", "CF123456"),
    ("CF1234S6", "CF123456"), ("CFO12345", "CF012345"), ("CF12B456", "CF128456"),
    ("cf123456", "CF123456"),
])
def test_own_mrn_with_ocr_confusables(extractor: EntityExtractor, raw: str, value: str) -> None:
    ent = extractor.extract([page(f"Patient: John Smith\nMRN: {raw}")])
    assert [(m.value, m.scheme) for m in ent.mrns] == [(value, "own")]


def test_foreign_ids_are_not_our_mrn(extractor: EntityExtractor) -> None:
    ent = extractor.extract([page(
        "MRN (Valley General): 1234567\nChart ID: VC123456\nAcct: H12345678\n"
        "Patient ID: NW12345678\nCF1234567 is too long; XCF123456 has a prefix")])
    own = [m for m in ent.mrns if m.scheme == "own"]
    foreign = {m.value for m in ent.mrns if m.scheme == "foreign"}
    assert own == []
    assert foreign == {"1234567", "VC123456", "NW12345678"}  # Acct is not a medical record


def test_custom_mrn_pattern() -> None:
    cfg = Config()
    cfg.extract.mrn_pattern = r"MS\d{5}"
    ent = EntityExtractor(cfg).extract([page("Chart #: MS0l234 and CF123456")])
    assert [(m.value, m.scheme) for m in ent.mrns if m.scheme == "own"] == [("MS01234", "own")]


@pytest.mark.parametrize("text, sex", [
    ("Sex: F", "F"), ("Sex: Female", "F"), ("Gender: Male", "M"), ("Sex: [ ] M [X] F", "F"),
    ("Sex: [X] M [ ] F", "M"), ("Sex: X", "X"),
])
def test_sex(extractor: EntityExtractor, text: str, sex: str) -> None:
    assert extractor.extract([page(text)]).sex == sex


# ---------------------------------------------------------------- document date
def test_doc_date_is_not_fax_header_or_dob(extractor: EntityExtractor) -> None:
    text = ("NOV-21-2026 10:42  FROM: VALLEY GENERAL  (555)555-0111  TO: 5555550199  P.1/2\n"
            "11/21/2026 10:42 AM  5555550111  VALLEY GENERAL  PAGE 01/02\n"
            "PROGRESS NOTE\nPatient: John Smith  DOB: 03/04/1957\n"
            "Chief complaint: follow up. Seen 10/01/2026 previously.\n"
            "Date of Service: 11/14/2026\nElectronically signed by: Dr. A on 11/15/2026 09:12\n"
            "Printed: 11/21/2026 10:40   Page 1 of 2")
    ent = extractor.extract([page(text)])
    assert ent.doc_date == "2026-11-14"


def test_doc_date_priorities(extractor: EntityExtractor) -> None:
    discharge = ("DISCHARGE SUMMARY\nAdmission Date: 11/01/2026   Discharge Date: 11/05/2026\n"
                 "Hospital course: uneventful.")
    assert extractor.extract([page(discharge)]).doc_date == "2026-11-05"
    refill = ("REFILL AUTHORIZATION REQUEST\nRequest Date: 11/10/2026\nLast Fill: 09/01/2026")
    assert extractor.extract([page(refill)]).doc_date == "2026-11-10"
    letter = "November 3, 2026\n\nMaple Street Family Medicine\nDear Dr. Marsh,\nThank you."
    assert extractor.extract([page(letter)]).doc_date == "2026-11-03"
    prior = ("LAB REPORT\nGLUCOSE - PRIOR RESULT, collected 01/02/2025\nCollected: 11/02/2026")
    assert extractor.extract([page(prior)]).doc_date == "2026-11-02"
    card = "INSURANCE CARD\nMember: JOHN SMITH\nEffective: 01/01/2026\nRxBIN: 123456"
    assert extractor.extract([page(card)]).doc_date is None


# ---------------------------------------------------------------- pages, covers, urgency
def test_per_page_entities_split_batch(extractor: EntityExtractor) -> None:
    pages = [
        page("FAX COVER SHEET\nTo: Maple Street\nFrom: Valley General\nPages (incl. cover): 3\n"
             "[ ] Urgent [X] For Review", 1),
        page("Patient: Maria Gonzalez DOB: 01/02/1960\nMRN: CF000111\nCollected: 11/02/2026", 2),
        page("", 3, "blank"),
        page("Patient: John Smith DOB: 03/04/1957\nMRN: CF000222", 4),
    ]
    ent = extractor.extract(pages)
    assert [p.is_cover for p in ent.pages] == [True, False, False, False]
    assert [p.is_blank for p in ent.pages] == [False, False, True, False]
    assert [m.value for m in ent.pages[1].mrns] == ["CF000111"]
    assert [d.value for d in ent.pages[3].dobs] == ["1957-03-04"]
    assert not ent.urgent  # an unticked "Urgent" box is not urgency


@pytest.mark.parametrize("text, reasons", [
    ("Potassium 6.9 HH mmol/L 3.5-5.1", ["critical_value"]),
    ("Glucose 38 PANIC mg/dL", ["critical_value"]),
    ("Priority: STAT", ["stat"]),
    ("[X] Urgent [ ] For Review", ["urgent_marked"]),
    ("Priority: URGENT", ["urgent_marked"]),
    ("1. CRITICAL FINDING: suspected acute abnormality", ["critical_finding"]),
    ("Critical values are called to the ordering provider per laboratory policy.", []),
    ("[ ] Urgent [X] For Review  Glucose 95 H", []),
])
def test_urgency(text: str, reasons: list[str]) -> None:
    assert urgency(text) == (bool(reasons), reasons)


def test_emergency_contact_is_not_the_patient(extractor: EntityExtractor) -> None:
    ent = extractor.extract([page(
        "INTAKE FORM\nLast Name: Smith First Name: John MI: A\nEMERGENCY CONTACT\n"
        "Name: Nancy Smith Relationship: Spouse")])
    assert [(n.family, n.given) for n in ent.patient_names] == [("Smith", "John")]


def test_ocr_glued_initial_and_roster_spelling(extractor: EntityExtractor) -> None:
    ent = extractor.extract([page("RE: Maria QGonzalez DOB: 01/02/1960")])
    assert [(n.family, n.given) for n in ent.patient_names] == [("Gonzalez", "Maria")]
    assert parse_name("Frank RNakamura") == parse_name("Frank R Nakamura")


def test_blank_text_layer_page_with_only_fax_header() -> None:
    from intake.pages import PageJob, read_page

    job = PageJob("x.pdf", "pdf", 2, "11/12/2026 03:23 PM 5555550136 NW REF LAB PAGE 02/04\n")
    assert read_page(job, Config()).source == "blank"


def test_letter_date_with_ocr_noise_but_not_received_stamp(extractor: EntityExtractor) -> None:
    letter = "Valley Cardiology\n\n, February 24, 2025\nMaple Street\nDear Dr. Marsh,\nThanks."
    assert extractor.extract([page(letter)]).doc_date == "2025-02-24"
    stamped = "REFERRAL\nRECEIVED\nNOV 22 2026\nDear Dr. Marsh,"
    assert extractor.extract([page(stamped)]).doc_date is None


def test_entities_round_trip(extractor: EntityExtractor) -> None:
    ent = extractor.extract([page("Patient: John Smith DOB: 03/04/1957 MRN: CF123456")])
    assert Entities.from_dict(ent.to_dict()) == ent

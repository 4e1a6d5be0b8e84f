"""Document-type classification rules (bundled TOML and a practice's own copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.doctype import DOC_TYPES, classify, load_rules, parse_rules
from intake.errors import ConfigError

EXAMPLES = {
    "fax_cover": "FAX COVER SHEET\nTo: Maple Street\nFrom: Valley\nPages (incl. cover): 3\n"
                 "[ ] Urgent [X] For Review [ ] Please Reply",
    "lab_result": "LABORATORY REPORT\nCollected: 11/02/2026\nTest Result Flag Units Ref Range\n"
                  "Glucose 95 mg/dL 70-99\nCreatinine 0.9 mg/dL 0.6-1.3",
    "referral": "REFERRAL REQUEST\nReferring Provider: Dr. Who\nReason for referral: evaluate and treat",
    "roi_authorization": "AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION\n"
                         "I authorize the practice to disclose... I may revoke this authorization",
    "insurance_card": "COPY OF INSURANCE CARD - FRONT\nMember ID: XYZ123\nGroup No: 1234\n"
                      "RxBIN: 123456 RxPCN: ADV\nCopay: PCP $20",
    "intake_form": "NEW PATIENT INFORMATION / INTAKE FORM\nLast Name: Smith\nEMERGENCY CONTACT\n"
                   "Name: Jane Relationship: Spouse",
    "prescription_request": "REFILL AUTHORIZATION REQUEST\nMedication: lisinopril 10 mg tab\n"
                            "Qty: 90 Refills: 0\nLast Fill: 09/01/2026\n[ ] APPROVED [ ] DENIED",
    "imaging_report": "RADIOLOGY REPORT\nExam: CT of the chest\nTECHNIQUE: standard\n"
                      "FINDINGS: none\nIMPRESSION: no acute findings",
    "discharge_summary": "DISCHARGE SUMMARY\nAdmission Date: 1/1/2026 Discharge Date: 1/5/2026\n"
                         "HOSPITAL COURSE: uneventful\nDISCHARGE MEDICATIONS: none",
    "clinical_note": "PROGRESS NOTE\nCHIEF COMPLAINT: cough\nHISTORY OF PRESENT ILLNESS: ...\n"
                     "PHYSICAL EXAM: normal\nASSESSMENT AND PLAN: rest",
    "correspondence": "November 3, 2026\nDear Dr. Marsh,\nI am writing about our mutual patient."
                      "\nSincerely,\nDr. Hale",
}
LOINC = {"lab_result": "11502-2", "referral": "57133-1", "discharge_summary": "18842-5",
         "clinical_note": "11488-4", "imaging_report": "18748-4", "insurance_card": "64290-0",
         "roi_authorization": "64292-6"}


@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_each_type_classified_with_loinc(doc_type: str) -> None:
    got, confidence, loinc = classify(EXAMPLES[doc_type])
    assert got == doc_type
    assert 0.0 < confidence <= 0.99
    assert loinc == LOINC.get(doc_type)


def test_bundled_rules_cover_vocabulary() -> None:
    rules = load_rules()
    assert {t.name for t in rules.types} == set(DOC_TYPES)
    assert load_rules() is rules  # cached


def test_unknown_text_falls_back_to_default_with_low_confidence() -> None:
    doc_type, confidence, loinc = classify("lorem ipsum dolor")
    assert doc_type == "correspondence" and confidence <= 0.5 and loinc is None


def test_practice_can_edit_rules(tmp_path: Path) -> None:
    path = tmp_path / "doctypes.toml"
    path.write_text('default = "correspondence"\nmin_score = 1\n'
                    '[types.correspondence]\nphrases = {}\n'
                    '[types.lab_result]\nloinc = "11502-2"\nphrases = { "blood work" = 5 }\n',
                    encoding="utf-8")
    rules = load_rules(path)
    assert classify("Your blood work is attached", rules)[0] == "lab_result"


@pytest.mark.parametrize("text", ["not toml [", "[types]\n", '[types.x]\npatterns = { "(" = 1 }\n'])
def test_bad_rules_raise_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_rules(text)


# ------------------------------------------------------------ where words stand (templates nobody here wrote)
OTHER_TEMPLATES = {
"insurer_letter": ("correspondence", """BLUE RIVER HEALTH PLAN
PO Box 100, Springfield, IL 62701   Member Services 1-800-555-0142
March 3, 2026
Dr. Ana Ruiz
Lakeside Family Medicine
100 Main St, Springfield, IL 62704
RE: Coordination of benefits for Jane Q. Public
Member ID: XKJ123456789   Group No: 44521
Dear Dr. Ruiz:
We are reviewing claims for the member named above and need information about any other health coverage.
Please complete the enclosed coordination of benefits questionnaire and return it within 30 days so that
claims can be processed. Claims may be denied if we do not receive a response.
Sincerely,
Claims Department
Blue River Health Plan"""),
"insurer_determination": ("correspondence", """NORTHWIND INSURANCE COMPANY
Utilization Review Department  Fax (800) 555-0111
Date of Determination: 02/27/2026
Member: John Roe   Member ID: NW5566778
Provider: Lakeside Family Medicine
Service requested: MRI lumbar spine without contrast
Dear Provider,
Your request for the service above has been approved. This approval is not a guarantee of payment.
Benefits are subject to the member's eligibility and plan terms on the date of service.
Sincerely,
Utilization Review"""),
"records_request": ("roi_authorization", """REQUEST FOR MEDICAL RECORDS
Patient name: Jane Q. Public      Date of birth: 04/05/1960
Records requested from: Lakeside Family Medicine
Please send the following records (check all that apply):
[ ] Lab Results        [ ] Imaging Reports
[x] Office Notes       [ ] Discharge Summary
[ ] Immunization Record
Dates of service: from 01/01/2024 to 12/31/2025
Purpose: continuity of care
I authorize the release of the records listed above to the requesting provider.
__________________________   03/01/2026
Signature of patient           Date"""),
"consult_letter_block": ("clinical_note", """TO: Dr. Ana Ruiz                 FAX: (206) 555-0101
FROM: Dr. Ken Oda, Cardiology    FAX: (206) 555-0199
DATE: 03/02/2026
RE: Jane Public   DOB 04/05/1960
Dear Dr. Ruiz,
Thank you for referring Ms. Public, whom I saw in consultation today for palpitations.
She reports intermittent fluttering for two months without syncope.
On examination her heart rate was 88 and regular; blood pressure 124/78.
Impression: benign premature atrial contractions.
Recommendations: reduce caffeine; Holter monitor if symptoms persist.
Sincerely,
Ken Oda, MD"""),
"plain_note": ("clinical_note", """Lakeside Family Medicine
100 Main St, Springfield, IL 62704  Tel (217) 555-0100
Patient: Jane Q. Public   DOB: 04/05/1960   Date: 03/02/2026
Patient seen today for follow-up of hypertension. Reports good adherence, denies chest pain or headache.
BP 132/84, HR 72. Weight stable.
Continue lisinopril 10 mg daily. Recheck basic metabolic panel in 3 months.
Return to clinic in 3 months or sooner if symptoms worsen.
Ana Ruiz, MD"""),
"discharge": ("discharge_summary", """Springfield General Hospital
Patient: John Roe   DOB: 07/08/1949
Admitted: 02/20/26   Discharged: 02/24/26
Attending: Dr. Lee
Diagnosis: community acquired pneumonia
Course: treated with IV antibiotics, improved, transitioned to oral therapy.
Follow-up with primary care physician in one week."""),
"card": ("insurance_card", """HealthFirst PPO
Member: JANE PUBLIC
ID: HFP123456789   Group: 0042
RxBIN 610014  RxPCN HF  RxGrp HF42
Copay: PCP $20  Specialist $40  ER $150
Customer Service 1-800-555-0123"""),
}


@pytest.mark.parametrize("name", sorted(OTHER_TEMPLATES))
def test_documents_typed_by_title_structure_and_purpose(name: str) -> None:
    want, text = OTHER_TEMPLATES[name]
    assert classify(text)[0] == want


def test_checklist_items_are_no_evidence_of_type() -> None:
    ticked = "Please send (check all that apply):\n[ ] Lab Results  [ ] Laboratory Report\n[ ] Discharge Summary\n"
    assert classify(ticked)[0] == "correspondence"  # the default: the list names other documents
    assert classify("LABORATORY REPORT\nGlucose 90 mg/dL 70-99\n")[0] == "lab_result"


def test_a_title_outweighs_the_same_words_in_running_text() -> None:
    title = "DISCHARGE SUMMARY\nThe patient was seen in clinic.\n"
    body = "PROGRESS NOTE\nChief complaint: cough.\nShe brought her discharge summary from last year.\n"
    assert classify(title)[0] == "discharge_summary"
    assert classify(body)[0] == "clinical_note"


def test_a_letter_with_a_to_fax_from_block_is_not_a_fax_cover() -> None:
    from intake.doctype import is_cover

    letter = OTHER_TEMPLATES["consult_letter_block"][1]
    cover = ("FAX TRANSMITTAL\nTo: Lakeside Family Medicine   From: Northside Clinic\n"
             "Fax: (312) 555-0100   Fax: (312) 555-0144\nDate: 04/11/2026   Pages: 3 (including cover)\n"
             "RE: records\nIf you received this fax in error, please call.\n")
    assert not is_cover(letter) and is_cover(cover)


def test_ocr_slips_in_a_letters_opening_are_tolerated() -> None:
    letter = ("April 9, 2026\nDr. Ana Ruiz\nRE: Jane Doe\nDear Dr. Ruiz,\n"
              "Thank yoo for referrinq Ms. Doe, whom I saw in consultatlon today.\nSincerely,\nDr. Oda\n")
    assert classify(letter)[0] == "clinical_note"

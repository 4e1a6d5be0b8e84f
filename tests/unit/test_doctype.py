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

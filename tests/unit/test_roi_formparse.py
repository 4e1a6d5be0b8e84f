"""Parsing scanned authorization forms into draft fields."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from indexer.roi.formparse import parse_form, split_party
from samples.documents import make_document
from samples.roster import generate_roster

TODAY = dt.date(2025, 3, 1)

FORM = """MAPLE STREET FAMILY MEDICINE
AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION
Patient: Testperson, Alice   DOB: 01/02/1970
I hereby authorize Maple Street Family Medicine, 410 Maple St, Salem, OR 97301, to release
the information described below.
Release to (recipient): Valley Cardiology, 2250 River Rd Ste 300, Salem, OR
97302
Information to be released:
[X] Office/progress notes  [ ] Lab results  [x] Imaging reports  [ ] Entire record
Dates of service: 01/01/2023 to 12/31/2024
Purpose of disclosure: Continuity of care
This authorization expires on: 06/30/2026
I UNDERSTAND THAT:
1. I may revoke this authorization at any time by written notice.
2. Treatment will not be conditioned on whether I sign this authorization.
3. Information disclosed may be redisclosed by the recipient.
Signature: /s/ Jane Testperson    Date: Feb 22, 2025
Relationship to patient: Legal guardian (court order 24-117)
"""


def test_all_fields_of_a_complete_form() -> None:
    f = parse_form(FORM, TODAY)
    assert f.discloser == "Maple Street Family Medicine, 410 Maple St, Salem, OR 97301"
    assert (f.recipient_name, f.recipient_address) == ("Valley Cardiology", "2250 River Rd Ste 300, Salem, OR 97302")
    assert f.doc_types == ["clinical_note", "imaging_report"]
    assert (f.info_from, f.info_to) == (dt.date(2023, 1, 1), dt.date(2024, 12, 31))
    assert f.purpose == "Continuity of care"
    assert (f.expires_on, f.expiration_event) == (dt.date(2026, 6, 30), None)
    assert (f.signer_name, f.signed_on) == ("Jane Testperson", dt.date(2025, 2, 22))
    assert f.representative_authority == "Legal guardian (court order 24-117)"
    assert f.stmt_revocation and f.stmt_conditioning and f.stmt_redisclosure


def test_missing_parts_stay_empty() -> None:
    text = "\n".join(line for line in FORM.splitlines()
                     if not line.startswith(("2.", "Purpose", "Relationship", "Signature", "This authorization")))
    f = parse_form(text, TODAY)
    assert f.purpose is None and f.expires_on is None and f.expiration_event is None
    assert f.signer_name is None and f.signed_on is None and f.representative_authority is None
    assert f.stmt_revocation and not f.stmt_conditioning and f.stmt_redisclosure


def test_expiry_event_and_blank_signature() -> None:
    text = ("This authorization expires upon settlement of the\nclaim.\n"
            "Signature: ______________________________ Date: ____________\n")
    f = parse_form(text, TODAY)
    assert f.expiration_event == "upon settlement of the claim"
    assert f.signer_name is None and f.signed_on is None


def test_split_party_without_address() -> None:
    assert split_party("Beacon Health Plan, PO Box 4410, Portland, OR") == ("Beacon Health Plan",
                                                                            "PO Box 4410, Portland, OR")
    assert split_party("Dr. Smith") == ("Dr. Smith", None)


@pytest.mark.parametrize("seed", [*range(40), 52, 75, 99])  # 52, 75, 99: "one year from the date signed"
def test_generated_forms_match_ground_truth(seed: int) -> None:
    """The synthetic ROI forms (samples/) with their ground truth, text as printed."""
    rows = generate_roster(60, 7)
    rng = random.Random(seed)
    doc = make_document(rng, "roi_authorization", rows[seed % 60], sent=dt.datetime(2025, 3, 1, 10, 0))
    text = "\n".join(doc.page_texts())
    truth = doc.truth["roi"]
    f = parse_form(text, TODAY)
    recipient = f"{f.recipient_name}, {f.recipient_address}" if f.recipient_address else f.recipient_name
    assert recipient == truth["recipient"]
    assert f.purpose == truth["purpose"]
    assert (f.expires_on.isoformat() if f.expires_on else None) == truth["expires"]
    assert f.expiration_event == (truth["expiration_event"] if truth["expires"] is None else None)
    assert (f.signed_on.isoformat() if f.signed_on else None) == truth["signed_date"]
    assert bool(f.representative_authority) == truth["signed_by_representative"]
    assert bool(f.discloser) == truth["elements"]["disclosing_party"]
    assert bool(f.doc_types) == truth["elements"]["description"]
    # the generator may drop the statements block when the page is full: compare with the printed text
    assert f.stmt_revocation == ("1. I may revoke" in text)
    assert f.stmt_conditioning == ("2. Treatment" in text)
    assert f.stmt_redisclosure == ("3. Information disclosed" in text)


SIGNED_FORM = ("AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION\n"
               "This authorization expires {phrase}.\n"
               "I UNDERSTAND THAT:\n"
               "1. I may revoke this authorization at any time by written notice.\n"
               "Signature: /s/ Jessica Garcia    Date: 08/04/2025\n")


@pytest.mark.parametrize(("phrase", "expires_on", "event"), [
    ("one year from the date signed", dt.date(2026, 8, 4), None),
    ("90 days after signature", dt.date(2025, 11, 2), None),
    ("six months from today", dt.date(2026, 2, 4), None),
    ("until 12/31/2027", dt.date(2027, 12, 31), None),
    ("on: 12/31/2030", dt.date(2030, 12, 31), None),
    ("at the end of treatment", None, "at the end of treatment"),
    ("12 months after discharge", None, None),
    ("one year from the date signed or at the end of treatment, whichever comes first",
     dt.date(2026, 8, 4), "at the end of treatment"),
])
def test_expiry_phrase_on_a_form_becomes_a_date(phrase: str, expires_on: dt.date | None, event: str | None) -> None:
    """Issue 18: a duration is never stored as an event; the phrase is kept as written."""
    f = parse_form(SIGNED_FORM.format(phrase=phrase), dt.date(2026, 12, 3))
    assert f.signed_on == dt.date(2025, 8, 4)
    assert (f.expires_on, f.expiration_event) == (expires_on, event)
    assert f.expiry_phrase and phrase.endswith(f.expiry_phrase)  # "on:" belongs to the label


def test_relative_expiry_waits_for_the_signature_date() -> None:
    f = parse_form("This authorization expires one year from the date signed.\nSignature: ________ Date: ____\n",
                   dt.date(2026, 12, 3))
    assert (f.expires_on, f.expiration_event, f.expiry_phrase) == (None, None, "one year from the date signed")
    f.signed_on = dt.date(2025, 8, 4)  # e.g. found by the entity extractor
    f.resolve_expiry(dt.date(2026, 12, 3))
    assert f.expires_on == dt.date(2026, 8, 4)

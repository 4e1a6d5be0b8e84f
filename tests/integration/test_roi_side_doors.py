"""Release rules with no side doors (issue 20): each way around the rules the review found is closed.

- ``individual`` needs the logged access request and goes to the patient, or to
  the designee of the patient's written request (164.524(c)(3)(ii));
- a release fulfilling a request goes to that request's recipient;
- a treatment/payment/operations release needs the logged request;
- a form signed by someone other than the patient needs the representative's authority;
- a correction cannot re-route a disclosure;
- every disclosure 164.528 does not exempt is in the accounting, judged by its facts;
- mail needs an address (the patient's, by default, for their own copy).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from indexer.db.models import Patient
from indexer.roi import accounting, lookup, releases, requests
from indexer.roi.models import Release
from indexer.roi.recipients import EXEMPT
from indexer.roi.releases import Correction, ReleaseInput
from indexer.roi.requests import RequestFields
from intake.errors import RefusedError
from tests.integration.test_roi_support import (
    ADDRESS,
    MRN,
    RECIPIENT,
    Home,
    add_authorization,
    make_home,
    run_cli,
)

TODAY = date(2025, 3, 1)
PATIENT = "Alice Testperson"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


def request(home: Home, basis: str, recipient: str, requester: str = PATIENT, channel: str = "mail",
            **extra: Any) -> int:
    fields = RequestFields(received_on=TODAY, channel=channel, requester=requester, recipient_name=recipient,
                           basis=basis, **extra)
    with home.db.transaction() as s:
        return requests.add(s, mrn=MRN, fields=fields, actor="clerk1", today=TODAY).id


def release(home: Home, recipient: str, basis: str | None, **extra: Any) -> releases.Outcome:
    extra.setdefault("method", "fax")
    inp = ReleaseInput(mrn=MRN, document_ids=[home.docs["lab"]], recipient_name=recipient, basis=basis, **extra)
    return releases.release(home.db, inp, actor="roi1", today=TODAY)


def refused(home: Home, recipient: str, basis: str | None, **extra: Any) -> str:
    with pytest.raises(RefusedError) as info:
        release(home, recipient, basis, **extra)
    with home.db.session() as s:
        assert s.scalars(select(Release)).first() is None
    return info.value.message


def accounting_recipients(home: Home, include_all: bool = False) -> list[str]:
    with home.db.session() as s:
        found = accounting.entries(s, lookup.patient_by_mrn(s, MRN).id, date(2020, 1, 1), TODAY,
                                   include_all=include_all)
    return [e.recipient for e in found]


def test_individual_release_needs_the_logged_request(home: Home) -> None:
    assert "needs the logged request" in refused(home, PATIENT, "individual")


def test_individual_release_to_evil_corp_on_the_patients_request_is_refused(home: Home) -> None:
    req = request(home, "individual", PATIENT)
    message = refused(home, "Evil Corp", "individual", request_id=req)
    assert f"request #{req} asks for the records to go to '{PATIENT}', not 'Evil Corp'" in message


def test_request_recipient_is_binding_on_any_basis(home: Home) -> None:
    req = request(home, "legal", "Pat", requester="County Court", legal_reference="Subpoena 25-1")
    assert "not 'Somebody Else'" in refused(home, "Somebody Else", "legal", request_id=req,
                                            legal_reference="Subpoena 25-1")


def test_someone_else_cannot_direct_the_patients_access(home: Home) -> None:
    req = request(home, "individual", "Evil Corp", requester="Evil Corp")
    assert "only the patient can direct a copy to someone else" in refused(home, "Evil Corp", "individual",
                                                                            request_id=req)


def test_designee_needs_a_written_request(home: Home) -> None:
    req = request(home, "individual", "Dr. Rivera's Clinic", channel="phone")
    assert "needs the patient's written request" in refused(home, "Dr. Rivera's Clinic", "individual",
                                                            request_id=req)


def test_designee_of_a_written_request_is_exempt_with_its_reason(home: Home) -> None:
    req = request(home, "individual", "Dr. Rivera's Clinic")
    out = release(home, "Dr. Rivera's Clinic", None, request_id=req)
    assert out.release_id
    assert accounting_recipients(home) == []
    with home.db.session() as s:
        found = accounting.entries(s, lookup.patient_by_mrn(s, MRN).id, date(2020, 1, 1), TODAY, include_all=True)
    assert [(e.recipient, e.exempt_because) for e in found] == [("Dr. Rivera's Clinic", EXEMPT["designee"])]


def test_patients_own_copy_by_mail_goes_to_the_address_on_file(home: Home) -> None:
    req = request(home, "individual", PATIENT)
    assert "mail needs an address" in refused(home, PATIENT, "individual", request_id=req, method="mail")
    with home.db.transaction() as s:
        p = s.scalars(select(Patient).where(Patient.mrn == MRN)).one()
        p.address, p.city, p.state, p.postal_code = "12 Elm St", "Salem", "OR", "97301"
    out = release(home, PATIENT, "individual", request_id=req, method="mail")
    with home.db.session() as s:
        assert lookup.release(s, out.release_id).recipient_address == "12 Elm St, Salem, OR 97301"


def test_third_party_mail_needs_an_address(home: Home) -> None:
    assert "mail needs an address: give --address" in refused(home, "County Court", "legal", method="mail",
                                                              legal_reference="Order 1")


def test_tpo_release_needs_the_logged_request(home: Home) -> None:
    assert "needs the logged request of the provider or plan" in refused(home, "Beacon Health Plan", "tpo",
                                                                         purpose="Payment")
    req = request(home, "tpo", "Beacon Health Plan", requester="Beacon Health Plan")
    release(home, "Beacon Health Plan", None, request_id=req, purpose="Payment")
    assert accounting_recipients(home) == [] and accounting_recipients(home, True) == ["Beacon Health Plan"]


def test_authorization_signed_by_someone_else_needs_representative_authority(home: Home, capsys: Any) -> None:
    auth_id = add_authorization(home, TODAY, signer_name="Bob Neighbour")
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "show", str(auth_id))
    assert code == 0 and "signed by 'Bob Neighbour', who is not the patient" in out and "INVALID" in out
    message = refused(home, RECIPIENT, "authorization", authorization_id=auth_id, recipient_address=ADDRESS)
    assert "who is not the patient" in message
    ok = add_authorization(home, TODAY, signer_name="Bob Neighbour", representative_authority="health care POA")
    assert release(home, RECIPIENT, "authorization", authorization_id=ok, recipient_address=ADDRESS).release_id


def test_a_correction_cannot_reroute_a_disclosure(home: Home) -> None:
    req = request(home, "individual", PATIENT)
    own = release(home, PATIENT, "individual", request_id=req)
    auth_id = add_authorization(home, TODAY)
    authorized = release(home, RECIPIENT, "authorization", authorization_id=auth_id, recipient_address=ADDRESS)
    for rel in (own, authorized):
        with pytest.raises(RefusedError, match="correction refused"), home.db.transaction() as s:
            releases.correct(s, rel.release_id, Correction(reason="typo", recipient_name="Evil Corp"), actor="x")
    with home.db.transaction() as s:  # an address typo is still correctable
        releases.correct(s, authorized.release_id, Correction(reason="typo", recipient_address="2250 River Road"),
                         actor="x")


def test_a_mislabelled_disclosure_is_accounted_by_its_facts(home: Home) -> None:
    """Rows recorded before these rules: 'individual' to Evil Corp is not a disclosure to the individual."""
    with home.db.transaction() as s:
        patient = lookup.patient_by_mrn(s, MRN)
        s.add(Release(reference="R20250301-LEGACY", patient_id=patient.id, basis="individual",
                      recipient_name="Evil Corp", method="fax", purpose="At the request of the individual",
                      description="1 document", page_count=1, released_on=TODAY, released_by="clerk0"))
    assert accounting_recipients(home) == ["Evil Corp"]

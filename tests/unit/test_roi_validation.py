"""45 CFR 164.508 validation: each missing element named, expiry, revocation timing, drafts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest

from indexer.roi.validation import ELEMENTS, AuthStatus, load_stored, missing_elements, validate


@dataclass
class Facts:
    status: str = "active"
    patient_id: int | None = 1
    discloser: str | None = "Maple Street Family Medicine"
    recipient_name: str | None = "Valley Cardiology"
    description: str | None = "Lab results 2023-2024"
    doc_types: str = "lab_result"
    info_from: date | None = date(2023, 1, 1)
    info_to: date | None = date(2024, 12, 31)
    purpose: str | None = "Continuity of care"
    expires_on: date | None = date(2025, 6, 30)
    expiration_event: str | None = None
    expiry_phrase: str | None = None
    expiry_entered_by: str | None = "clerk1"
    event_occurred_on: date | None = None
    signed_on: date | None = date(2025, 1, 10)
    signer_name: str | None = "Alice Testperson"
    signed_by_representative: bool = False
    representative_authority: str | None = None
    stmt_revocation: bool = True
    stmt_conditioning: bool = True
    stmt_redisclosure: bool = True
    revoked_on: date | None = None
    known_false: bool = False
    known_false_reason: str | None = None


TODAY = date(2025, 3, 1)

# How to remove each element from an otherwise complete authorization.
REMOVE: dict[str, dict[str, Any]] = {
    "description": dict(description=None, doc_types="", info_from=None, info_to=None),
    "discloser": dict(discloser="  "),
    "recipient": dict(recipient_name=None),
    "purpose": dict(purpose=""),
    "expiration": dict(expires_on=None, expiration_event=None),
    "signature": dict(signer_name=None),
    "signature_date": dict(signed_on=None),
    "representative_authority": dict(signed_by_representative=True, representative_authority=None),
    "revocation_statement": dict(stmt_revocation=False),
    "conditioning_statement": dict(stmt_conditioning=False),
    "redisclosure_statement": dict(stmt_redisclosure=False),
}


def test_complete_authorization_is_valid() -> None:
    result = validate(Facts(), TODAY)
    assert result.valid and result.missing == [] and result.problems == []
    assert result.summary == "valid"


def test_every_element_has_a_removal_case() -> None:
    assert set(REMOVE) == {e.code for e in ELEMENTS}


@pytest.mark.parametrize("code", list(REMOVE))
def test_each_missing_element_is_named(code: str) -> None:
    result = validate(replace(Facts(), **REMOVE[code]), TODAY)
    assert not result.valid
    assert result.missing == [code]
    element = next(e for e in ELEMENTS if e.code == code)
    assert any(element.citation in p and p.startswith("missing") for p in result.problems)


def test_all_missing_named_in_rule_order() -> None:
    empty = Facts()
    for change in REMOVE.values():
        empty = replace(empty, **change)
    assert missing_elements(empty) == [e.code for e in ELEMENTS]


def test_description_by_types_or_dates_or_text_alone() -> None:
    none: dict[str, Any] = REMOVE["description"]
    assert validate(replace(Facts(), **{**none, "doc_types": "all"}), TODAY).valid
    assert validate(replace(Facts(), **{**none, "info_from": date(2020, 1, 1)}), TODAY).valid
    assert validate(replace(Facts(), **{**none, "description": "entire record"}), TODAY).valid


def test_expiry_event_satisfies_expiration_element() -> None:
    facts = replace(Facts(), expires_on=None, expiration_event="upon settlement of the claim")
    assert validate(facts, TODAY).valid


def test_representative_with_authority_is_valid() -> None:
    facts = replace(Facts(), signed_by_representative=True, representative_authority="healthcare POA")
    assert validate(facts, TODAY).valid


def test_expiry_by_date_recomputed_without_touching_the_row() -> None:
    facts = Facts(expires_on=date(2025, 6, 30))
    assert validate(facts, date(2025, 6, 29)).valid
    expired = validate(facts, date(2025, 6, 30))  # the day it expires it is no longer usable
    assert not expired.valid and expired.missing == []
    assert "expired on 2025-06-30" in expired.problems[0]
    assert not validate(facts, date(2026, 1, 1)).valid


def test_expiry_by_event_once_recorded() -> None:
    facts = Facts(expires_on=None, expiration_event="end of treatment")
    assert validate(facts, TODAY).valid
    occurred = replace(facts, event_occurred_on=date(2025, 4, 1))
    assert validate(occurred, date(2025, 3, 31)).valid  # before the event
    result = validate(occurred, date(2025, 4, 1))
    assert not result.valid and "expiration event occurred on 2025-04-01" in result.problems[0]


def test_revocation_effective_from_day_received() -> None:
    facts = Facts(revoked_on=date(2025, 3, 10))
    assert validate(facts, date(2025, 3, 9)).valid
    result = validate(facts, date(2025, 3, 10))
    assert not result.valid
    assert result.problems == ["revoked in writing, received 2025-03-10 [164.508(b)(5)]"]


def test_known_false_is_invalid_and_says_why() -> None:
    result = validate(Facts(known_false=True, known_false_reason="signature not the patient's"), TODAY)
    assert not result.valid and "signature not the patient's" in result.problems[0]


def test_draft_is_never_valid_even_when_complete() -> None:
    result = validate(Facts(status="draft"), TODAY)
    assert not result.valid and result.missing == []
    assert result.problems[0].startswith("draft from a scanned form")


def test_unlinked_patient_and_future_signature_are_problems() -> None:
    result = validate(Facts(patient_id=None, signed_on=date(2025, 3, 2)), TODAY)
    assert "no patient linked" in result.problems
    assert any("in the future" in p for p in result.problems)


def test_stored_round_trip() -> None:
    result = validate(Facts(stmt_revocation=False), TODAY)
    again = load_stored(result.to_json())
    assert again == result
    assert load_stored("{}") is None


# ---------------------------------------------------------------- issue 18: expiry you can trust, one status
ISSUE_DAY = date(2026, 12, 3)


def test_duration_stored_as_an_event_still_expires() -> None:
    """Issue 18: "expires one year from the date signed", signed 2025-08-04, was VALID on 2026-12-03."""
    facts = Facts(expires_on=None, expiration_event="one year from the date signed", signed_on=date(2025, 8, 4),
                  expiry_entered_by=None)
    result = validate(facts, ISSUE_DAY)
    assert not result.valid and result.status == AuthStatus.EXPIRED
    assert result.expires_on == "2026-08-04"
    assert "expired on 2026-08-04 [164.508(b)(2)(i)]" in result.problems
    assert validate(facts, date(2026, 8, 3)).valid  # the day before it was still usable


def test_phrase_that_cannot_be_worked_out_keeps_it_invalid() -> None:
    facts = Facts(expires_on=None, expiry_phrase="12 months after discharge", expiry_entered_by=None)
    result = validate(facts, TODAY)
    assert result.status == AuthStatus.INVALID and result.missing == []
    assert any(p.startswith("expiry cannot be worked out") and "discharge" in p for p in result.problems)


def test_duration_without_signature_date_is_invalid() -> None:
    facts = Facts(expires_on=None, expiry_phrase="one year from the date signed", signed_on=None)
    result = validate(facts, TODAY)
    assert result.missing == ["signature_date"]
    assert any("signature date is missing" in p for p in result.problems)


def test_event_read_from_a_scan_waits_for_a_clerk() -> None:
    read = Facts(expires_on=None, expiration_event="end of treatment", expiry_entered_by=None)
    result = validate(read, TODAY)
    assert result.status == AuthStatus.INVALID
    assert any("read from the scanned form: a clerk must enter it" in p for p in result.problems)
    assert validate(replace(read, expiry_entered_by="clerk1"), TODAY).status == AuthStatus.VALID


@pytest.mark.parametrize(("change", "status"), [
    ({}, AuthStatus.VALID),
    ({"status": "draft"}, AuthStatus.DRAFT),
    ({"status": "draft", "revoked_on": date(2025, 2, 1)}, AuthStatus.DRAFT),
    ({"revoked_on": date(2025, 2, 1)}, AuthStatus.REVOKED),
    ({"revoked_on": date(2025, 2, 1), "expires_on": date(2025, 2, 2)}, AuthStatus.REVOKED),
    ({"expires_on": date(2025, 3, 1)}, AuthStatus.EXPIRED),
    ({"expires_on": None, "expiration_event": "end of treatment", "event_occurred_on": date(2025, 2, 1)},
     AuthStatus.EXPIRED),
    ({"purpose": None}, AuthStatus.INVALID),
    ({"known_false": True}, AuthStatus.INVALID),
    ({"revoked_on": date(2025, 3, 2)}, AuthStatus.VALID),  # the revocation arrives tomorrow
])
def test_one_status_per_authorization(change: dict[str, Any], status: AuthStatus) -> None:
    result = validate(replace(Facts(), **change), TODAY)
    assert result.status == status
    assert result.valid == (status == AuthStatus.VALID)
    assert (result.problems == []) == (status == AuthStatus.VALID)


def test_stored_results_from_before_the_status_still_load() -> None:
    old = '{"as_of": "2025-03-01", "valid": true, "missing": [], "problems": []}'
    loaded = load_stored(old)
    assert loaded is not None and loaded.valid

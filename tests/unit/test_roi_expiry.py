"""Expiry phrases on authorization forms → a date, an event, or "cannot be worked out" (issue 18)."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.roi.expiry import ExpiryKind, find_duration, interpret

SIGNED = date(2025, 8, 4)
TODAY = date(2026, 12, 3)

# phrase as written after "expires" → the day the authorization stops being valid (signed 2025-08-04)
RELATIVE: list[tuple[str, date]] = [
    ("one year from the date signed", date(2026, 8, 4)),
    ("1 year from date signed", date(2026, 8, 4)),
    ("one (1) year from the date of signature", date(2026, 8, 4)),
    ("one year after signing", date(2026, 8, 4)),
    ("in one year", date(2026, 8, 4)),
    ("a year from the date of this authorization", date(2026, 8, 4)),
    ("90 days after signature", date(2025, 11, 2)),
    ("ninety (90) days from the date signed", date(2025, 11, 2)),
    ("sixty (60) days following my signature", date(2025, 10, 3)),
    ("six months from today", date(2026, 2, 4)),
    ("6 months from the date above", date(2026, 2, 4)),
    ("twelve months from the date I signed", date(2026, 8, 4)),
    ("twenty-four months from the date signed", date(2027, 8, 4)),
    ("two years after the date this form was signed", date(2027, 8, 4)),
    ("one hundred eighty days from the date of signature", date(2026, 1, 31)),
    ("3 weeks after signing", date(2025, 8, 25)),
    ("18 mos. from signature", date(2027, 2, 4)),
    ("one year from 08/04/2025", date(2026, 8, 4)),  # counted from a written date, not the signature
    ("one year from 09/01/2025", date(2026, 9, 1)),
]

DATES: list[tuple[str, date]] = [
    ("on: 06/30/2026", date(2026, 6, 30)),
    ("until 12/31/2027", date(2027, 12, 31)),
    ("through December 31, 2027", date(2027, 12, 31)),
    ("12/31/2045", date(2045, 12, 31)),  # decades ahead is still a date
    ("on 0G/3O/2O26", date(2026, 6, 30)),  # OCR letters in the digits
]

EVENTS = ["end of treatment", "upon settlement of the claim", "at the end of the treatment relationship",
          "when my disability claim is closed"]

UNWORKABLE: list[tuple[str, ExpiryKind, str]] = [
    ("12 months after discharge", ExpiryKind.UNKNOWN, "counted from 'discharge'"),
    ("one year from the date of receipt", ExpiryKind.UNKNOWN, "a day Chartfile does not know"),
    ("one year after signing, whichever comes later", ExpiryKind.UNKNOWN, "whichever comes later"),
    ("none", ExpiryKind.NONE, "164.508(c)(1)(v)"),
    ("until revoked", ExpiryKind.NONE, "does not expire"),
    ("0?/3?/2", ExpiryKind.UNKNOWN, "could not be read"),
]


@pytest.mark.parametrize(("phrase", "expected"), RELATIVE)
def test_durations_count_from_the_signature(phrase: str, expected: date) -> None:
    expiry = interpret(phrase, signed_on=SIGNED, today=TODAY)
    assert expiry.kind is ExpiryKind.RELATIVE
    assert expiry.on == expected and expiry.event is None and expiry.problem is None


@pytest.mark.parametrize(("phrase", "expected"), DATES)
def test_written_dates(phrase: str, expected: date) -> None:
    expiry = interpret(phrase, signed_on=SIGNED, today=TODAY)
    assert (expiry.kind, expiry.on) == (ExpiryKind.DATE, expected)


@pytest.mark.parametrize("phrase", EVENTS)
def test_real_events_have_no_date(phrase: str) -> None:
    expiry = interpret(phrase, signed_on=SIGNED, today=TODAY)
    assert (expiry.kind, expiry.on, expiry.event) == (ExpiryKind.EVENT, None, phrase)


@pytest.mark.parametrize(("phrase", "kind", "why"), UNWORKABLE)
def test_what_cannot_be_worked_out_says_why(phrase: str, kind: ExpiryKind, why: str) -> None:
    expiry = interpret(phrase, signed_on=SIGNED, today=TODAY)
    assert expiry.kind is kind and expiry.on is None and expiry.event is None
    assert expiry.problem and why in expiry.problem


def test_duration_without_a_signature_date_has_no_date_and_is_never_an_event() -> None:
    expiry = interpret("one year from the date signed", signed_on=None, today=TODAY)
    assert (expiry.kind, expiry.on, expiry.event) == (ExpiryKind.RELATIVE, None, None)
    assert expiry.problem and "signature date is missing" in expiry.problem


@pytest.mark.parametrize("phrase", [
    "at the end of the treatment relationship or one year from the date signed, whichever comes first",
    "one year from the date signed or upon the end of the treatment relationship, whichever is sooner",
    "one year from the date signed or at the end of the treatment relationship",
])
def test_whichever_comes_first_keeps_both(phrase: str) -> None:
    expiry = interpret(phrase, signed_on=SIGNED, today=TODAY)
    assert expiry.kind is ExpiryKind.RELATIVE and expiry.on == date(2026, 8, 4)
    assert expiry.event is not None and "end of the treatment relationship" in expiry.event


def test_leap_day_signature() -> None:
    assert interpret("one year from the date signed", signed_on=date(2024, 2, 29), today=TODAY).on == \
        date(2025, 2, 28)


def test_explanation_is_clerk_readable() -> None:
    expiry = interpret("one year from the date signed", signed_on=SIGNED, today=TODAY)
    assert expiry.explanation == "1 year from the signature date = 2026-08-04"


@pytest.mark.parametrize(("text", "amount", "unit"), [
    ("one (1) year", 1, "years"), ("twelve months", 12, "months"), ("90 days", 90, "days"),
    ("twenty-four months", 24, "months"), ("one hundred twenty days", 120, "days"), ("2 wks", 2, "weeks"),
])
def test_find_duration(text: str, amount: int, unit: str) -> None:
    found = find_duration(text)
    assert found is not None and (found[0].amount, found[0].unit) == (amount, unit)


@pytest.mark.parametrize("text", ["upon settlement of the claim", "the day I am discharged", "on my 18th birthday"])
def test_no_duration_in_events(text: str) -> None:
    assert find_duration(text) is None

"""Scope checks: recipient, document types and dates an authorization covers; due dates; windows."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.roi.accounting import default_window, years_before
from indexer.roi.requests import due_date
from indexer.roi.scope import (
    DocFacts,
    Scope,
    describe,
    document_problems,
    names_person,
    normalize_party,
    recipient_problems,
    request_problems,
)

SCOPE = Scope(("lab_result", "clinical_note"), date(2023, 1, 1), date(2024, 12, 31))


def test_recipient_names_compared_after_normalising() -> None:
    assert normalize_party("Valley Cardiology, P.C.") == normalize_party("VALLEY  cardiology") == "valley cardiology"
    assert normalize_party("Beacon Health Plan, Inc.") == "beacon health plan"
    assert normalize_party("P.O. Box 4410") == normalize_party("PO Box 4410")
    assert recipient_problems("Valley Cardiology", None, "valley cardiology", None) == []
    assert recipient_problems("Valley Cardiology", "2250 River Road Suite 300", "Valley Cardiology",
                              "2250 River Rd Ste 300") == []


def test_other_recipient_refused_with_names() -> None:
    problems = recipient_problems("Valley Cardiology", None, "Acme Insurance", None)
    assert problems and "Acme Insurance" in problems[0] and "Valley Cardiology" in problems[0]


def test_other_address_refused() -> None:
    problems = recipient_problems("Valley Cardiology", "2250 River Rd", "Valley Cardiology", "9 Elm St")
    assert problems and "address" in problems[0]


def test_documents_inside_scope_pass() -> None:
    docs = [DocFacts(1, "lab_result", date(2024, 5, 1)), DocFacts(2, "clinical_note", date(2023, 1, 1))]
    assert document_problems(SCOPE, docs) == []


def test_type_not_covered_named() -> None:
    problems = document_problems(SCOPE, [DocFacts(7, "imaging_report", date(2024, 1, 1))])
    assert problems == ["document #7 is of type imaging_report, not covered by the authorization "
                        "(lab_result, clinical_note)"]


def test_entire_record_covers_every_type() -> None:
    scope = Scope(("all",), None, None)
    assert document_problems(scope, [DocFacts(7, "imaging_report", None)]) == []


def test_dates_outside_range_and_undated_named() -> None:
    problems = document_problems(SCOPE, [DocFacts(3, "lab_result", date(2022, 12, 31)),
                                         DocFacts(4, "lab_result", None)])
    assert "document #3 dated 2022-12-31 is outside the authorized range 2023-01-01 to 2024-12-31" in problems
    assert any(p.startswith("document #4 has no date") for p in problems)


def test_types_only_scope_accepts_undated() -> None:
    assert document_problems(Scope(("lab_result",), None, None), [DocFacts(4, "lab_result", None)]) == []


def test_words_only_scope_cannot_be_checked() -> None:
    problems = document_problems(Scope((), None, None, "my heart records"), [DocFacts(1, "lab_result", None)])
    assert problems and "only in words" in problems[0]


def test_request_asking_for_more_than_authorized() -> None:
    assert request_problems(SCOPE, Scope(("lab_result",), date(2023, 6, 1), date(2024, 1, 1))) == []
    assert request_problems(SCOPE, Scope((), None, None)) == []  # nothing stated: documents decide
    problems = request_problems(SCOPE, Scope(("imaging_report",), date(2020, 1, 1), date(2025, 6, 1)))
    assert len(problems) == 3
    assert "entire record" in request_problems(SCOPE, Scope(("all",), None, None))[0]


def test_description_for_the_accounting() -> None:
    text = describe([DocFacts(1, "lab_result", date(2024, 5, 1)), DocFacts(2, "clinical_note", None)], 4)
    assert text == "2 documents (clinical note, lab result), dated 2024-05-01, 4 pages"
    text = describe([DocFacts(1, "lab_result", date(2024, 5, 1)), DocFacts(2, "lab_result", date(2023, 1, 2))], 1)
    assert text == "2 documents (lab result), dated 2023-01-02 to 2024-05-01, 1 page"


def test_access_request_due_in_30_days_others_none() -> None:
    assert due_date("individual", date(2025, 1, 31)) == date(2025, 3, 2)
    for basis in ("authorization", "legal", "other"):
        assert due_date(basis, date(2025, 1, 31)) is None


def test_six_year_window_and_leap_day() -> None:
    assert default_window(date(2025, 3, 1)) == (date(2019, 3, 1), date(2025, 3, 1))
    assert years_before(date(2024, 2, 29), 6) == date(2018, 2, 28)


@pytest.mark.parametrize(("text", "expected"), [
    ("Pat Testperson", True), ("Testperson, Pat", True), ("PAT Q. TESTPERSON", True),
    ("Mr. Pat Quinn Testperson", True), ("pat testperson jr", True),
    ("Pat", False), ("Testperson", False), ("Pat Testperson Smith", False), ("Evil Corp", False), ("", False),
    ("Patricia Testperson", False), (None, False),
])
def test_names_person(text: str | None, expected: bool) -> None:
    assert names_person(text, "Pat", "Testperson", "Quinn") is expected

"""The document date: roles of the dates on a page and the choice per document type (synthetic text)."""

from __future__ import annotations

from datetime import date

import pytest

from intake.dates import find_dates, in_context, parse_date
from intake.docdate import DateRole, PageDate, choose, page_dates, sending_date
from intake.layout import analyse

TODAY = date(2026, 11, 23)


def dated(text: str, doc_type: str, dobs: tuple[str, ...] = ()) -> str | None:
    return choose(page_dates(analyse(text), 1, TODAY), doc_type, dobs)


def roles(text: str) -> dict[str, DateRole]:
    return {d.iso: d.role for d in page_dates(analyse(text), 1, TODAY)}


def test_lab_is_dated_by_collection_not_report_or_birth() -> None:
    text = ("CITY REFERENCE LAB   LABORATORY REPORT\n"
            "PT: ROE, JOHN   DOB: 07/08/1959\n"
            "COLL: 10/02/2026 08:10   RPT: 10/04/2026 11:00\n"
            "Glucose 90 mg/dL 70-99\n")
    assert roles(text) == {"1959-07-08": DateRole.BIRTH, "2026-10-02": DateRole.COLLECTED,
                           "2026-10-04": DateRole.REPORTED}
    assert dated(text, "lab_result") == "2026-10-02"


def test_discharge_summary_is_dated_by_discharge_not_admission() -> None:
    text = "DISCHARGE SUMMARY\nAdmitted: 10/20/2026   Discharged: 10/24/2026\nHospital course: uneventful.\n"
    assert dated(text, "discharge_summary") == "2026-10-24"


def test_a_discharge_before_its_admission_is_not_believed() -> None:
    text = ("DISCHARGE SUMMARY\nAdmission date: 10/20/2026\nDischarge date: 10/02/2026\n"
            "Electronically signed by: A. Lee, MD on 10/25/2026\n")
    assert dated(text, "discharge_summary") == "2026-10-25"


def test_form_is_dated_by_the_date_written_above_its_signature_caption() -> None:
    text = ("AUTHORIZATION FOR RELEASE OF HEALTH INFORMATION\n"
            "Patient: Jane Doe   Date of birth: 04/05/1960\n"
            "This authorization expires on 10/01/2027.\n"
            "Dates of service: from 01/01/2025 to 09/30/2026\n"
            "J Doe scribble      09/30/2026\n"
            "Signature of patient or representative      Date\n")
    r = roles(text)
    assert r["2027-10-01"] is DateRole.EXPIRES and r["2025-01-01"] is DateRole.RANGE
    assert r["2026-09-30"] in (DateRole.SIGNED, DateRole.RANGE)
    assert dated(text, "roi_authorization") == "2026-09-30"


def test_letter_date_at_the_top_not_the_received_stamp_or_dob() -> None:
    text = ("Northside Clinic\nSeptember 3, 2026  COPY\nDr. Ana Ruiz\nRE: Jane Doe  DOB 04/05/1960\n"
            "Dear Dr. Ruiz,\nThank you.\nRECEIVED\nSEP 09 2026\n")
    r = roles(text)
    assert r["2026-09-03"] is DateRole.LETTER and r["2026-09-09"] is DateRole.RECEIVED
    assert dated(text, "correspondence", ("1960-04-05",)) == "2026-09-03"


def test_labels_an_insurer_letter_uses() -> None:
    text = "Date of Determination: 02/27/2026\nMember: John Roe\nDate of injury: 01/02/2026\n"
    assert roles(text)["2026-02-27"] is DateRole.DECISION
    assert roles(text)["2026-01-02"] is DateRole.PRIOR
    assert dated(text, "correspondence") == "2026-02-27"


def test_prior_results_do_not_date_the_report() -> None:
    text = "LAB REPORT\nHbA1c prior result, collected 01/02/2025: 7.9\nCollected: 11/02/2026\n"
    assert dated(text, "lab_result") == "2026-11-02"


def test_nothing_after_the_fax_was_sent() -> None:
    text = ("03/02/2026 MON 09:34 FAX 312 555 0144 NORTHSIDE CLINIC @002/003\n"
            "PROGRESS NOTE\nDate of Service: 07/02/2026\nSigned 02/27/2026\n")
    dates = page_dates(analyse(text), 1, TODAY)
    assert sending_date(dates) == "2026-03-02"
    assert choose(dates, "clinical_note") == "2026-02-27"  # the misread service date is after sending


def test_two_digit_years_are_read_in_the_pages_century() -> None:
    hit = find_dates("Collected 02/20/26")[0]
    assert in_context(hit, [2026, 2026]).iso == "2026-02-20"
    old = find_dates("Collected 02/20/97")[0]
    assert in_context(old, [2026]).iso == "1997-02-20"  # never 2097
    assert parse_date("3/4/30", "birth", TODAY) == "1930-03-04"  # a birth is never in the future


def test_dates_with_a_lost_separator_and_a_period_after_the_day() -> None:
    assert parse_date("Date of Service: 02 04 2026") == "2026-02-04"
    assert parse_date("Feb 22. 2026") == "2026-02-22"


def test_insurance_card_has_no_document_date() -> None:
    assert dated("INSURANCE CARD\nEffective 01/01/2026\nRxBIN 123456\n", "insurance_card") is None


def test_unlabelled_fallback_skips_old_dates() -> None:
    dates = [PageDate("1963-10-04", "", 1, DateRole.UNLABELLED, None, 1),
             PageDate("2026-02-22", "", 1, DateRole.UNLABELLED, None, 5)]
    assert choose(dates, "referral") == "2026-02-22"


@pytest.mark.parametrize("label, role", [
    ("Date of Service:", DateRole.SERVICE), ("Exam Date:", DateRole.SERVICE),
    ("Collected:", DateRole.COLLECTED), ("COL! :", DateRole.COLLECTED),  # OCR slip
    ("Reported:", DateRole.REPORTED), ("Referral Date", DateRole.REQUEST),
    ("Effective", DateRole.EFFECTIVE), ("Printed", DateRole.PRINTED), ("Date:", DateRole.GENERIC),
])
def test_label_roles(label: str, role: DateRole) -> None:
    assert roles(f"HEADER\n{label} 10/02/2026\n")["2026-10-02"] is role


def test_an_impossible_year_is_read_as_the_page_year_one_digit_away() -> None:
    text = "DISCHARGE SUMMARY\nAdmitted: 2026-02-10\nDischarged: 7026-02-16\n"
    assert dated(text, "discharge_summary") == "2026-02-16"
    assert find_dates("Signed 3/08/2926", years=[2026])[0].iso == "2026-03-08"
    assert find_dates("Signed 3/08/2926", years=[2026, 2936]) == []  # two candidates: no guess


def test_a_letter_dated_decades_ago_among_this_years_dates_is_an_ocr_slip() -> None:
    text = ("03/02/2026 MON 09:34 FAX 312 555 0144 NORTHSIDE CLINIC @001/001\nNorthside Clinic\n"
            "February 28, 2006\nDr. Ana Ruiz\nRE: Jane Doe\nDear Dr. Ruiz,\nThank you.\n")
    assert dated(text, "correspondence") == "2026-02-28"
    old_visit = "PROGRESS NOTE\nDate of Service: 03/15/2016\n"  # old records keep their year
    assert dated(old_visit, "clinical_note") == "2016-03-15"


def test_a_form_grids_column_heading_labels_the_date_under_it() -> None:
    text = "NEW PATIENT REGISTRATION\nDATE OF BIRTH (MM/DD/YYYY)  SEX  SSN\n12/08/1996  F  7576\nSigned 03/08/2026\n"
    assert roles(text)["1996-12-08"] is DateRole.BIRTH
    assert dated(text, "intake_form") == "2026-03-08"


def test_a_date_a_month_after_a_misread_fax_header_is_kept() -> None:
    text = ("02/05/2026 09:24 FROM: (312) 555-0115 NORTHSIDE PHARMACY P.001/001\nREFILL REQUEST\n"
            "Date: 03/05/2026\nLast filled: 02/03/2026\n")
    assert dated(text, "prescription_request") == "2026-03-05"

"""Where words stand on a page: fax header, footer counter, line roles (synthetic text)."""

from __future__ import annotations

import pytest

from intake.dates import fax_header_line, header_footer_spans
from intake.layout import Role, analyse, page_counter


@pytest.mark.parametrize("text, expected", [
    ("Page 1 of 1", (1, 1)),
    ("Page | of |", (1, 1)),  # OCR: the digit one as a bar
    ("Page lof2", (1, 2)),
    ("Paue 2 of 3", (2, 3)),
    ("CONSULT NOTE  Page 2 of 2", (2, 2)),
    ("pg 3/4", (3, 4)),
    ("Page 1/2026", None),  # a year, not a page count
    ("pages 5", None),
    ("Page 3 of 2", None),  # impossible
])
def test_page_counter(text: str, expected: tuple[int, int] | None) -> None:
    assert page_counter(text) == expected


@pytest.mark.parametrize("line", [
    "04/11/2026 TUE 09:12 FAX 312 555 0144 NORTHSIDE CLINIC @002/004",
    "APR-11-2026 09:12 FROM:NORTHSIDE CLINIC 3125550144 TO:3125550100 P.2/4",
    "APR-1I-2O26 O9 12 ROM NORTHSIDE CLIN1C 3125550144 TO 3125550100 P 2/4",  # garbled by OCR
])
def test_fax_header_lines_even_garbled(line: str) -> None:
    assert fax_header_line(line)
    text = line + "\nNorthside Clinic\nPROGRESS NOTE\n"
    assert header_footer_spans(text)[0] == (0, len(line))


@pytest.mark.parametrize("line", [
    "Phone (312) 555-0143  |  Fax (312) 555-0144",
    "Patient: DOE, JANE  DOB: 04/05/1960  MRN: 12345678",
    "1200 Lake Shore Dr, Suite 4, Chicago, IL 60610",
])
def test_letterhead_and_patient_lines_are_not_fax_headers(line: str) -> None:
    assert not fax_header_line(line)


def test_roles_and_zones() -> None:
    text = ("04/11/2026 TUE 09:12 FAX 312 555 0144 NORTHSIDE CLINIC @001/001\n"
            "Northside Clinic\n"
            "1200 Lake Shore Dr, Chicago, IL 60610  Tel (312) 555-0143\n"
            "April 9, 2026\n"
            "RE: Jane Doe\n"
            "Dear Dr. Park,\n"
            "I am writing to let you know that your patient was seen in our office.\n"
            "Please call with questions.\n"
            "Records enclosed (check all that apply):\n"
            "Lab results   Imaging reports\n"
            "1. Consent\n"
            "Sincerely,\n"
            "Dr. Mia Chen\n"
            "Printed 04/09/2026 10:15 Page 1 of 1\n")
    layout = analyse(text)
    roles = {ln.text.split()[0]: ln.role for ln in layout.lines}
    assert layout.lines[0].role is Role.HEADER
    assert roles["Northside"] is Role.HEADING and layout.lines[1].top
    assert roles["1200"] is Role.CONTACT
    assert roles["RE:"] is Role.SUBJECT
    assert roles["I"] is Role.LEAD  # the letter's opening states its purpose
    assert roles["Lab"] is Role.CHECKLIST
    assert roles["1."] is not Role.CHECKLIST  # the numbered item ends the tick-box list
    assert roles["Dr."] is Role.SIGNATURE
    assert roles["Printed"] is Role.FOOTER
    assert layout.page_of == (1, 1)
    assert layout.letterhead_block and layout.date_line_top and layout.letter
    assert layout.letterhead == "northside clinic"


def test_continued_running_header_and_checkbox_items() -> None:
    layout = analyse("Northside Clinic  DOE, JANE - DOB 04/05/1960 (continued)\n[x] Office notes\n")
    assert layout.continued
    assert layout.lines[1].role is Role.CHECKLIST


def test_fax_headers_counter_is_not_the_documents() -> None:
    text = "APR-11-2026 09:12 FROM:NORTHSIDE CLINIC 3125550144 TO:3125550100 Page 2 of 4\nLAB REPORT\nGlucose 90\n"
    assert analyse(text).page_of is None


def test_a_garbled_continued_marker_in_parentheses_still_counts() -> None:
    assert analyse("Mercy Hospital  ROE, JOHN - DOB 1950 (continned)\nFINDINGS\n").continued
    assert not analyse("We contained the spill.\n").continued

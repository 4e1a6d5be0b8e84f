"""Misdirected faxes: the recipient block against the office profile (synthetic text)."""

from __future__ import annotations

import pytest

from intake.config import OfficeConfig
from intake.layout import analyse
from intake.recipient import addressees, misdirected

OFFICE = OfficeConfig(name="Lakeside Family Medicine", fax="(312) 555-0100", aliases=["LFM"],
                      providers=["Dr. Ana Ruiz"])

COVER = ("FAX COVER SHEET\nTo: {to}          From: Dr. Mia Chen\nFax: {fax}   Fax: (312) 555-0144\n"
         "Date: 04/11/2026   Pages: 3\nRE: DOE, JANE\n")
LETTER = ("Northside Clinic\n1200 Lake Shore Dr, Chicago, IL 60610\nApril 9, 2026\n{addr}\n"
          "RE: Jane Doe  DOB 04/05/1960\nDear Doctor,\nThank you for seeing her.\nSincerely,\nDr. Mia Chen\n{cc}")


def why(text: str, office: OfficeConfig = OFFICE) -> str | None:
    return misdirected(addressees(analyse(text)), office)


@pytest.mark.parametrize("to, fax", [
    ("Lakeside Family Medicine - Medical Records", "(312) 555-0100"),
    ("Lakeside Family Medcine", "(312) 555-0100"),  # an OCR slip in our name
    ("LFM Records", "(312) 555-0199"),  # an alias
    ("Medical Records", "(312) 555-0177"),  # a department only: no evidence either way
    ("Dr. Ana Ruiz", "(312) 555-0177"),  # one of our providers
    ("Riverside Pediatrics", "(312) 555-0100"),  # our fax number on the TO line
])
def test_cover_addressed_to_us(to: str, fax: str) -> None:
    assert why(COVER.format(to=to, fax=fax)) is None


def test_cover_addressed_to_another_practice() -> None:
    assert why(COVER.format(to="Riverside Pediatrics", fax="(773) 555-0123")) == "addressed to Riverside Pediatrics"


def test_letter_inside_address_names_another_practice_unless_we_are_copied() -> None:
    other = "Dr. Paul Kim\nRiverside Pediatrics\n44 River Rd, Evanston, IL 60201"
    assert why(LETTER.format(addr=other, cc="")) == \
        "addressed to Dr. Paul Kim Riverside Pediatrics 44 River Rd, Evanston, IL 60201"
    assert why(LETTER.format(addr=other, cc="cc: Lakeside Family Medicine")) is None
    ours = "Dr. Ana Ruiz\nLakeside Family Medicine\n100 Main St, Springfield, IL 62704"
    assert why(LETTER.format(addr=ours, cc="")) is None


def test_an_authorizations_recipient_of_records_is_not_the_faxs_addressee() -> None:
    text = ("AUTHORIZATION TO RELEASE MEDICAL RECORDS\nTO: Lakeside Family Medicine\n"
            "Information may be released to: Hartman & Levy LLP, Chicago\n")
    assert why(text) is None


def test_nothing_is_misdirected_without_an_office_profile() -> None:
    assert why(COVER.format(to="Riverside Pediatrics", fax="(773) 555-0123"), OfficeConfig()) is None

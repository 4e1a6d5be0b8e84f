"""Text repair (intake/textfix.py): labels, city/state/ZIP and page counters as OCR misreads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.textfix import repair


def test_a_label_colon_read_as_a_semicolon_is_repaired() -> None:
    assert repair("Provider; Dr. Evelyn Park") == "Provider: Dr. Evelyn Park"
    assert repair("DOB; 03/04/1957") == "DOB: 03/04/1957"
    assert repair("  Fax; (253) 555-0177") == "  Fax: (253) 555-0177"


@pytest.mark.parametrize("line", [
    "History of anxiety disorder; anemia; knee pain", "Hypertension; well controlled",
    "Follow up in 2 weeks; 6 months if stable.", "Former smoker; 20 pack-years",
    "Metoprolol 25 mg BID; 90 day supply", "give 2 U; 201-250 give 4 U", "Hypertension; Hyperlipidemia; GERD",
    "Name: SMITH, JOHN DOB; 03/04/1957", "Hypertension; (essential)", "Former smoker; 20 pack-years",
])
def test_semicolons_in_running_text_and_lists_are_kept(line: str) -> None:
    assert repair(line) == line


def test_the_comma_after_a_city_is_repaired_before_state_and_zip() -> None:
    assert repair("2600 Industry Dr, Kent. WA 98032") == "2600 Industry Dr, Kent, WA 98032"
    assert repair("Tacoma; WA 98405-1234") == "Tacoma, WA 98405-1234"


@pytest.mark.parametrize("line", [
    "Seen Dr. Lee. OK to return", "Acct. ID 55555", "Boise. ID 83702", "Boise; ID 83702", "Annapolis. MD 21401",
    "Palos Hts. IL 60463",
])
def test_abbreviations_and_identifiers_are_no_city(line: str) -> None:
    assert repair(line) == line


def test_page_counters_read_as_letters_are_repaired() -> None:
    assert repair("Page lof 1") == "Page 1 of 1"
    assert repair("Page Lot 1") == "Page 1 of 1"
    assert repair("page lotl") == "page 1 of 1"
    assert repair("Page 1 of |") == "Page 1 of 1"
    assert repair("Page 2 ot 3") == "Page 2 of 3"
    assert repair("Discharge Summary Page 1of2") == "Discharge Summary Page 1 of 2"
    assert repair("page 20f5") == "page 2 of 5"  # page 20 of 5 cannot be


def test_counters_that_cannot_be_or_were_read_right_are_left_alone() -> None:
    for line in ("Page 3 of 2", "Page lot", "Page to follow", "Page I of II", "loft 1", "Page lofty 1",
                 "PAGE 1 OF 3", "Page 1 OF 3", "Page  1  of  3", "Page 10f 12"):
        assert repair(line) == line


def test_a_repaired_counter_keeps_its_case_and_spacing() -> None:
    assert repair("PAGE l OF 3") == "PAGE 1 OF 3"
    assert repair("Page l  of  3") == "Page 1  of  3"


@given(st.lists(st.text(alphabet="Pagelof1|L23 ;.,@WAK9805-", max_size=8), max_size=10))
def test_repair_keeps_the_lines_and_leaves_nothing_to_repair(tokens: list[str]) -> None:
    text = "\n".join(tokens)
    out = repair(text)
    assert out.count("\n") == text.count("\n")
    assert repair(out) == out


def test_a_zero_read_as_at_inside_a_date_or_decimal_is_repaired() -> None:
    assert repair("MAR-@5-2026 03/@2/2026 @.2-1.2 1@:30") == "MAR-05-2026 03/02/2026 0.2-1.2 10:30"


@pytest.mark.parametrize("line", [
    "email x@5 or me@host.com P@001/003 @001/003", "f/u 4/5 @2:15 with Dr. Lee", "BP 142/90 @9:45",
    "on O2 @2.5 L/min", "Heparin drip @12.5 units/kg/hr", "Labs drawn @3/15/2025", "Dispense 30@0.5 mg",
    "Qty 2@1.5",
])
def test_at_meaning_at_is_kept(line: str) -> None:
    assert repair(line) == line


def test_a_decimal_comma_in_a_range_is_a_point_but_thousands_stay() -> None:
    assert repair("Lymphocytes 15.9 % 14,0-46.0") == "Lymphocytes 15.9 % 14.0-46.0"
    assert repair("RBC 4.9 4,.20-5.80 6.0-8,3") == "RBC 4.9 4.20-5.80 6.0-8.3"
    for line in ("Platelets 150,000-400,000", "Charges 1,250-2,500.5", "Ribs 5,6-8 fractured", "Fingers 2,3-5 numb"):
        assert repair(line) == line


def test_the_page_counter_reader_and_the_repair_share_one_table_of_ones() -> None:
    from intake.layout import page_counter
    from intake.ocrchars import ONE_LOOKALIKES

    for one in ONE_LOOKALIKES:
        assert repair(f"Page {one} of 3") == "Page 1 of 3"
        assert page_counter(f"Page {one} of 3") == (1, 3)

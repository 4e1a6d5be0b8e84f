"""Text repair (intake/textfix.py): labels, city/state/ZIP and page counters as OCR misreads them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intake.textfix import repair


def test_a_label_colon_read_as_a_semicolon_is_repaired() -> None:
    assert repair("Provider; Dr. Evelyn Park") == "Provider: Dr. Evelyn Park"
    assert repair("Name: SMITH, JOHN DOB; 03/04/1957") == "Name: SMITH, JOHN DOB: 03/04/1957"
    assert repair("  Fax; (253) 555-0177") == "  Fax: (253) 555-0177"


def test_semicolons_in_running_text_are_kept() -> None:
    for line in ("History of anxiety disorder; anemia; knee pain", "Hypertension; well controlled",
                 "Plan: continue metformin; Recheck A1c", "taken daily; 2 refills"):
        assert repair(line) == line.replace("daily; 2", "daily: 2")


def test_the_comma_after_a_city_is_repaired_before_state_and_zip() -> None:
    assert repair("2600 Industry Dr, Kent. WA 98032") == "2600 Industry Dr, Kent, WA 98032"
    assert repair("Tacoma; WA 98405-1234") == "Tacoma, WA 98405-1234"
    assert repair("Seen Dr. Lee. OK to return") == "Seen Dr. Lee. OK to return"  # no ZIP: a sentence
    assert repair("Mr. NO 12345") == "Mr. NO 12345"  # NO is no state


def test_page_counters_read_as_letters_are_repaired() -> None:
    assert repair("Page lof 1") == "Page 1 of 1"
    assert repair("Page Lot 1") == "Page 1 of 1"
    assert repair("page lotl") == "page 1 of 1"
    assert repair("Page 1 of |") == "Page 1 of 1"
    assert repair("Page 2 ot 3") == "Page 2 of 3"
    assert repair("Discharge Summary Page 1of2") == "Discharge Summary Page 1 of 2"


def test_counters_that_cannot_be_are_left_alone() -> None:
    for line in ("Page 3 of 2", "Page lot", "Page to follow", "Page I of II", "loft 1", "Page lofty 1"):
        assert repair(line) == line


@given(st.lists(st.text(alphabet="Pagelof1|L23 ;.,WAK9805", max_size=8), max_size=10))
def test_repair_keeps_the_lines(tokens: list[str]) -> None:
    text = "\n".join(tokens)
    assert repair(text).count("\n") == text.count("\n")


def test_a_zero_read_as_at_among_digits_is_repaired() -> None:
    assert repair("@3/02/2026 MAR-@5-2026 @9:29 @.2-1.2") == "03/02/2026 MAR-05-2026 09:29 0.2-1.2"
    assert repair("email x@5 or me@host.com P@001/003 @001/003") == "email x@5 or me@host.com P@001/003 @001/003"


def test_a_decimal_comma_in_a_range_is_a_point_but_thousands_stay() -> None:
    assert repair("Lymphocytes 15.9 % 14,0-46.0") == "Lymphocytes 15.9 % 14.0-46.0"
    assert repair("RBC 4.9 4,.20-5.80 6.0-8,3") == "RBC 4.9 4.20-5.80 6.0-8.3"
    assert repair("Platelets 150,000-400,000 and 1,25") == "Platelets 150,000-400,000 and 1,25"

"""OCR word repair against a lexicon (intake/wordfix.py): which words change and which never do."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intake import wordfix
from intake.wordfix import Lexicon, repair

WORDS = ["confidential", "health", "Health", "chloride", "total", "calcium", "notify", "information",
         "fine", "line", "glia", "have", "maple", "Faye", "smith", "Smith", "patient", "of", "the"]
LEX = Lexicon.from_words(WORDS)


def test_confusable_letters_are_repaired_in_the_case_they_were_read() -> None:
    assert repair("This fax is contidential.", LEX) == "This fax is confidential."
    assert repair("Heaith Tota! CALCTUM", LEX) == "Health Total CALCIUM"
    assert repair("Chioride, (intormation) notity:", LEX) == "Chloride, (information) notify:"


def test_words_the_lexicon_knows_are_kept() -> None:
    assert repair("Smith smith Faye the patient", LEX) == "Smith smith Faye the patient"


def test_identifiers_dates_and_codes_are_never_touched() -> None:
    text = "MRN CF123456 Acct A88975898 DOB 03/04/1957 E87.5 x10^3/uL 2535550177"
    assert repair(text, LEX) == text


def test_acronyms_short_words_and_ambiguous_words_are_kept() -> None:
    assert repair("CLIA", LEX) == "CLIA"  # an acronym, though 'glia' is one swap away
    assert repair("Heal", LEX) == "Heal"  # known to no list here, and no common word is a swap away
    assert repair("tine", LEX) == "tine"  # 'fine' and 'line' both fit: no guess


def test_never_repaired_into_a_word_the_list_only_capitalises() -> None:
    assert repair("Paye", LEX) == "Paye"  # 'Faye' is only a name in the list


def test_a_lone_bar_is_the_pronoun_or_a_page_count() -> None:
    assert repair("| have the results", LEX) == "I have the results"
    assert repair("Page | of 3", LEX) == "Page 1 of 3"
    assert repair("| RR 16 | SpO2 96% |", LEX) == "| RR 16 | SpO2 96% |"


def test_no_lexicon_changes_nothing() -> None:
    assert repair("contidential |  have\nHeaith", Lexicon.from_words([])) == "contidential |  have\nHeaith"


def test_line_structure_and_spacing_are_kept() -> None:
    assert repair("Heaith  Plan\n\ncontidential ", LEX) == "Health  Plan\n\nconfidential "


@given(st.lists(st.text(alphabet="abcdefhilmnort!|15CDFHT0 .,:/-", max_size=14), max_size=12))
def test_repair_keeps_every_separator_and_every_token_with_two_digits(tokens: list[str]) -> None:
    text = " ".join(tokens)
    out = repair(text, LEX)
    assert out.count(" ") == text.count(" ") and out.count("\n") == text.count("\n")
    for before, after in zip(text.split(" "), out.split(" "), strict=True):
        if sum(c.isdigit() for c in before) >= 2:
            assert after == before


def test_long_garbage_stops_early() -> None:
    garbage = "lllllllliiiiiiiittttttt"
    assert repair(garbage, LEX) == garbage
    assert wordfix.MAX_VARIANTS > 0


def test_words_to_keep_stay_as_read() -> None:
    lexicon = Lexicon.from_words([*WORDS, "baud"])
    assert repair("Patient: Baiid, John", lexicon) == "Patient: Baud, John"
    assert repair("Patient: Baiid, John", lexicon, keep=lambda w: w == "Baiid") == "Patient: Baiid, John"


def test_roster_names_one_ocr_error_away_are_kept() -> None:
    from intake.names import Gazetteer

    roster = Gazetteer([("Baird", "John"), ("Weaver", "Brian"), ("Smith-Jones", "Ada")])
    assert roster.near_name("Baiid") and roster.near_name("Biian") and roster.near_name("BAIRD")
    assert roster.near_name("Jones")  # a part of a double-barrelled family name
    assert not roster.near_name("Heaith") and not roster.near_name("baiid")  # names are printed capitalised
    lexicon = Lexicon.from_words([*WORDS, "baud", "bilan"])
    text = "Name: Biian Baiid  Heaith Plan"
    assert repair(text, lexicon, keep=roster.near_name) == "Name: Biian Baiid  Health Plan"

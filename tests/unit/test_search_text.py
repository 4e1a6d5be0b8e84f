"""Pure pieces of search: date expressions, date terms, name/content normalisation, name variants, snippets."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.errors import InputError
from search.dateexpr import DayRange, parse_date_range, parse_dob
from search.names import NameVocabulary
from search.snippets import make_snippet
from search.text import (
    content_analyzer,
    content_term_set,
    content_term_spans,
    content_terms,
    content_terms_found,
    day_terms,
    name_index_text,
    name_tokens,
    phonetic_codes,
    range_terms,
)

TODAY = date(2026, 4, 15)  # a Wednesday


@pytest.mark.parametrize("typed, expected", [
    ("2026-03-15", DayRange(date(2026, 3, 15), date(2026, 3, 15))),
    ("03/15/2026", DayRange(date(2026, 3, 15), date(2026, 3, 15))),
    ("2026-03", DayRange(date(2026, 3, 1), date(2026, 3, 31))),
    ("March 2026", DayRange(date(2026, 3, 1), date(2026, 3, 31))),
    ("2026", DayRange(date(2026, 1, 1), date(2026, 12, 31))),
    ("2026-03..2026-05", DayRange(date(2026, 3, 1), date(2026, 5, 31))),
    ("2026-02-27..2026-03-02", DayRange(date(2026, 2, 27), date(2026, 3, 2))),
    ("2026-03..", DayRange(date(2026, 3, 1), None)),
    ("..2026-03", DayRange(None, date(2026, 3, 31))),
    (">2026-03-31", DayRange(date(2026, 4, 1), None)),
    (">=2026-03", DayRange(date(2026, 3, 1), None)),
    ("<2026-03", DayRange(None, date(2026, 2, 28))),
    ("today", DayRange(TODAY, TODAY)),
    ("yesterday", DayRange(date(2026, 4, 14), date(2026, 4, 14))),
    ("this week", DayRange(date(2026, 4, 13), TODAY)),
    ("last week", DayRange(date(2026, 4, 6), date(2026, 4, 12))),
    ("this month", DayRange(date(2026, 4, 1), TODAY)),
    ("Last  Month", DayRange(date(2026, 3, 1), date(2026, 3, 31))),
    ("this year", DayRange(date(2026, 1, 1), TODAY)),
    ("last year", DayRange(date(2025, 1, 1), date(2025, 12, 31))),
    ("last 30 days", DayRange(date(2026, 3, 17), TODAY)),
    ("past 2 weeks", DayRange(date(2026, 4, 2), TODAY)),
])
def test_date_ranges(typed: str, expected: DayRange) -> None:
    assert parse_date_range(typed, TODAY) == expected


def test_last_month_in_january_is_december() -> None:
    assert parse_date_range("last month", date(2026, 1, 10)) == DayRange(date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize("bad", ["", "..", "soon", "2026-13", "13/45/2026", "next month", "<today-ish"])
def test_bad_date_ranges(bad: str) -> None:
    with pytest.raises(InputError):
        parse_date_range(bad, TODAY)


def test_dob_two_digit_years_are_never_in_the_future() -> None:
    assert parse_dob("3/4/61", TODAY) == "1961-03-04"
    assert parse_dob("3/4/20", TODAY) == "2020-03-04"
    assert parse_dob("3/4/30", TODAY) == "1930-03-04"


def test_dob_day_first_when_month_first_is_impossible() -> None:
    assert parse_dob("31/03/1961", TODAY) == "1961-03-31"


def _brute_force_days(terms: list[str]) -> set[date]:
    days: set[date] = set()
    for t in terms:
        y = int(t[1:5])
        if t[0] == "y":
            days |= {d for d in _every_day(y)}
        elif t[0] == "m":
            days |= {d for d in _every_day(y) if d.month == int(t[5:7])}
        else:
            days.add(date(y, int(t[5:7]), int(t[7:9])))
    return days


def _every_day(year: int) -> list[date]:
    return [date.fromordinal(o) for o in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)]


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31)),
       st.integers(min_value=0, max_value=900))
def test_range_terms_cover_exactly_the_range(start: date, length: int) -> None:
    end = date.fromordinal(min(start.toordinal() + length, date(2027, 12, 31).toordinal()))
    terms = range_terms(start, end)
    want = {date.fromordinal(o) for o in range(start.toordinal(), end.toordinal() + 1)}
    assert _brute_force_days(terms) == want
    assert len(terms) <= 2 * 31 + 2 * 12 + (end.year - start.year)
    for d in (start, end):  # each covered day's own terms include one of the range terms
        assert set(day_terms(d).split()) & set(terms)


def test_name_tokens_fold_accents_apostrophes_and_hyphens() -> None:
    assert name_tokens("O'Brien-Smith, Zoë") == ["obrien", "smith", "obriensmith", "zoe"]
    assert name_tokens("MUÑOZ  jr.") == ["munoz", "jr"]


def test_name_index_text_has_tokens_and_sound_codes() -> None:
    tokens, codes = name_index_text(["John Smith", "Jon Smythe"])
    assert tokens.split() == ["john", "smith", "jon", "smythe"]
    assert set(phonetic_codes("smyth")) & set(codes.split())


def test_phonetic_codes_match_sound_alikes() -> None:
    assert phonetic_codes("jon")[0] == phonetic_codes("john")[0]
    assert phonetic_codes("smyth")[0] == phonetic_codes("smith")[0]
    assert phonetic_codes("kathy")[0] == phonetic_codes("cathy")[0]
    assert phonetic_codes("j") == () and phonetic_codes("3rd") == ()


@pytest.mark.parametrize("text", [
    "The patient's studies show HbA1c 7.2% (H*) and blood-pressure 140/90; follow-up in 3 wks.",
    "ECHOCARDIOGRAM REPORT: normal LV function, EF 60-65%. Signed: Dr. O'Neil 04/03/2026",
])
def test_content_terms_are_exactly_what_the_index_analyzer_makes(text: str) -> None:
    assert content_terms(text) == [t.text for t in content_analyzer()(text)]


def test_vocabulary_variants_cover_typos_nicknames_prefixes_and_trigrams() -> None:
    vocab = NameVocabulary(["john", "jonathan", "smith", "smithson", "johnson", "robert", "martinez", "martin",
                            "ron", "jan"])
    v = vocab.variants("jon")
    assert v["john"] > v.get("ron", 0) and "jonathan" in v  # nickname and edit distance
    assert "jan" not in v or v["jan"] < v["john"]
    assert "smith" in vocab.variants("smiht")  # transposition: two edits
    assert "johnson" in vocab.variants("jhonson")
    assert "robert" in vocab.variants("bob")
    assert set(vocab.variants("mart")) >= {"martin", "martinez"}
    assert vocab.variants("zzzz") == {}


def test_snippet_picks_the_page_with_most_terms_and_marks_them() -> None:
    pages = ["Cover sheet for the lab.", "Results normal.\nHemoglobin A1c 7.2 high; hemoglobin again",
             "Hemoglobin and glucose reviewed; glucose stable"]
    snip = make_snippet(pages, {"hemoglobin", "glucos"})
    assert snip.page == 3 and snip.pages == [2, 3]
    marked = [snip.text[a:b].lower() for a, b in snip.spans]
    assert marked == ["hemoglobin", "glucose", "glucose"]
    assert "\n" not in snip.text


def test_snippet_without_terms_is_the_opening_text() -> None:
    snip = make_snippet(["  QUEST DIAGNOSTICS\nPatient: Smith " + "x " * 200], set())
    assert snip.page == 1 and snip.text.startswith("QUEST DIAGNOSTICS Patient") and snip.spans == []
    assert len(snip.text) <= 201


def test_snippet_window_centres_on_a_late_match() -> None:
    page = "filler " * 200 + "the echocardiogram was normal " + "filler " * 50
    snip = make_snippet([page], {"echocardiogram"})
    a, b = snip.spans[0]
    assert snip.text[a:b] == "echocardiogram" and snip.text.startswith("…")


def test_word_pairs_stay_within_a_page_and_skip_stop_words() -> None:
    from search.text import content_pairs, word_pairs

    assert word_pairs(["chest", "pain", "radiat"]) == ["chest|pain", "pain|radiat"]
    assert content_pairs(["Pain in the chest", "Radiating"]) == "pain|chest"
    assert content_pairs(["one"]) == ""


_WORDS = st.sampled_from(["studies", "study", "Studied", "relational", "relate", "possibly", "possible", "ponies",
                          "pony", "hoped", "hoping", "the", "and", "x-ray", "e.g.", "A1c", "2026", "ies", "sses",
                          "yearly", "years", "metformin", "Metformin's", "CHEST", "pain", "painful"])


@given(st.lists(st.one_of(_WORDS, st.text(alphabet="abcdeilnorsty.1 '-", max_size=12)), max_size=30),
       st.sets(st.one_of(_WORDS, st.text(alphabet="abcdeilnorsty", min_size=1, max_size=8)), max_size=4))
def test_found_terms_and_spans_agree_with_stemming_every_word(words: list[str], typed: set[str]) -> None:
    """The first-letter shortcut gives exactly what stemming every word gives (snippets on every page of a hit)."""
    text = " ".join(words)
    terms = {t for w in typed for t in content_terms(w)}
    assert content_terms_found(text, terms) == content_term_set(text) & terms
    assert content_term_spans(text, terms) == [s for s in content_term_spans(text) if s[0] in terms]

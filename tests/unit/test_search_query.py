"""Clerk query syntax: tokenizing, caps, field meanings and the clear errors for malformed input."""

from __future__ import annotations

from datetime import date

import pytest
from whoosh import query as wq

from intake.errors import InputError
from search.filters import AllOf, AnyOf, FilterPlan, Terms
from search.query import MAX_QUERY_CHARS, Clause, cap, parse_query, tokenize

TODAY = date(2026, 4, 15)
MRN = r"CF\d{6}"


REJECTED = Terms("status", ("rejected",))  # left out of every search but an administrator's


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_query(text, MRN, TODAY)


def chart_or_read(field: str, read: str, terms: tuple[str, ...] = (), prefixes: tuple[str, ...] = ()) -> AnyOf:
    """A chart's MRN/DOB, or one read from a document that is not filed."""
    return AnyOf((Terms(field, terms, prefixes), Terms(read, terms, prefixes)))


def test_tokenize_fields_phrases_negation_and_spaces_after_colon() -> None:
    clauses = tokenize('chest pain patient: "jon smyth" -type:fax_cover mrn:CF123456 "blood pressure"')
    assert clauses == [
        Clause(None, "chest"), Clause(None, "pain"), Clause("patient", "jon smyth", quoted=True),
        Clause("type", "fax_cover", negate=True), Clause("mrn", "CF123456"),
        Clause(None, "blood pressure", quoted=True),
    ]


def test_field_aliases_and_unknown_words_with_colons_stay_text() -> None:
    assert tokenize("name:smith sender:quest")[0].field == "patient"
    assert tokenize("name:smith sender:quest")[1].field == "from"
    assert tokenize('"Re:labs" 10:30') == [Clause(None, "Re:labs", quoted=True), Clause(None, "10:30")]
    with pytest.raises(InputError, match="Unknown search field 'Re:'. The fields are patient:, name:") as err:
        tokenize("Re:labs")
    assert '"Re:labs"' in err.value.hint


@pytest.mark.parametrize("bad, message", [
    ('patient:"jon smyth', "unclosed quote"),
    ("paitent:smith", "Did you mean 'patient:'"),
    ("mrn:", "needs a value"),
    ('mrn:""', "needs a value"),
    ("dob:someday", "date of birth"),
    ("date:soonish", "date or range"),
    ("date:2026-05..2026-03", "date or range"),
    ("type:spaceship", "Unknown document type"),
    ("status:lost", "Unknown status"),
    ("urgent:maybe", "yes or no"),
    ("the and of", "too common"),
    ("patient:---", "needs a name"),
    ("foo:bar", "Unknown search field 'foo:'. The fields are patient:"),
    ("patient: " + "x" * 499, "A word of 499 characters is too long to search for"),
])
def test_malformed_queries_raise_input_errors_with_hints(bad: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse(bad)
    assert message in str(err.value)
    assert err.value.hint and err.value.exit_code == 3


def test_very_long_queries_are_capped_at_a_word_boundary_with_a_note() -> None:
    text, notes = cap("word " * 300)
    assert len(text) <= MAX_QUERY_CHARS and not text.endswith(" ") and notes
    parsed = parse("chest " * 300)
    assert any("shortened" in n for n in parsed.notes)
    assert any("first 24 terms" in n for n in parsed.notes)


def test_capping_never_leaves_half_a_quote() -> None:
    text, _ = cap("a " * 245 + '"chest pain radiating to the left arm"')
    assert text.count('"') % 2 == 0


def test_free_words_are_stemmed_content_or_names_and_scored() -> None:
    parsed = parse("studies smith")
    assert parsed.scored and parsed.plan is not None  # counted as sets, ranked by Whoosh
    assert parse('"chest pain radiating"').plan is None  # positions cannot be checked with sets
    assert parsed.content_terms == {"studi", "smith"}
    terms = {(f, t) for f, t in parsed.query.iter_all_terms()}
    assert ("content", "studi") in terms and ("name", "smith") in terms


def test_two_word_phrases_use_pair_terms_longer_ones_also_positions() -> None:
    two = set(parse('"chest pain"').query.iter_all_terms())
    assert ("content_pairs", "chest|pain") in two and ("content", "chest") not in two
    three = parse('"chest pain radiating"').query
    assert {("content_pairs", "chest|pain"), ("content_pairs", "pain|radiat")} <= set(three.iter_all_terms())
    assert any(isinstance(q, wq.Phrase) for q in _walk(three))
    assert not any(isinstance(q, wq.Phrase) for q in _walk(parse('"chest pain"').query))


def _walk(q: wq.Query):  # type: ignore[no-untyped-def]
    yield q
    for child in q.children():
        yield from _walk(child)


def test_exact_fields_become_a_filter_plan() -> None:
    parsed = parse('type:lab mrn:cf123456 -status:review date:2026-03')
    assert not parsed.scored
    assert parsed.plan == FilterPlan(
        positive=(Terms("doc_type", ("lab_result",)), chart_or_read("patient_mrn", "read_mrn", ("CF123456",)),
                  Terms("date_terms", ("m202603",))),
        negative=(Terms("status", ("review",)), REJECTED))


def test_type_aliases_and_prefixes() -> None:
    assert parse("type:rx").plan == FilterPlan((Terms("doc_type", ("prescription_request",)),), (REJECTED,))
    assert parse("type:imaging_report").plan == FilterPlan((Terms("doc_type", ("imaging_report",)),), (REJECTED,))
    assert parse("type:ro").plan == FilterPlan((Terms("doc_type", ("roi_authorization",)),), (REJECTED,))


@pytest.mark.parametrize("typed, expected", [
    ("dob:1961-03-04", chart_or_read("dob", "read_dob", ("1961-03-04",))),
    ("dob:03/04/1961", chart_or_read("dob", "read_dob", ("1961-03-04",))),
    ("dob:3/4/61", chart_or_read("dob", "read_dob", ("1961-03-04",))),
    ('dob:"4 Mar 1961"', chart_or_read("dob", "read_dob", ("1961-03-04",))),
    ("dob:04-MAR-1961", chart_or_read("dob", "read_dob", ("1961-03-04",))),
    ("dob:19610304", chart_or_read("dob", "read_dob", ("1961-03-04",))),
    ("dob:1961", chart_or_read("dob", "read_dob", prefixes=("1961-",))),
    ("dob:1961-03", chart_or_read("dob", "read_dob", prefixes=("1961-03-",))),
    ("mrn:CF12*", chart_or_read("patient_mrn", "read_mrn", prefixes=("CF12",))),
])
def test_dob_and_mrn_forms(typed: str, expected: AnyOf) -> None:
    assert parse(typed).plan == FilterPlan((expected,), (REJECTED,))


def test_rejected_documents_only_for_an_administrators_search() -> None:
    """Issue 18: a rejected misdirected fax leaves search; ``--include-rejected`` finds it."""
    assert parse("status:rejected").plan == FilterPlan((REJECTED,), (REJECTED,))
    assert any("--include-rejected" in n for n in parse("status:rejected").notes)
    admin = parse_query("status:rejected", MRN, TODAY, include_rejected=True)
    assert admin.plan == FilterPlan((REJECTED,)) and not admin.notes


def test_from_matches_sender_or_provider_words_and_prefixes() -> None:
    plan = parse('from:"quest diag"').plan
    assert plan is not None and isinstance(plan.positive[0], AllOf)
    assert len(plan.positive[0].parts) == 2


def test_mrn_or_date_typed_as_free_text_also_searches_the_identifier() -> None:
    mrn_terms = set(parse("CF123456").query.iter_all_terms())
    assert ("patient_mrn", "CF123456") in mrn_terms
    dob_terms = set(parse("03/04/1961").query.iter_all_terms())
    assert ("dob", "1961-03-04") in dob_terms and ("date_terms", "d19610304") in dob_terms


def test_patient_clause_typed_as_mrn_or_dob() -> None:
    assert ("patient_mrn", "CF123456") in set(parse("patient:cf123456").query.iter_all_terms())


def test_urgent_flag() -> None:
    assert parse("urgent:yes").plan == FilterPlan((Terms("urgent", (True,)),), (REJECTED,))


def test_only_negative_clauses_search_everything_else() -> None:
    parsed = parse("-type:lab")
    assert parsed.plan == FilterPlan((), (Terms("doc_type", ("lab_result",)), REJECTED))
    assert isinstance(parsed.query, wq.AndNot)


def test_stopwords_in_free_text_are_dropped_not_required() -> None:
    parsed = parse("the chest")
    assert any("too common" in n for n in parsed.notes)
    assert ("name", "the") not in set(parsed.query.iter_all_terms())

"""Pure helpers of the workstation: evidence verdicts, split text, DOB parsing, snippet highlighting."""

from __future__ import annotations

from datetime import date

from chartfile.service.worklist import _as_dob, _evidence, _split_text
from chartfile.web.views.search import facet_query, marked


def test_evidence_verdicts_follow_the_sign_of_the_points() -> None:
    ev = {e.field: e.verdict for e in _evidence({"dob": "exact +12.0", "sex": "differs -3.0", "phone": "missing"})}
    assert ev == {"date of birth": "match", "sex": "conflict", "phone": "neutral"}


def test_split_text_as_the_clerk_types_it() -> None:
    assert _split_text([{"pages": [1, 2]}, {"pages": [3, 3]}, [4, 6]]) == "1-2,3,4-6"
    assert _split_text(None) == "" and _split_text([{"pages": "bad"}]) == ""


def test_dob_forms() -> None:
    assert _as_dob("1983-10-20") == date(1983, 10, 20)
    assert _as_dob(" 10/20/1983 ") == date(1983, 10, 20)
    assert _as_dob("1983-02-30") is None and _as_dob("garcia") is None


def test_marked_snippet_pieces_cover_the_text_once() -> None:
    text = "chest pain and chest x-ray"
    pieces = marked(text, [(15, 20), (0, 5), (3, 4)])  # overlapping span ignored
    assert "".join(p for p, _ in pieces) == text
    assert [p for p, hl in pieces if hl] == ["chest", "chest"]


def test_facet_query_quotes_values_with_spaces() -> None:
    assert facet_query("doc_type", "lab_result") == "type:lab_result"
    assert facet_query("sender", "Quest Diagnostics") == 'from:"Quest Diagnostics"'

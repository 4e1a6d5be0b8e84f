"""The search façade end to end on a small indexed practice: every query form a clerk types."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from intake.errors import InputError, IntegrityError
from search import engine as engine_mod
from search.engine import SearchEngine
from search.query import parse_query

from .conftest import TODAY, Clinic


def ids(clinic: Clinic, query: str, **kw: object) -> list[int]:
    eng = clinic.engine()
    try:
        return [h.doc_id for h in eng.search(query, **kw).hits]  # type: ignore[arg-type]
    finally:
        eng.close()


def found(clinic: Clinic, query: str) -> set[str]:
    by_id = {v: k for k, v in clinic.docs.items()}
    return {by_id[i] for i in ids(clinic, query)}


def test_free_text_is_stemmed_and_ranked(records: Clinic) -> None:
    assert found(records, "hemoglobin") == {"smith_lab", "smithers_lab"}
    assert ids(records, "hemoglobin")[0] == records.docs["smith_lab"]  # said three times beats once
    assert found(records, "study") == {"smith_echo"}  # "studies" on the page
    assert found(records, "chest pain") == {"smith_echo", "nguyen_discharge", "unmatched"}


def test_quoted_phrase_needs_the_words_in_order(records: Clinic) -> None:
    assert found(records, '"chest pain"') == {"smith_echo", "nguyen_discharge"}  # not "pain in chest"
    assert found(records, '"pain chest"') == {"unmatched"}  # "pain in chest": stop words are skipped
    assert found(records, '"knee chest"') == set()
    assert found(records, '"follow up with cardiology"') == {"smith_echo"}



def test_long_phrases_check_positions_not_just_pairs(clinic: Clinic) -> None:
    clinic.patient("CF100001", "John", "Smith")
    both = clinic.document("CF100001", ["chest pain. pain radiating to the arm"])  # has both pairs, not the phrase
    real = clinic.document("CF100001", ["chest pain radiating to the arm"])
    eng = clinic.engine()
    assert [h.doc_id for h in eng.search('"chest pain radiating"').hits] == [real]
    assert {h.doc_id for h in eng.search('"chest pain"').hits} == {both, real}


@pytest.mark.parametrize("typed", ['patient:"john smith"', "patient:smith patient:john", 'patient:"Smith, John"',
                                   'patient:"jon smyth"', 'patient:"jhon smiht"', "name:smyth"])
def test_patient_names_are_typo_tolerant(records: Clinic, typed: str) -> None:
    hits = ids(records, typed)
    assert hits[:2] and set(hits[:2]) == {records.docs["smith_lab"], records.docs["smith_echo"]}


def test_nicknames_accents_apostrophes_and_middle_names(records: Clinic) -> None:
    assert found(records, 'patient:"bob miller"') == {"miller_rx"}
    assert found(records, 'patient:"robert j miller"') == {"miller_rx"}
    assert found(records, "patient:zoe") == {"obrien_referral"}
    assert found(records, "patient:obrien") == {"obrien_referral"}
    assert found(records, "patient:o'brien-jones") == {"obrien_referral"}
    assert found(records, 'patient:"cathy nguyen"') == {"nguyen_discharge"}


def test_exact_name_outranks_its_variants(records: Clinic) -> None:
    hits = ids(records, "patient:smith")
    assert set(hits[:2]) == {records.docs["smith_lab"], records.docs["smith_echo"]}
    assert records.docs["smithers_lab"] in hits[2:]  # prefix match, ranked below


def test_free_words_that_match_nothing_fall_back_to_a_name_search(records: Clinic) -> None:
    eng = records.engine()
    res = eng.search("jhon smiht")
    assert {h.doc_id for h in res.hits} >= {records.docs["smith_lab"], records.docs["smith_echo"]}
    assert any("similar name" in n for n in res.notes)


@pytest.mark.parametrize("typed", ["mrn:CF100001", "mrn:cf100001", "mrn:cf-100001", "CF100001",
                                   "patient:CF100001", "mrn:CF10000*"])
def test_mrn(records: Clinic, typed: str) -> None:
    got = found(records, typed)
    assert {"smith_lab", "smith_echo"} <= got
    if "*" not in typed:
        assert got == {"smith_lab", "smith_echo"}


@pytest.mark.parametrize("typed", ["dob:1961-03-04", "dob:03/04/1961", "dob:3/4/61", 'dob:"March 4, 1961"',
                                   "03/04/1961"])
def test_dob_formats(records: Clinic, typed: str) -> None:
    assert found(records, typed) == {"smith_lab", "smith_echo"}


def test_dob_year_and_month(records: Clinic) -> None:
    assert found(records, "dob:1961") == {"smith_lab", "smith_echo", "miller_rx"}
    assert found(records, "dob:1961-11") == {"miller_rx"}


def test_type_from_provider_status_urgent(records: Clinic) -> None:
    assert found(records, "type:lab") == {"smith_lab", "smithers_lab"}
    assert found(records, "type:rx") == {"miller_rx"}
    assert found(records, "from:quest") == {"smith_lab", "smithers_lab"}
    assert found(records, 'from:"salem card"') == {"smith_echo"}
    assert found(records, "from:patel") == {"smith_echo"}  # the provider
    assert found(records, "provider:priya") == {"smith_echo"}
    assert found(records, "status:review") == {"unmatched"}
    assert found(records, "urgent:yes") == {"obrien_referral"}


def test_date_ranges_and_relative_dates(records: Clinic) -> None:
    assert found(records, "date:2026-03..2026-05") == {"smith_lab", "miller_rx", "nguyen_discharge", "unmatched"}
    assert found(records, 'date:"last month"') == {"smith_lab", "nguyen_discharge"}  # March 2026
    assert found(records, "date:2026-04-14") == {"miller_rx"}
    assert found(records, "date:<2026") == {"obrien_referral"}
    assert found(records, "received:2026-04-10") == {"unmatched"}  # no document date: received date counts


def test_combined_and_negated_clauses(records: Clinic) -> None:
    assert found(records, "type:lab -from:quest") == set()
    assert found(records, 'patient:smith date:"last month"') == {"smith_lab"}
    assert found(records, "chest -type:discharge") == {"smith_echo", "unmatched"}
    assert found(records, "-type:lab -type:imaging -type:referral -status:review") == \
        {"miller_rx", "nguyen_discharge"}


def test_filter_plan_and_whoosh_agree(records: Clinic) -> None:
    eng = records.engine()
    searcher = eng._current_searcher()
    for typed in ["type:lab", "dob:1961", "from:salem", 'date:"last month"', "-type:lab", "mrn:CF1*",
                  "urgent:no -status:review", "type:lab -from:quest", "chest pain", '"chest pain"',
                  'patient:"jon smyth"', "patient:j", "hemoglobin -type:imaging", "CF100001",
                  '"Zoe O\'Brien"', "quest -chest"]:
        parsed = parse_query(typed, records.cfg.extract.mrn_pattern, TODAY, eng._vocabulary(searcher))
        assert parsed.plan is not None, typed
        fast = eng._sets.evaluate(searcher.reader(), parsed.plan).ids()
        slow = sorted(searcher.docs_for_query(parsed.query))
        assert fast == slow, typed
    eng.close()


def test_sorting(records: Clinic) -> None:
    eng = records.engine()
    newest = eng.search("type:lab")
    assert newest.sort == "newest" and [h.doc_id for h in newest.hits] == \
        [records.docs["smith_lab"], records.docs["smithers_lab"]]
    oldest = eng.search("type:lab", sort="oldest")
    assert [h.doc_id for h in oldest.hits] == [records.docs["smithers_lab"], records.docs["smith_lab"]]
    by_date = eng.search("hemoglobin", sort="date")
    assert by_date.sort == "newest" and by_date.hits[0].doc_id == records.docs["smith_lab"]
    assert eng.search("hemoglobin").sort == "relevance"
    with pytest.raises(InputError):
        eng.search("hemoglobin", sort="alphabetical")


def test_pagination(records: Clinic) -> None:
    eng = records.engine()
    everything = [h.doc_id for h in eng.search("-status:rejected", page_size=100).hits]
    assert len(everything) == 7
    pages = [[h.doc_id for h in eng.search("-status:rejected", page=p, page_size=3).hits] for p in (1, 2, 3)]
    assert pages[0] + pages[1] + pages[2] == everything and [len(p) for p in pages] == [3, 3, 1]
    res = eng.search("-status:rejected", page=2, page_size=3)
    assert res.total == 7 and res.pages == 3
    assert eng.search("-status:rejected", page=9, page_size=3).hits == []
    for bad in ({"page": 0}, {"page_size": 0}, {"page_size": 501}, {"page": 1000, "page_size": 20}):
        with pytest.raises(InputError):
            eng.search("type:lab", **bad)  # type: ignore[arg-type]


def test_facets_count_every_match_by_type_and_sender(records: Clinic) -> None:
    res = records.engine().search("pain")
    assert res.total == 4
    assert dict(res.facets["type"]) == {"imaging_report": 1, "discharge_summary": 1, "referral": 1,
                                         "correspondence": 1}
    assert dict(res.facets["sender"]) == {"Salem Cardiology": 1, "Salem Hospital": 1, "Cascade Orthopedics": 1}
    # (the unmatched fax has no sender: it is counted by type, not by sender)
    res = records.engine().search("-status:review", page_size=1)
    assert dict(res.facets["sender"])["Quest Diagnostics"] == 2 and len(res.hits) == 1
    assert records.engine().search("type:lab", facets=False).facets == {}


def test_large_result_paths_give_the_same_order_and_counts(records: Clinic,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from search import columns

    queries = ["-status:rejected", "pain", "type:lab", "hemoglobin -from:salem", 'patient:"jon smyth"']
    small = {(q, sort): records.engine().search(q, sort=sort, page_size=3) for q in queries
             for sort in ("newest", "oldest")}
    monkeypatch.setattr(columns, "DIRECT_LIMIT", 0)  # month walk and set-intersection facets
    for (q, sort), want in small.items():
        got = records.engine().search(q, sort=sort, page_size=3)
        assert [h.doc_id for h in got.hits] == [h.doc_id for h in want.hits], (q, sort)
        assert got.facets == want.facets and got.total == want.total, q


def test_snippets_carry_page_numbers_and_highlight_spans(records: Clinic) -> None:
    res = records.engine().search("studies")
    hit = res.hits[0]
    assert hit.doc_id == records.docs["smith_echo"]
    assert hit.page == 3 and hit.source_page == 3 and hit.matched_pages == [3] and hit.pages == 3
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["studies"]
    hit = records.engine().search("glucose hemoglobin").hits[0]
    assert hit.page == 2 and hit.matched_pages == [1, 2]  # page 2 has both words
    assert {hit.snippet[a:b].lower() for a, b in hit.highlights} == {"glucose", "hemoglobin"}


def test_hit_fields_and_json_shape(records: Clinic) -> None:
    res = records.engine().search("mrn:CF100001 type:lab")
    hit = res.hits[0]
    assert (hit.patient_name, hit.patient_mrn, hit.dob, hit.doc_type, hit.doc_date, hit.sender) == \
        ("John Smith", "CF100001", "1961-03-04", "lab_result", "2026-03-20", "Quest Diagnostics")
    data = res.to_dict()
    assert data["total"] == 1 and data["total_exact"] and data["hits"][0]["highlights"] == []
    assert set(data) >= {"query", "page", "page_size", "pages", "sort", "facets", "notes", "hits"}


def test_very_common_long_phrases_show_best_matches_with_an_estimated_count(
        records: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "FULL_COUNT_LIMIT", 0)
    res = records.engine().search('"follow up with cardiology"')
    assert not res.total_exact and res.total >= 1 and res.facets == {}
    assert [h.doc_id for h in res.hits] == [records.docs["smith_echo"]]
    assert any("About" in n for n in res.notes)


def test_searcher_sees_new_documents_and_a_rebuilt_index(fresh_records: Clinic) -> None:
    from search.writer import rebuild

    records = fresh_records
    eng = records.engine()
    assert eng.search("echinacea").total == 0
    new = records.document("CF100004", ["Herbal supplement: echinacea"], doc_date=date(2026, 4, 1))
    assert [h.doc_id for h in eng.search("echinacea").hits] == [new]
    with records.db.transaction() as s:
        rebuild(s, records.index)
    assert [h.doc_id for h in eng.search("echinacea").hits] == [new]
    eng.close()


def test_missing_index_is_a_clear_error_not_an_empty_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from intake.config import load_config

    cfg = load_config(tmp_path / "nowhere", environ={})
    with pytest.raises(IntegrityError) as err:
        SearchEngine(cfg).search("anything")
    assert "rebuild" in err.value.hint and not cfg.index_dir.exists()


def test_received_datetime_is_reported(records: Clinic) -> None:
    hit = records.engine().search("status:review").hits[0]
    assert hit.received == datetime(2026, 4, 10, 8, 0).isoformat(timespec="minutes")
    assert hit.patient_name == "" and hit.doc_date is None
    assert TODAY.year == 2026


def test_a_new_empty_index_searches_and_checks_cleanly(clinic: Clinic) -> None:
    from search.maint import check_index

    clinic.index.open()  # what 'chartfile init' leaves behind
    eng = clinic.engine()
    for typed in ("hemoglobin", "type:lab", 'patient:"jon smyth"', "-status:review"):
        res = eng.search(typed)
        assert res.total == 0 and res.hits == []
    with clinic.db.session() as s:
        assert check_index(s, clinic.index).ok


def test_many_matches_for_several_words_rank_side_by_side_first(records: Clinic,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "RANK_LIMIT", 0)
    res = records.engine().search("chest pain")
    assert res.total == 3 and res.sort == "relevance"
    # "chest pain" side by side (newest first), then "pain in chest"
    assert [h.doc_id for h in res.hits] == [records.docs["nguyen_discharge"], records.docs["smith_echo"],
                                           records.docs["unmatched"]]
    assert [h.score for h in res.hits] == [2.0, 2.0, 1.0]

"""Batch-fax splitting: one segment per patient, covers attached, uncertain splits go to review whole."""

from __future__ import annotations

from indexer.matching import Roster, RosterPatient, split_and_match
from indexer.matching.split import restrict
from intake.config import MatchConfig
from intake.model import DocPart, Entities, NameMention, PageEntities, ValueMention

CFG = MatchConfig()


def pt(pid: int, family: str, given: str, dob: str) -> RosterPatient:
    return RosterPatient(id=pid, mrn=f"CF{100000 + pid:06d}", family_name=family, given_name=given,
                         middle_name=None, dob=dob, sex=None, phone=None, address=f"{pid} Elm St",
                         city=None, state=None, postal_code=None)


ROSTER = Roster([
    pt(1, "Baxter", "Robert", "1980-03-05"), pt(2, "Okafor", "Grace", "1955-09-17"),
    pt(3, "Lindqvist", "Anna", "1991-12-30"), pt(4, "Smith", "John", "1970-01-01"),
])


def page(n: int, who: tuple[str, str, str] | None = None, *, cover: bool = False, blank: bool = False,
         extra: tuple[str, str, str] | None = None) -> PageEntities:
    p = PageEntities(page=n, is_cover=cover, is_blank=blank)
    for person in (who, extra):
        if person:
            fam, giv, dob = person
            p.names.append(NameMention(fam, giv, page=n, source="label"))
            p.dobs.append(ValueMention(dob, page=n, label="DOB"))
    return p


def fax(*pages: PageEntities) -> Entities:
    e = Entities(pages=list(pages))
    for p in pages:
        e.patient_names += p.names
        e.dobs += p.dobs
        e.mrns += p.mrns
    return e


BAXTER = ("Baxter", "Robert", "1980-03-05")
OKAFOR = ("Okafor", "Grace", "1955-09-17")
LINDQVIST = ("Lindqvist", "Anna", "1991-12-30")


def test_single_patient_document_is_one_segment() -> None:
    segs, certain = split_and_match(fax(page(1, BAXTER), page(2), page(3, BAXTER)), ROSTER, CFG)
    assert certain and len(segs) == 1
    assert segs[0].pages == (1, 3) and not segs[0].is_cover
    assert segs[0].result.decision == "file" and segs[0].result.patient_id == 1


def test_no_pages_is_one_segment() -> None:
    e = Entities(patient_names=[NameMention("Baxter", "Robert")], dobs=[ValueMention("1980-03-05")])
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert certain and len(segs) == 1 and segs[0].result.patient_id == 1


def test_batch_fax_splits_per_patient_with_cover_on_first() -> None:
    e = fax(page(1, cover=True), page(2, BAXTER), page(3), page(4, OKAFOR), page(5, OKAFOR),
            page(6, LINDQVIST), page(7, blank=True))
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert certain
    assert [s.pages for s in segs] == [(1, 3), (4, 5), (6, 7)]
    assert [s.result.patient_id for s in segs] == [1, 2, 3]
    assert all(s.result.decision == "file" for s in segs)
    assert [p.page for p in segs[1].entities.pages] == [4, 5]
    assert {m.page for m in segs[1].entities.patient_names} == {4, 5}


def test_cover_in_the_middle_belongs_to_the_next_document() -> None:
    e = fax(page(1, BAXTER), page(2), page(3, cover=True), page(4, OKAFOR))
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert certain and [s.pages for s in segs] == [(1, 2), (3, 4)]


def test_unknown_patient_in_batch_still_splits_and_that_segment_reviews() -> None:
    e = fax(page(1, BAXTER), page(2, ("Yamamoto", "Ken", "1999-09-09")))
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert certain and [s.pages for s in segs] == [(1, 1), (2, 2)]
    assert segs[0].result.decision == "file"
    assert segs[1].result.decision == "review" and "patient not in roster" in segs[1].result.review_reasons


def test_same_name_different_dob_unresolvable_is_uncertain() -> None:
    e = fax(page(1, ("Nakamura", "Lily", "1960-01-01")), page(2, ("Nakamura", "Lily", "1975-07-19")))
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert not certain and len(segs) == 1
    r = segs[0].result
    assert segs[0].pages == (1, 2) and r.decision == "review" and r.patient_id is None
    assert r.proposed_split == [(1, 1), (2, 2)]
    assert any("split uncertain" in x for x in r.review_reasons)


def test_same_name_different_dob_resolved_by_roster_splits() -> None:
    roster = Roster([pt(1, "Smith", "John", "1970-01-01"), pt(2, "Smith", "John", "1985-06-15")])
    e = fax(page(1, ("Smith", "John", "1970-01-01")), page(2, ("Smith", "John", "1985-06-15")))
    segs, certain = split_and_match(e, roster, CFG)
    assert certain and [s.result.patient_id for s in segs] == [1, 2]


def test_patient_reappearing_is_uncertain() -> None:
    e = fax(page(1, BAXTER), page(2, OKAFOR), page(3, BAXTER))
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert not certain and len(segs) == 1 and segs[0].result.decision == "review"
    assert segs[0].result.proposed_split == [(1, 1), (2, 2), (3, 3)]


def test_page_naming_two_patients_is_uncertain() -> None:
    e = fax(page(1, BAXTER), page(2, OKAFOR, extra=LINDQVIST))
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert not certain and segs[0].result.decision == "review"


def test_cover_only_fax_is_a_cover_segment_for_review() -> None:
    segs, certain = split_and_match(fax(page(1, cover=True), page(2, blank=True)), ROSTER, CFG)
    assert certain and len(segs) == 1 and segs[0].is_cover
    assert segs[0].result.decision == "review"


def test_restrict_drops_cover_identifiers_and_document_level_fields() -> None:
    cover = page(1, OKAFOR, cover=True)
    e = fax(cover, page(2, BAXTER), page(3, BAXTER))
    e.sex, e.address = "M", "1 Elm St"
    sub = restrict(e, 1, 2, {1})
    assert [m.family for m in sub.patient_names] == ["Baxter"]
    assert [p.page for p in sub.pages] == [1, 2]
    assert sub.sex is None and sub.address is None


def test_gazetteer_name_alone_does_not_start_a_new_document() -> None:
    relative = page(2)
    relative.names.append(NameMention("Okafor", "Grace", page=2, source="gazetteer"))
    segs, certain = split_and_match(fax(page(1, BAXTER), relative, page(3, BAXTER)), ROSTER, CFG)
    assert certain and [s.pages for s in segs] == [(1, 3)]


def test_page_with_only_the_mrn_continues_the_same_patient() -> None:
    mrn_only = page(2)
    mrn_only.mrns.append(ValueMention("CF100001", page=2, scheme="own"))
    segs, certain = split_and_match(fax(page(1, BAXTER), mrn_only, page(3, OKAFOR)), ROSTER, CFG)
    assert certain and [s.pages for s in segs] == [(1, 2), (3, 3)]
    assert [s.result.patient_id for s in segs] == [1, 2]


# ------------------------------------------------------------ documents cut by the worker (intake/segment.py)
def packet(*pages: PageEntities, parts: list[tuple[int, int, bool, list[int]]]) -> Entities:
    e = fax(*pages)
    e.parts = [DocPart(a, b, cover, unproven) for a, b, cover, unproven in parts]
    return e


def test_each_document_of_a_packet_is_matched_on_its_own_with_the_cover_in_front() -> None:
    e = packet(page(1, BAXTER, cover=True), page(2, BAXTER), page(3, BAXTER), page(4, BAXTER),
               parts=[(1, 1, True, []), (2, 2, False, []), (3, 4, False, [])])
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert certain and [s.pages for s in segs] == [(1, 2), (3, 4)]
    assert [s.result.patient_id for s in segs] == [1, 1]


def test_page_without_evidence_in_a_multi_patient_file_sends_the_file_to_review() -> None:
    e = packet(page(1, BAXTER), page(2), page(3, OKAFOR),
               parts=[(1, 2, False, [2]), (3, 3, False, [])])
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert not certain and len(segs) == 1 and segs[0].pages == (1, 3)
    r = segs[0].result
    assert r.decision == "review" and r.proposed_split == [(1, 2), (3, 3)]
    assert any("page 2 has no identifiers" in x for x in r.review_reasons)


def test_page_without_evidence_never_rides_along_even_in_a_one_patient_file() -> None:
    e = packet(page(1, BAXTER), page(2), page(3, BAXTER), parts=[(1, 2, False, [2]), (3, 3, False, [])])
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert [s.pages for s in segs] == [(1, 2), (3, 3)]
    assert [s.result.decision for s in segs] == ["review", "file"]  # the page may be another patient's
    assert any("page 2 has no identifiers" in x for x in segs[0].result.review_reasons)
    one_document = packet(page(1, BAXTER), page(2), parts=[(1, 2, False, [2])])
    segs, _ = split_and_match(one_document, ROSTER, CFG)
    assert segs[0].result.decision == "review"


def test_document_with_only_a_name_is_filed_with_its_one_patient_file() -> None:
    name_only = page(3)
    name_only.names.append(NameMention("Okafor", "Grace", page=3, source="label"))
    e = packet(page(1, OKAFOR), page(2, OKAFOR), name_only, parts=[(1, 2, False, []), (3, 3, False, [])])
    segs, _ = split_and_match(e, ROSTER, CFG)
    assert [s.result.decision for s in segs] == ["file", "file"]
    assert segs[1].result.patient_id == 2 and any("same patient as pages 1-2" in x for x in segs[1].result.reasons)


def test_no_lending_when_the_file_names_someone_else() -> None:
    name_only = page(3)
    name_only.names.append(NameMention("Okafor", "Grace", page=3, source="label"))
    other_on_cover = page(4, cover=True, who=("Okafor", "Grace", "1966-02-02"))  # same name, another DOB
    e = packet(page(1, OKAFOR), page(2, OKAFOR), name_only, other_on_cover,
               parts=[(1, 2, False, []), (3, 3, False, []), (4, 4, True, [])])
    segs, _ = split_and_match(e, ROSTER, CFG)
    assert segs[1].result.decision == "review"


def test_misdirected_document_goes_to_review_even_when_its_patient_matches() -> None:
    p2 = page(2, BAXTER)
    p2.misdirected = "addressed to Riverside Pediatrics"
    e = packet(page(1, BAXTER), p2, parts=[(1, 1, False, []), (2, 2, False, [])])
    segs, _ = split_and_match(e, ROSTER, CFG)
    assert segs[0].result.decision == "file"
    assert segs[1].result.decision == "review"
    assert "possibly misdirected: addressed to Riverside Pediatrics" in segs[1].result.review_reasons


def test_misdirected_cover_flags_every_document_it_carries() -> None:
    cover = page(1, cover=True)
    cover.misdirected = "addressed to Riverside Pediatrics"
    e = packet(cover, page(2, BAXTER), page(3, BAXTER), parts=[(1, 1, True, []), (2, 2, False, []),
                                                              (3, 3, False, [])])
    segs, _ = split_and_match(e, ROSTER, CFG)
    assert [s.result.decision for s in segs] == ["review", "review"]


def test_unclear_identifiers_on_a_page_that_says_it_continues_do_not_split_it() -> None:
    dob_only = page(1)
    dob_only.dobs.append(ValueMention("1980-03-05", page=1, label="DOB"))
    name_only = page(2)
    name_only.names.append(NameMention("Baxter", "Rob", page=2, source="label"))  # no DOB to compare
    e = fax(dob_only, name_only)
    e.parts = [DocPart(1, 2, False, [], "first page", [2])]  # page 2 of 2
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert certain and [s.pages for s in segs] == [(1, 2)]
    e.parts = [DocPart(1, 2, False, [2], "first page")]  # joined without evidence: unclear
    segs, certain = split_and_match(e, ROSTER, CFG)
    assert [s.pages for s in segs] == [(1, 2)] and segs[0].result.decision == "review"

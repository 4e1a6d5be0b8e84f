"""Patient matcher: every hard case asserts its grade and its outcome (file vs review)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from indexer.matching import (
    CERTAIN,
    NONE,
    PROBABLE,
    Alias,
    MatchResult,
    Roster,
    RosterPatient,
    match_entities,
)
from indexer.matching.policy import DOB_CONFLICT, MRN_CONFLICT, MULTI_PATIENT, NOT_IN_ROSTER, TWINS
from intake.config import MatchConfig
from intake.model import Entities, NameMention, ValueMention

CFG = MatchConfig()


def pt(pid: int, family: str, given: str, dob: str | None, **kw: str | None) -> RosterPatient:
    return RosterPatient(
        id=pid, mrn=kw.pop("mrn", None) or f"CF{100000 + pid:06d}", family_name=family, given_name=given,
        middle_name=kw.pop("middle", None), dob=dob, sex=kw.pop("sex", None), phone=kw.pop("phone", None),
        address=kw.pop("address", f"{pid} Elm St"), city="Salem", state="OR", postal_code="97301",
    )


FILLERS = [
    pt(900 + i, fam, giv, f"19{50 + i}-0{1 + i % 9}-1{i % 9}")
    for i, (fam, giv) in enumerate([
        ("Anderson", "Paul"), ("Brown", "Carol"), ("Clark", "Gary"), ("Davis", "Helen"), ("Evans", "Irene"),
        ("Foster", "Kevin"), ("Green", "Laura"), ("Hill", "Oscar"), ("Irwin", "Nora"), ("Kelly", "Victor"),
    ])
]


def roster(*patients: RosterPatient, aliases: Iterable[Alias] = ()) -> Roster:
    return Roster([*patients, *FILLERS], aliases)


def doc(family: str, given: str, dob: str | None = None, mrn: str | None = None, *,
        foreign: str | None = None, phone: str | None = None, sex: str | None = None,
        middle: str | None = None) -> Entities:
    e = Entities(patient_names=[NameMention(family=family, given=given, middle=middle, source="label")])
    if dob:
        e.dobs.append(ValueMention(dob, label="DOB"))
    if mrn:
        e.mrns.append(ValueMention(mrn, label="MRN", scheme="own"))
    if foreign:
        e.mrns.append(ValueMention(foreign, label="MRN", scheme="foreign"))
    if phone:
        e.phones.append(ValueMention(phone, label="Phone"))
    e.sex = sex
    return e


def files_to(r: MatchResult, pid: int) -> None:
    assert r.decision == "file", r.review_reasons
    assert r.grade == CERTAIN
    assert r.patient_id == pid
    assert r.review_reasons == []
    assert r.candidates and r.candidates[0].patient_id == pid


def reviews(r: MatchResult, *reasons: str) -> None:
    assert r.decision == "review"
    assert r.patient_id is None and r.mrn is None
    for reason in reasons:
        assert any(x.startswith(reason) for x in r.review_reasons), (reason, r.review_reasons)


# --------------------------------------------------------------------------- baseline
def test_exact_name_and_dob_files_with_reasons() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"))
    res = match_entities(doc("Baxter", "Robert", "1980-03-05"), r, CFG)
    files_to(res, 1)
    assert res.mrn == "CF100001"
    assert res.candidates[0].reasons["dob"].startswith("exact +")
    assert "family_name" in res.candidates[0].reasons and "given_name" in res.candidates[0].reasons
    assert any(x.startswith("dob: exact") for x in res.reasons)


def test_mrn_and_name_without_dob_files() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"))
    files_to(match_entities(doc("Baxter", "Robert", mrn="CF100001"), r, CFG), 1)


def test_name_only_never_files() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05", phone="(555) 222-1111"))
    res = match_entities(doc("Baxter", "Robert", phone="+15552221111"), r, CFG)
    reviews(res)
    assert res.grade == PROBABLE


def test_no_identifiers_reviews() -> None:
    res = match_entities(Entities(), roster(pt(1, "Baxter", "Robert", "1980-03-05")), CFG)
    reviews(res, "document carries no patient identifiers", NOT_IN_ROSTER)
    assert res.grade == NONE and res.candidates == []


# --------------------------------------------------------------------------- hard cases
def test_same_name_different_dob_picks_the_dob_and_reviews_unknown_dob() -> None:
    r = roster(pt(1, "Smith", "John", "1970-01-01"), pt(2, "Smith", "John", "1985-06-15"))
    res = match_entities(doc("Smith", "John", "1985-06-15"), r, CFG)
    files_to(res, 2)
    assert {c.patient_id for c in res.candidates} >= {1, 2}
    other = match_entities(doc("Smith", "John", "1992-10-27"), r, CFG)
    reviews(other, NOT_IN_ROSTER, DOB_CONFLICT)
    assert other.grade == NONE


def test_twins_review_unless_the_given_name_tells_them_apart() -> None:
    r = roster(pt(1, "Jones", "Emma", "2012-04-09", address="5 Oak Ave"),
               pt(2, "Jones", "Olivia", "2012-04-09", address="5 Oak Ave"),
               pt(3, "Reyes", "Ana", "2015-01-02", address="9 Elm St"),
               pt(4, "Reyes", "Anya", "2015-01-02", address="9 Elm St"))
    files_to(match_entities(doc("Jones", "Emma", "2012-04-09"), r, CFG), 1)  # Emma, not Olivia
    reviews(match_entities(doc("Jones", "E", "2012-04-09", mrn="CF100001"), r, CFG))  # an initial only
    res = match_entities(doc("Reyes", "Ana", "2015-01-02", mrn="CF100003"), r, CFG)
    reviews(res, TWINS)  # Ana / Anya: one letter apart, a clerk checks
    assert res.grade == CERTAIN and res.candidates[0].patient_id == 3


def test_nickname_files() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"), pt(2, "Okafor", "Elizabeth", "1975-12-01"))
    res = match_entities(doc("Baxter", "Bob", "1980-03-05"), r, CFG)
    files_to(res, 1)
    assert "nickname" in res.candidates[0].reasons["given_name"]
    files_to(match_entities(doc("Okafor", "Liz", "1975-12-01"), r, CFG), 2)


def test_maiden_name_needs_alias_and_alias_still_needs_dob() -> None:
    p = pt(1, "Whitaker", "Mary", "1961-07-21")
    without = match_entities(doc("Lindqvist", "Mary", "1961-07-21"), roster(p), CFG)
    reviews(without)
    assert without.grade == PROBABLE
    r = roster(p, aliases=[Alias(patient_id=1, family_name="Lindqvist")])
    res = match_entities(doc("Lindqvist", "Mary", "1961-07-21"), r, CFG)
    files_to(res, 1)
    assert "alias" in res.candidates[0].reasons["family_name"]
    # an alias match alone (name + MRN, no DOB) must not be certain
    no_dob = match_entities(doc("Lindqvist", "Mary", mrn="CF100001"), r, CFG)
    reviews(no_dob, "not certain: name matched through an alias")
    # and a conflicting DOB is still a conflict
    reviews(match_entities(doc("Lindqvist", "Mary", "1963-02-14"), r, CFG), DOB_CONFLICT)


def test_maiden_name_kept_as_roster_middle_name_files_with_dob() -> None:
    r = roster(pt(1, "Whitaker", "Mary", "1961-07-21", middle="Lindqvist"))
    res = match_entities(doc("Lindqvist", "Mary", "1961-07-21"), r, CFG)
    files_to(res, 1)
    reviews(match_entities(doc("Lindqvist", "Mary", mrn="CF100001"), r, CFG))


@pytest.mark.parametrize("family", ["Garcia-Lopez", "Garcia Lopez", "GARCIA LOPEZ", "Garcia", "Lopez"])
def test_hyphenated_double_barrelled_names(family: str) -> None:
    r = roster(pt(1, "Garcia-Lopez", "Maria", "1990-01-20"))
    files_to(match_entities(doc(family, "Maria", "1990-01-20"), r, CFG), 1)


@pytest.mark.parametrize(("roster_name", "doc_name"), [
    (("Núñez", "José"), ("Nunez", "Jose")),
    (("Muller", "Zoe"), ("Müller", "Zoë")),
    (("O'Brien", "Sean"), ("OBrien", "Sean")),
    (("O'Brien", "Sean"), ("O’Brien", "Sean")),
])
def test_diacritics_and_apostrophes(roster_name: tuple[str, str], doc_name: tuple[str, str]) -> None:
    r = roster(pt(1, *roster_name, "1975-11-02"))
    res = match_entities(doc(*doc_name, "1975-11-02"), r, CFG)
    files_to(res, 1)


def test_suffixes_are_stripped_but_a_conflicting_suffix_blocks_filing() -> None:
    r = roster(pt(1, "Smith Jr", "John", "1990-05-06"), pt(2, "Smith Sr", "John", "1962-08-30"))
    files_to(match_entities(doc("Smith Jr.", "John", "1990-05-06"), r, CFG), 1)
    files_to(match_entities(doc("Smith", "John", "1962-08-30"), r, CFG), 2)
    reviews(match_entities(doc("Smith Sr", "John", "1990-05-06"), r, CFG), "not certain: generational suffix")


def test_swapped_day_month_needs_corroboration() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05", phone="(555) 222-1111"))
    alone = match_entities(doc("Baxter", "Robert", "1980-05-03"), r, CFG)
    reviews(alone)
    assert alone.grade == PROBABLE
    assert "day/month swapped" in alone.candidates[0].reasons["dob"]
    files_to(match_entities(doc("Baxter", "Robert", "1980-05-03", mrn="CF100001"), r, CFG), 1)
    files_to(match_entities(doc("Baxter", "Robert", "1980-05-03", phone="+15552221111"), r, CFG), 1)


def test_ocr_confusable_dob_digit_is_near_not_conflict() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1986-03-05"))
    res = match_entities(doc("Baxter", "Robert", "1988-03-05", mrn="CF100001"), r, CFG)
    files_to(res, 1)
    assert "OCR-confusable digit" in res.candidates[0].reasons["dob"]


def test_ocr_confusable_mrn_digit() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05", mrn="CF123456"))
    res = match_entities(doc("Baxter", "Robert", "1980-03-05", mrn="CF123458"), r, CFG)
    files_to(res, 1)
    assert "OCR-confusable digit" in res.candidates[0].reasons["mrn"]
    letters = match_entities(doc("Baxter", "Robert", mrn="CF12345G"), r, CFG)
    files_to(letters, 1)
    assert "letters as digits" in letters.candidates[0].reasons["mrn"]
    # a near MRN plus the name, without a DOB, is not enough
    reviews(match_entities(doc("Baxter", "Robert", mrn="CF123458"), r, CFG), "not certain")


def test_mrn_that_exactly_belongs_to_someone_is_never_near_for_another() -> None:
    r = roster(pt(3, "Abernathy", "Priya", "2000-01-01", mrn="CF100003"),
               pt(5, "Abernathy", "Priya", "2000-01-02", mrn="CF100005"))
    res = match_entities(doc("Abernathy", "Priya", "2000-01-02", mrn="CF100003"), r, CFG)
    reviews(res)  # the MRN says patient 3, the DOB says patient 5
    assert {DOB_CONFLICT, MRN_CONFLICT} & set(res.review_reasons)
    five = next(c for c in res.candidates if c.patient_id == 5)
    assert five.reasons["mrn"].startswith("conflicts") and five.grade != CERTAIN


def test_mrn_of_another_patient_conflicts() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"), pt(2, "Okafor", "Grace", "1955-09-17"))
    res = match_entities(doc("Baxter", "Robert", "1980-03-05", mrn="CF100002"), r, CFG)
    reviews(res, MRN_CONFLICT)
    assert res.grade != CERTAIN


def test_foreign_ids_are_never_trusted_for_or_against() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"), pt(2, "Okafor", "Grace", "1955-09-17"))
    files_to(match_entities(doc("Baxter", "Robert", "1980-03-05", foreign="VC004411"), r, CFG), 1)
    both = match_entities(doc("Baxter", "Robert", "1980-03-05", mrn="CF100001", foreign="H12345678"), r, CFG)
    files_to(both, 1)
    # another facility's number that happens to be patient 2's MRN neither blocks nor files to patient 2
    files_to(match_entities(doc("Baxter", "Robert", "1980-03-05", foreign="CF100002"), r, CFG), 1)
    stranger = match_entities(doc("Yamamoto", "Ken", "1999-09-09", foreign="CF100002"), r, CFG)
    reviews(stranger, NOT_IN_ROSTER)


def test_unknown_patient_reviews_and_creates_nobody() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"))
    res = match_entities(doc("Yamamoto", "Ken", "1999-09-09"), r, CFG)
    reviews(res, NOT_IN_ROSTER)
    assert res.grade == NONE and res.score <= CFG.possible_score
    assert len(r) == 1 + len(FILLERS)


def test_two_patients_in_one_document_reviews() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"), pt(2, "Okafor", "Grace", "1955-09-17"))
    e = doc("Baxter", "Robert", "1980-03-05")
    e.patient_names.append(NameMention("Okafor", "Grace", source="label"))
    e.dobs.append(ValueMention("1955-09-17", label="DOB"))
    res = match_entities(e, r, CFG)
    reviews(res, MULTI_PATIENT)


def test_same_patient_mentioned_twice_is_one_patient() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"))
    e = doc("Baxter", "Robert", "1980-03-05")
    e.patient_names += [NameMention("BAXTER", "Bob", source="label"), NameMention("Baxtcr", "Robert", source="label")]
    e.patient_names.append(NameMention("Lindqvist", "Anna", source="inline"))  # e.g. "mother: ..." in the text
    files_to(match_entities(e, r, CFG), 1)


@pytest.mark.parametrize("family", ["Srnith", "Smtih", "Smiht"])
def test_ocr_typos_in_names(family: str) -> None:
    r = roster(pt(1, "Smith", "Harold", "1944-02-28"))
    res = match_entities(doc(family, "Harold", "1944-02-28"), r, CFG)
    files_to(res, 1)


def test_both_name_parts_fuzzy_needs_an_mrn() -> None:
    r = roster(pt(1, "Smith", "Harold", "1944-02-28"))
    reviews(match_entities(doc("Srnith", "Harlod", "1944-02-28"), r, CFG), "not certain")
    files_to(match_entities(doc("Srnith", "Harlod", "1944-02-28", mrn="CF100001"), r, CFG), 1)


def test_swapped_name_order() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"))
    res = match_entities(doc("Robert", "Baxter", "1980-03-05"), r, CFG)
    files_to(res, 1)
    assert "swapped order" in res.candidates[0].reasons["family_name"]


def test_runner_up_too_close_reviews() -> None:
    r = roster(pt(1, "Smith", "Jon", "1970-01-01", address="1 Oak St"),
               pt(2, "Smith", "John", "1970-01-01", address="99 Pine Rd"))
    res = match_entities(doc("Smith", "Jon", "1970-01-01"), r, CFG)
    reviews(res, "runner-up too close")
    assert res.candidates[0].patient_id == 1


def test_sex_conflict_lowers_the_score() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05", sex="M"))
    agree = match_entities(doc("Baxter", "Robert", "1980-03-05", sex="M"), r, CFG)
    differ = match_entities(doc("Baxter", "Robert", "1980-03-05", sex="F"), r, CFG)
    assert differ.score < agree.score
    assert differ.candidates[0].reasons["sex"].startswith("differs")


def test_rare_name_counts_more_than_common_name() -> None:
    smiths = [pt(10 + i, "Smith", g, f"19{60 + i}-02-0{1 + i % 9}") for i, g in enumerate(
        ["Ann", "Bea", "Cal", "Dee", "Eve", "Fay", "Gus", "Hal", "Ida", "Jay"] * 3)]
    r = Roster([pt(1, "Smith", "Robert", "1980-03-05"), pt(2, "Zabrowski", "Robert", "1980-03-06"), *smiths])
    common = match_entities(doc("Smith", "Robert", "1980-03-05"), r, CFG).candidates[0]
    rare = match_entities(doc("Zabrowski", "Robert", "1980-03-06"), r, CFG).candidates[0]
    weight = lambda c: float(c.reasons["family_name"].rsplit(" ", 1)[1])  # noqa: E731
    assert weight(rare) > weight(common)


def test_result_shape_and_candidate_cap() -> None:
    many = [pt(i, "Smith", "John", f"19{50 + i}-01-01", address=f"{i} Rd {i}") for i in range(1, 12)]
    res = match_entities(doc("Smith", "John"), Roster(many), CFG)
    assert res.decision == "review" and len(res.candidates) <= 5
    assert [c.score for c in res.candidates] == sorted((c.score for c in res.candidates), reverse=True)
    assert all(c.grade in ("certain", "probable", "possible", "none") for c in res.candidates)


def test_aliases_learned_in_place_are_used_next_time() -> None:
    r = roster(pt(1, "Whitaker", "Mary", "1961-07-21"))
    e = doc("Lindqvist", "Mary", "1961-07-21")
    reviews(match_entities(e, r, CFG))
    assert r.add_aliases([Alias(1, "Lindqvist"), Alias(1, "Lindqvist"), Alias(12345, "Nobody")]) == 1
    files_to(match_entities(e, r, CFG), 1)
    # a name-only document under the alias is still not enough
    reviews(match_entities(doc("Lindqvist", "Mary"), r, CFG))


def test_alias_with_nickname_given_name_is_found_by_blocking_without_dob() -> None:
    r = roster(pt(1, "Whitaker", "Elizabeth", "1961-07-21", mrn="CF555555"),
               aliases=[Alias(1, "Lindqvist", "Betsy")])
    res = match_entities(doc("Lindqvist", "Betsy", mrn="CF555555"), r, CFG)
    reviews(res, "not certain: name matched through an alias")
    assert res.candidates[0].patient_id == 1


def test_several_weak_conflicts_add_up_to_review() -> None:
    r = roster(pt(1, "Smith", "Amy", "1970-09-12", middle="Carol", phone="(555) 299-6070", address="1245 Elm Ct"))
    stranger = doc("Smith", "Amy", "1970-09-12", middle="Hannah", phone="+15554412964")
    stranger.address = "3968 Walnut Rd Unit 5, Boise, ID"
    res = match_entities(stranger, r, CFG)
    reviews(res)
    assert res.candidates[0].reasons["middle_name"].startswith("differs")
    moved = doc("Smith", "Amy", "1970-09-12", phone="+15554412964")  # same person, new number
    files_to(match_entities(moved, r, CFG), 1)


def test_compound_given_names() -> None:
    r = roster(pt(1, "Keller", "Mary Ann", "1950-10-10"))
    files_to(match_entities(doc("Keller", "Mary", "1950-10-10"), r, CFG), 1)
    files_to(match_entities(doc("Keller", "Maryann", "1950-10-10"), r, CFG), 1)
    reviews(match_entities(doc("Keller", "Mary Beth", "1950-10-10"), r, CFG), "not certain")


def test_names_sharing_a_nickname_are_not_the_same_name() -> None:
    r = roster(pt(1, "Novak", "Harold", "1985-04-08", sex="M"))
    res = match_entities(doc("Novak", "Henry", "1985-04-08"), r, CFG)  # both may be "Harry"
    reviews(res)
    assert res.grade != CERTAIN


def test_sex_conflict_needs_an_exact_mrn() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05", sex="M"))
    reviews(match_entities(doc("Baxter", "Robert", "1980-03-05", sex="F"), r, CFG), "not certain: sex differs")
    files_to(match_entities(doc("Baxter", "Robert", "1980-03-05", "CF100001", sex="F"), r, CFG), 1)


def test_going_by_the_middle_name_needs_a_clerk_once() -> None:
    r = roster(pt(1, "Smith", "Jessica", "2015-10-15", middle="Lisa"))
    e = doc("Smith", "Lisa", "2015-10-15")  # could be Jessica Lisa, or her unregistered twin Lisa
    res = match_entities(e, r, CFG)
    reviews(res, "not certain: given name does not agree")
    assert "middle name" in res.candidates[0].reasons["given_name"]
    r.add_aliases([Alias(1, "Smith", "Lisa")])
    files_to(match_entities(e, r, CFG), 1)


def test_an_unqualified_mrn_counts_only_when_the_roster_agrees() -> None:
    r = roster(pt(1, "Baxter", "Robert", "1980-03-05"), pt(2, "Okafor", "Grace", "1955-09-17"))
    e = doc("Baxter", "Robert")
    e.mrns.append(ValueMention("CF100001", label="MRN", scheme="plain"))
    files_to(match_entities(e, r, CFG), 1)  # name + a bare "MRN:" that is exactly his
    other = doc("Baxter", "Robert", "1980-03-05")
    other.mrns.append(ValueMention("CF100002", label="MRN", scheme="plain"))  # somebody else's number
    files_to(match_entities(other, r, CFG), 1)  # not a conflict: whose number it is was never said
    alone = doc("Okafor", "Gail")
    alone.mrns.append(ValueMention("CF100001", label="MRN", scheme="plain"))
    reviews(match_entities(alone, r, CFG))  # the roster does not agree: no MRN evidence at all

"""Property tests of the matcher's safety rules (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indexer.matching import Roster, RosterPatient, match_entities
from indexer.matching.normalize import date_relation, nickname_equivalent
from intake.config import MatchConfig
from intake.model import Entities, NameMention, ValueMention

CFG = MatchConfig()
FAMILIES = ["Abernathy", "Brennan", "Castillo", "Dempsey", "Ellison", "Fontaine", "Gallagher", "Halvorsen",
            "Iverson", "Kowalski", "Mahoney", "Nakamura", "Okafor", "Prescott", "Rasmussen", "Takahashi"]
GIVENS = ["Olivia", "Harold", "Priya", "Walter", "Grace", "Mateo", "Judith", "Raymond", "Sophia", "Linh"]
OUTSIDERS = [("Quenneville", "Xavier"), ("Yeboah", "Zainab"), ("Vukovic", "Ulrich")]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_name_pools_are_well_separated() -> None:
    for a, b in itertools.combinations(GIVENS, 2):
        assert not nickname_equivalent(a.lower(), b.lower())


dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31))


@st.composite
def rosters(draw: st.DrawFn, min_size: int = 1) -> list[RosterPatient]:
    n = draw(st.integers(min_size, 12))
    out = []
    for i in range(1, n + 1):
        out.append(RosterPatient(
            id=i, mrn=f"CF{100000 + i:06d}", family_name=draw(st.sampled_from(FAMILIES)),
            given_name=draw(st.sampled_from(GIVENS)), middle_name=None, dob=draw(dates).isoformat(),
            sex=draw(st.sampled_from(["F", "M", None])), phone=None,
            address=draw(st.sampled_from([None, f"{i} Elm St", "7 Oak Ave"])), city=None, state=None,
            postal_code=None,
        ))
    return out


@st.composite
def documents(draw: st.DrawFn, patients: list[RosterPatient]) -> Entities:
    """A document loosely about one roster patient: names, DOB and MRN each right, wrong or missing."""
    p = draw(st.sampled_from(patients))
    other = draw(st.sampled_from(patients))
    fam, giv = (p.family_name, p.given_name) if draw(st.booleans()) else (other.family_name, p.given_name)
    if draw(st.booleans()):
        fam, giv = giv, fam
    e = Entities(patient_names=[NameMention(fam, giv, source="label")])
    dob_choice = draw(st.sampled_from(["right", "random", "none", "other"]))
    dob = {"right": p.dob, "other": other.dob, "none": None, "random": draw(dates).isoformat()}[dob_choice]
    if dob:
        e.dobs.append(ValueMention(dob, label="DOB"))
    mrn_choice = draw(st.sampled_from(["right", "other", "none", "foreign"]))
    if mrn_choice in ("right", "other"):
        e.mrns.append(ValueMention((p if mrn_choice == "right" else other).mrn, scheme="own"))
    elif mrn_choice == "foreign":
        e.mrns.append(ValueMention("VC123456", scheme="foreign"))
    e.sex = draw(st.sampled_from(["F", "M", None]))
    return e


@st.composite
def roster_and_doc(draw: st.DrawFn) -> tuple[list[RosterPatient], Entities]:
    patients = draw(rosters())
    return patients, draw(documents(patients))


@SETTINGS
@given(roster_and_doc())
def test_never_files_to_a_patient_whose_dob_or_mrn_conflicts(case: tuple[list[RosterPatient], Entities]) -> None:
    patients, e = case
    res = match_entities(e, Roster(patients), CFG)
    if res.decision != "file":
        assert res.patient_id is None
        return
    filed = next(p for p in patients if p.id == res.patient_id)
    for d in e.dobs:
        assert filed.dob is not None
        level, _ = date_relation(dt.date.fromisoformat(d.value), dt.date.fromisoformat(filed.dob))
        assert level != "conflict"
    own = [m.value for m in e.mrns if m.scheme == "own"]
    assert not own or filed.mrn in own
    assert res.grade == "certain" and res.review_reasons == []
    assert own or e.dobs, "filing needs an MRN or a DOB besides the name"


@SETTINGS
@given(roster_and_doc())
def test_filing_respects_margin_and_foreign_rule(case: tuple[list[RosterPatient], Entities]) -> None:
    patients, e = case
    res = match_entities(e, Roster(patients), CFG)
    if res.decision == "file":
        if len(res.candidates) > 1:
            assert res.candidates[0].score - res.candidates[1].score >= CFG.min_margin
    # another facility's identifiers are never trusted: neither for nor against a patient
    without = replace(e, mrns=[m for m in e.mrns if m.scheme != "foreign"])
    again = match_entities(without, Roster(patients), CFG)
    assert (again.decision, again.patient_id) == (res.decision, res.patient_id)


@SETTINGS
@given(roster_and_doc(), st.sampled_from(OUTSIDERS), st.integers(1, 28), st.data())
def test_adding_an_unrelated_patient_never_files_to_a_different_patient(
    case: tuple[list[RosterPatient], Entities], outsider: tuple[str, str], day: int, data: st.DataObject
) -> None:
    patients, e = case
    before = match_entities(e, Roster(patients), CFG)
    stranger = RosterPatient(
        id=999, mrn="CF999999", family_name=outsider[0], given_name=outsider[1], middle_name=None,
        dob=f"1901-02-{day:02d}", sex=data.draw(st.sampled_from(["F", "M"])), phone=None,
        address=data.draw(st.sampled_from([None, "7 Oak Ave"])), city=None, state=None, postal_code=None,
    )
    after = match_entities(e, Roster([*patients, stranger]), CFG)
    if after.decision == "file":
        assert after.patient_id != 999
        if before.decision == "file":
            assert after.patient_id == before.patient_id
        else:  # only ever the same best candidate, never someone else
            assert before.candidates and before.candidates[0].patient_id == after.patient_id


@SETTINGS
@given(roster_and_doc(), st.randoms(use_true_random=False))
def test_roster_order_does_not_matter(case: tuple[list[RosterPatient], Entities], rnd: random.Random) -> None:
    patients, e = case
    shuffled = list(patients)
    rnd.shuffle(shuffled)
    a, b = match_entities(e, Roster(patients), CFG), match_entities(e, Roster(shuffled), CFG)
    assert (a.decision, a.patient_id, a.grade) == (b.decision, b.patient_id, b.grade)
    assert [c.patient_id for c in a.candidates] == [c.patient_id for c in b.candidates]


@SETTINGS
@given(rosters(min_size=2), st.data())
def test_patient_missing_from_roster_is_never_filed_elsewhere(
    patients: list[RosterPatient], data: st.DataObject
) -> None:
    gone = data.draw(st.sampled_from(patients))
    rest = [p for p in patients if p.id != gone.id]
    assume(not any((p.family_name, p.given_name, p.dob) == (gone.family_name, gone.given_name, gone.dob)
                   for p in rest))
    e = Entities(patient_names=[NameMention(gone.family_name, gone.given_name, source="label")],
                 dobs=[ValueMention(gone.dob or "", label="DOB")])
    res = match_entities(e, Roster(rest), CFG)
    # not even a namesake with an OCR-near DOB: name + near DOB needs a corroborating MRN/phone/address
    assert res.decision == "review" and res.patient_id is None

"""Guarded filing: which identifiers on a document contradict the patient a clerk chose (issue 18)."""

from __future__ import annotations

from indexer.matching import Alias, Roster, RosterPatient
from indexer.matching.identity import IdField, contradictions
from intake.model import Entities, NameMention, ValueMention


def pt(pid: int, family: str, given: str, dob: str, sex: str, mrn: str, middle: str | None = None) -> RosterPatient:
    return RosterPatient(id=pid, mrn=mrn, family_name=family, given_name=given, middle_name=middle, dob=dob, sex=sex)


JESSICA = pt(1, "Garcia", "Jessica", "1983-06-03", "F", "CF828448")
SAMUEL = pt(2, "Garcia", "Samuel", "1979-11-20", "M", "CF828449")
ROBERT = pt(3, "Whitfield", "Robert", "1961-02-14", "M", "CF100003")
MARIA = pt(4, "Garcia-Lopez", "Maria", "1990-09-09", "F", "CF100004")
ANNA = pt(5, "Novak", "Anna", "1975-04-22", "F", "CF100005")
MARY_ANN = pt(6, "Keller", "Mary Ann", "2001-03-05", "F", "CF100006")
ROSTER = Roster([JESSICA, SAMUEL, ROBERT, MARIA, ANNA, MARY_ANN])


def doc(family: str, given: str, dob: str | None = None, sex: str | None = None, mrn: str | None = None) -> Entities:
    e = Entities(patient_names=[NameMention(family=family, given=given, source="label")], sex=sex)
    if dob:
        e.dobs.append(ValueMention(dob, label="DOB"))
    if mrn:
        e.mrns.append(ValueMention(mrn, label="MRN", scheme="own"))
    return e


def fields(entities: Entities, patient: RosterPatient, roster: Roster = ROSTER) -> list[IdField]:
    return [c.field for c in contradictions(entities, roster, patient.id)]


def test_samuel_garcia_into_jessica_garcia_is_refused() -> None:
    """The issue's case: same family name, different given name and sex (and DOB)."""
    found = contradictions(doc("Garcia", "Samuel", "1979-11-20", "M"), ROSTER, JESSICA.id)
    assert [c.field for c in found] == [IdField.NAME, IdField.DOB, IdField.SEX]
    assert str(found[0]) == "name differs: the document says Samuel Garcia, the chart says Jessica Garcia"
    assert fields(doc("Garcia", "Samuel", sex="M"), JESSICA) == [IdField.NAME, IdField.SEX]
    assert fields(doc("Garcia", "Samuel"), JESSICA) == [IdField.NAME]  # the given name alone is enough


def test_the_right_patient_has_no_contradiction() -> None:
    assert fields(doc("Garcia", "Samuel", "1979-11-20", "M", "CF828449"), SAMUEL) == []


def test_nickname_is_not_a_contradiction() -> None:
    assert fields(doc("Whitfield", "Bob", "1961-02-14", "M"), ROBERT) == []
    assert fields(doc("Whitfield", "Bobby"), ROBERT) == []


def test_maiden_name_with_the_same_dob_is_a_name_change() -> None:
    assert fields(doc("Kowalski", "Anna", "1975-04-22", "F"), ANNA) == []


def test_changed_family_name_without_a_dob_needs_an_override() -> None:
    [c] = contradictions(doc("Kowalski", "Anna"), ROSTER, ANNA.id)
    assert c.field is IdField.NAME and "no matching date of birth" in c.detail


def test_changed_family_name_with_another_dob_is_two_contradictions() -> None:
    assert fields(doc("Kowalski", "Anna", "1975-05-22"), ANNA) == [IdField.NAME, IdField.DOB]


def test_hyphenated_swapped_and_ocr_variants_are_tolerated() -> None:
    assert fields(doc("Garcia", "Maria", "1990-09-09"), MARIA) == []  # one part of a double-barrelled name
    assert fields(doc("Lopez", "Maria"), MARIA) == []
    assert fields(doc("Jessica", "Garcia", "1983-06-03"), JESSICA) == []  # family/given swapped
    assert fields(doc("Garcla", "Jessica", "1983-03-06"), JESSICA) == []  # OCR typo; day/month swapped


def test_sisters_with_similar_given_names_are_not_the_same_person() -> None:
    assert fields(doc("Keller", "Mary Beth", "2001-03-05", "F"), MARY_ANN) == [IdField.NAME]


def test_mrn_of_another_patient_contradicts() -> None:
    [c] = contradictions(doc("Garcia", "Jessica", mrn="CF828449"), ROSTER, JESSICA.id)
    assert c.field is IdField.MRN and c.detail == "MRN is another patient's"
    assert fields(doc("Garcia", "Jessica", mrn="CF828443"), JESSICA) == []  # one OCR-confusable digit (3/8)


def test_a_clerk_confirmed_alias_fits() -> None:
    roster = Roster([ANNA, JESSICA], [Alias(patient_id=ANNA.id, family_name="Kowalski", given_name="Anna")])
    assert fields(doc("Kowalski", "Anna"), ANNA, roster) == []


def test_nothing_read_nothing_contradicted() -> None:
    assert fields(Entities(), JESSICA) == []

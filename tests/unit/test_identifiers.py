"""Identifier reading: the office MRN format learned from the roster, whose number a label announces,
patient-name labels and damaged birth dates (no OCR involved)."""

from __future__ import annotations

from datetime import date

import pytest

from intake.config import Config
from intake.entities import EntityExtractor
from intake.identifiers import OrgName, Owner, label_owner, qualifier_words
from intake.model import PageText, RosterLexicon
from intake.mrnformat import MrnFormat, check_ok, from_pattern, learn
from intake.patient_ids import NameLabel, cut_name_value, name_label, read_dob

TODAY = date(2026, 11, 23)


# ---------------------------------------------------------------- MRN format
def _luhn(body: str) -> str:
    return next(body + d for d in "0123456789" if check_ok(body + d, "luhn"))


def test_learns_prefix_and_digits() -> None:
    fmt = learn([f"CF{n:06d}" for n in range(100000, 100050)])
    assert fmt is not None and (fmt.prefix, fmt.min_digits, fmt.max_digits, fmt.check) == ("CF", 6, 6, None)
    assert fmt.normalise("CF 12B4S6") == "CF128456" and fmt.normalise("CF12345") is None
    assert "prefix 'CF' + 6 digits" in fmt.describe()


def test_learns_plain_digits_and_a_consistent_check_digit() -> None:
    plain = learn([str(10000000 + 7919 * i) for i in range(60)])
    assert plain is not None and (plain.prefix, plain.min_digits, plain.check) == ("", 8, None)
    luhn = learn([_luhn(str(1000000 + 7919 * i)) for i in range(60)])
    assert luhn is not None and luhn.check == "luhn"
    good = _luhn("1234567")
    assert luhn.fits(good) and not luhn.fits(good[:-1] + str((int(good[-1]) + 1) % 10))
    few = learn([_luhn(str(1000000 + i)) for i in range(5)])  # too few to tell a check digit from chance
    assert few is not None and few.check is None


def test_no_format_when_the_roster_shares_none() -> None:
    assert learn(["A1", "BB22222", "C-333", "4444444444", "x"]) is None
    assert learn([]) is None


def test_format_round_trip_and_setting() -> None:
    fmt = learn([str(20000000 + i) for i in range(40)])
    assert fmt is not None and MrnFormat.from_json(fmt.to_json()) == fmt
    assert from_pattern(r"MS\d{5}") == MrnFormat("MS", 5, 5, None, "setting")
    assert from_pattern(r"\d{7,9}") == MrnFormat("", 7, 9, None, "setting")
    assert from_pattern(r"[A-Z]{2}\d+") is None


# ---------------------------------------------------------------- whose number
HARBOR = OrgName.of("Harbor Neurology Group")


@pytest.mark.parametrize("line, owner", [
    ("Your MRN: 12345678", Owner.OURS),
    ("Ref MRN (Maple Grove): 12345678", Owner.OURS),
    ("Office use - MRN: 12345678", Owner.OURS),
    ("Client Pt ID: 12345678", Owner.OURS),
    ("Maple Grove MRN: 12345678", Owner.OURS),  # an organisation that is not the sender: the recipient
    ("Harbor MRN: 12345678", Owner.THEIRS),  # the sender's own number
    ("HNG MRN: 12345678", Owner.THEIRS),  # ... by its initials
    ("Lab Pt ID: 12345678", Owner.THEIRS),
    ("MRN: 12345678", Owner.UNSAID),
    ("Sex: Male MRN: 12345678", Owner.UNSAID),
])
def test_label_owner(line: str, owner: Owner) -> None:
    label = "Pt ID" if "Pt ID" in line else "MRN"
    start = line.index(label)
    words = qualifier_words(line, start, start + len(label))
    assert label_owner(label, words, [HARBOR] if HARBOR else [], []) is owner


def test_configured_office_name_makes_it_ours() -> None:
    office = OrgName.of("Maple Grove Health")
    assert office is not None
    assert label_owner("MRN", ["MGH"], [], [office]) is Owner.OURS


# ---------------------------------------------------------------- name labels and values
@pytest.mark.parametrize("line, strength", [
    ("Patient Name: X", NameLabel.STRONG), ("Name: X", NameLabel.WEAK), ("RE: X", NameLabel.WEAK),
    ("PCP Name: X", None), ("Provider Name: X", None), ("Member Name X", NameLabel.WEAK),
])
def test_name_label(line: str, strength: NameLabel | None) -> None:
    label = line.split(":")[0].split(" X")[0]
    label = label.split()[-1] if label.split()[0] in ("PCP", "Provider") else label
    assert name_label(label, line, line.index(label)) is strength


@pytest.mark.parametrize("value, name", [
    ("Stacey Michelle Edwards Specimen #: TC266461712", "Stacey Michelle Edwards"),
    ("SMITH, JOHN A (Age 45)", "SMITH, JOHN A"), ("Erin Hickman   Acct: 1", "Erin Hickman"),
])
def test_cut_name_value(value: str, name: str) -> None:
    assert cut_name_value(value) == name


@pytest.mark.parametrize("value, iso", [
    ("9 30 1983", "1983-09-30"), ("1945 06-29 Collected", "1945-06-29"), ("-3(25/1965 a", "1965-03-25"),
    ("03/04/1957", "1957-03-04"), ("67 10-2010", "2010-07-10"),  # 6 for 0, repaired to the roster DOB
])
def test_read_damaged_dob(value: str, iso: str) -> None:
    read = read_dob(value, TODAY, {"2010-07-10", "1957-03-04"})
    assert read is not None and read.iso == iso


def test_dob_repair_needs_exactly_one_roster_date() -> None:
    assert read_dob("67 10-2010", TODAY, set()) is None  # no roster DOB one slip away: unread
    assert read_dob("02 30 2010", TODAY, {"2010-07-30"}).iso == "2010-07-30"  # type: ignore[union-attr]
    assert read_dob("02 30 2010", TODAY, {"2011-07-30"}) is None
    assert read_dob("06 31 2010", TODAY, {"2010-05-31", "2010-08-31"}) is None  # 5 or 8 for the 6: unsure


# ---------------------------------------------------------------- the extractor, end to end
ROSTER = [("Ramos", "Sarah"), ("Hickman", "Erin"), ("Smith-Jones", "Laura"), ("Edwards", "Stacey")]


def extract(text: str, mrn_format: str | None = None):  # type: ignore[no-untyped-def]
    fmt = mrn_format or MrnFormat("", 8, 8).to_json()
    ex = EntityExtractor(Config(), RosterLexicon(ROSTER, ["1995-05-16"], ["12345678"], fmt))
    return ex.extract([PageText(1, text, "ocr")])


def test_eight_digit_numbers_are_ours_only_by_label() -> None:
    ent = extract("Harbor Neurology Group\nPatient: HICKMAN, ERIN  DOB: 05/16/1995\nYour MRN: 12345678\n"
                  "Acct #: 87654321  Order 11223344 Claim 55667788\nHarbor MRN: 99887766\nMRN: 13572468\n")
    got = {(m.value, m.scheme) for m in ent.mrns}
    assert ("12345678", "own") in got and ("99887766", "foreign") in got and ("13572468", "plain") in got
    assert not any(m.value in ("11223344", "55667788") for m in ent.mrns)  # unlabelled numbers: nobody's
    assert not any(m.value == "87654321" and m.scheme != "foreign" for m in ent.mrns)


def test_subject_lines_and_other_peoples_name_labels_are_not_the_patient() -> None:
    ent = extract("RE: Prior Authorization Determination\nMember: Erin Hickman\nBirth Date: 05/16/1995\n"
                  "PCP Name: Dr Priya Raman\n")
    assert [(n.family, n.given) for n in ent.patient_names if n.source == "label"] == [("Hickman", "Erin")]


def test_name_labels_without_colon_and_full_middle_names_and_name_parts() -> None:
    assert ("Ramos", "Sarah") in {(n.family, n.given) for n in extract("Patient RAMOS, SARAH\n").patient_names}
    ent = extract("Patient Name: Stacey Michelle Edwards Specimen #: TC266461712\n")
    assert [(n.family, n.given, n.source) for n in ent.patient_names][:1] == [("Edwards", "Stacey", "label")]
    part = extract("Claimant: Laura Smith Date of Birth: November 4, 1961\n")
    assert ("Smith", "Laura") in {(n.family, n.given) for n in part.patient_names}  # the document's part


def test_mangled_dob_labels() -> None:
    for label in ("OOB:", "0OB:", "D0B:", "Date of Blrth:"):
        ent = extract(f"Patient: HICKMAN, ERIN {label} 05/16/1995\n")
        assert [d.value for d in ent.dobs] == ["1995-05-16"], label


def test_column_headers_take_their_values_from_the_line_below() -> None:
    ent = extract("PATIENT INFORMATION\nLAST NAME FIRST NAME MIDDLE\nRamos Sarah T\n"
                  "DATE OF BIRTH (MM/DD/YYYY) SEX SSN (last 4 only)\n09/23/1990 F 7576\n")
    assert ("Ramos", "Sarah", "label") in {(n.family, n.given, n.source) for n in ent.patient_names}
    assert [d.value for d in ent.dobs] == ["1990-09-23"]


@pytest.mark.parametrize("line", [
    "Patient: HICKMAN. ERIN DPOB 05/16/1995",  # comma read as a full stop, a stray mark in DOB
    "Pt Name: Hickman. Erin DOB: May 16. 1995 (Age 30)",
    "Name: ERIN HICKMAN Oate of Birth: 05/16/1995",
])
def test_ocr_slips_around_identifiers(line: str) -> None:
    ent = extract(line + "\n")
    assert [(n.family, n.given, n.source) for n in ent.patient_names][:1] == [("Hickman", "Erin", "label")], line
    assert [d.value for d in ent.dobs] == ["1995-05-16"], line


def test_a_bar_between_name_words_is_a_misread_initial_not_a_separator() -> None:
    from intake.patient_ids import cut_name_value

    assert cut_name_value("Nicholas | Blackwell") == "Nicholas Blackwell"  # OCR read the middle "J" as "|"
    assert cut_name_value("Smith | DOB: 01/02/1990") == "Smith"  # a bar before another label still cuts
    assert cut_name_value("Smith, John | MRN: 4471") == "Smith, John"

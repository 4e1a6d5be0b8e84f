"""Unit and test-name repair (intake/unitfix.py): misreads in result rows are repaired, nothing else is."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake import unitfix
from intake.unitfix import Need, fixes, repair


def test_misread_units_in_result_rows_are_repaired() -> None:
    assert repair("BUN 17 mg/dt 7-20") == "BUN 17 mg/dL 7-20"
    assert repair("HEMOGLOBIN 14.7 g/dt 12.0-17.0") == "HEMOGLOBIN 14.7 g/dL 12.0-17.0"
    assert repair("WBC 7.8 4.0-11.0 x1043/uL") == "WBC 7.8 4.0-11.0 x10^3/uL"
    assert repair("RBC 4.9 X10*6/uL 4.20-5.80") == "RBC 4.9 x10^6/uL 4.20-5.80"
    assert repair("ALT 30 UiL 7-56") == "ALT 30 U/L 7-56"
    assert repair("eGFR 85 mLimin/t.73m2 >=60") == "eGFR 85 mL/min/1.73m2 >=60"


def test_a_flag_may_stand_between_value_and_unit() -> None:
    assert repair("ALBUMIN 5.8 H g/db 3.5-5.0") == "ALBUMIN 5.8 H g/dL 3.5-5.0"


def test_vital_signs_need_only_the_value_before() -> None:
    assert repair("Wt 171 Ib") == "Wt 171 lb"
    assert repair("No lifting over 10 Ib, for 2 weeks") == "No lifting over 10 lb, for 2 weeks"


def test_case_and_a_lost_last_letter_need_a_result_row() -> None:
    assert repair("Glucose 97 mg/dl 70-99") == "Glucose 97 mg/dL 70-99"
    assert repair("Glucose 97 70-99 mg/dl") == "Glucose 97 70-99 mg/dL"
    assert repair("BUN 16 mg/d 7-20") == "BUN 16 mg/dL 7-20"
    assert repair("Calcium 10.2 8.6-10.3 mg/d-") == "Calcium 10.2 8.6-10.3 mg/dL"
    assert repair("aspirin 81 mg/d") == "aspirin 81 mg/d"  # milligrams a day, as written
    assert repair("atorvastatin 40 mg/d; LDL goal <70") == "atorvastatin 40 mg/d; LDL goal <70"
    assert repair("max 3 g/d, protein 60-80 g/d") == "max 3 g/d, protein 60-80 g/d"


def test_a_speck_read_as_a_stop_after_a_rows_unit_is_dropped() -> None:
    assert repair("Albumin 3.6 3.5-5.0 g/dL.") == "Albumin 3.6 3.5-5.0 g/dL"
    assert repair("Glucose 97 mg/dL. 70-99") == "Glucose 97 mg/dL 70-99"
    assert repair("BUN 17 mg/dt, 7-20") == "BUN 17 mg/dL 7-20"  # repaired and its speck dropped
    assert repair("Below 100 mg/dL.") == "Below 100 mg/dL."  # a sentence's stop: no result row
    assert repair("Take 5 mL. Repeat in 2-3 days") == "Take 5 mL. Repeat in 2-3 days"
    assert repair("amoxicillin 400 mg/5 mL. 10 mL twice daily") == "amoxicillin 400 mg/5 mL. 10 mL twice daily"
    assert repair("Vitamin D 1000 IU. 2-3 months") == "Vitamin D 1000 IU. 2-3 months"
    assert repair("Potassium 3.2 3.5-5.1 mmol/L. KCl 20 meq PO") == "Potassium 3.2 3.5-5.1 mmol/L. KCl 20 meq PO"
    assert repair("Potassium 3.2 3.5-5.1 mmol/L, repeat") == "Potassium 3.2 3.5-5.1 mmol/L, repeat"
    assert repair("Creatinine 2.01 0.60-1.30 mg/dL. H") == "Creatinine 2.01 0.60-1.30 mg/dL H"


@pytest.mark.parametrize("line", [
    "walks 2 mi daily", "Walked 2 mi; HR 72-88", "Tampa, FL 33601", "see my 2 notes", "Temp 97.2 F",
    "Height 5 ft 10 in, BMI 24.1, normal 18.5-24.9", "Ensure 8 fl oz BID, goal weight 150-160 lb",
    "Her A1c was 7.2 in my office, goal <7.0.", "Smoking 20 py; quit 1-2 years ago",
    "Potassium 3.2 3.5-5.1 mmol/L; KCl 20 meq PO x1", "levothyroxine 88 meg daily",
    "Lantus 10 U at bedtime; FBG 80-130", "EPO 10,000 U weekly, Hgb goal 10-11", "Sodium <2 g daily",
    "Protein 60-80 g daily", "Height 1.78 m, BMI 18.5-24.9", "Levothyroxine 50 ug daily, TSH 0.4-4.0",
    "Vitamin D 1000-2000 IU daily", "Ferritin 12 ng 15-150", "Started atorvastatin 40 mg. Glucose 70-99.",
    "Hold metformin 500 mg. Glucose 70-99.", "Cervical cancer dx 2019, stage Ib", "Urine WBC 3-5 hpf",
    "Units mg/dt Flag", "Prednisone 40 mg/d 5-7 days", "Walk 2 mi 3-4 times a week", "Walked 2 ft 3-4 times",
    "Temp 98.6 f 97.0-99.0", "Former smoker 30 py 1980-2010", "Insulin 10 mU", "Height 5 ft 10-11 in",
    "Vitamin D 30 nmol 75-250",
])
def test_correct_text_is_left_as_written(line: str) -> None:
    assert repair(line) == line


def test_correct_units_are_never_changed() -> None:
    line = "Sodium 136 mmol/L 135-145 Volume 5 mL 1-10 Iron 60 ug/dL 50-170 Weight 70 kg"
    assert repair(line) == line


@pytest.mark.parametrize(("line", "expected"), [
    ("ROW 13.8 11.5-14.5 %", "RDW 13.8 11.5-14.5 %"),
    ("co2 25 22-29 mmol/L", "CO2 25 22-29 mmol/L"),
    ("rdw 13.8 11.5-14.5 %", "RDW 13.8 11.5-14.5 %"),
    ("C02 21 L 22-29", "CO2 21 L 22-29"),
    ("LOL 99 0-99 mg/dL", "LDL 99 0-99 mg/dL"),
    ("MCV. 88 80-100 fL", "MCV 88 80-100 fL"),
])
def test_test_names_misread_in_result_rows_are_repaired(line: str, expected: str) -> None:
    assert repair(line) == expected


@pytest.mark.parametrize("line", [
    "ALC 1.2 1.0-4.8 x10^3/uL", "RBG 145 70-140", "HGT 132 70-110", "GCT 1 145 0-140",
    "IDL 12 0-20 mg/dL", "IDH 12 0-20", "GRP 5 0-10", "MGH 30 27-33", "Row 3 Seat 5-6", "A1C 5.1 4.0-5.6 %",
    "Alc 0.08 <0.01", "ROW 3 of the form", "Hct 40 36-50", "row 3 seats 10-12", "lol 99 0-99", "aic 5.1 4.0-5.6",
    "ROW <5", "HOL <5 note", "ROW 2 chairs 3-4 wide",
])
def test_other_abbreviations_and_words_stay(line: str) -> None:
    assert repair(line) == line


def test_which_misreads_need_a_result_row_and_which_never_count() -> None:
    assert fixes()["mg/dt"].need is Need.VALUE
    for spelling in ("mg/dl", "mg/d", "mg/d-", "mg/d.", "meg", "gid", "UL", "hpf", "mi", "ft", "fl", "py", "my", "tb"):
        assert fixes()[spelling].need is Need.ROW, spelling
    for spelling in ("meq", "mEq", "mg.", "U", "g", "m", "f", "IU", "ug", "ng", "mmol", "mU"):
        assert spelling not in fixes(), spelling


def test_no_spelling_stands_for_two_units() -> None:
    units = {u.lower() for u in unitfix.UNITS}
    for spelling, fix in fixes().items():
        assert spelling not in unitfix.UNITS
        assert spelling.lower() not in units or spelling.lower() == fix.unit.lower()


def test_a_long_run_of_punctuation_is_quick() -> None:
    started = time.perf_counter()
    assert repair("5 " + "." * 200_000) == "5 " + "." * 200_000
    assert time.perf_counter() - started < 2.0  # linear: about 10 ms


@given(st.lists(st.text(alphabet="mgdLtl/x10^3uIb.- 79", max_size=10), max_size=10))
def test_repair_keeps_the_spacing_and_changes_only_whole_tokens_into_units(tokens: list[str]) -> None:
    text = " ".join(tokens)
    out = repair(text)
    assert out.count(" ") == text.count(" ")
    for before, after in zip(text.split(" "), out.split(" "), strict=True):
        assert after == before or after.rstrip(".,;:)]") in unitfix.UNITS or after in unitfix.TESTS
    assert repair(out) == out  # a repaired line has nothing left to repair

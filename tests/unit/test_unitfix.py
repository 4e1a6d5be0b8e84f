"""Unit repair (intake/unitfix.py): misread units next to a value are repaired, nothing else is."""

from __future__ import annotations

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
    assert repair("No lifting over 10 Ib. for 2 weeks") == "No lifting over 10 lb. for 2 weeks"


def test_case_and_lost_letters_need_a_result_row() -> None:
    assert repair("Glucose 97 mg/dl 70-99") == "Glucose 97 mg/dL 70-99"
    assert repair("BUN 16 mg/d 7-20") == "BUN 16 mg/dL 7-20"
    assert repair("MCV 88 fl 80-100") == "MCV 88 fL 80-100"  # units are written in their UCUM case
    assert repair("Volume 5 ml 1-10") == "Volume 5 mL 1-10"
    assert repair("aspirin 81 mg/d") == "aspirin 81 mg/d"  # milligrams a day, as written
    assert repair("lisinopril 10 mg/d.") == "lisinopril 10 mg/d."
    assert repair("8 fl oz daily") == "8 fl oz daily"


def test_words_and_places_stay_as_written() -> None:
    for line in ("walks 2 mi daily", "Tampa, FL 33601", "see my 2 notes", "Temp 97.2 F", "5 ft 10 in",
                 "levothyroxine 88 meg daily"):
        assert repair(line) == line


def test_a_misread_unit_without_a_value_before_is_left_alone() -> None:
    assert repair("Units mg/dt Flag") == "Units mg/dt Flag"


def test_correct_units_and_other_units_are_never_changed() -> None:
    line = "Sodium 136 mmol/L 135-145 Volume 5 mL 1-10 Iron 60 ug/dL 50-170 Weight 70 kg"
    assert repair(line) == line


def test_lower_case_lookalikes_of_words_need_a_result_row() -> None:
    assert fixes()["mg/dt"].need is Need.VALUE
    for spelling in ("mg/dl", "mg/d", "mi", "meg", "tb", "UL", "mg/d."):
        assert fixes()[spelling].need is Need.RANGE, spelling


def test_no_spelling_stands_for_two_units() -> None:
    units = {u.lower() for u in unitfix.vocabulary()}
    for spelling, fix in fixes().items():
        assert spelling not in unitfix.vocabulary()
        assert spelling.lower() not in units or spelling.lower() == fix.unit.lower()


@given(st.lists(st.text(alphabet="mgdLtl/x10^3uIb.- 79", max_size=10), max_size=10))
def test_repair_keeps_the_spacing_and_changes_only_whole_tokens_into_units(tokens: list[str]) -> None:
    text = " ".join(tokens)
    out = repair(text)
    assert out.count(" ") == text.count(" ")
    for before, after in zip(text.split(" "), out.split(" "), strict=True):
        assert after == before or after.rstrip(".,;:)]") in unitfix.vocabulary()

"""Dates as clerks type them (search/dateexpr.py, on python-dateutil): every documented form, exactly."""

from __future__ import annotations

from datetime import date

import pytest

from intake.errors import InputError
from search.dateexpr import DayRange, parse_date_range, parse_dob, resolve_year

TODAY = date(2026, 4, 15)


@pytest.mark.parametrize("typed, iso", [
    ("1961-03-04", "1961-03-04"), ("03/04/1961", "1961-03-04"), ("3/4/61", "1961-03-04"),
    ("3-4-1961", "1961-03-04"), ("03.04.1961", "1961-03-04"), ("4 Mar 1961", "1961-03-04"),
    ("04-MAR-1961", "1961-03-04"), ("Mar 4, 1961", "1961-03-04"), ("March 4 1961", "1961-03-04"),
    ("4th March 1961", "1961-03-04"), ("4 march 61", "1961-03-04"), ("19610304", "1961-03-04"),
    ("25/03/1961", "1961-03-25"),  # not a month: read day-first
    ("1961", "1961-"), ("1961-03", "1961-03-"), ("03/1961", "1961-03-"), ("March 1961", "1961-03-"),
    ("4/1/26", "2026-04-01"), ("4/1/27", "1927-04-01"),  # a two-digit birth year is never in the future
])
def test_dob_forms(typed: str, iso: str) -> None:
    assert parse_dob(typed, TODAY) == iso


@pytest.mark.parametrize("bad", ["march", "someday", "O3/04/1961", "02/30/1961", "13/13/1961", "3/4", "1961-03-04 x",
                                 "4/16/26", "1/1/1850"])
def test_unreadable_dobs_are_input_errors_with_the_forms_in_the_hint(bad: str) -> None:
    with pytest.raises(InputError) as err:
        parse_dob(bad, TODAY)
    assert "1961-03-04" in (err.value.hint or "")


@pytest.mark.parametrize("typed, start, end", [
    ("2026-03-15", date(2026, 3, 15), date(2026, 3, 15)),
    ("2026-03", date(2026, 3, 1), date(2026, 3, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-03..2026-05", date(2026, 3, 1), date(2026, 5, 31)),
    ("..2026-02", None, date(2026, 2, 28)),
    (">2026-01-15", date(2026, 1, 16), None),
    (">=2026-01-15", date(2026, 1, 15), None),
    ("<2026-01", None, date(2025, 12, 31)),
    ("today", TODAY, TODAY),
    ("yesterday", date(2026, 4, 14), date(2026, 4, 14)),
    ("this week", date(2026, 4, 13), TODAY),
    ("last week", date(2026, 4, 6), date(2026, 4, 12)),
    ("last month", date(2026, 3, 1), date(2026, 3, 31)),
    ("last 30 days", date(2026, 3, 17), TODAY),
    ("this year", date(2026, 1, 1), TODAY),
    ("3/4/27", date(2027, 3, 4), date(2027, 3, 4)),  # other dates may be next year
    ("Mar 4, 2026", date(2026, 3, 4), date(2026, 3, 4)),
])
def test_date_ranges(typed: str, start: date | None, end: date | None) -> None:
    assert parse_date_range(typed, TODAY) == DayRange(start, end)


@pytest.mark.parametrize("bad", ["soonish", "2026-05..2026-03", "", "..", "1/1/1900"])
def test_unreadable_ranges(bad: str) -> None:
    with pytest.raises(InputError):
        parse_date_range(bad, TODAY)


def test_two_digit_years_by_purpose() -> None:
    assert resolve_year(26, "birth", TODAY) == 2026 and resolve_year(27, "birth", TODAY) == 1927
    assert resolve_year(27, "any", TODAY) == 2027 and resolve_year(28, "any", TODAY) == 1928

"""Dates as clerks type them in searches: ``dob:`` values and ``date:`` ranges.

Owns turning ``1961-03-04``, ``03/04/1961``, ``3/4/61``, ``4 Mar 1961`` or a
bare ``1961`` into a date of birth (exact, or a year/month prefix), and
``2026-03..2026-05``, ``>2026-01-15``, ``"last month"`` or ``today`` into an
inclusive range of days.  Relative expressions take ``today`` explicitly, so
results are testable.  Unparseable input raises :class:`InputError` with the
accepted forms in the hint.  A whole typed date is first checked against the
accepted shapes here (so ``march`` alone or a date with stray words is not a
date), two-digit years are resolved by purpose (a birth date is never in the
future), and the calendar work is python-dateutil's.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil import parser as dateutil_parser

from intake.errors import InputError

DOB_HINT = "Type a date of birth like 1961-03-04, 03/04/1961 or 4 Mar 1961, or a year like 1961."
DATE_HINT = ("Type a date or range like 2026-03-15, 2026-03, 2026, 2026-03..2026-05, >2026-01-01, "
             "or \"today\", \"yesterday\", \"this week\", \"last month\", \"last 30 days\", \"this year\".")

_YEAR = re.compile(r"(?:18|19|20)\d\d")
_YEAR_MONTH = re.compile(r"(?P<y>(?:18|19|20)\d\d)[-/.](?P<m>\d{1,2})")
_MONTH_YEAR = re.compile(r"(?P<m>\d{1,2})[-/.](?P<y>(?:18|19|20)\d\d)")
_NAMED_MONTH_YEAR = re.compile(r"(?P<m>[a-z]{3,9})\.?[\s-]*(?P<y>(?:18|19|20)\d\d)")
_COMPACT = re.compile(r"(?P<y>(?:18|19|20)\d\d)(?P<m>\d\d)(?P<d>\d\d)")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTHS = {m: i + 1 for i, m in enumerate(_MONTHS)}
_MONTH_NAME = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_SEP = r"\s?[/.\-]\s?"
# the accepted whole-date shapes (lower case); the year is the last group of each
_DATE_SHAPES = (
    re.compile(r"(?:18|19|20)\d\d-\d{1,2}-\d{1,2}()"),  # ISO (no year to resolve)
    re.compile(rf"\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}(\d{{4}}|\d{{2}})"),  # 03/04/1961, 3-4-61, 03.04.1961
    re.compile(rf"{_MONTH_NAME}\.?\s?\d{{1,2}}(?:st|nd|rd|th)?,?\s?(\d{{4}})"),  # mar 4, 1961
    re.compile(rf"\d{{1,2}}(?:st|nd|rd|th)?[\s\-]?{_MONTH_NAME}\.?[\s\-,]?\s?(\d{{4}}|\d{{2}})"),  # 4 mar 1961
)
_LAST_N = re.compile(r"(?:last|past)\s+(?P<n>\d{1,4})\s+(?P<unit>day|week|month|year)s?")


@dataclass(frozen=True)
class DayRange:
    """Inclusive range of days; ``None`` means open on that side."""

    start: date | None
    end: date | None


def resolve_year(yy: int, purpose: str, today: date) -> int:
    """Four-digit year for a two-digit one: births never in the future, other dates at most next year."""
    year = today.year // 100 * 100 + yy
    limit = today.year if purpose == "birth" else today.year + 1
    return year - 100 if year > limit else year


def _plausible(d: date, purpose: str, today: date) -> bool:
    """Birth dates: 1890..today.  Other dates: 1950..next year."""
    if purpose == "birth":
        return date(1890, 1, 1) <= d <= today
    return date(1950, 1, 1) <= d <= date(today.year + 1, 12, 31)


def _full_date(text: str, purpose: str, today: date) -> date | None:
    """A whole-string date in one of the accepted shapes (plus ``19610304``), or None."""
    m = _COMPACT.fullmatch(text)
    if m:
        try:
            return date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None
    for shape in _DATE_SHAPES:
        found = shape.fullmatch(text)
        if found is None:
            continue
        if len(found.group(1)) == 2:  # a two-digit year, resolved by purpose before parsing
            text = text[:found.start(1)] + str(resolve_year(int(found.group(1)), purpose, today))
        try:
            day = dateutil_parser.parse(text, dayfirst=False).date()  # US month-first, else day-first
        except (ValueError, OverflowError):
            return None
        return day if _plausible(day, purpose, today) else None
    return None


def _month_of(text: str) -> tuple[int, int] | None:
    """(year, month) for ``2026-03``, ``03/2026``, ``March 2026``, ``mar-2026``."""
    for rx in (_YEAR_MONTH, _MONTH_YEAR):
        m = rx.fullmatch(text)
        if m and 1 <= int(m["m"]) <= 12:
            return int(m["y"]), int(m["m"])
    m = _NAMED_MONTH_YEAR.fullmatch(text)
    if m and m["m"][:3] in MONTHS:
        return int(m["y"]), MONTHS[m["m"][:3]]
    return None


def parse_dob(value: str, today: date | None = None) -> str:
    """Exact ISO date of birth, or an ISO prefix (``1961-``, ``1961-03-``) for a year or month."""
    text = " ".join(value.strip().lower().split())
    today = today or date.today()
    if _YEAR.fullmatch(text):
        return f"{text}-"
    month = _month_of(text)
    if month:
        return f"{month[0]:04d}-{month[1]:02d}-"
    day = _full_date(text, "birth", today)
    if day is None:
        raise InputError(f"dob: could not read {value!r} as a date of birth.", hint=DOB_HINT)
    return day.isoformat()


def _point(text: str, today: date) -> DayRange | None:
    """The days covered by one point: a day, a month, a year or a relative word."""
    if text == "today":
        return DayRange(today, today)
    if text == "yesterday":
        return DayRange(today - timedelta(days=1), today - timedelta(days=1))
    if _YEAR.fullmatch(text):
        return DayRange(date(int(text), 1, 1), date(int(text), 12, 31))
    month = _month_of(text)
    if month:
        last = calendar.monthrange(*month)[1]
        return DayRange(date(month[0], month[1], 1), date(month[0], month[1], last))
    found = _full_date(text, "any", today)
    return DayRange(found, found) if found else None


def _relative(text: str, today: date) -> DayRange | None:
    """``this week``, ``last month``, ``last 30 days`` ... (weeks start on Monday)."""
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    if text == "this week":
        return DayRange(monday, today)
    if text == "last week":
        return DayRange(monday - timedelta(days=7), monday - timedelta(days=1))
    if text == "this month":
        return DayRange(first, today)
    if text == "last month":
        prev_end = first - timedelta(days=1)
        return DayRange(prev_end.replace(day=1), prev_end)
    if text == "this year":
        return DayRange(date(today.year, 1, 1), today)
    if text == "last year":
        return DayRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    m = _LAST_N.fullmatch(text)
    if m:
        n = int(m["n"])
        days = {"day": n, "week": 7 * n, "month": 31 * n, "year": 366 * n}[m["unit"]]
        return DayRange(today - timedelta(days=max(days - 1, 0)), today)
    return None


def parse_date_range(value: str, today: date | None = None) -> DayRange:
    """Inclusive day range of a ``date:`` value; raises InputError when unreadable."""
    text = " ".join(value.strip().lower().split())
    today = today or date.today()
    found = _parse_range(text, today)
    if found is None or (found.start and found.end and found.start > found.end):
        raise InputError(f"date: could not read {value!r} as a date or range.", hint=DATE_HINT)
    return found


def _parse_range(text: str, today: date) -> DayRange | None:
    if not text:
        return None
    relative = _relative(text, today)
    if relative:
        return relative
    if ".." in text:
        left, _, right = text.partition("..")
        lo = _point(left.strip(), today) if left.strip() else DayRange(None, None)
        hi = _point(right.strip(), today) if right.strip() else DayRange(None, None)
        if lo is None or hi is None or (lo.start is None and hi.end is None):
            return None
        return DayRange(lo.start, hi.end)
    for op in (">=", "<=", ">", "<"):
        if text.startswith(op):
            p = _point(text[len(op):].strip(), today)
            if p is None or p.start is None or p.end is None:
                return None
            return {">=": DayRange(p.start, None), ">": DayRange(p.end + timedelta(days=1), None),
                    "<=": DayRange(None, p.end), "<": DayRange(None, p.start - timedelta(days=1))}[op]
    return _point(text, today)

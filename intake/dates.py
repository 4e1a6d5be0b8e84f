"""Finding and normalising dates in OCR text (no PHI is logged).

A regex finds date-shaped spans — ``03/04/1957``, ``3-4-57``, ``1957-03-04``,
``03.04.1957``, ``Mar 4, 1957``, ``4 March 1957``, ``04-MAR-1957``
(``19570304`` is left alone: too ambiguous) — and repairs OCR-confusable
characters in their digit positions (O/o/Q/D->0, l/I/|/i->1, S/s->5, B->8,
Z/z->2, G->6).  The repaired span is parsed by python-dateutil (month first,
as written in the US; day first only when month first is impossible).
Two-digit years are resolved by purpose: birth dates are never in the future,
document dates fall in the last 80 years / next year; :func:`in_context`
re-reads them against the four-digit years of the same page.
:func:`header_footer_spans` finds fax transmission header lines and print
footers, whose dates are never a document date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from dateutil import parser as _dateutil

DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1",
                           "|": "1", "i": "1", "!": "1", "S": "5", "s": "5", "B": "8",
                           "Z": "2", "z": "2", "G": "6", "b": "6", "g": "9", "q": "9",
                           "T": "7"})
_D = r"[0-9OoQDlI|i!SsBZzGbgqT]"  # a digit as OCR may render it
_SEP = r"\s?[/.\-]\s?"
MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")

# Order matters: ISO before numeric so that 1957-03-04 is not read as 57-03-04.
DATE_RE = re.compile(
    rf"(?<![\w/.\-])(?:"
    rf"(?P<iy>{_D}{{4}})-(?P<im>{_D}{{1,2}})-(?P<id>{_D}{{1,2}})"
    rf"|(?P<na>{_D}{{1,2}}){_SEP}(?P<nb>{_D}{{1,2}}){_SEP}(?P<ny>{_D}{{4}}|{_D}{{2}})"
    rf"|(?P<sa>\d{{1,2}})(?:{_SEP}| )(?P<sb>\d{{1,2}})(?:{_SEP}| )(?P<sy>(?:19|20)\d{{2}})"  # a lost slash
    rf"|(?P<mm>{_MONTH})\.?\s?(?P<md>{_D}{{1,2}})(?:st|nd|rd|th)?[,.]?\s?(?P<my>{_D}{{4}})"
    rf"|(?P<dd>{_D}{{1,2}})(?:st|nd|rd|th)?[\s\-]?(?P<dm>{_MONTH})\.?[\s\-,]?\s?(?P<dy>{_D}{{4}}|{_D}{{2}})"
    rf")(?![\w/\-]|\.\d)",
    re.IGNORECASE,
)


_HEADER_HINT = re.compile(r"(?i)\b(from|to|fax|p\.?\s*\d+\s*/\s*\d+|p\.\s*\d+|page\s*\d+|pg\s*\d+)\b"
                          r"|->|#\s*\d|\d{10}")
_MACHINE_HINT = re.compile(r"(?i)\bfax\b|\bp\.?\s*\d+\s*/\s*\d+|\bpa[a-z]{1,2}\s*\d+\s*o[ft]\s*\d+"
                           r"|[@#]\s*\d{3}\s*/\s*\d{3}|\d{10}|\(\d{3}\)\s*\d{3}-\d{4}|\b\d{3}\s\d{3}\s\d{4}\b")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?\b|\b\d{1,2}[ .]\d{2}\s?[AaPp][Mm]\b")
_FOOTER = re.compile(r"(?i)^\s*(printed|page\s+\d+\s+of\s+\d+)")


@dataclass(frozen=True)
class DateHit:
    """A date found in text: ISO value, raw text and its character span."""

    iso: str
    raw: str
    start: int
    end: int
    two_digit_year: bool = False
    repaired: bool = False  # OCR-confusable characters were fixed


def _num(s: str) -> int | None:
    fixed = s.translate(DIGIT_FIX)
    return int(fixed) if fixed.isdigit() else None


def resolve_year(yy: int, purpose: str, today: date) -> int:
    """Four-digit year for a two-digit one: births never in the future."""
    century = today.year // 100 * 100
    year = century + yy
    if purpose == "birth":
        return year - 100 if year > today.year else year
    return year - 100 if year > today.year + 1 else year


_PARSE_DEFAULT = datetime(2000, 1, 1)


def _library_parse(text: str, dayfirst: bool) -> date | None:
    try:
        return _dateutil.parse(text, default=_PARSE_DEFAULT, dayfirst=dayfirst, fuzzy=False).date()
    except (ValueError, OverflowError):
        return None


def _fixed(part: str | None) -> str:
    return (part or "").translate(DIGIT_FIX)


def _from_match(m: re.Match[str], purpose: str, today: date) -> tuple[date, bool] | None:
    """Parse one matched span with python-dateutil; (date, had a two-digit year) or None."""
    g = m.groupdict()
    if g["iy"]:
        text, year_raw = f"{_fixed(g['iy'])}-{_fixed(g['im'])}-{_fixed(g['id'])}", g["iy"]
    elif g["na"] or g["sa"]:
        a, b, year_raw = (g["na"], g["nb"], g["ny"]) if g["na"] else (g["sa"], g["sb"], g["sy"])
        text = f"{_fixed(a)}/{_fixed(b)}/{_fixed(year_raw)}"
    elif g["mm"]:
        text, year_raw = f"{g['mm'][:3]} {_fixed(g['md'])} {_fixed(g['my'])}", g["my"]
    else:
        text, year_raw = f"{_fixed(g['dd'])} {g['dm'][:3]} {_fixed(g['dy'])}", g["dy"]
    if not all(c.isdigit() or c.isalpha() or c in "-/ " for c in text) or not _fixed(year_raw).isdigit():
        return None
    if (g["na"] or g["sa"] or g["iy"]) and not text.replace("/", "").replace("-", "").isdigit():
        return None  # a letter IGNORECASE let through where no digit repair applies
    two = len(year_raw) == 2
    if two:  # the library's own two-digit pivot is replaced by the purpose rule below
        text = text[: len(text) - 2] + str(resolve_year(int(text[-2:]), purpose, today))
    parsed = _library_parse(text, dayfirst=False)
    if parsed is None and (g["na"] or g["sa"]):
        parsed = _library_parse(text, dayfirst=True)  # 31/12/1957: day first only when forced
    return (parsed, two) if parsed else None


def plausible(d: date, purpose: str, today: date) -> bool:
    """Birth dates: 1890..today.  Other dates: 1950..next year."""
    if purpose == "birth":
        return date(1890, 1, 1) <= d <= today
    return date(1950, 1, 1) <= d <= date(today.year + 1, 12, 31)


def find_dates(text: str, purpose: str = "any", today: date | None = None,
               years: Sequence[int] = ()) -> list[DateHit]:
    """Every plausible date in ``text`` in order of appearance.

    With ``years`` (the years the page's other dates are in), a four-digit year
    that is implausible ("2926", "7076") is read as the one of them it is a
    single OCR slip away from.
    """
    today = today or date.today()
    hits: list[DateHit] = []
    for m in DATE_RE.finditer(text):
        parsed = _from_match(m, purpose, today)
        if parsed is None:
            continue
        d, two = parsed
        kind = "birth" if purpose == "birth" else "any"
        repaired_year = False
        if not plausible(d, kind, today):
            fixed = None if two else repair_year(d, years)
            if fixed is None or not plausible(fixed, kind, today):
                continue
            d, repaired_year = fixed, True
        raw = m.group(0)
        digits_only = re.sub(rf"(?i){_MONTH}|st|nd|rd|th", "", raw)
        repaired = repaired_year or any(c in digits_only for c in "OoQDlI|i!SsBZzGbgqT")
        hits.append(DateHit(d.isoformat(), raw, m.start(), m.end(), two, repaired))
    return hits


def repair_year(d: date, years: Sequence[int]) -> date | None:
    """``d`` with its year replaced by the one of ``years`` it differs from in exactly one digit."""
    written = f"{d.year:04d}"
    close = {y for y in years if sum(a != b for a, b in zip(written, f"{y:04d}", strict=True)) == 1}
    if len(close) != 1:
        return None
    try:
        return d.replace(year=close.pop())
    except ValueError:
        return None


def parse_date(raw: str, purpose: str = "any", today: date | None = None) -> str | None:
    """ISO date for one date string, or None."""
    hits = find_dates(raw.strip(), purpose, today)
    return hits[0].iso if hits else None


# What a fax machine prints on its header line, as OCR of a tiny dense line may render it.
_FAX_SIGNS = (
    re.compile(r"(?i)\b(?:fax|fak|tax|from|f?rom|prom|to)\b"),
    re.compile(r"\b\d{1,2}\s?[:.]\s?\d{2}\b|\b\d{1,2}\s\d{2}\s?[AaPp][Mm]\b"),  # a time
    re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"),
    re.compile(r"(?i)\b(?:mon|tue|wed|thu|fri|sat|sun)\b"),
    re.compile(r"\d{7,}|\b\d{3}\s\d{3}\s\d{4}\b|\(\d{3}\)"),  # a phone number
    re.compile(r"(?i)\bp\W?\s?\d{1,3}\s?/\s?\d{1,3}\b|@\s?\d{3}|\b\d{3}/\d{3}\b|\bpa\w{1,2}\s*\S{1,3}\s*o[ft]\s*\S{1,3}"),
)
# Letterhead contact lines and patient lines carry phone numbers and dates too.
_NOT_FAX_HEADER = re.compile(r"\b[A-Z]{2},?\s+\d{5}\b|(?i:\b(?:suite|p\.?o\.? box|phone|tel|dob|birth|patient|pt"
                             r"|mrn|mr#|name|acct|verified|continued|signed)\b)")


def fax_header_line(line: str) -> bool:
    """A line that looks like a fax machine's transmission header (even garbled by OCR)."""
    found = [bool(sign.search(line)) for sign in _FAX_SIGNS]
    digits = sum(c.isdigit() for c in line)
    machine = found[0] or found[4] or found[5]  # FROM/TO/FAX, a phone number, a page counter
    stamp = found[1] or found[2] or found[3]  # a time, a date, a weekday
    bare_stamp = found[1] and found[2] and not re.search(r"[A-Za-z]\s*:", line)  # "Mar 5 2026 10:47" alone
    return bool((machine and stamp and (sum(found) >= 3 or digits >= 8)) or bare_stamp) \
        and not _NOT_FAX_HEADER.search(line)


def is_footer(line: str) -> bool:
    """A print footer ("Printed 03/02/2026 10:15", "Page 1 of 2")."""
    return bool(_FOOTER.match(line))


def header_footer_spans(text: str) -> list[tuple[int, int]]:
    """Fax transmission header lines (top of page) and print footers."""
    spans = []
    pos = 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        end = pos + len(line)
        head = i < 3 and ((_TIME.search(line) and _HEADER_HINT.search(line))
                          or (DATE_RE.search(line) and _MACHINE_HINT.search(line))
                          or fax_header_line(line))
        if head or _FOOTER.match(line) or (i >= len(lines) - 3 and _TIME.search(line)
                                           and "page" in line.lower()):
            spans.append((pos, end))
        pos = end + 1
    return spans


def in_context(hit: DateHit, page_years: list[int], purpose: str = "any") -> DateHit:
    """A two-digit-year date re-read in the century of the page's four-digit years.

    "02/20/26" on a page whose other dates are in 2026 is 2026; a birth date is
    left to the purpose rule (never in the future) that read it.
    """
    if not hit.two_digit_year or purpose == "birth" or not page_years:
        return hit
    current = date.fromisoformat(hit.iso)
    anchor = sorted(page_years)[len(page_years) // 2]
    centuries = (anchor // 100 - 1, anchor // 100, anchor // 100 + 1)
    year = min((c * 100 + current.year % 100 for c in centuries), key=lambda y: abs(y - anchor))
    try:
        moved = current.replace(year=year)
    except ValueError:
        return hit
    return replace(hit, iso=moved.isoformat())

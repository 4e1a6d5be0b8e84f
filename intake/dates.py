"""Finding and normalising dates in OCR text (no PHI is logged).

Handles ``03/04/1957``, ``3-4-57``, ``1957-03-04``, ``03.04.1957``,
``Mar 4, 1957``, ``4 March 1957``, ``04-MAR-1957`` and ``19570304`` is left
alone (too ambiguous).  OCR-confusable characters in the digit positions
(O/o/Q/D->0, l/I/|/i->1, S/s->5, B->8, Z/z->2, G->6) are repaired.
:func:`header_footer_spans` finds fax transmission header lines and print
footers, whose dates are never a document date.  Two-digit years are
resolved by purpose: birth dates are never in the future, document dates
fall in the last 80 years / next year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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
    rf"(?P<iy>(?:1[89]|20){_D}{{2}})-(?P<im>{_D}{{1,2}})-(?P<id>{_D}{{1,2}})"
    rf"|(?P<na>{_D}{{1,2}}){_SEP}(?P<nb>{_D}{{1,2}}){_SEP}(?P<ny>{_D}{{4}}|{_D}{{2}})"
    rf"|(?P<mm>{_MONTH})\.?\s?(?P<md>{_D}{{1,2}})(?:st|nd|rd|th)?,?\s?(?P<my>{_D}{{4}})"
    rf"|(?P<dd>{_D}{{1,2}})(?:st|nd|rd|th)?[\s\-]?(?P<dm>{_MONTH})\.?[\s\-,]?\s?(?P<dy>{_D}{{4}}|{_D}{{2}})"
    rf")(?![\w/\-]|\.\d)",
    re.IGNORECASE,
)


_HEADER_HINT = re.compile(r"(?i)\b(from|to|fax|p\.?\s*\d+\s*/\s*\d+|p\.\s*\d+|page\s*\d+|pg\s*\d+)\b"
                          r"|->|#\s*\d|\d{10}")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?\b")
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


def _build(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _from_match(m: re.Match[str], purpose: str, today: date) -> tuple[date, bool] | None:
    g = m.groupdict()
    two = False
    if g["iy"]:
        y, mo, d = _num(g["iy"]), _num(g["im"]), _num(g["id"])
        if None in (y, mo, d):
            return None
        built = _build(y, mo, d)  # type: ignore[arg-type]
        return (built, False) if built else None
    if g["na"]:
        a, b, ys = _num(g["na"]), _num(g["nb"]), g["ny"]
        y = _num(ys)
        if a is None or b is None or y is None:
            return None
        if len(ys) == 2:
            y, two = resolve_year(y, purpose, today), True
        built = _build(y, a, b) or _build(y, b, a)  # US month-first, else day-first
        return (built, two) if built else None
    if g["mm"] or g["dm"]:
        mon = MONTHS[(g["mm"] or g["dm"])[:3].lower()]
        d, ys = (_num(g["md"]), g["my"]) if g["mm"] else (_num(g["dd"]), g["dy"])
        y = _num(ys)
        if d is None or y is None:
            return None
        if len(ys) == 2:
            y, two = resolve_year(y, purpose, today), True
        built = _build(y, mon, d)
        return (built, two) if built else None
    return None


def plausible(d: date, purpose: str, today: date) -> bool:
    """Birth dates: 1890..today.  Other dates: 1950..next year."""
    if purpose == "birth":
        return date(1890, 1, 1) <= d <= today
    return date(1950, 1, 1) <= d <= date(today.year + 1, 12, 31)


def find_dates(text: str, purpose: str = "any", today: date | None = None) -> list[DateHit]:
    """Every plausible date in ``text`` in order of appearance."""
    today = today or date.today()
    hits: list[DateHit] = []
    for m in DATE_RE.finditer(text):
        parsed = _from_match(m, purpose, today)
        if parsed is None:
            continue
        d, two = parsed
        if not plausible(d, "birth" if purpose == "birth" else "any", today):
            continue
        raw = m.group(0)
        digits_only = re.sub(rf"(?i){_MONTH}|st|nd|rd|th", "", raw)
        repaired = any(c in digits_only for c in "OoQDlI|i!SsBZzGbgqT")
        hits.append(DateHit(d.isoformat(), raw, m.start(), m.end(), two, repaired))
    return hits


def parse_date(raw: str, purpose: str = "any", today: date | None = None) -> str | None:
    """ISO date for one date string, or None."""
    hits = find_dates(raw.strip(), purpose, today)
    return hits[0].iso if hits else None


def header_footer_spans(text: str) -> list[tuple[int, int]]:
    """Fax transmission header lines (top of page) and print footers."""
    spans = []
    pos = 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        end = pos + len(line)
        head = i < 3 and _TIME.search(line) and _HEADER_HINT.search(line)
        if head or _FOOTER.match(line) or (i >= len(lines) - 3 and _TIME.search(line)
                                           and "page" in line.lower()):
            spans.append((pos, end))
        pos = end + 1
    return spans

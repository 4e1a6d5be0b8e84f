"""Reading a patient's name and birth date after their labels, the way a records clerk does.

Owns the judgement calls :mod:`intake.entities` makes about label *values*:

* whether a name label introduces the patient (``Patient:``, ``Pt Name``) or
  someone else (``PCP Name:``, ``Provider Name:``) — the words standing before
  the label decide, not a list of templates;
* where a name value ends (at the next ``Word:``/``Word #`` label, a digit);
* whether a weakly labelled value (``RE:``, ``Member:``, a bare ``Name:``) is a
  person's name at all (a subject line is not): it must name a known given or
  family name (the roster's, or a common given name);
* reading a damaged birth date (``9 30 1983``, ``1945 06-29``, ``67 10-2010``):
  separators lost or replaced, and one OCR-confusable digit repaired only when
  that makes it exactly one roster patient's birth date.

Pure functions; nothing here logs text or values.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from enum import Enum

from intake import dates, names
from intake.ocrchars import digit_variants

_WORD = re.compile(r"[A-Za-z][A-Za-z'’.\-]*")
_FIELD_BREAK = re.compile(r":|\||\s{3,}|\t")
# Words before a bare "Name:" that still make it the patient's name.
PATIENT_WORDS = frozenset({"patient", "patient's", "pt", "member", "client", "full", "legal", "resident",
                           "child's", "enrollee", "beneficiary", "claimant"})
_CUT = re.compile(r"(\s+[A-Za-z][\w.]*)?\s*[#:]|\d|\s[-–—|]\s|\s?\(|\s{3,}")
_DAY_DOT = re.compile(r"(?i)(\b[a-z]{3,9}\.?\s?\d{1,2})\.(?=\s?\d{4})")
# a date whose separators were lost or garbled (digits only, after repairing OCR letters)
_DAMAGED = re.compile(r"[\W_]{0,3}?(\d{1,4})[\s/\-.()—–]{1,3}(\d{1,2})[\s/\-.()—–]{1,3}(\d{2,4})(?!\d)"
                      r"|[\W_]{0,3}?(\d{8})(?!\d)")


class NameLabel(Enum):
    """How strongly a name label says the value is the patient."""

    STRONG = "strong"  # mentions the patient: "Patient:", "Pt Name:", "Name of patient"
    WEAK = "weak"  # "Name:", "RE:", "Member:" — the value must look like a person's name


@dataclass(frozen=True)
class DobRead:
    """A birth date read from a label value."""

    iso: str
    raw: str
    confidence: float


def name_label(label: str, text: str, label_start: int) -> NameLabel | None:
    """The strength of a name label, or None when words before it make it someone else's name."""
    words = {w.lower().strip(".:") for w in _WORD.findall(label)}
    if words & {"patient", "patient's", "pt"}:
        return NameLabel.STRONG
    line_start = text.rfind("\n", 0, label_start) + 1
    field = _FIELD_BREAK.split(text[line_start:label_start])[-1]
    before = [w.lower().strip(".'’") for w in _WORD.findall(field)][-2:]
    if before and before[-1] in {"patient", "patient's", "pt"}:
        return NameLabel.STRONG
    if before and not any(b in PATIENT_WORDS for b in before) and "name" in words:
        return None  # "PCP Name:", "Provider Name:", "Facility name:" name someone else
    return NameLabel.WEAK


# a lone bar between two words of a name is a misread initial ("Nicholas | Blackwell" for "Nicholas J
# Blackwell"), not a field separator: one last word before the end of the line, a gap or the next label
BAR_INITIAL = re.compile(r"(?<=[^\W\d_])\s\|\s(?=[^\W\d_][^\W\d_'’.-]*(?:[ \t]*(?:\n|$)|[ \t]{2,}"
                         r"|[ \t]+[^\W\d_][\w.]*[ \t]*[:#]))")


def cut_name_value(value: str) -> str:
    """The name part of a label value: up to the next ``Word:``/``Word #`` label, a digit or a gap."""
    value = BAR_INITIAL.sub(" ", value)
    m = _CUT.search(value)
    return (value[:m.start()] if m else value).strip(" ,;.-")


def looks_like_person(family: str, given: str, known_given: Collection[str], known_family: Collection[str]) -> bool:
    """A weakly labelled value is a person's name when its given or family name is a known one
    (both collections hold :func:`intake.names.fold` forms)."""
    fam = [names.fold(t.strip(".'’")) for t in _WORD.findall(family)]
    giv = [names.fold(t.strip(".'’")) for t in _WORD.findall(given)]
    return any(t in known_given for t in giv) or any(t in known_family for t in fam)


# ---------------------------------------------------------------------- birth dates
def read_dob(value: str, today: date, roster_dobs: Collection[str]) -> DobRead | None:
    """The birth date at the start of a DOB label's value, tolerating lost separators; a read that is
    no valid birth date is repaired by one digit only when that makes it exactly one roster birth date
    (an OCR-confusable digit first, any digit second)."""
    head = _DAY_DOT.sub(r"\1,", value[:40])  # "Jun 29. 1976": a comma read as a full stop
    found = dates.find_dates(head, "birth", today)
    if found and found[0].start <= 2:
        d = found[0]
        return DobRead(d.iso, d.raw, 0.8 if d.repaired else 0.95)
    m = _DAMAGED.match(head.translate(dates.DIGIT_FIX))
    if m is None:
        return None
    raw = head[:m.end()].strip()
    groups = [g for g in m.groups() if g]
    valid = _group_dates(groups, today)
    if valid:
        return DobRead(valid[0], raw, 0.75)
    digits = "".join(groups)
    if len(digits) != 8:
        return None
    for variants in (digit_variants(digits), _any_digit(digits)):
        fixes = {iso for variant, _ in variants for iso in _eight_digit_dates(variant, today)} & set(roster_dobs)
        if len(fixes) == 1:
            return DobRead(fixes.pop(), raw, 0.6)
        if fixes:
            return None
    return None


def _any_digit(digits: str) -> Iterator[tuple[str, str]]:
    for i, ch in enumerate(digits):
        for alt in "0123456789":
            if alt != ch:
                yield digits[:i] + alt + digits[i + 1:], f"{ch}/{alt}"


def _group_dates(groups: list[str], today: date) -> list[str]:
    """Dates from digit groups whose separators were lost or garbled: M D YYYY, YYYY M D, MMDDYYYY."""
    out: list[str] = []
    if len(groups) == 3:
        a, b, c = groups
        if len(c) == 4 and len(a) <= 2 and len(b) <= 2:
            out += _valid(int(c), int(a), int(b), today)
        if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
            out += _valid(int(a), int(b), int(c), today)
    elif len(groups) == 1 and len(groups[0]) == 8:
        out += _eight_digit_dates(groups[0], today)
    return out[:1] if len(set(out)) == 1 else []


def _eight_digit_dates(digits: str, today: date) -> list[str]:
    return _valid(int(digits[4:]), int(digits[:2]), int(digits[2:4]), today) + \
        _valid(int(digits[:4]), int(digits[4:6]), int(digits[6:]), today)


def _valid(year: int, month: int, day: int, today: date) -> list[str]:
    try:
        d = date(year, month, day)
    except ValueError:
        return []
    return [d.isoformat()] if dates.plausible(d, "birth", today) else []

"""The document date: every date on a page gets a role, the document's type picks the role that dates it.

Owns :func:`page_dates` (the dates of one page, each with a :class:`DateRole`
read from the label before it, the caption under it — a form's "Signature
Date" line — or its position: a date alone at the top of a letter) and
:func:`choose` (the date of a document: its type's preferred role — a lab's
collection date, a discharge summary's discharge date, a form's signature
date, a letter's date — checked for sense: never a birth date, a fax
transmission date, a print or received stamp; a discharge not before its
admission; nothing after the fax was sent; two-digit years read in the
century of the page's other dates).  Pure text in, plain data out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from intake.dates import DateHit, find_dates, in_context, repair_year
from intake.layout import PageLayout, Role


class DateRole(StrEnum):
    """What a date on a page is the date of."""

    SERVICE = "service"  # visit / exam / procedure / encounter
    COLLECTED = "collected"
    REPORTED = "reported"
    ADMITTED = "admitted"
    DISCHARGED = "discharged"
    SIGNED = "signed"
    REQUEST = "request"  # referral / order / request date
    DECISION = "decision"  # date of a determination / notice / the letter
    LETTER = "letter"  # a date standing alone at the top of the page
    GENERIC = "date"  # "Date: ..."
    EFFECTIVE = "effective"
    EXPIRES = "expires"
    RECEIVED = "received"
    PRINTED = "printed"
    TRANSMITTED = "transmitted"  # the fax machine's header line
    BIRTH = "birth"
    PRIOR = "prior"
    RANGE = "range"  # one end of a period ("from ... to ...")
    UNLABELLED = "unlabelled"


# Label vocabulary, most specific first; matched at the end of the text before a date.
_ROLE_LABELS: tuple[tuple[DateRole, str], ...] = (
    (DateRole.BIRTH, r"d\.?\s?o\.?\s?b\.?|birth\s?date|date of birth|born|birth dt"),
    (DateRole.RANGE, r"dates of service(?: from)?|service period|from|between|through|thru|to|period"),
    (DateRole.PRIOR, r"prior(?: [a-z]+){0,2}|previous(?: [a-z]+){0,2}|last (?:visit|fill(?:ed)?|seen|dose)"
                     r"|comparison|since|dated|date of (?:injury|onset|accident|loss)|(?:injury|onset|accident) date"),
    (DateRole.DISCHARGED, r"discharged?(?: date)?|date of discharge|disch\.?(?: date)?|d/c date"),
    (DateRole.ADMITTED, r"admitted|admission(?: date)?|date of admission|admit(?: date)?|adm\.?(?: date)?"),
    (DateRole.COLLECTED, r"collected(?: on)?|collection(?: date| time)?|date collected|date of collection|coll\.?"
                         r"|drawn|specimen (?:date|collected)|obtained"),
    (DateRole.REPORTED, r"reported|report(?:ed)? date|date reported|date of report|result(?:ed)?(?: date)?"
                        r"|rpt\.?|final(?:ized)?(?: date)?|verified(?: by)?.{0,40}|read(?: date)?|dictated"
                        r"|transcribed"),
    (DateRole.SERVICE, r"date of service|service date|dos|visit date|date of visit|encounter date"
                       r"|date of encounter|exam(?:ination)? date|date of exam(?:ination)?|study date"
                       r"|procedure date|date of procedure|appointment(?: date)?|appt\.?(?: date)?"
                       r"|consultation date|date seen|seen on|performed(?: on)?|in consultation on"
                       r"|surgery date|date of surgery|test date"),
    (DateRole.SIGNED, r"(?:date )?signed(?: on| date)?|signature date|date of signature"
                      r"|(?:electronically |e-)?signed by.{0,60}? on|attested.{0,40}? on"),
    (DateRole.REQUEST, r"request(?:ed)?(?: date| on)?|date of request|referral date|date of referral"
                       r"|order(?:ed)?(?: date| on)?|date ordered|rx date|written(?: on)?|date written"),
    (DateRole.DECISION, r"date of (?:determination|decision|notice|letter)|(?:determination|decision|notice"
                        r"|letter) date"),
    (DateRole.EFFECTIVE, r"effective(?: date)?|eff\.?(?: date)?|coverage (?:start|date|begins)|valid from"
                         r"|member since|issued?(?: date| on)?|start date"),
    (DateRole.EXPIRES, r"expir(?:es|ation|y)(?: date| on)?|exp\.?(?: date)?|valid (?:until|through|thru)"
                       r"|good through|end date|until"),
    (DateRole.RECEIVED, r"received(?: on| date)?|rec'?d|recv'?d|date received|arrived"),
    (DateRole.PRINTED, r"printed(?: on)?|print date|generated(?: on)?|run date|faxed(?: on)?|sent(?: on)?"
                       r"|transmitted|scanned(?: on)?"),
    (DateRole.GENERIC, r"date|dt"),
)
_LABEL_RES = tuple((role, re.compile(rf"(?i)(?:^|[^a-z])(?:{rx})[\s:#.\-,;|'’‘\"”“_]*$")) for role, rx in _ROLE_LABELS)
_ANCHORED = tuple((role, re.compile(rf"(?i)(?:{rx})\b")) for role, rx in _ROLE_LABELS
                  if role in (DateRole.BIRTH, DateRole.SERVICE, DateRole.COLLECTED, DateRole.ADMITTED,
                              DateRole.DISCHARGED, DateRole.EFFECTIVE, DateRole.EXPIRES))
# OCR slips in label words folded before matching: "COL!" = "COLL", "Rec0rd" = "Record"
_LABEL_FOLD = str.maketrans({"!": "l", "|": "l", "1": "l", "0": "o", "5": "s", "$": "s"})
_CAPTION = re.compile(r"(?i)\bdate\b")
_PRIOR_CONTEXT = re.compile(r"(?i)\b(prior|previous|last|comparison|history)\b")
_SIGN_CAPTION = re.compile(r"(?i)\bsignature\b|\bsigned\b|\bsign\b")
_STAMP = re.compile(r"(?i)^\s*(received|rec'?d|filed|scanned|entered|faxed|copy)\b")
_RANGE_AFTER = re.compile(r"(?i)^\s*(?:-|–|—|to|through|thru)\s*\S")
_LABEL_GAP = 40  # a label governs a date at most this many characters before it


@dataclass(frozen=True)
class PageDate:
    """A date seen on a page, with the role it plays there."""

    iso: str
    raw: str
    page: int
    role: DateRole
    label: str | None  # the label text it followed (or the caption under it)
    line: int  # index among the page's lines (reading order)
    repaired: bool = False


def _label_role(before: str) -> tuple[DateRole, str] | None:
    tail = before[-_LABEL_GAP - 20:].translate(_LABEL_FOLD)
    for role, regex in _LABEL_RES:
        m = regex.search(tail)
        if m:
            return role, m.group(0).strip(" :#.-|")
    return None


_STAMP_WORDS = re.compile(r"(?i)\b(copy|received|rec'?d|scanned|faxed|filed|entered|original)\b")


def _column_label(line: str) -> tuple[DateRole, str] | None:
    """The date label heading the first column of a form grid's header line."""
    head = line.strip()
    for role, regex in _ANCHORED:
        m = regex.match(head)
        if m:
            return role, m.group(0).strip()
    return None


def _alone(text: str, hit: DateHit) -> bool:
    """Nothing else on the line but punctuation or a rubber stamp's word."""
    rest = _STAMP_WORDS.sub("", text[:hit.start] + text[hit.end:])
    return len(rest.strip(" ,.;:'‘’`|_-—~°*()[]")) <= 2


def _role_of(line: str, hit: DateHit, prev_line: str, next_line: str, top: bool) -> tuple[DateRole, str | None]:
    """The role of a date from its label, the caption under it, or its position."""
    before = line[:hit.start]
    prior_value = max(before.rfind(c) for c in "0123456789") if any(c.isdigit() for c in before) else -1
    found = _label_role(before[prior_value + 1:] if prior_value >= 0 else before)
    if found and found[0] not in (DateRole.BIRTH, DateRole.RANGE) and _PRIOR_CONTEXT.search(before):
        return DateRole.PRIOR, found[1]  # "PRIOR RESULT, collected 01/02/2025"
    if found:
        return found
    if _RANGE_AFTER.match(line[hit.end:]):
        return DateRole.RANGE, None
    if line[hit.end:].strip(" .,;:_|") == "" and _SIGN_CAPTION.search(next_line) and _CAPTION.search(next_line):
        return DateRole.SIGNED, next_line.strip()[:40]  # a date written beside a signature, captioned below
    if not line[:hit.start].strip():
        heading = _column_label(prev_line)  # a form grid: "DATE OF BIRTH (MM/DD/YYYY)  SEX" over "12/08/1996  F"
        if heading:
            return heading
    if _alone(line, hit):
        if _STAMP.match(prev_line) or _STAMP.match(line):
            return DateRole.RECEIVED, None
        if _CAPTION.search(next_line) and _SIGN_CAPTION.search(next_line):
            return DateRole.SIGNED, next_line.strip()[:40]
        if _CAPTION.search(next_line) and len(next_line) < 60:
            return DateRole.GENERIC, next_line.strip()[:40]
        label_line = _label_role(prev_line.rstrip())
        if label_line and prev_line.rstrip().endswith(":"):
            return label_line
        if top:
            return DateRole.LETTER, None
    return DateRole.UNLABELLED, None


def page_dates(layout: PageLayout, page: int, today: date | None = None) -> list[PageDate]:
    """Every date on the page with its role (fax header dates as TRANSMITTED)."""
    lines = layout.lines
    today = today or date.today()
    out: list[PageDate] = []
    years: list[int] = []
    for ln in lines:
        years += [int(h.iso[:4]) for h in find_dates(ln.text, "any", today) if not h.two_digit_year]
    recent = sorted({y for y in years if today.year - RECENT_YEARS <= y <= today.year + 1} | {today.year})
    hits_by_line = [(i, find_dates(ln.text, "any", today, recent)) for i, ln in enumerate(lines)]
    for i, hits in hits_by_line:
        ln = lines[i]
        prev_line = lines[i - 1].text if i > 0 else ""
        next_line = lines[i + 1].text if i + 1 < len(lines) else ""
        for hit in hits:
            if ln.role is Role.HEADER:
                role, label = DateRole.TRANSMITTED, None
            elif ln.role is Role.FOOTER:
                role, label = DateRole.PRINTED, None
            else:
                role, label = _role_of(ln.text, hit, prev_line, next_line, ln.top)
            if role is not DateRole.BIRTH:
                hit = in_context(hit, years)
            if role in _RECENT_ROLES:
                hit = _recent(hit, recent)
            out.append(PageDate(hit.iso, hit.raw, page, role, label, i, hit.repaired))
    return out


RECENT_YEARS = 3  # years before this year that count as "recent" for repairing an OCR'd year
STALE_YEARS = 5  # a letter dated this much before the page's recent years is an OCR slip in its year
# (a letter is written to be sent; old reports and visits keep their years)
_RECENT_ROLES = {DateRole.LETTER}


def _recent(hit: DateHit, recent: list[int]) -> DateHit:
    """A letter dated 20 years ago on a page of this year's dates, one digit from this year, is this year's."""
    current = date.fromisoformat(hit.iso)
    if all(abs(current.year - y) <= STALE_YEARS for y in recent):
        return hit
    fixed = repair_year(current, recent)
    return replace(hit, iso=fixed.isoformat(), repaired=True) if fixed else hit


# Which roles date a document of each type, best first.
_PREFERENCE: dict[str, tuple[DateRole, ...]] = {
    "lab_result": (DateRole.COLLECTED, DateRole.SERVICE, DateRole.REPORTED, DateRole.GENERIC,
                   DateRole.LETTER, DateRole.SIGNED),
    "imaging_report": (DateRole.SERVICE, DateRole.GENERIC, DateRole.REPORTED, DateRole.LETTER,
                       DateRole.SIGNED),
    "discharge_summary": (DateRole.DISCHARGED, DateRole.SIGNED, DateRole.GENERIC, DateRole.LETTER,
                          DateRole.SERVICE, DateRole.ADMITTED),
    "clinical_note": (DateRole.SERVICE, DateRole.LETTER, DateRole.GENERIC, DateRole.SIGNED,
                      DateRole.REPORTED),
    "referral": (DateRole.REQUEST, DateRole.LETTER, DateRole.GENERIC, DateRole.SIGNED, DateRole.SERVICE),
    "roi_authorization": (DateRole.SIGNED, DateRole.LETTER, DateRole.GENERIC, DateRole.REQUEST),
    "intake_form": (DateRole.SIGNED, DateRole.GENERIC, DateRole.LETTER, DateRole.SERVICE),
    "prescription_request": (DateRole.REQUEST, DateRole.GENERIC, DateRole.LETTER, DateRole.SIGNED),
    "correspondence": (DateRole.LETTER, DateRole.DECISION, DateRole.GENERIC, DateRole.SIGNED,
                       DateRole.SERVICE),
    "fax_cover": (DateRole.GENERIC, DateRole.LETTER, DateRole.TRANSMITTED),
    "insurance_card": (),  # a card is not dated by its coverage dates
}
_DEFAULT_PREFERENCE = (DateRole.SERVICE, DateRole.COLLECTED, DateRole.DISCHARGED, DateRole.REQUEST,
                       DateRole.DECISION, DateRole.LETTER, DateRole.REPORTED, DateRole.SIGNED,
                       DateRole.GENERIC)
# Roles that can never be later than the fax that carried the document.
_BEFORE_SENDING = {DateRole.SERVICE, DateRole.COLLECTED, DateRole.REPORTED, DateRole.DISCHARGED,
                   DateRole.ADMITTED, DateRole.SIGNED, DateRole.LETTER, DateRole.REQUEST,
                   DateRole.GENERIC, DateRole.UNLABELLED, DateRole.DECISION}
_NOT_FROM_UNLABELLED = {"insurance_card"}  # a card's printed dates are coverage dates, not its date
SENT_WINDOW_DAYS = 400
SENT_SLACK_DAYS = 31  # a header's month or day may be misread too: only dates well after it are impossible
FALLBACK_YEARS = 5  # an unlabelled date this much older than the newest date on the page is no document date


def sending_date(dates: Sequence[PageDate]) -> str | None:
    """The date the fax was sent: the one most fax header lines agree on (None for scans)."""
    sent = Counter(d.iso for d in dates if d.role is DateRole.TRANSMITTED)
    return sent.most_common(1)[0][0] if sent else None


def _trusted_sending(sent: str | None, candidates: list[PageDate]) -> str | None:
    """A sending date is trusted when some other date of the document falls shortly before it
    (an OCR slip in the header's year must not wipe out every date)."""
    if sent is None:
        return None
    day = date.fromisoformat(sent)
    for d in candidates:
        if d.role not in (DateRole.TRANSMITTED, DateRole.BIRTH):
            delta = (day - date.fromisoformat(d.iso)).days
            if 0 <= delta <= SENT_WINDOW_DAYS:
                return sent
    return None


def _sane(candidates: list[PageDate], dobs: set[str], sent: str | None) -> list[PageDate]:
    """Drop birth dates and dates after the fax was sent; a discharge is not before its admission."""
    sent = _trusted_sending(sent, candidates)
    latest = (date.fromisoformat(sent) + timedelta(days=SENT_SLACK_DAYS)).isoformat() if sent else None
    admitted = [d.iso for d in candidates if d.role is DateRole.ADMITTED]
    out = []
    for d in candidates:
        if d.iso in dobs or d.role is DateRole.BIRTH:
            continue
        if latest and d.role in _BEFORE_SENDING and d.iso > latest:
            continue
        if d.role is DateRole.DISCHARGED and admitted and d.iso < min(admitted):
            continue
        out.append(d)
    return out


def choose(dates: Sequence[PageDate], doc_type: str, dobs: Iterable[str] = (),
           sent: str | None = None) -> str | None:
    """The document's date (ISO) for its type, or None when nothing dates it.

    ``sent`` is the file's sending date (:func:`sending_date` over all its pages).
    When no date has a role the type wants, the first unlabelled date is taken
    (not the sending day itself when another one exists).
    """
    candidates = _sane(list(dates), set(dobs), sent or sending_date(dates))
    for role in _PREFERENCE.get(doc_type, _DEFAULT_PREFERENCE):
        found = [d for d in candidates if d.role is role]
        if found:
            return min(found, key=lambda d: (d.page, d.line)).iso
    if doc_type in _NOT_FROM_UNLABELLED:
        return None
    newest = max((d.iso for d in dates if d.role is not DateRole.BIRTH), default="")
    horizon = f"{int(newest[:4]) - FALLBACK_YEARS:04d}{newest[4:]}" if newest else ""
    loose = sorted((d for d in candidates if d.role is DateRole.UNLABELLED and d.iso >= horizon),
                   key=lambda d: (d.page, d.line))
    other_days = [d for d in loose if d.iso != sent]
    return (other_days or loose)[0].iso if loose else None

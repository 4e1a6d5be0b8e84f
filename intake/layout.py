"""Where words stand on a page: zones and line roles from plain (OCR) text.

This module owns :func:`analyse`, which turns one page's text into a
:class:`PageLayout`: the fax transmission header and print footer lines (never
document content), the *top zone* where letterheads and titles sit, and a role
for every line — title-like heading, field label, subject line (``RE:``),
checklist item, contact/address line, sentence.  It also reads the page's own
counter ("Page 2 of 3", not the fax machine's), a "(continued)" marker, the
letterhead key used to tell one sender's report from another's, and the
parts of a letter (date line, salutation, closing).

Callers weigh evidence by position with it: a phrase in a title outweighs
the same phrase in a sentence, and a checklist item ("[ ] Lab results") is no
evidence of a document's type at all.  Pure text in, plain data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from intake.dates import find_dates, header_footer_spans, is_footer
from intake.ocrchars import ONE_LOOKALIKES


class Role(StrEnum):
    """What a line is, judged from its shape."""

    HEADER = "header"  # fax transmission header at the top: not content
    FOOTER = "footer"  # print footer ("Printed ... Page 1 of 2"): not content
    HEADING = "heading"  # short title-like line (ALL CAPS or Title Case, no sentence)
    LABEL = "label"  # "Label: value" field
    SUBJECT = "subject"  # "RE:" / "Subject:" / "Regarding:" line
    CHECKLIST = "checklist"  # an item of a tick-box list
    CONTACT = "contact"  # address / phone / fax line
    SIGNATURE = "signature"  # the signer's lines after a letter's closing ("Sincerely,")
    LEAD = "lead"  # the opening sentences after a letter's salutation: they state its purpose
    SENTENCE = "sentence"  # running text
    OTHER = "other"


@dataclass(frozen=True)
class Line:
    """One non-empty line of the page."""

    number: int  # 0-based line index in the page text
    start: int  # character offset in the page text
    text: str
    role: Role
    top: bool  # in the top zone (letterhead / title area)


@dataclass
class PageLayout:
    """Layout facts about one page."""

    lines: list[Line] = field(default_factory=list)
    page_of: tuple[int, int] | None = None  # the document's own "page k of n"
    continued: bool = False  # "(continued)" / "cont'd" in the top zone
    letterhead: str | None = None  # normalised first content line (sender's header key)
    letterhead_block: bool = False  # org line followed by address/phone lines at the top
    date_line_top: bool = False  # a line holding only a date in the top zone (a letter's date)
    salutation: bool = False  # "Dear ..." / "To whom it may concern"
    closing: bool = False  # "Sincerely," / "Regards," ...
    content_words: int = 0  # words outside the header/footer lines

    @property
    def letter(self) -> bool:
        """Shaped like a letter: a salutation or closing, and a date line or salutation at the top."""
        return (self.salutation or self.closing) and (self.salutation or self.date_line_top)

    def content(self) -> list[Line]:
        """Lines that are document content (no fax header or print footer)."""
        return [ln for ln in self.lines if ln.role not in (Role.HEADER, Role.FOOTER)]


TOP_LINES = 9  # content lines counted as the top zone
CONTINUED_LINES = 6  # a running "(continued)" header stands within these top lines
LEAD_LINES = 2  # lines after a salutation that state a letter's purpose
LETTERHEAD_LINES = 7  # a sender's name and address/phone lines stand within these top lines
LETTERHEAD_OPENING = 5  # ...and open the page: its address follows the name within this many lines
_PATIENT_WORDS = re.compile(r"(?i)\b(?:dob|d\.o\.b|birth|patient|mrn)\b")
_DIGIT_AS_READ = rf"[0-9{re.escape(ONE_LOOKALIKES)}]"
_PAGE_OF = re.compile(rf"(?i)\b(?:pa[a-z]{{1,2}}|pg|p)\s*[:.]?\s*(?P<k>{_DIGIT_AS_READ}{{1,3}})\s*(?:[oa0][ft]|/)\s*"
                      rf"(?P<n>{_DIGIT_AS_READ}{{1,3}})(?![0-9A-Za-z])")
# "Page 1 of 2" alone on its line
_COUNTER_LINE = re.compile(r"(?i)^\W*(?:pa[a-z]{1,2}|pg)\s*\S{1,3}\s*(?:[oa0][ft]|/)\s*\S{1,3}\W*$")
_CONTINUED = re.compile(r"(?i)\bcon(?:t|l)\w{0,5}ued\b|\bcont'?d\b|\(cont\.?\)"
                        r"|[({]\s?con[tl][a-z]{3,6}\s?[)}\]]")  # "(continned)": OCR-garbled in its parentheses
_CHECKBOX = re.compile(r"\[\s?[xX✓✔]?\s?\]|[☐☑☒□■]|\(\s?[xX]?\s?\)\s+[A-Z]")
_CHECK_INTRO = re.compile(r"(?i)\bcheck (?:all|any|one|each|the)\b|\(check\b|\bselect (?:all|one)\b"
                          r"|\bmark (?:all|one)\b|\bthat apply\b")
_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z0-9 /#&'().\-]{0,40}?\s?[:;]\s*\S")
_LABEL_ONLY = re.compile(r"^\s*[A-Za-z][A-Za-z0-9 /#&'().\-]{0,40}?\s?:\s*$")
_SUBJECT = re.compile(r"(?i)^\s*(?:re|subject|regarding|ref)\s*[:.]")
_PHONE = re.compile(r"\(?\d{3}\)?[\s.\-]*\d{3}[\s.\-]+\d{4}")
_ZIP = re.compile(r"\b[A-Z]{2}[\s,]*\d{5}(?:-\d{4})?\b")
_CONTACT_WORD = re.compile(r"(?i)\b(phone|tel|fax|ph|suite|ste|p\.?o\.? box|street|st\.|ave|avenue|road|rd|"
                           r"blvd|drive|dr|way|pkwy|lane|ln)\b")
_SALUTATION = re.compile(r"(?im)^\s*(dear\s+\S|to whom it may concern)")
_CLOSING = re.compile(r"(?im)^\s*(sincerely|regards|best regards|kind regards|respectfully|yours truly"
                      r"|cordially)\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]+")


_ONE = str.maketrans(ONE_LOOKALIKES, "1" * len(ONE_LOOKALIKES))


def _num(s: str) -> int | None:
    fixed = s.translate(_ONE)
    return int(fixed) if fixed.isdigit() else None


def page_counter(text: str) -> tuple[int, int] | None:
    """The last plausible "page k of n" in ``text`` (OCR-tolerant), or None."""
    found = None
    for m in _PAGE_OF.finditer(text):
        k, n = _num(m.group("k")), _num(m.group("n"))
        if k is not None and n is not None and 1 <= k <= n <= 200:
            found = (k, n)
    return found


def _is_heading(text: str) -> bool:
    words = _WORD.findall(text)
    if not words or len(words) > 9 or len(text) > 90:
        return False
    if text.rstrip().endswith((".", ",", ";")) and not text.isupper():
        return False
    if sum(c.isdigit() for c in text) > 0.15 * len(text.strip()):
        return False
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / max(1, len(letters))
    capitalised = sum(w[0].isupper() for w in words) / len(words)
    return upper > 0.7 or capitalised >= 0.6


def _role(text: str, in_checklist: bool) -> Role:
    stripped = text.strip()
    if _CHECKBOX.search(stripped) or in_checklist:
        return Role.CHECKLIST
    if _SUBJECT.match(stripped):
        return Role.SUBJECT
    words = _WORD.findall(stripped)
    contact = bool(_PHONE.search(stripped) or _ZIP.search(stripped))
    if contact and (len(words) <= 10 or _CONTACT_WORD.search(stripped)):
        return Role.CONTACT
    if _LABEL.match(stripped) or _LABEL_ONLY.match(stripped):
        return Role.LABEL
    if _is_heading(stripped):
        return Role.HEADING
    if len(words) >= 7 or stripped.endswith("."):
        return Role.SENTENCE
    return Role.OTHER


def _checklist_rows(lines: list[tuple[int, int, str]]) -> set[int]:
    """Rows of a tick-box list: the short lines after a "check all that apply" prompt."""
    rows: set[int] = set()
    for i, (_, _, text) in enumerate(lines):
        if not _CHECK_INTRO.search(text):
            continue
        for _, number, nxt in lines[i + 1:i + 9]:
            s = nxt.strip()
            if re.match(r"^\s*\d+[.)]\s", s) or _SUBJECT.match(s) or s.endswith(".") and len(s) > 60:
                break
            if _LABEL.match(s) and not _CHECKBOX.search(s):
                break
            rows.add(number)
    return rows


_LETTERHEAD_ROLES = (Role.HEADING, Role.OTHER, Role.CONTACT)


def _letterhead_block(top: list[Line]) -> bool:
    """A sender's name with its address or phone lines opening the page (only name, address,
    phone and stray lines before it: an address further down is a footer's or a form's)."""
    for i, ln in enumerate(top[:LETTERHEAD_OPENING]):
        if ln.role not in _LETTERHEAD_ROLES or _PATIENT_WORDS.search(ln.text):
            return False
        if ln.role is Role.CONTACT and i > 0 and any(x.role is not Role.CONTACT for x in top[:i]):
            return True
    return False


def _letterhead_key(text: str) -> str:
    words = [w.lower() for w in _WORD.findall(text)][:3]
    return " ".join(words)


def analyse(text: str) -> PageLayout:
    """Zones and line roles of one page's text."""
    skip = header_footer_spans(text)
    raw: list[tuple[int, int, str]] = []  # (start, number, text)
    pos = 0
    for number, line in enumerate(text.split("\n")):
        if line.strip():
            raw.append((pos, number, line))
        pos += len(line) + 1
    checklist = _checklist_rows(raw)
    out = PageLayout()
    content_seen = 0
    signed = False
    lead = 0  # opening lines still to mark after a salutation
    for start, number, line in raw:
        skipped = any(a <= start < b for a, b in skip)
        if skipped:
            role = Role.HEADER if number < 3 and not is_footer(line) else Role.FOOTER
        elif signed and len(line.split()) <= 8:
            role = Role.SIGNATURE
        else:
            role = _role(line, number in checklist)
            if lead and role in (Role.SENTENCE, Role.OTHER):
                role, lead = Role.LEAD, lead - 1
        if not skipped and _SALUTATION.match(line):
            lead = LEAD_LINES
        signed = signed or bool(not skipped and _CLOSING.match(line))
        top = not skipped and content_seen < TOP_LINES
        if not skipped:
            content_seen += 1
        out.lines.append(Line(number, start, line.strip(), role, top))
    _page_facts(out)
    return out


def _page_facts(out: PageLayout) -> None:
    content = out.content()
    out.content_words = sum(len(_WORD.findall(ln.text)) for ln in content)
    footer = [ln.text for ln in out.lines if ln.role is Role.FOOTER] + [ln.text for ln in content[-3:]]
    alone = [ln.text for ln in content[:3] if _COUNTER_LINE.match(ln.text)]
    out.page_of = page_counter("\n".join(footer)) or page_counter("\n".join(alone))
    top = [ln for ln in content if ln.top]
    out.continued = any(_CONTINUED.search(ln.text) for ln in top[:CONTINUED_LINES])
    if top:
        out.letterhead = _letterhead_key(top[0].text) or None
    out.letterhead_block = _letterhead_block(top[:LETTERHEAD_LINES])
    for ln in top:
        hits = find_dates(ln.text)
        if len(hits) == 1 and len(ln.text) - len(hits[0].raw) <= 4:
            out.date_line_top = True
    body = "\n".join(ln.text for ln in content)
    out.salutation = bool(_SALUTATION.search(body))
    out.closing = bool(_CLOSING.search(body))

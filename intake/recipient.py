"""Who a page is addressed to, and whether that is this office: spotting misdirected faxes.

Owns :func:`addressees` — the recipient block of a page: a cover's or
letter's ``To:`` / ``Attn:`` / ``cc:`` fields (up to the ``From:`` beside
them), a form's ``Referred to`` / ``Facility`` fields, a letter's inside
address (the lines between its date and its ``RE:`` line or salutation) —
and :func:`misdirected`, which compares them with the office profile
(``[office]`` in the configuration: name, aliases, fax, providers).

A page is *possibly misdirected* only when its recipient block names an
organisation and nothing in it is ours (our name, an alias, one of our
providers, our fax number); a block that names only a department ("Medical
Records") or a person is no evidence either way, and a ``cc:`` to us counts
as addressed to us.  With no office
profile configured nothing is ever flagged.  Pure text in, plain data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from intake.config import OfficeConfig
from intake.layout import Line, PageLayout, Role

_TO_FIELD = re.compile(r"(?i)(?:^|\s{2,}|\|)\s*(?P<label>to|attn|attention|cc|recipient|deliver to|send to"
                       r"|facility|practice name)\s*[:#]\s*(?P<value>.*)"
                       r"|(?P<label2>referred to)\s*[:#]?\s*(?P<value2>.*)")
_NEXT_FIELD = re.compile(r"(?i)\s(?:from|sender|fax|phone|tel|date|pages?|re|subject|npi|specialty|provider"
                         r"|#\s*of\s*pages)\s*[:#]")
_D = r"[0-9OoSsIl|B]"  # a digit as OCR may render it
_FAX = re.compile(rf"(?i)\bfax\b[^0-9(]{{0,12}}(\(?{_D}{{3}}\)?[\s.\-]*{_D}{{3}}[\s.\-]*{_D}{{4}})")
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "S": "5", "s": "5", "I": "1", "l": "1", "|": "1", "B": "8"})
_ORG_WORDS = re.compile(r"(?i)\b(clinic|health|medical|medicine|hospital|center|centre|group|practice"
                        r"|associates|physicians|pediatrics|cardiology|orthopedics|neurology|oncology|family"
                        r"|internal|urgent care|partners|healthcare|llp|llc|inc|pllc|pc|plan|insurance"
                        r"|laborator(?:y|ies)|imaging|radiology|pharmacy|nephrology|pulmonary|dermatology)\b")
_DEPARTMENT = re.compile(r"(?i)\b(medical records|health information management|him|records department"
                         r"|referral coordinator|front desk|billing|scheduling|nurse|triage)\b")
INSIDE_ADDRESS_LINES = 3  # name, organisation, department: the street lines add nothing
_CLOSE = 88  # rapidfuzz partial ratio at which a written name is ours (OCR slips allowed)


@dataclass
class Addressee:
    """One recipient mention on a page."""

    text: str
    fax: str | None = None  # digits only
    kind: str = "to"  # to | cc | inside address


@dataclass
class Recipients:
    """Everything the page says about whom it is for."""

    mentions: list[Addressee] = field(default_factory=list)


def _digits(s: str | None) -> str:
    return "".join(c for c in (s or "").translate(_DIGIT_FIX) if c.isdigit())[-10:]


def _field_value(value: str) -> str:
    cut = _NEXT_FIELD.search(" " + value)
    return (value[: max(cut.start() - 1, 0)] if cut else value).strip(" ,;|-")


def addressees(layout: PageLayout) -> Recipients:
    """The recipient block of a page: TO/ATTN/CC fields and a letter's inside address."""
    out = Recipients()
    content = layout.content()
    for i, ln in enumerate(content[:25]):
        m = _TO_FIELD.search(ln.text)
        if not m:
            continue
        group = "value" if m.group("value") is not None else "value2"
        value = _field_value(m.group(group))
        nxt = content[i + 1].text if i + 1 < len(content) else ""
        fax = _FAX.search(ln.text[m.start(group):]) or _FAX.search(nxt)
        kind = "cc" if (m.group("label") or "").lower() == "cc" else "to"
        if value or fax:
            out.mentions.append(Addressee(value, _digits(fax.group(1)) if fax else None, kind))
    inside = _inside_address(content)
    if inside:
        out.mentions.append(Addressee(inside, None, "inside address"))
    return out


def _inside_address(content: list[Line]) -> str | None:
    """A letter's inside address: the lines after its date line, before the RE: line or salutation."""
    start = next((i for i, ln in enumerate(content[:12]) if ln.top and _date_only(ln.text)), None)
    if start is None:
        return None
    block: list[str] = []
    for ln in content[start + 1:start + 8]:
        if ln.role is Role.SUBJECT or re.match(r"(?i)\s*(dear|to whom)\b", ln.text):
            return " ".join(block[:INSIDE_ADDRESS_LINES]) if block else None
        block.append(ln.text)
    return None  # no RE: line or salutation follows: not a letter's inside address


def _date_only(text: str) -> bool:
    from intake.dates import find_dates

    hits = find_dates(text)
    return len(hits) == 1 and len(text.strip()) - len(hits[0].raw) <= 6


def _ours(text: str, office: OfficeConfig) -> bool:
    low = text.lower()
    for name in [office.name, *office.aliases, *office.providers]:
        name = name.strip().lower()
        if name and (name in low or fuzz.partial_ratio(name, low) >= _CLOSE):
            return True
    return False


def misdirected(rec: Recipients, office: OfficeConfig) -> str | None:
    """Why the page looks meant for another practice, or None (always None without an office profile)."""
    if not office.name.strip():
        return None
    own_fax = _digits(office.fax)
    foreign: list[str] = []
    for m in rec.mentions:
        if _ours(m.text, office) or (own_fax and m.fax == own_fax):
            return None  # addressed (or copied) to us
        if m.kind != "cc" and _org_left(m.text):
            foreign.append(m.text.strip(" -—_'‘’\"“”()")[:80])
    return f"addressed to {foreign[0]}" if foreign else None


def _org_left(text: str) -> bool:
    """An organisation is named: an organisation word remains once department names are taken out."""
    return bool(_ORG_WORDS.search(_DEPARTMENT.sub(" ", text)))

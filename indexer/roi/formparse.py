"""Pure parsing of an authorization form's text (OCR or text layer) into draft fields.

Owns the regexes that find, on a scanned release-of-information form: who
may disclose ("I authorize X to disclose"), the recipient, the checked
record categories and dates of service, the purpose, the expiration phrase
(read into a date or an event by :mod:`indexer.roi.expiry`), the signer,
the signature date, a personal representative's authority and the three
164.508(c)(2) statements.  Anything not found is
left empty, so validation names it as missing and a clerk completes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from indexer.roi.expiry import Expiry, interpret
from intake.dates import find_dates

_LABEL_LINE = re.compile(r"^\s*[A-Za-z][A-Za-z /()'#.-]{1,40}:")
_JUNK = "_\u2014\u2013\u2018\u2019\u201c\u201d-.,:;'\"|~*\u00b0"  # what fax noise and OCR leave at line ends
_RECIPIENT = re.compile(
    r"(?im)^[\W_]*(?:release\s*(?:records\s*)?to|disclose\s*to|send\s*(?:records\s*)?to|recipient(?:\s+name)?)"
    r"\s*(?:\(recipient\))?\s*[:;\-]\s*(.+)$")
_PURPOSE = re.compile(
    r"(?im)^[\W_]*purpose(?:\s+of\s+(?:the\s+)?(?:disclosure|release|request|use))?\s*[:;\-]\s*(.+)$")
_DISCLOSER = re.compile(
    r"(?i)(?<![\w])[I|l1]\s*,?\s*(?:hereby\s+)?authori[sz]e\s+(.{3,200}?)\s*,?\s*\bto\s*(?:disclose|release|send|provide)")
_EXPIRES = re.compile(
    r"(?i)\b(?:expir(?:es|ation(?:\s+date)?|ation\s+event)|will\s+expire)\b\W{0,2}\s*(?:on\b)?\s*:?\s*")
_SIGNATURE_LINE = re.compile(r"(?im)^.*\bsign(?:ature|ed)\b.*$")
_SIGNER = re.compile(r"/s/\s*([A-Z][\w'.\-]+(?: (?!Date\b)[A-Z][\w'.\-]+){0,3})")
_REPRESENTATIVE = re.compile(
    r"(?im)^\s*(?:relationship\s+to\s+(?:the\s+)?patient|authority\s+to\s+act|legal\s+authority|"
    r"representative'?s?\s+authority)\s*[:\-]\s*(.+)$")
_DATES_OF_SERVICE = re.compile(r"(?im)^\s*(?:dates?\s+of\s+service|date\s+range|records\s+dated)\s*[:\-]\s*(.+)$")
_CHECKED = re.compile(r"[\[(|]\s*[xX\u2713\u2714]\s*[\])|]\s*([^\[\n(|]+)")
_REVOKE = re.compile(r"(?i)\b(?:revoke\s+this\s+authori[sz]ation|right\s+to\s+revoke|may\s+revoke)\b")
_CONDITION = re.compile(r"(?i)\b(?:conditioned\s+(?:on|upon)|(?:will|may)\s+not\s+condition|conditioning)\b")
_REDISCLOSE = re.compile(r"(?i)\bre-?\s?disclos\w*")
_SELF = {"self", "patient", "same", "n/a", "na", "none"}

CATEGORY_TYPES: tuple[tuple[str, str], ...] = (
    (r"entire|complete\s+(?:medical\s+)?record|all\s+records", "all"),
    (r"progress|office\s+notes?|clinical\s+notes?|visit\s+notes?|chart\s+notes?", "clinical_note"),
    (r"\blab", "lab_result"),
    (r"imaging|radiology|x-?ray", "imaging_report"),
    (r"discharge", "discharge_summary"),
    (r"referral|consult", "referral"),
    (r"prescription|medication", "prescription_request"),
    (r"correspondence|letters?", "correspondence"),
)


@dataclass
class ParsedForm:
    """Fields found on the form (``None``/empty when not found)."""

    discloser: str | None = None
    recipient_name: str | None = None
    recipient_address: str | None = None
    description: str | None = None
    doc_types: list[str] = field(default_factory=list)
    info_from: date | None = None
    info_to: date | None = None
    purpose: str | None = None
    expires_on: date | None = None
    expiration_event: str | None = None
    expiry_phrase: str | None = None  # as written: "one year from the date signed", "12/31/2027"
    signer_name: str | None = None
    signed_on: date | None = None
    representative_authority: str | None = None
    stmt_revocation: bool = False
    stmt_conditioning: bool = False
    stmt_redisclosure: bool = False

    def resolve_expiry(self, today: date) -> Expiry | None:
        """Work out the expiry date/event from the phrase and the signature date (a duration is never an event)."""
        if not self.expiry_phrase:
            self.expires_on = self.expiration_event = None
            return None
        expiry = interpret(self.expiry_phrase, signed_on=self.signed_on, today=today)
        self.expires_on, self.expiration_event = expiry.on, expiry.event
        return expiry

    @property
    def found(self) -> list[str]:
        """Names of the fields that were found (for logs and review reasons; no values)."""
        return [k for k, v in vars(self).items() if v not in (None, False, [], "")]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def clean_value(value: str) -> str:
    """Drop tokens with no letters or digits (fax specks, stray punctuation) and trailing punctuation."""
    tokens = [t for t in value.split() if re.search(r"[\w&]", t)]
    return " ".join(tokens).strip(_JUNK + " ")


def _with_continuation(text: str, match: re.Match[str]) -> str:
    """The labelled value plus wrapped continuation lines (short, unlabelled, not a list item)."""
    value = clean_value(match.group(1))
    for line in text[match.end():].lstrip("\n").splitlines():
        if not line.strip():
            break
        raw = line.strip().lstrip(_JUNK + " ")
        if _LABEL_LINE.match(raw) or re.match(r"^(?:\d+[.)]|[\[(|\u2022])", raw):
            break
        stripped = clean_value(raw)
        if not stripped:
            continue  # a line of specks
        if len(stripped) > 40 and not value.endswith(","):
            break
        if stripped.isupper() and len(stripped.split()) > 2:
            break
        value = f"{value} {stripped}"
    return clean_value(value)


def split_party(value: str) -> tuple[str, str | None]:
    """``"Valley Cardiology, 2250 River Rd, Salem, OR"`` → name and address."""
    m = re.search(r",\s*(?=(?:\d|P\.?\s?O\.?\s+Box|PO\s+Box|One\s|Suite|Ste\b))", value, re.IGNORECASE)
    if not m:
        return value.strip(), None
    return value[:m.start()].strip(), value[m.end():].strip() or None


def _first_date(text: str, today: date) -> date | None:
    hits = find_dates(text, "any", today)
    return date.fromisoformat(hits[0].iso) if hits else None


def _expiry_phrase(flat: str) -> str | None:
    """The words after "expires" up to the end of their sentence ("one year from the date signed")."""
    for m in _EXPIRES.finditer(flat):
        tail = flat[m.end():m.end() + 160]
        phrase = re.split(r"(?<=[a-z0-9)])\.(?:\s|$)|\s(?=[A-Z]{2,}\b\W*\s[A-Z]{2,}\b)|\sSignature\b", tail,
                          maxsplit=1)[0]
        phrase = clean_value(phrase)
        if 1 <= len(phrase) <= 150 and not re.match(r"(?i)date\b", phrase):
            return phrase
    return None


def _signature(text: str, today: date) -> tuple[str | None, date | None]:
    signer: str | None = None
    signed: date | None = None
    for m in _SIGNATURE_LINE.finditer(text):
        line = m.group(0)
        if signer is None and (sm := _SIGNER.search(line)):
            signer = sm.group(1).strip()
        if signed is None and (signer or "date" in line.lower()):
            signed = _first_date(line, today)
    return signer, signed


def _categories(text: str) -> tuple[list[str], list[str]]:
    labels = [m.group(1).strip() for m in _CHECKED.finditer(text)]
    types: list[str] = []
    for label in labels:
        for pattern, doc_type in CATEGORY_TYPES:
            if re.search(pattern, label, re.IGNORECASE) and doc_type not in types:
                types.append(doc_type)
    return labels, types


def _service_range(text: str, today: date) -> tuple[date | None, date | None, str | None]:
    m = _DATES_OF_SERVICE.search(text)
    if not m:
        return None, None, None
    value = m.group(1).strip()
    hits = find_dates(value, "any", today)
    start = date.fromisoformat(hits[0].iso) if hits else None
    end = date.fromisoformat(hits[1].iso) if len(hits) > 1 else None
    return start, end, value


def parse_form(text: str, today: date) -> ParsedForm:
    """Every field this parser can find on the form text (pages joined by newlines)."""
    flat = _flat(text)
    form = ParsedForm()
    if m := _DISCLOSER.search(flat):
        form.discloser = m.group(1).strip(" ,")
    if m := _RECIPIENT.search(text):
        form.recipient_name, form.recipient_address = split_party(_with_continuation(text, m))
    if m := _PURPOSE.search(text):
        form.purpose = _with_continuation(text, m) or None
    labels, form.doc_types = _categories(text)
    form.info_from, form.info_to, dates_text = _service_range(text, today)
    parts = labels + ([f"dates of service {dates_text}"] if dates_text else [])
    form.description = "; ".join(parts) or None
    form.signer_name, form.signed_on = _signature(text, today)
    form.expiry_phrase = _expiry_phrase(flat)
    form.resolve_expiry(today)
    if (m := _REPRESENTATIVE.search(text)) and m.group(1).strip().lower() not in _SELF:
        form.representative_authority = m.group(1).strip()
    form.stmt_revocation = bool(_REVOKE.search(flat))
    form.stmt_conditioning = bool(_CONDITION.search(flat))
    form.stmt_redisclosure = bool(_REDISCLOSE.search(flat))
    return form

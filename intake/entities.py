"""Entity extraction: a spaCy rule pipeline over page text -> :class:`~intake.model.Entities`.

spaCy (blank English tokenizer + PhraseMatcher, via :mod:`intake._exec.nlp`)
finds field labels (``Patient:``, ``D.O.B.``, ``MRN``, ``Date of Service`` ...);
small parsers normalise the values that follow them (:mod:`intake.dates`,
:mod:`intake.names`).  Roster names are found with an OCR-tolerant gazetteer,
our own MRNs anywhere with OCR-confusable characters repaired, phone and fax
numbers with ``phonenumbers``.  The document date is chosen by label priority
(date of service / report beats a generic date), never from the fax header,
a footer, a prior result or the DOB.  Nothing here logs text or values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import phonenumbers

from intake import dates, docdate, doctype, names, segment
from intake._exec.nlp import Hit, RuleMatcher
from intake.config import Config
from intake.doctype import urgency
from intake.doctype_score import cover_page, score_layouts, title_type
from intake.layout import PageLayout, analyse
from intake.model import Entities, NameMention, PageEntities, PageText, ValueMention

log = logging.getLogger(__name__)

LABELS: dict[str, tuple[str, ...]] = {
    "NAME": ("patient name", "pt name", "patient's name", "name of patient", "patient", "name",
             "re", "member", "member name", "client name", "pt", "patient full name"),
    "LAST": ("last name", "family name", "surname"),
    "FIRST": ("first name", "given name"),
    "MI": ("mi", "m.i.", "middle initial", "middle name"),
    "DOB": ("dob", "d.o.b.", "d.o.b", "date of birth", "birth date", "birthdate", "born",
            "dob/age", "birth dt", "d0b", "do8", "d.0.b.", "birthdare", "date of blrth"),
    "MRN": ("mrn", "medical record number", "medical record #", "medical record no",
            "med rec #", "med rec no", "med rec", "mr #", "chart #", "chart no", "chart no.",
            "chart number", "chart id", "patient id", "pt id", "patient #", "lab pt id",
            "client id", "client mrn", "your mrn", "pcp chart #", "imaging id", "record #",
            "chart # (office use)"),
    "OTHER_ID": ("acct", "acct #", "account #", "account number", "encounter", "req #",
                 "accession", "accession #", "member id", "group no", "group #", "rx pt id",
                 "authorization #", "rxbin", "rxpcn"),
    "SEX": ("sex", "gender"),
    "DATE1": ("date of service", "dos", "service date", "visit date", "date of visit",
              "exam date", "date of exam", "study date", "collected", "collection date",
              "date collected", "discharge date", "date of discharge", "referral date",
              "request date", "report date", "date of report", "encounter date",
              "procedure date", "letter date"),
    "DATE2": ("date", "reported", "date reported", "result date", "form date", "date signed"),
    "DATE3": ("admission date", "date of admission"),
    "NODATE": ("last fill", "effective", "expires", "expires on", "expiration", "expiration date",
               "dates of service", "comparison", "prior study dated", "printed", "received",
               "prior result", "previous", "called to", "sent"),
    "PROVIDER": ("provider", "provider name", "primary care provider", "primary care provider name",
                 "ordering provider", "ordering physician", "referring provider",
                 "referring physician", "attending", "attending physician", "prescriber",
                 "physician", "electronically signed by", "dictated and signed by",
                 "signed by", "radiologist"),
    "FROM": ("from", "sender"),
}
# OCR'd "DOB" labels the phrase list cannot foresee: "-D.0,B.", "D.0.B", "DO.B", "-DOB"
LABEL_PATTERNS: dict[str, list[list[dict[str, Any]]]] = {
    "DOB": [[{"LOWER": {"REGEX": r"^[-\u2013\u2014\"'(]*d[.,]?[o0][.,]?[b8][.,]?$"}}]],
}
COLON_REQUIRED = {"patient", "name", "re", "member", "pt", "date", "from", "provider", "sex",
                  "physician", "attending", "reported", "collected", "dos", "mi",
                  "gender", "born", "sender", "effective", "received", "printed", "sent"}
_SEP = " \t:;#.,-_…"
_LINE_STOP = re.compile(r"\s{3,}|\t|\|")
_CONTACT_CONTEXT = re.compile(r"(?i)emergency contact|guarantor|responsible party|relationship"
                              r"|spouse|insured|subscriber|next of kin")
_SEX_VALUE = re.compile(r"(?i)^(female|male|f|m|x|nonbinary|non-binary|other|unknown|u)\b")
_SEX_BOX = re.compile(r"(?i)[\[(|]\s*[x✓✔]\s*[\])|]\s*(female|male|f|m)\b")
_ID_VALUE = re.compile(r"^\(?[A-Za-z0-9][A-Za-z0-9\-]{2,19}")
_EMPTY_FIELD = re.compile(r"^[\s:#.]*_{3,}")
_PAREN = re.compile(r"^\s*\([^)]{0,40}\)")
_PHONE_FAX_LABEL = re.compile(r"(?i)\b(fax|fx|f)\s*(#|no\.?|number)?\s*[:.]?\s*$")


@dataclass
class _Page:
    """Intermediate per-page findings."""

    entities: PageEntities
    dates: list[ValueMention] = field(default_factory=list)  # every date, with its role
    sex: str | None = None
    provider: str | None = None
    sender: str | None = None
    phones: list[ValueMention] = field(default_factory=list)
    faxes: list[ValueMention] = field(default_factory=list)


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


class EntityExtractor:
    """Built once per worker process (rules, gazetteer); :meth:`extract` per document."""

    def __init__(self, cfg: Config, gazetteer: Sequence[tuple[str, str]] = ()) -> None:
        self._cfg = cfg
        self._today = date.today()
        self._rules = RuleMatcher(LABELS, LABEL_PATTERNS, model=cfg.extract.spacy_model)
        self._gazetteer = names.Gazetteer(gazetteer)
        self._own = re.compile(cfg.extract.mrn_pattern)
        self._own_tolerant = _tolerant_mrn_regex(cfg.extract.mrn_pattern)
        path = cfg.extract.doctypes_file
        self._doctypes = doctype.load_rules(Path(path) if path else None)

    # ------------------------------------------------------------------ document level
    def extract(self, pages: Sequence[PageText]) -> Entities:
        """All entities of a source file (or a page range of one), its documents and their types."""
        found = [self._page(p) for p in pages]
        ent = Entities(pages=[f.entities for f in found])
        for f in found:
            ent.patient_names.extend(f.entities.names)
            ent.dobs.extend(f.entities.dobs)
            ent.mrns.extend(f.entities.mrns)
            ent.phones.extend(f.phones)
            ent.faxes.extend(f.faxes)
            ent.dates.extend(f.dates)
        ent.patient_names = _dedupe_names(ent.patient_names)
        for key in ("dobs", "mrns", "phones", "faxes"):
            setattr(ent, key, _dedupe_values(getattr(ent, key)))
        ent.sex = next((f.sex for f in found if f.sex), None)
        ent.parts = segment.segment(ent.pages)
        content = [p for p in ent.parts if not p.cover]
        first, last = (content[0].first, content[0].last) if len(content) > 1 else (
            min(p.page for p in ent.pages), max(p.page for p in ent.pages))
        info = segment.describe(ent, first, last, self._doctypes)
        ent.doc_type, ent.doc_type_confidence, ent.loinc = info.doc_type, info.confidence, info.loinc
        ent.doc_date, ent.sender_org, ent.provider = info.doc_date, info.sender, info.provider
        ent.misdirected = info.misdirected
        ent.urgent, ent.urgency_reasons = urgency("\n".join(p.text for p in pages))
        return ent

    # ------------------------------------------------------------------ page level
    def _page(self, page: PageText) -> _Page:
        text = page.text or ""
        if page.source == "blank" or not text.strip():
            return _Page(PageEntities(page.number, is_blank=True))
        out = _Page(PageEntities(page.number))
        layout = analyse(text)
        self._layout(layout, text, out.entities)
        skip = dates.header_footer_spans(text)
        view = _label_view(text)
        hits = [h for h in self._rules.find(view) if _label_ok(view, h)]
        self._labelled(page.number, text, hits, out)
        out.dates = [ValueMention(d.iso, d.raw, page.number, d.label, role=d.role.value,
                                  confidence=0.8 if d.repaired else 0.95)
                     for d in docdate.page_dates(layout, page.number, self._today)]
        self._own_mrns(page.number, text, out)
        self._gazetteer_names(page.number, text, out)
        _reconcile_names(out.entities.names)
        self._phones(page.number, text, skip, out)
        if out.sender is None:
            out.sender = names.letterhead_org(text, skip)
        out.entities.sender, out.entities.provider = out.sender, out.provider
        return out

    def _layout(self, layout: PageLayout, text: str, pe: PageEntities) -> None:
        """Layout evidence of the page, for segmenting the file and typing its documents."""
        rules = self._doctypes
        pe.is_cover = cover_page(layout, rules)
        pe.type_scores = {k: round(v, 2) for k, v in score_layouts([layout], rules).items() if v}
        pe.page_of = list(layout.page_of) if layout.page_of else None
        pe.continued = layout.continued
        pe.letterhead = layout.letterhead
        pe.content_words = layout.content_words
        pe.starts = bool(layout.letterhead_block or title_type(layout, rules)
                         or (layout.date_line_top and layout.salutation))
        pe.urgency = urgency(text)[1]

    def _labelled(self, number: int, text: str, hits: list[Hit], out: _Page) -> None:
        parts: dict[str, str] = {}
        for i, hit in enumerate(hits):
            value = _value_after(text, hit, hits[i + 1] if i + 1 < len(hits) else None)
            if not value:
                continue
            if hit.kind == "NAME" and not _contact_context(text, hit.start):
                parsed = names.parse_name(value)
                if parsed:
                    out.entities.names.append(NameMention(
                        parsed.family, parsed.given, parsed.middle, raw=value, page=number,
                        source="label", confidence=0.9))
            elif hit.kind in ("LAST", "FIRST", "MI") and not _contact_context(text, hit.start):
                parts.setdefault(hit.kind, value.split()[0].strip(",."))
            elif hit.kind == "DOB":
                found = dates.find_dates(value[:40], "birth", self._today)
                if found and found[0].start <= 2:
                    d = found[0]
                    out.entities.dobs.append(ValueMention(
                        d.iso, d.raw, number, hit.text, confidence=0.8 if d.repaired else 0.95))
            elif hit.kind == "MRN":
                self._labelled_id(number, hit, value, out)
            elif hit.kind == "SEX" and out.sex is None:
                out.sex = _sex(value)
            elif hit.kind == "PROVIDER" and out.provider is None:
                out.provider = names.clean_person(value)
            elif hit.kind == "FROM" and out.sender is None and not _PHONE_FAX_LABEL.search(value):
                out.sender = _clean_sender(value)
        if "LAST" in parts and "FIRST" in parts:
            out.entities.names.append(NameMention(parts["LAST"], parts["FIRST"], parts.get("MI"),
                                                  raw=f"{parts['LAST']}, {parts['FIRST']}",
                                                  page=number, source="label", confidence=0.9))

    def _labelled_id(self, number: int, hit: Hit, value: str, out: _Page) -> None:
        m = _ID_VALUE.match(value.strip())
        if not m or not any(c.isdigit() for c in m.group(0)):
            return
        raw = m.group(0).strip("()")
        own = self._repair_own(raw)
        if own:
            return  # found again (with its label) by _own_mrns
        out.entities.mrns.append(ValueMention(raw.upper(), raw, number, hit.text,
                                              scheme="foreign", confidence=0.8))

    def _repair_own(self, raw: str) -> str | None:
        m = self._own_tolerant.fullmatch(raw.strip()) if self._own_tolerant else None
        if m is None:
            return raw.upper() if self._own.fullmatch(raw.upper()) else None
        value = m.group("prefix").upper() + m.group("body").translate(dates.DIGIT_FIX)
        return value if self._own.fullmatch(value) else None

    def _own_mrns(self, number: int, text: str, out: _Page) -> None:
        regex = self._own_tolerant or self._own
        for m in regex.finditer(text):
            value = self._repair_own(m.group(0))
            if value is None:
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            before = text[max(line_start, m.start() - 30):m.start()]
            labelled = bool(re.search(r"(?i)(mrn|chart|record|patient id|#)\W*$", before))
            conf = 0.99 if value == m.group(0) else 0.9
            out.entities.mrns.append(ValueMention(value, m.group(0), number,
                                                  "MRN" if labelled else None, scheme="own",
                                                  confidence=conf))

    def _gazetteer_names(self, number: int, text: str, out: _Page) -> None:
        if not len(self._gazetteer):
            return
        for hit in self._gazetteer.find(text):
            out.entities.names.append(NameMention(
                hit.family, hit.given, None, raw=text[hit.start:hit.end], page=number,
                source="gazetteer", confidence=0.85 if hit.exact else 0.7))

    def _phones(self, number: int, text: str, skip: list[tuple[int, int]], out: _Page) -> None:
        matcher = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)
        for match in matcher:
            if sum(c.isdigit() for c in match.raw_string) < 10:
                continue
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            line_start = text.rfind("\n", 0, match.start) + 1
            context = text[max(line_start, match.start - 14):match.start]
            target = out.faxes if _PHONE_FAX_LABEL.search(context) else out.phones
            target.append(ValueMention(e164, match.raw_string, number,
                                       context.strip(" :") or None))


# ---------------------------------------------------------------------- helpers
def _tolerant_mrn_regex(pattern: str) -> re.Pattern[str] | None:
    """``CF\\d{6}`` -> a regex that also accepts OCR-confused prefix letters and digits."""
    m = re.fullmatch(r"([A-Za-z]+)\\d\{(\d+)\}", pattern)
    if m is None:
        return None
    confusable = {"C": "CcG(", "F": "FfEP", "O": "O0o", "I": "I1l", "S": "S5s", "B": "B8"}
    prefix = "".join("[" + re.escape(confusable.get(c.upper(), c.upper() + c.lower())) + "]"
                     for c in m.group(1))
    return re.compile(rf"(?<![A-Za-z0-9])(?P<prefix>{prefix})[\s\-]?"
                      rf"(?P<body>[0-9OoQDIl|SsBZzG]{{{m.group(2)}}})(?![A-Za-z0-9])")


_OCR_ABBREV_COMMA = re.compile(r"(?<=\b[A-Za-z])[,;](?=[A-Za-z][.,;])")
_OCR_COLON = re.compile(r"(?<=[A-Za-z#)])\s?;(?=\s|$)", re.MULTILINE)


def _label_view(text: str) -> str:
    """Same-length copy of ``text`` with OCR slips in labels repaired ("D,O.B." / "Sex;")."""
    text = _OCR_ABBREV_COMMA.sub(".", text)
    return _OCR_COLON.sub(lambda m: m.group(0).replace(";", ":"), text)


def _label_ok(text: str, hit: Hit) -> bool:
    """Generic one-word labels count only when followed by ':' (or leader dots / '#')."""
    if hit.text.lower().rstrip(".") not in COLON_REQUIRED:
        return True
    rest = text[hit.end:hit.end + 4].lstrip(" ")
    return rest[:1] in (":", "#") or rest.startswith("..")


_SENDER_STOP = re.compile(r"\(?\d{3}\)?[\s.-]*\d{3}[\s.-]*\d{4}|\bTO\s*:|\bP\.\s*\d|\bPAGE\b|\d{7,}", re.I)


def _clean_sender(value: str) -> str | None:
    """A 'FROM:' value cut before the phone number, 'TO:' or page counter of a fax header line."""
    m = _SENDER_STOP.search(value)
    cleaned = (value[: m.start()] if m else value).strip(" ,;:-|\t")
    return cleaned[:120] or None


def _value_after(text: str, hit: Hit, nxt: Hit | None) -> str:
    """The value following a label, up to the next label or the end of its column/line."""
    _, line_end = _line_bounds(text, hit.start)
    stop = min(line_end, nxt.start) if nxt and nxt.start > hit.end else line_end
    raw = text[hit.end:stop]
    paren = _PAREN.match(raw)  # "MRN (Valley General): 1234567"
    if paren:
        raw = raw[paren.end():]
    if _EMPTY_FIELD.match(raw):  # "Name: ________  Vaccine requested: ____"
        return ""
    raw = raw.lstrip(_SEP)
    cut = _LINE_STOP.search(raw)
    return (raw[:cut.start()] if cut else raw).strip()


def _contact_context(text: str, pos: int) -> bool:
    """A name label inside an emergency-contact / guarantor block is not the patient."""
    start, end = _line_bounds(text, pos)
    prev_start = text.rfind("\n", 0, max(start - 1, 0)) + 1
    return bool(_CONTACT_CONTEXT.search(text[prev_start:end]))


def _sex(value: str) -> str | None:
    box = _SEX_BOX.search(value)
    token = box.group(1) if box else None
    if token is None:
        m = _SEX_VALUE.match(value.strip())
        token = m.group(1) if m else None
    if token is None:
        return None
    t = token.lower()
    return "F" if t.startswith("f") else "M" if t.startswith("m") else "X" if t in (
        "x", "nonbinary", "non-binary", "other") else None


def _reconcile_names(mentions: list[NameMention]) -> None:
    """A labelled name that is a roster name with an OCR slip takes the roster spelling."""
    roster = [m for m in mentions if m.source == "gazetteer"]
    for m in [m for m in mentions if m.source == "label"]:
        fam, giv = names.fold(m.family), names.fold(m.given)
        for r in roster:
            r_fam, r_giv = names.fold(r.family), names.fold(r.given)
            if (fam, giv) == (r_fam, r_giv):
                r.confidence = max(r.confidence, 0.95)
            elif giv == r_giv and (fam.endswith(r_fam) or names.within_one(fam, r_fam)):
                r.confidence = max(r.confidence, 0.95)
                mentions.remove(m)
                break


def _dedupe_names(mentions: list[NameMention]) -> list[NameMention]:
    best: dict[tuple[str, str], NameMention] = {}
    for m in mentions:
        key = (names.fold(m.family), names.fold(m.given))
        if key not in best or m.confidence > best[key].confidence:
            best[key] = m
    return sorted(best.values(), key=lambda m: (-m.confidence, m.page))


def _dedupe_values(values: list[ValueMention]) -> list[ValueMention]:
    best: dict[tuple[str, str | None], ValueMention] = {}
    for v in values:
        key = (v.value, v.scheme)
        if key not in best or v.confidence > best[key].confidence:
            best[key] = v
    return list(best.values())

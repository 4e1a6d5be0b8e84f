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

from intake import dates, docdate, doctype, names, recipient, segment
from intake._exec.nlp import Hit, RuleMatcher
from intake.config import Config
from intake.doctype import urgency
from intake.doctype_score import cover_page, score_layouts, title_type
from intake.identifiers import OrgName
from intake.idread import IdentifierReader, LabelName, dedupe_names, dedupe_values
from intake.layout import PageLayout, analyse
from intake.model import Entities, NameMention, PageEntities, PageText, RosterLexicon, ValueMention
from intake.patient_ids import BAR_INITIAL

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
    # "D0B", "OOB", "DPOB" (one stray mark inside), "D.0,B."
    "DOB": [[{"LOWER": {"REGEX": r"^[-\u2013\u2014\"'(]*[do0][.,]?[^\s\w]?[a-z]?[o0][.,]?[b8][.,]?$"}}],
            # "Date of Birth" with an OCR slip in "Date" or "Birth" ("Oate of Blrth", "Date of Birtn")
            [{"LOWER": {"REGEX": r"^[do0]ate$"}}, {"LOWER": {"IN": ["of", "0f", "ot"]}},
             {"LOWER": {"REGEX": r"^b[il1!|]?[rn][tl]?[hn][:.]?$"}}]],
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
_EMPTY_FIELD = re.compile(r"[\s:#.]*_{3,}")  # used with .match(text, pos)
_PAREN = re.compile(r"\s*\([^)]{0,40}\)")  # used with .match(text, pos)
_PHONE_FAX_LABEL = re.compile(r"(?i)\b(fax|fx|f)\s*(#|no\.?|number)?\s*[:.]?\s*$")


@dataclass
class _Page:
    """Intermediate per-page findings."""

    entities: PageEntities
    label_names: list[LabelName] = field(default_factory=list)
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

    def __init__(self, cfg: Config, gazetteer: Sequence[tuple[str, str]] | RosterLexicon = ()) -> None:
        self._cfg = cfg
        self._today = date.today()
        self._rules = RuleMatcher(LABELS, LABEL_PATTERNS, model=cfg.extract.spacy_model)
        lexicon = gazetteer if isinstance(gazetteer, RosterLexicon) else RosterLexicon(names=list(gazetteer))
        self._ids = IdentifierReader(cfg, lexicon, self._today)
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
        ent.patient_names = dedupe_names(ent.patient_names)
        for key in ("dobs", "mrns", "phones", "faxes"):
            setattr(ent, key, dedupe_values(getattr(ent, key)))
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
        senders = _senders(text, hits, skip)
        taken = self._labelled(page.number, text, hits, senders, out)
        out.dates = [ValueMention(d.iso, d.raw, page.number, d.label, role=d.role.value,
                                  confidence=0.8 if d.repaired else 0.95)
                     for d in docdate.page_dates(layout, page.number, self._today)]
        out.entities.mrns += self._ids.own_mrns(page.number, text, taken)
        out.entities.names += self._ids.names(page.number, text, out.label_names)
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
        rec = recipient.addressees(layout)
        pe.recipient = "; ".join(m.text for m in rec.mentions if m.text)[:200] or None
        pe.misdirected = recipient.misdirected(rec, self._cfg.office)

    def _labelled(self, number: int, text: str, hits: list[Hit], senders: list[OrgName],
                  out: _Page) -> list[tuple[int, int]]:
        """Values after labels; returns the spans of ID labels and their values (read already)."""
        parts: dict[str, str] = {}
        taken: list[tuple[int, int]] = []
        headers = _header_rows(text, hits)
        for i, hit in enumerate(hits):
            value = _value_after(text, hit, hits[i + 1] if i + 1 < len(hits) else None)
            if hit.kind in ("MRN", "OTHER_ID"):
                _, line_end = _line_bounds(text, hit.start)
                nxt = hits[i + 1].start if i + 1 < len(hits) and hits[i + 1].start > hit.end else line_end
                taken.append((hit.start, min(line_end, nxt)))
            if hit.start in headers:
                value = headers[hit.start]  # a column header: its value is on the line below
            if not value:
                continue
            if hit.kind == "NAME" and not _contact_context(text, hit.start):
                span = _value_span(text, hit, hits[i + 1] if i + 1 < len(hits) else None)
                name = self._ids.label_name(text, hit, span)
                if name is not None:
                    out.label_names.append(name)
            elif hit.kind in ("LAST", "FIRST", "MI") and not _contact_context(text, hit.start):
                parts.setdefault(hit.kind, value.split()[0].strip(",."))
            elif hit.kind == "DOB" and (dob := self._ids.dob(number, hit.text, value)) is not None:
                out.entities.dobs.append(dob)
            elif hit.kind == "MRN" and (mrn := self._ids.labelled_id(number, text, hit, value, senders)):
                out.entities.mrns.append(mrn)
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
        return taken


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
def _senders(text: str, hits: list[Hit], skip: list[tuple[int, int]]) -> list[OrgName]:
    """Who sent the page: its letterhead and any 'From:' value (an ID label naming them is theirs)."""
    found = [names.letterhead_org(text, skip)]
    found += [_clean_sender(_value_after(text, h, None)) for h in hits if h.kind == "FROM"]
    return [o for o in (OrgName.of(f) for f in found) if o is not None]


_OCR_ABBREV_COMMA = re.compile(r"(?<=\b[A-Za-z])[,;](?=[A-Za-z][.,;])")
_OCR_COLON = re.compile(r"(?<=[A-Za-z#)])\s?;(?=\s|$)", re.MULTILINE)


def _label_view(text: str) -> str:
    """Same-length copy of ``text`` with OCR slips in labels repaired ("D,O.B." / "Sex;")."""
    text = _OCR_ABBREV_COMMA.sub(".", text)
    return _OCR_COLON.sub(lambda m: m.group(0).replace(";", ":"), text)


_FAMILY_COMMA_GIVEN = re.compile(r"[ \t]+[A-Z][A-Za-z'’\-]+(?:[ \t][A-Z][A-Za-z'’\-]+)?,[ \t]?[A-Z][A-Za-z]")


def _label_ok(text: str, hit: Hit) -> bool:
    """Generic one-word labels count only when followed by ':' (or leader dots / '#'); a name label
    also when a ``FAMILY, Given`` name follows it ("Patient RAMOS, SARAH")."""
    if hit.text.lower().rstrip(".") not in COLON_REQUIRED:
        return True
    rest = text[hit.end:hit.end + 4].lstrip(" ")
    if rest[:1] in (":", "#") or rest.startswith(".."):
        return True
    return hit.kind == "NAME" and bool(_FAMILY_COMMA_GIVEN.match(text, hit.end))


_SENDER_STOP = re.compile(r"\(?\d{3}\)?[\s.-]*\d{3}[\s.-]*\d{4}|\bTO\s*:|\bP\.\s*\d|\bPAGE\b|\d{7,}", re.I)


def _clean_sender(value: str) -> str | None:
    """A 'FROM:' value cut before the phone number, 'TO:' or page counter of a fax header line."""
    m = _SENDER_STOP.search(value)
    cleaned = (value[: m.start()] if m else value).strip(" ,;:-|\t")
    return cleaned[:120] or None


_NAME_PARTS = ("LAST", "FIRST", "MI")


def _header_rows(text: str, hits: list[Hit]) -> dict[int, str]:
    """Labels that head columns (``LAST NAME  FIRST NAME`` / ``DATE OF BIRTH (MM/DD/YYYY)``) with their values
    read from the line below, by position: label start -> value."""
    lines: dict[int, list[Hit]] = {}
    for h in hits:
        lines.setdefault(_line_bounds(text, h.start)[0], []).append(h)
    out: dict[int, str] = {}
    for line_start, row in lines.items():
        _, line_end = _line_bounds(text, line_start)
        below = text[line_end + 1:].lstrip("\n").split("\n", 1)[0] if line_end < len(text) else ""
        if not below.strip():
            continue
        parts = [h for h in row if h.kind in _NAME_PARTS]
        if {h.kind for h in parts} >= {"LAST", "FIRST"} and not _value_after(text, parts[0], parts[1]):
            words = below.split()
            for k, h in enumerate(parts):
                if k < len(words):
                    out[h.start] = words[k]
        first = row[0]
        if first.kind == "DOB" and not text[line_start:first.start].strip() and \
                not dates.find_dates(text[first.end:line_end][:30], "birth"):
            out[first.start] = below.strip()
    return out


def _value_span(text: str, hit: Hit, nxt: Hit | None) -> tuple[int, int]:
    """Where the value following a label lies: up to the next label or the end of its column/line."""
    _, line_end = _line_bounds(text, hit.start)
    stop = min(line_end, nxt.start) if nxt and nxt.start > hit.end else line_end
    start = hit.end
    paren = _PAREN.match(text, start, stop)  # "MRN (Valley General): 1234567"
    if paren:
        start = paren.end()
    if _EMPTY_FIELD.match(text, start, stop):  # "Name: ________  Vaccine requested: ____"
        return start, start
    while start < stop and text[start] in _SEP:
        start += 1
    cut = _LINE_STOP.search(text, start, stop)
    while cut and cut.group(0) == "|" and BAR_INITIAL.match(text, cut.start() - 1, stop):
        cut = _LINE_STOP.search(text, cut.end(), stop)  # "Nicholas | Blackwell": a misread initial
    end = cut.start() if cut else stop
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _value_after(text: str, hit: Hit, nxt: Hit | None) -> str:
    """The value following a label, up to the next label or the end of its column/line."""
    start, end = _value_span(text, hit, nxt)
    return text[start:end]


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

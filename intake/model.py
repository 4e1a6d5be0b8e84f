"""Plain data types that cross the intake → indexer boundary.

This module owns the *contract* between the stages: what a page and a
document look like after text extraction and entity extraction.  Workers
produce these objects, the single writer process consumes them.  They are
JSON-serialisable with :func:`dataclasses.asdict` and contain no behaviour
beyond small helpers, so every stage can depend on them without pulling in
tesseract, spaCy or the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TextSource = Literal["text_layer", "ocr", "blank", "error"]
# own: this office's MRN by its label (or the office's format where no label says whose it is);
# plain: a number of the office's MRN shape after an unqualified "MRN:"-style label (ours only if the
# roster agrees); foreign: another facility's or payer's number (never trusted for matching).
IdScheme = Literal["own", "plain", "foreign"]


@dataclass
class PageText:
    """Text of one page of a source file, however it was obtained."""

    number: int  # 1-based within the source file
    text: str
    source: TextSource
    confidence: float | None = None  # mean word confidence 0..100 (OCR only)
    rotation: int = 0  # degrees clockwise applied before OCR (0/90/180/270)
    seconds: float = 0.0  # wall time spent obtaining the text
    width_px: int | None = None
    height_px: int | None = None
    note: str | None = None  # e.g. "text layer looked like garbage; OCRed"


@dataclass
class NameMention:
    """A person name found in the text, split into parts."""

    family: str
    given: str
    middle: str | None = None
    raw: str = ""
    page: int = 1
    source: str = "label"  # "label" | "gazetteer" | "inline"
    confidence: float = 1.0


@dataclass
class ValueMention:
    """A normalised value (date, identifier, phone) with where it was seen."""

    value: str  # normalised: dates ISO YYYY-MM-DD, phones E.164, ids uppercased
    raw: str = ""
    page: int = 1
    label: str | None = None  # the label it followed, e.g. "DOB", "Date of service"
    scheme: IdScheme | None = None  # for identifiers: our MRN format or another facility's
    confidence: float = 1.0
    role: str | None = None  # for dates: what it dates (intake.docdate.DateRole value)


@dataclass
class PageEntities:
    """Entities found on one page (used to split batch faxes per patient)."""

    page: int
    names: list[NameMention] = field(default_factory=list)
    dobs: list[ValueMention] = field(default_factory=list)
    mrns: list[ValueMention] = field(default_factory=list)
    is_cover: bool = False
    is_blank: bool = False
    # layout evidence (intake/layout.py) used to segment a file into documents and describe them
    type_scores: dict[str, float] = field(default_factory=dict)  # doc-type scores as a first page
    page_of: list[int] | None = None  # the document's own "page k of n" as [k, n]
    continued: bool = False  # "(continued)" at the top: a running header of an earlier page
    letterhead: str | None = None  # key of the first content line (who issued the page)
    starts: bool = False  # a letterhead block, title or letter opening at the top
    content_words: int = 0  # words outside fax header and print footer
    sender: str | None = None
    provider: str | None = None
    urgency: list[str] = field(default_factory=list)
    recipient: str | None = None  # the TO / addressee block, as written
    misdirected: str | None = None  # why the page looks addressed to another practice


@dataclass
class DocPart:
    """A document the worker found inside a source file (a page range)."""

    first: int
    last: int
    cover: bool = False  # only fax cover pages
    unproven: list[int] = field(default_factory=list)  # pages joined without continuity evidence
    starts_with: str = ""  # evidence that the part starts a new document
    continued: list[int] = field(default_factory=list)  # pages joined by a page counter or "(continued)"


@dataclass
class Entities:
    """Everything extracted from one document (a page range of a source file)."""

    patient_names: list[NameMention] = field(default_factory=list)
    dobs: list[ValueMention] = field(default_factory=list)
    mrns: list[ValueMention] = field(default_factory=list)  # scheme own|foreign
    sex: str | None = None  # "F" | "M" | "X" | None
    phones: list[ValueMention] = field(default_factory=list)
    faxes: list[ValueMention] = field(default_factory=list)
    dates: list[ValueMention] = field(default_factory=list)  # every date seen, labelled
    sender_org: str | None = None
    provider: str | None = None
    address: str | None = None
    doc_type: str = "correspondence"
    doc_type_confidence: float = 0.0
    loinc: str | None = None
    doc_date: str | None = None  # ISO date of service / report, never the fax header date
    urgent: bool = False
    urgency_reasons: list[str] = field(default_factory=list)
    pages: list[PageEntities] = field(default_factory=list)
    parts: list[DocPart] = field(default_factory=list)  # documents found in the file (intake/segment.py)
    misdirected: str | None = None  # why the document looks addressed to another practice

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entities:
        """Rebuild from :meth:`to_dict` output (tolerates missing keys)."""
        d = dict(data)
        d["patient_names"] = [NameMention(**n) for n in d.get("patient_names", [])]
        for key in ("dobs", "mrns", "phones", "faxes", "dates"):
            d[key] = [ValueMention(**v) for v in d.get(key, [])]
        pages = []
        for p in d.get("pages", []):
            pd = dict(p)
            pd["names"] = [NameMention(**n) for n in pd.get("names", [])]
            pd["dobs"] = [ValueMention(**v) for v in pd.get("dobs", [])]
            pd["mrns"] = [ValueMention(**v) for v in pd.get("mrns", [])]
            known_page = set(PageEntities.__dataclass_fields__)
            pages.append(PageEntities(**{k: v for k, v in pd.items() if k in known_page}))
        d["pages"] = pages
        d["parts"] = [DocPart(**p) for p in d.get("parts", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class RosterLexicon:
    """What entity extraction may know about the roster (built by the writer, sent to workers).

    ``names`` are (family, given) pairs of patients and clerk-confirmed aliases;
    ``dobs`` and ``mrns`` the roster's birth dates (ISO) and MRNs, used to read
    OCR-confusable characters the way the roster has them; ``mrn_format`` the
    office MRN format as :meth:`intake.mrnformat.MrnFormat.to_json` (learned
    at ``patients import``; None until a roster exists).
    """

    names: list[tuple[str, str]] = field(default_factory=list)
    dobs: list[str] = field(default_factory=list)
    mrns: list[str] = field(default_factory=list)
    mrn_format: str | None = None


@dataclass
class ExtractedFile:
    """What a worker hands back to the writer for one source file."""

    intake_id: int
    pages: list[PageText]
    entities: Entities  # for the whole file; the matcher may split it per patient
    seconds: float = 0.0

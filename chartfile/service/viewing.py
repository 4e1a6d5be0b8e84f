"""Looking at documents: one document's record, its page images, its original file, a chart by patient id.

Owns the audited views the workstation and the API show: every page image
and every download is recorded (``document.page_view``, ``document.download``)
before a byte is returned.  A download gives exactly the document's pages: a
document that is one part of a larger fax (a split batch) comes out as a PDF
or TIFF of its own pages only, never with another patient's pages.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from chartfile.service import disclosure, page_images
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.page_images import PageSource, Width
from chartfile.service.patients import Chart, chart
from chartfile.service.permissions import Action, require
from indexer.archive_verify import verify_original
from indexer.corrections import history as correction_history
from indexer.db.models import Document, Filing, Page, Patient, ReviewItem
from indexer.states import ReviewState
from intake.errors import NotFoundError

MEDIA = {"pdf": "application/pdf", "tiff": "image/tiff", "png": "image/png", "jpeg": "image/jpeg"}
SUFFIX = {"pdf": ".pdf", "tiff": ".tif", "png": ".png", "jpeg": ".jpg"}
CORRECTED = {"doc_type": "type", "doc_date": "date", "sender_org": "sender"}


@dataclass
class DocumentView:
    document_id: int
    status: str
    doc_type: str
    doc_date: str | None
    sender: str
    provider: str
    urgent: bool
    page_count: int
    source: str
    source_pages: tuple[int, int]
    received: str
    patient_id: int | None
    patient_mrn: str | None
    patient_name: str | None
    patient_dob: str | None
    open_review_id: int | None
    history: list[dict[str, str]] = field(default_factory=list)
    corrections: list[dict[str, str]] = field(default_factory=list)  # type, date, sender corrected: old -> new
    page_text: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"document_id": self.document_id, "status": self.status, "doc_type": self.doc_type,
                "doc_date": self.doc_date, "sender": self.sender, "urgent": self.urgent, "pages": self.page_count,
                "source": self.source, "source_pages": list(self.source_pages), "received": self.received,
                "patient_mrn": self.patient_mrn, "patient_name": self.patient_name, "patient_dob": self.patient_dob,
                "review_id": self.open_review_id, "history": self.history, "corrections": self.corrections}


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    data: bytes


def _doc(office: Office, document_id: int) -> Document:
    with office.db.read() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            raise NotFoundError(f"no document {document_id}")
        doc.intake_item  # noqa: B018 - load while the session is open
        doc.patient  # noqa: B018
        return doc


def document_view(office: Office, actor: Actor, document_id: int, with_text: bool = False) -> DocumentView:
    """A document's record, patient, filing history (and page text) — audited as a view."""
    require(actor, Action.DOCUMENT_VIEW)
    with office.db.read() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            raise NotFoundError(f"no document {document_id}", hint="Search finds documents by patient or words.")
        item, patient = doc.intake_item, doc.patient
        filings = s.execute(select(Filing, Patient.mrn).outerjoin(Patient, Patient.id == Filing.patient_id)
                            .where(Filing.document_id == doc.id).order_by(Filing.id))
        history = [{"when": f"{f.created_at:%Y-%m-%d %H:%M}", "action": f.action, "by": f.actor,
                    "mrn": mrn or "", "reason": f.reason or ""} for f, mrn in filings]
        corrections = [{"when": f"{c.created_at:%Y-%m-%d %H:%M}", "field": CORRECTED.get(c.field, c.field),
                        "old": c.old_value or "", "new": c.new_value or "", "by": c.actor, "reason": c.reason}
                       for c in correction_history(s, doc.id)]
        review_id = s.scalar(select(ReviewItem.id).where(ReviewItem.document_id == doc.id,
                                                         ReviewItem.state == ReviewState.OPEN).limit(1))
        text = list(s.scalars(select(Page.text).where(Page.intake_item_id == doc.intake_item_id,
                                                      Page.number.between(doc.first_page, doc.last_page))
                              .order_by(Page.number))) if with_text else []
        view = DocumentView(
            document_id=doc.id, status=doc.status, doc_type=doc.doc_type,
            doc_date=doc.doc_date.isoformat() if doc.doc_date else None, sender=doc.sender_org or "",
            provider=doc.provider or "", urgent=bool(doc.urgent), page_count=doc.last_page - doc.first_page + 1,
            source=item.original_name, source_pages=(doc.first_page, doc.last_page),
            received=f"{item.received_at:%Y-%m-%d %H:%M}", patient_id=patient.id if patient else None,
            patient_mrn=patient.mrn if patient else None, patient_name=patient.display_name if patient else None,
            patient_dob=patient.dob.isoformat() if patient and patient.dob else None, open_review_id=review_id,
            history=history, corrections=corrections, page_text=text)
    disclosure.recorded(office, actor, disclosure.Disclosure(
        "document.view", "R", [view.document_id], [view.patient_mrn] if view.patient_mrn else [],
        detail="with page text" if with_text else ""))
    return view


def _archived(office: Office, doc: Document) -> tuple[Path, str]:
    """The document's original, checked against its ledger hash before any byte of it is shown (else 409)."""
    item = doc.intake_item
    path = office.cfg.home / item.stored_path if item.stored_path else None
    if path is None or not path.is_file() or item.kind not in MEDIA:
        raise NotFoundError(f"the original of document {doc.id} is not in the archive",
                            hint="Run 'chartfile intake check' to see what is missing.")
    return verify_original(office.cfg, item), str(item.kind)


def page_image(office: Office, actor: Actor, document_id: int, number: int, width: Width = Width.VIEW) -> bytes:
    """PNG of page ``number`` (1-based within the document), audited before it is returned."""
    require(actor, Action.DOCUMENT_VIEW)
    doc = _doc(office, document_id)
    count = doc.last_page - doc.first_page + 1
    if not 1 <= number <= count:
        raise NotFoundError(f"document {document_id} has {count} page{'s' if count != 1 else ''}, not {number}")
    path, kind = _archived(office, doc)
    source_page = doc.first_page + number - 1
    with office.db.read() as s:
        rotation = s.scalar(select(Page.rotation).where(Page.intake_item_id == doc.intake_item_id,
                                                        Page.number == source_page)) or 0
    mrns = [doc.patient.mrn] if doc.patient is not None else []
    disclosure.recorded(office, actor, disclosure.Disclosure(
        "document.page_view", "R", [doc.id], mrns, detail=f"page {number} ({width.name.lower()})"))
    return page_images.render_png(PageSource(path, kind, source_page, int(rotation)), width, office.cfg)


def _pages_only(path: Path, kind: str, first: int, last: int) -> tuple[bytes, str]:
    if kind == "pdf":
        reader, writer = PdfReader(str(path)), PdfWriter()
        for n in range(first - 1, last):
            writer.add_page(reader.pages[n])
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue(), "pdf"
    frames = []
    with Image.open(path) as image:
        for n in range(first - 1, last):
            image.seek(n)
            frames.append(image.copy())
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return out.getvalue(), "tiff"


def original_file(office: Office, actor: Actor, document_id: int) -> Download:
    """The document's pages as received (the whole file, or its own pages of a larger one) — audited."""
    require(actor, Action.DOCUMENT_DOWNLOAD)
    doc = _doc(office, document_id)
    path, kind = _archived(office, doc)
    item = doc.intake_item
    whole = doc.first_page == 1 and doc.last_page == (item.page_count or doc.last_page)
    mrns = [doc.patient.mrn] if doc.patient is not None else []
    disclosure.recorded(office, actor, disclosure.Disclosure(
        "document.download", "E", [doc.id], mrns,
        detail=json.dumps({"pages": [doc.first_page, doc.last_page], "whole_file": whole})))
    if whole:
        data, out_kind = path.read_bytes(), kind
    else:
        data, out_kind = _pages_only(path, kind, doc.first_page, doc.last_page)
    return Download(f"document-{doc.id}{SUFFIX[out_kind]}", MEDIA[out_kind], data)


def chart_by_id(office: Office, actor: Actor, patient_id: int) -> Chart:
    """A patient's chart by internal id (web URLs carry ids, never MRNs) — audited by ``patients.chart``."""
    require(actor, Action.CHART_VIEW)
    with office.db.read() as s:
        mrn = s.scalar(select(Patient.mrn).where(Patient.id == patient_id))
    if mrn is None:
        raise NotFoundError(f"no patient {patient_id}")
    return chart(office, actor, mrn)

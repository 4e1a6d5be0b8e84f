"""The release packet: one PDF with a cover sheet followed by exactly the released pages.

Owns rendering (cover sheet with reportlab; PDF source pages copied with
pypdf; TIFF frames, PNG and JPEG drawn onto PDF pages with reportlab via
Pillow), the SHA-256 of the bytes that go out, and writing the file
atomically with owner-only permissions where the user asked.  The cover
carries no patient identifiers (minimum necessary): recipient, purpose,
basis, authorization reference, page count and the redisclosure notice.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageSequence
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from intake.errors import IntegrityError, NotFoundError, RefusedError

log = logging.getLogger(__name__)

REDISCLOSURE_NOTICE = (
    "PROHIBITION ON REDISCLOSURE: The enclosed information has been disclosed to you from "
    "confidential health records protected by federal privacy law (45 CFR Parts 160 and 164) "
    "and may be protected by state law. You may not further use or disclose it except as permitted "
    "by the authorization or legal basis under which it was released, or as required by law. "
    "If you received this in error, notify the sender immediately and destroy all copies."
)
DEFAULT_DPI = 200.0
IMAGE_KINDS = {"tiff", "png", "jpeg"}


@dataclass(frozen=True)
class SourceRange:
    """A page range of one stored source file to include in the packet."""

    document_id: int
    path: Path
    kind: str  # pdf | tiff | png | jpeg
    first_page: int  # 1-based, inclusive
    last_page: int

    @property
    def pages(self) -> int:
        return self.last_page - self.first_page + 1


@dataclass(frozen=True)
class Cover:
    """What the cover sheet says (no patient identifiers)."""

    reference: str
    released_on: str
    sender: str
    recipient_name: str
    recipient_address: str | None
    method: str
    purpose: str
    basis: str
    authorization_ref: str | None
    legal_reference: str | None
    record_pages: int
    documents: int


@dataclass(frozen=True)
class Packet:
    """The finished packet bytes and what they contain."""

    data: bytes
    sha256: str
    total_pages: int
    record_pages: int


def kind_of(path: Path, stored_kind: str | None) -> str:
    """pdf | tiff | png | jpeg from the ledger, falling back to the file suffix."""
    if stored_kind:
        return stored_kind.lower()
    suffix = path.suffix.lower().lstrip(".")
    return {"tif": "tiff", "jpg": "jpeg"}.get(suffix, suffix)


def resolve_source(home: Path, stored_path: str | None, document_id: int) -> Path:
    """Absolute path of a stored source file, which must lie inside the data home."""
    if not stored_path:
        raise NotFoundError(f"document #{document_id} has no stored source file",
                            hint="only documents whose original file is kept can be released as a packet")
    root = home.resolve()
    path = (root / stored_path).resolve()
    if root not in path.parents:
        raise RefusedError(f"the source file of document #{document_id} lies outside the data home")
    if not path.is_file():
        raise NotFoundError(f"the source file of document #{document_id} is missing from the data home",
                            hint="restore it from backup; 'chartfile intake' shows where it should be")
    return path


def _wrapped(canvas: Canvas, text: str, x: float, y: float, width: float, size: float = 10) -> float:
    """Draw ``text`` word-wrapped to ``width``; return the y below it."""
    canvas.setFont("Helvetica", size)
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if canvas.stringWidth(trial, "Helvetica", size) > width and line:
            canvas.drawString(x, y, line)
            y -= size * 1.35
            line = word
        else:
            line = trial
    if line:
        canvas.drawString(x, y, line)
        y -= size * 1.35
    return y


def cover_rows(cover: Cover) -> list[tuple[str, str]]:
    """Label/value rows printed on the cover sheet."""
    rows = [
        ("Release reference", cover.reference),
        ("Date released", cover.released_on),
        ("From", cover.sender),
        ("To", cover.recipient_name),
        ("Address", cover.recipient_address or "-"),
        ("Sent by", cover.method),
        ("Purpose", cover.purpose),
        ("Basis", cover.basis),
    ]
    if cover.authorization_ref:
        rows.append(("Authorization", cover.authorization_ref))
    if cover.legal_reference:
        rows.append(("Legal reference", cover.legal_reference))
    rows.append(("Pages", f"{cover.record_pages} page(s) of records in {cover.documents} document(s), "
                          "plus this cover sheet"))
    return rows


def render_cover(cover: Cover) -> bytes:
    """One-page cover sheet as PDF bytes."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=letter, invariant=True)
    width, height = letter
    left, y = 0.9 * inch, height - 1.0 * inch
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(left, y, "RELEASE OF INFORMATION - COVER SHEET")
    y -= 0.45 * inch
    for label, value in cover_rows(cover):
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(left, y, f"{label}:")
        y = _wrapped(canvas, value, left + 1.5 * inch, y, width - left * 2 - 1.5 * inch) - 4
    y -= 0.3 * inch
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(left, y, "CONFIDENTIAL HEALTH INFORMATION")
    _wrapped(canvas, REDISCLOSURE_NOTICE, left, y - 16, width - left * 2)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _frames(path: Path, kind: str) -> Iterator[Image.Image]:
    with Image.open(path) as img:
        if kind == "tiff":
            for frame in ImageSequence.Iterator(img):
                yield frame.copy()
        else:
            yield img.copy()


def _page_image(img: Image.Image) -> Image.Image:
    if img.mode in ("1", "L", "I", "I;16", "F"):
        return img.convert("L")
    return img.convert("RGB")


def render_images(src: SourceRange) -> bytes:
    """The range's image pages (TIFF frames, PNG, JPEG) as PDF pages at their own size."""
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=True)
    drawn = 0
    for number, frame in enumerate(_frames(src.path, src.kind), start=1):
        if number < src.first_page:
            continue
        if number > src.last_page:
            break
        dpi_x, dpi_y = (float(v) or DEFAULT_DPI for v in frame.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI)))
        w_pt, h_pt = frame.width / dpi_x * 72.0, frame.height / dpi_y * 72.0
        canvas.setPageSize((w_pt, h_pt))
        canvas.drawImage(ImageReader(_page_image(frame)), 0, 0, width=w_pt, height=h_pt)
        canvas.showPage()
        drawn += 1
    if drawn != src.pages:
        raise IntegrityError(f"document #{src.document_id} spans pages {src.first_page}-{src.last_page} "
                             f"but its source file has only {src.first_page + drawn - 1} pages")
    canvas.save()
    return buf.getvalue()


def _append_pdf_range(writer: PdfWriter, src: SourceRange) -> None:
    reader = PdfReader(str(src.path))
    if reader.is_encrypted:
        reader.decrypt("")
    if src.last_page > len(reader.pages) or src.first_page < 1:
        raise IntegrityError(f"document #{src.document_id} spans pages {src.first_page}-{src.last_page} "
                             f"but its source file has {len(reader.pages)} pages")
    for index in range(src.first_page - 1, src.last_page):
        writer.add_page(reader.pages[index])


def _append_bytes(writer: PdfWriter, data: bytes) -> None:
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)


def build(cover: Cover, sources: list[SourceRange]) -> Packet:
    """Assemble cover + released pages into one PDF and hash it."""
    writer = PdfWriter()
    _append_bytes(writer, render_cover(cover))
    cover_pages = len(writer.pages)
    for src in sources:
        if src.kind == "pdf":
            _append_pdf_range(writer, src)
        elif src.kind in IMAGE_KINDS:
            _append_bytes(writer, render_images(src))
        else:
            raise RefusedError(f"document #{src.document_id}: cannot render a {src.kind!r} source file")
    writer.add_metadata({"/Producer": "Chartfile", "/Title": f"Release {cover.reference}"})
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    record_pages = len(writer.pages) - cover_pages
    if record_pages != sum(s.pages for s in sources):
        raise IntegrityError("the packet does not contain exactly the released pages")
    return Packet(data, hashlib.sha256(data).hexdigest(), len(writer.pages), record_pages)


def stage(data: bytes, target: Path) -> Path:
    """Write ``data`` to a private temporary file beside ``target`` (published by :func:`publish`)."""
    if target.exists():
        raise RefusedError(f"{target} already exists; packets are never overwritten",
                           hint="choose another --output file")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".roi-", suffix=".part", dir=target.parent)  # mode 0600
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(tmp)


def publish(tmp: Path, target: Path) -> None:
    """Move a staged packet into place (after its release row is committed)."""
    os.replace(tmp, target)
    log.info("packet written (%d bytes)", target.stat().st_size)


def discard(tmp: Path) -> None:
    """Remove a staged packet whose release was not recorded."""
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()

"""The release packet: one PDF with a cover sheet followed by exactly the released pages.

Owns assembling the packet (cover sheet from :mod:`indexer.roi.cover`; PDF
source pages rebuilt without anything active by :mod:`indexer.roi.sanitize`,
or rendered to images when they cannot be; TIFF frames, PNG and JPEG drawn
onto PDF pages with reportlab via Pillow), stamping every page with the
release reference and "page i of n", the final check that nothing active is
in it, the SHA-256 of the bytes that go out, and writing the file atomically
with owner-only permissions where the user asked.
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
from pypdf import PdfReader, PdfWriter, Transformation
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from indexer.roi import cover, sanitize
from intake.errors import InputError, IntegrityError, NotFoundError, RefusedError

log = logging.getLogger(__name__)

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
    try:
        return _render_images(src)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise RefusedError(f"the source image of document #{src.document_id} cannot be rendered for release",
                           hint="The stored image is damaged; release a rescanned copy instead.") from exc


def _render_images(src: SourceRange) -> bytes:
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
    data = sanitize.clean_pdf(src.path, src.first_page, src.last_page)
    if data is None:  # unreadable by pypdf, or still active after cleaning: pdfium renders it
        data = sanitize.render_pdf_pages(src.path, src.first_page, src.last_page, src.document_id)
    _append_bytes(writer, data)


def _append_bytes(writer: PdfWriter, data: bytes) -> None:
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)


def _stamp(writer: PdfWriter, reference: str) -> None:
    """``<reference> - page i of n`` in the bottom margin of every page (cover included)."""
    boxes = [page.mediabox for page in writer.pages]
    overlays = PdfReader(io.BytesIO(cover.render_stamps(reference, [(float(b.width), float(b.height))
                                                                    for b in boxes])))
    for page, box, overlay in zip(writer.pages, boxes, overlays.pages, strict=True):
        page.merge_transformed_page(overlay, Transformation().translate(float(box.left), float(box.bottom)))


def _check_inert(data: bytes) -> None:
    found = sanitize.active_content(PdfReader(io.BytesIO(data)))
    if found:
        log.error("packet refused: active content at %s", ", ".join(found[:5]))
        raise IntegrityError("the packet would contain active content (scripts, actions, forms, attachments or "
                             "links); nothing was released", hint="Report this; the source document needs review.")


def build(sheet: cover.Cover, sources: list[SourceRange]) -> Packet:
    """Assemble cover + released pages into one stamped PDF with nothing active, and hash it."""
    writer = PdfWriter()
    _append_bytes(writer, cover.render_cover(sheet))
    cover_pages = len(writer.pages)
    for src in sources:
        if src.kind == "pdf":
            _append_pdf_range(writer, src)
        elif src.kind in IMAGE_KINDS:
            _append_bytes(writer, render_images(src))
        else:
            raise RefusedError(f"document #{src.document_id}: cannot render a {src.kind!r} source file")
    record_pages = len(writer.pages) - cover_pages
    if record_pages != sum(s.pages for s in sources):
        raise IntegrityError("the packet does not contain exactly the released pages")
    _stamp(writer, sheet.reference)
    writer.add_metadata({"/Producer": "Chartfile", "/Title": f"Release {sheet.reference}"})
    writer.compress_identical_objects()  # drops duplicates, and orphans of what cleaning removed
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    _check_inert(data)
    return Packet(data, hashlib.sha256(data).hexdigest(), len(writer.pages), record_pages)


def stage(data: bytes, target: Path) -> Path:
    """Write ``data`` to a private temporary file beside ``target`` (published by :func:`publish`)."""
    if target.exists():
        raise RefusedError(f"{target} already exists; packets are never overwritten",
                           hint="choose another --output file")
    if not target.parent.is_dir():
        raise InputError(f"the folder {target.parent} does not exist", hint="create it first, or choose another "
                         "--output file")
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

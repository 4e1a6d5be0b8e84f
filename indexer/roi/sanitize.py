"""Released pages with nothing active: page content only, or the page rendered to an image.

Owns what may leave the office inside a packet.  A PDF page is rebuilt from
an allow-list — its boxes, rotation, resources and content streams — so its
annotations (links, form widgets, file attachments), additional actions
(page-level JavaScript), and anything hanging off the source document's
catalogue (OpenAction, /Names JavaScript, AcroForm/XFA, embedded files) never
reach the packet.  A page that pypdf cannot read, or whose cleaned form still
names active content, is rendered with pdfium (which runs no scripts) and
placed as an image.  :func:`active_content` is the final check over the whole
packet; :mod:`indexer.roi.packet` refuses to release a packet it flags.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from intake.errors import RefusedError

log = logging.getLogger(__name__)

RENDER_DPI = 150.0
PAGE_KEYS = frozenset({"/Type", "/Parent", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Rotate",
                       "/Resources", "/Contents", "/UserUnit", "/Group"})
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/OpenAction", "/Launch", "/EmbeddedFile", "/EmbeddedFiles",
                         "/Annots", "/AcroForm", "/XFA", "/URI", "/RichMedia", "/Names", "/Dests", "/Outlines"})
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/URI", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
                            "/Rendition", "/Sound", "/Movie", "/RichMediaExecute", "/Hide", "/ResetForm"})


def _walk(obj: Any, seen: set[int], path: str) -> Iterator[str]:
    """Every active key or action reachable from ``obj`` (``path`` says where, for the message)."""
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return
        seen.add(obj.idnum)
        obj = obj.get_object()
    if isinstance(obj, DictionaryObject):  # StreamObject is one too: its dictionary is checked
        for key, value in obj.items():
            if key in ACTIVE_KEYS:
                yield f"{path}{key}"
            if key == "/S" and value in ACTIVE_ACTIONS:
                yield f"{path}/S {value}"
            if key != "/Parent":
                yield from _walk(value, seen, f"{path}{key}")
    elif isinstance(obj, ArrayObject):
        for item in obj:
            yield from _walk(item, seen, path)


def active_content(reader: PdfReader) -> list[str]:
    """Where a PDF holds JavaScript, actions, forms, attachments or links (empty: nothing active)."""
    found = list(_walk(reader.trailer.get("/Root"), set(), "/Root"))
    seen: set[int] = set()
    for number, page in enumerate(reader.pages, start=1):
        found += list(_walk(page, seen, f"page {number} "))
    return found


def clean_page(page: PageObject) -> PageObject:
    """Strip ``page`` (in place) to its allow-listed keys; rotation moved into the content."""
    for key in list(page.keys()):
        if key not in PAGE_KEYS:
            del page[key]
    if page.get("/Rotate", 0):
        page.transfer_rotation_to_content()
    return page


def clean_pdf(path: Path, first: int, last: int) -> bytes | None:
    """Pages ``first``..``last`` of a PDF rebuilt from the allow-list, as a PDF of their own.

    None when pypdf cannot read the file, when the pages still name active
    content after cleaning, or when the rebuilt file does not read back with
    exactly those pages — the caller then renders them instead.
    """
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        if last > len(reader.pages):
            return None
        writer = PdfWriter()
        for index in range(first - 1, last):
            writer.add_page(clean_page(reader.pages[index]))
        buf = io.BytesIO()
        writer.write(buf)
        data = buf.getvalue()
        check = PdfReader(io.BytesIO(data))
        if len(check.pages) != last - first + 1 or active_content(check):
            return None
        for page in check.pages:  # the stamp is merged into the content: it must decode
            contents = page.get_contents()
            if contents is not None:
                contents.get_data()
        return data
    except Exception as exc:  # noqa: BLE001 - malformed input of any kind: fall back to rendering
        log.info("PDF source not copied page by page (%s); rendering it", type(exc).__name__)
        return None


def render_pdf_pages(path: Path, first: int, last: int, document_id: int) -> bytes:
    """Pages ``first``..``last`` rendered by pdfium as image-only PDF pages at their own size."""
    import pypdfium2 as pdfium

    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=True)
    try:
        pdf = pdfium.PdfDocument(str(path))
        try:
            if last > len(pdf):
                raise RefusedError(f"document #{document_id} spans pages {first}-{last} but its source file has "
                                   f"{len(pdf)} pages")
            for index in range(first - 1, last):
                page = pdf[index]
                width, height = page.get_size()
                image = page.render(scale=RENDER_DPI / 72.0).to_pil().convert("RGB")
                canvas.setPageSize((width, height))
                canvas.drawImage(ImageReader(image), 0, 0, width=width, height=height)
                canvas.showPage()
        finally:
            pdf.close()
    except pdfium.PdfiumError as exc:
        raise RefusedError(f"the source file of document #{document_id} cannot be rendered for release",
                           hint="The stored PDF is damaged; release a rescanned copy instead.") from exc
    canvas.save()
    return buf.getvalue()

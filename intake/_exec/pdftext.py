"""The only module that imports pdfplumber and pypdfium2.

* :func:`inspect_pdf` opens a PDF once with pdfium (fast, robust C parser) and
  reports page count, encryption and, per page, its size, how much of it is
  covered by images, the largest embedded image and how much text it holds
  (and whether that text is invisible, i.e. an OCR layer).
* :func:`text_layers` reads the text layer of chosen pages with pdfplumber.
* :func:`render_page` renders one page to a greyscale PIL image with pdfium.

Errors are raised as :class:`PdfPasswordRequired` / :class:`PdfUnreadable`;
the caller turns them into clerk-readable quarantine reasons.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72.0


class PdfUnreadable(Exception):
    """The PDF cannot be parsed (corrupt, truncated, not a PDF)."""


class PdfPasswordRequired(PdfUnreadable):
    """The PDF needs a password to be opened."""


class PdfTooManyPages(PdfUnreadable):
    """More pages than allowed; raised before any page is inspected."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} pages")
        self.count = count


@dataclass(frozen=True)
class PdfPageInfo:
    """Cheap facts about one page, enough to decide text layer vs OCR."""

    number: int  # 1-based
    width_pt: float
    height_pt: float
    rotation: int  # /Rotate of the page, clockwise degrees
    image_coverage: float  # fraction of the page area covered by images (0..1)
    max_image_px: tuple[int, int]  # pixel size of the largest embedded image
    text_objects: int
    invisible_text_objects: int
    text_chars: int  # characters pdfium sees on the page

    @property
    def native_dpi(self) -> float | None:
        """Resolution of the largest image if it covers the page, on its finer axis
        (a 204x196 fax page: 204), else None."""
        w_px, h_px = self.max_image_px
        long_in = max(self.width_pt, self.height_pt) / POINTS_PER_INCH
        short_in = min(self.width_pt, self.height_pt) / POINTS_PER_INCH
        if not w_px or not h_px or self.image_coverage < 0.5 or short_in <= 0:
            return None
        return max(max(w_px, h_px) / long_in, min(w_px, h_px) / short_in)


@dataclass(frozen=True)
class PdfInfo:
    page_count: int
    encrypted: bool
    pages: tuple[PdfPageInfo, ...]


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PdfPasswordRequired(str(exc)) from exc
        raise PdfUnreadable(str(exc)) from exc


def _page_info(doc: pdfium.PdfDocument, index: int) -> PdfPageInfo:
    page = doc[index]
    try:
        width, height = page.get_size()
        area = max(width * height, 1.0)
        covered = 0.0
        biggest = (0, 0)
        text_objs = invisible = 0
        kinds = [pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_IMAGE]
        for obj in page.get_objects(filter=kinds, max_depth=4):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                text_objs += 1
                mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw)
                if mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
                    invisible += 1
                continue
            left, bottom, right, top = obj.get_bounds()
            covered += max(0.0, min(right, width) - max(left, 0.0)) * max(
                0.0, min(top, height) - max(bottom, 0.0))
            w_px, h_px = obj.get_px_size()
            if w_px * h_px > biggest[0] * biggest[1]:
                biggest = (int(w_px), int(h_px))
        textpage = page.get_textpage()
        try:
            chars = textpage.count_chars()
        finally:
            textpage.close()
        return PdfPageInfo(index + 1, float(width), float(height), int(page.get_rotation()),
                           min(covered / area, 1.0), biggest, text_objs, invisible, int(chars))
    finally:
        page.close()


def inspect_pdf(path: Path, max_pages: int) -> PdfInfo:
    """Open once with pdfium: page count, encryption, per-page facts."""
    doc = _open(path)
    try:
        count = len(doc)
        if count > max_pages:
            raise PdfTooManyPages(count)
        encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(doc.raw) != -1
        try:
            pages = tuple(_page_info(doc, i) for i in range(count))
        except pdfium.PdfiumError as exc:
            raise PdfUnreadable(str(exc)) from exc
        return PdfInfo(count, encrypted, pages)
    finally:
        doc.close()


def text_layers(path: Path, numbers: Iterable[int]) -> dict[int, str]:
    """Text layer of the given 1-based pages, read with pdfplumber."""
    wanted = sorted(set(numbers))
    out: dict[int, str] = {}
    if not wanted:
        return out
    try:
        with pdfplumber.open(str(path)) as pdf:
            for number in wanted:
                if number > len(pdf.pages):
                    break
                out[number] = pdf.pages[number - 1].extract_text() or ""
    except Exception as exc:  # pdfminer raises a zoo of exception types
        log.warning("text layer unreadable (%s); pages will be OCRed", type(exc).__name__)
        return {}
    return out


def render_page(path: Path, number: int, dpi: float, crisp: bool = False) -> Image.Image:
    """Render one 1-based page to a greyscale image at ``dpi`` (honours /Rotate).

    ``crisp`` turns image smoothing off: right for a scan rendered at (or just
    above) its own resolution, whose black-and-white pixels then stay two-level.
    """
    doc = _open(path)
    try:
        page = doc[number - 1]
        try:
            bitmap = page.render(scale=dpi / POINTS_PER_INCH, grayscale=True,
                                 fill_color=(255, 255, 255, 255), no_smoothimage=crisp)
            image = bitmap.to_pil()
            return image.convert("L") if image.mode != "L" else image
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise PdfUnreadable(str(exc)) from exc
    finally:
        doc.close()

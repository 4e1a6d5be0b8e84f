"""Writing rendered pages to files: TIFF (G4/G3), image PDF, text PDF, PNG, JPEG.

This module owns file formats and their byte-level determinism (fixed PDF
dates, reportlab ``invariant`` mode, no timestamps in TIFF/PNG).  It takes
:class:`samples.render.PageSpec` objects, renders them at the resolution the
format implies and writes one file.

Format names (``FORMATS``):

* ``tiff-fine`` – multi-page CCITT G4 TIFF, 1-bit, 204×196 dpi
* ``tiff-standard`` – multi-page CCITT G4 TIFF, 1-bit, 204×98 dpi
* ``tiff-g3`` – multi-page CCITT G3 TIFF, 1-bit, 204×98 dpi (classic fax)
* ``pdf-image`` – image-only PDF (CCITT-compressed 1-bit pages, 204×196), no text
* ``pdf-text`` – PDF with a real text layer (reportlab, Helvetica), no images
* ``png`` – one 1-bit page, 204×196 dpi
* ``jpeg`` – one grayscale page (a scanner or phone copy), 204×196 dpi
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from samples.documents import Line
from samples.render import (
    BODY_TOP,
    FOOTER_Y,
    LINE_PITCH,
    MARGIN_L,
    MARGIN_R,
    PAGE_H,
    PAGE_W,
    SIZES,
    TEXT_W,
    PageSpec,
    layout_line,
    line_fits,
    render_page,
)

FIXED_PDF_DATE = time.struct_time((2026, 1, 1, 0, 0, 0, 3, 1, 0))  # Pillow wants struct_time


@dataclass(frozen=True)
class FormatInfo:
    """Static facts about an output format."""

    ext: str
    resolution: str  # fine | standard | gray | vector
    dpi: tuple[int, int]
    multipage: bool
    raster: bool


FORMATS: dict[str, FormatInfo] = {
    "tiff-fine": FormatInfo(".tif", "fine", (204, 196), True, True),
    "tiff-standard": FormatInfo(".tif", "standard", (204, 98), True, True),
    "tiff-g3": FormatInfo(".tif", "standard", (204, 98), True, True),
    "pdf-image": FormatInfo(".pdf", "fine", (204, 196), True, True),
    "pdf-text": FormatInfo(".pdf", "vector", (72, 72), True, False),
    "png": FormatInfo(".png", "fine", (204, 196), False, True),
    "jpeg": FormatInfo(".jpg", "gray", (204, 196), False, True),
}


def format_info(fmt: str) -> FormatInfo:
    """Look up a format by name (ValueError lists the valid names)."""
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}") from None


def write_pages(specs: list[PageSpec], path: str | Path, fmt: str) -> Path:
    """Render ``specs`` and write them to ``path`` in format ``fmt``."""
    info = format_info(fmt)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not info.multipage and len(specs) != 1:
        raise ValueError(f"{fmt} holds exactly one page, got {len(specs)}")
    if fmt == "pdf-text":
        write_text_pdf(specs, out)
        return out
    images = [render_page(s, info.resolution) for s in specs]
    if fmt.startswith("tiff"):
        write_tiff(images, out, info.dpi, "group3" if fmt == "tiff-g3" else "group4")
    elif fmt == "pdf-image":
        write_image_pdf(images, out, info.dpi)
    elif fmt == "png":
        images[0].save(out, "PNG", dpi=info.dpi, optimize=False)
    elif fmt == "jpeg":
        images[0].save(out, "JPEG", dpi=info.dpi, quality=78)
    return out


def write_tiff(images: list[Image.Image], path: Path, dpi: tuple[int, int], compression: str) -> None:
    """Multi-page bilevel TIFF with CCITT compression and the right resolution tags."""
    first, rest = images[0], images[1:]
    first.save(path, "TIFF", compression=compression, dpi=dpi, save_all=True, append_images=rest)


def write_image_pdf(images: list[Image.Image], path: Path, dpi: tuple[int, int]) -> None:
    """Image-only PDF, one image per page, with fixed metadata dates."""
    first, rest = images[0], images[1:]
    first.save(path, "PDF", save_all=True, append_images=rest, dpi=dpi,
               creationDate=FIXED_PDF_DATE, modDate=FIXED_PDF_DATE,
               producer="Chartfile samples", title="Fax")


def write_text_pdf(specs: list[PageSpec], path: Path) -> None:
    """Letter-size PDF drawing each line as real text at the raster layout's positions."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter, invariant=1, pageCompression=1)
    c.setTitle("Fax")
    c.setAuthor("Chartfile samples")
    c.setCreator("Chartfile samples")
    c.setProducer("Chartfile samples")
    sx, sy = letter[0] / PAGE_W, letter[1] / PAGE_H  # pt per px
    for spec in specs:
        if spec.header:
            c.setFont("Courier", SIZES["header"] * sy * 0.95)
            c.drawString(28 * sx, letter[1] - 30 * sy, spec.header)
        _draw_text_lines(c, spec.lines, sx, sy)
        c.showPage()
    c.save()


def _pdf_font(style: str) -> str:
    return "Helvetica-Bold" if style in ("bold", "title") else "Helvetica"


def _measure(name: str, size: float) -> Callable[[str], float]:
    """Text width in points for a standard PDF font."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def width(text: str) -> float:
        return float(stringWidth(text, name, size))

    return width


def _fit(ln: Line, name: str, size: float, width: float) -> float:
    """Shrink the font size until the laid-out line fits the text width."""
    while size > 6 and not line_fits(ln, _measure(name, size), width, 6):
        size *= 0.95
    return size


def _draw_text_lines(c: Any, lines: list[Line], sx: float, sy: float) -> None:
    height = PAGE_H * sy
    width = TEXT_W * sx
    y = float(BODY_TOP)
    for ln in lines:
        if ln.style == "rule":
            yy = height - (y + LINE_PITCH * 0.2) * sy
            c.line(MARGIN_L * sx, yy, (PAGE_W - MARGIN_R) * sx, yy)
        elif ln.text:
            name = _pdf_font(ln.style)
            size = _fit(ln, name, SIZES.get(ln.style, 30) * sy * 0.92, width)
            top = FOOTER_Y if ln.style == "footer" else y
            base = height - (top + SIZES.get(ln.style, 30) * 0.8) * sy
            c.setFont(name, size)
            cols = layout_line(ln, _measure(name, size), width, 6)
            for x, text in cols:
                c.drawString(MARGIN_L * sx + x, base, text)
        y += ln.units * LINE_PITCH

"""Page images for the screen: one page of an archived original rendered to PNG.

Owns turning (archived file, page number) into a PNG a clerk can read beside
the extracted fields: PDFs through pypdfium2 (``intake._exec.pdftext``),
TIFF/PNG/JPEG through Pillow (``intake.pages.decode_page``, which also honours
EXIF orientation), fax pages with non-square pixels (204x98 dpi) squared, the
page turned upright when OCR found it upside down or sideways, and scaled to
the requested width.  PDFium is not thread-safe, so PDF pages are rendered one
at a time (the web server renders in a thread pool).  A small in-memory cache keeps the last pages rendered
(the review page shows the same pages again after every action); it lives only
in the server process and never on disk.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from PIL import Image

from intake.config import Config
from intake.pages import PageJob, decode_page

PDF_VIEW_DPI = 110.0  # enough for the largest view width below
CACHE_ENTRIES = 48


class Width(IntEnum):
    """The sizes the viewer asks for."""

    THUMB = 160
    VIEW = 900
    LARGE = 1400


@dataclass(frozen=True)
class PageSource:
    """Where one page comes from."""

    path: Path
    kind: str  # pdf | tiff | png | jpeg
    number: int  # 1-based within the file
    rotation: int = 0  # clockwise degrees OCR applied to read it upright


_cache: OrderedDict[tuple[PageSource, int, float], bytes] = OrderedDict()
_lock = threading.Lock()
_pdfium = threading.Lock()  # PDFium is not thread-safe: one PDF render at a time in this process


def _dpi_for(width: Width) -> float:
    return PDF_VIEW_DPI * (width / Width.VIEW) if width > Width.VIEW else PDF_VIEW_DPI


def _decoded(src: PageSource, width: Width, cfg: Config) -> Image.Image:
    job = PageJob(str(src.path), src.kind, src.number, None, render_dpi=_dpi_for(width))
    if src.kind == "pdf":
        with _pdfium:
            image, dpi = decode_page(job, cfg)
    else:
        image, dpi = decode_page(job, cfg)
    if dpi is not None and dpi[0] > 0 and dpi[1] > 0 and abs(dpi[0] - dpi[1]) > 1:  # fax 204x98: square it
        image = image.resize((image.width, round(image.height * dpi[0] / dpi[1])), Image.Resampling.BILINEAR)
    if src.rotation % 360:
        image = image.rotate(-src.rotation, expand=True, fillcolor=255)
    return image


def render_png(src: PageSource, width: Width, cfg: Config) -> bytes:
    """PNG bytes of the page at ``width`` pixels wide (cached per source, width and file mtime)."""
    key = (src, int(width), src.path.stat().st_mtime)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    image = _decoded(src, width, cfg)
    if image.mode not in ("L", "1"):
        image = image.convert("L")
    if image.mode == "1":
        image = image.convert("L")
    if image.width != width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((int(width), height), Image.Resampling.LANCZOS if width < image.width
                             else Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)
    data = out.getvalue()
    with _lock:
        _cache[key] = data
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return data

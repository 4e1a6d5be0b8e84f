"""Opening a source file into pages: planning (cheap, once per file) and reading one page.

* :func:`plan_pages` opens the file once, enforces the page-count and
  page-size limits, and decides per PDF page whether its text layer is usable
  (read with pdfplumber) or the page must be OCRed.  Problems a clerk must
  deal with raise :class:`~intake.errors.FileRejected`.
* :func:`read_page` runs in a worker process: it returns the text layer, or
  decodes only that page (TIFF frame, PDF page render, image) and OCRs it.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from intake import ocr, preprocess
from intake._exec import pdftext
from intake.config import Config
from intake.dates import header_footer_spans
from intake.errors import FileRejected
from intake.model import PageText

log = logging.getLogger(__name__)

IMAGE_KINDS = ("tiff", "png", "jpeg")
MIN_RENDER_DPI = 150.0


@dataclass(frozen=True)
class PageJob:
    """One page to read.  ``text_layer`` set = use it; None = decode and OCR."""

    path: str
    kind: str  # "pdf" | "tiff" | "png" | "jpeg"
    number: int  # 1-based within the file
    text_layer: str | None
    render_dpi: float | None = None  # PDF pages to OCR: resolution to render at
    crisp: bool = False  # PDF scans rendered at their own resolution: no image smoothing
    note: str | None = None  # why the text layer was not used, for PageText.note


# --------------------------------------------------------------------------- text layer
_CID = re.compile(r"\(cid:\d+\)")
_TOKEN_OK = re.compile(r"[A-Za-z]+(?:['’][a-z]{1,2})?|[0-9][0-9.,:/%$-]*|[A-Z]{1,4}-?[0-9]+|[$#][0-9][0-9.,]*")
_EDGE = re.compile(r"^[^\w$#]+|[^\w%]+$")
_VOWELS = set("aeiouyAEIOUY")
OK_TOKEN_SHARE = 0.7  # share of tokens that must look like words/numbers (digital text)
OK_TOKEN_SHARE_OCR_LAYER = 0.94  # stricter for someone else's invisible OCR layer on a scan
MAX_ODD_CHAR_SHARE = 0.08
SCAN_COVERAGE = 0.5  # an image covering this share of the page is a scan
SCAN_VISIBLE_TEXT_OBJECTS = 3  # visible text this small on a scan = a stamp/header only


@dataclass(frozen=True)
class TextLayerVerdict:
    usable: bool
    text: str
    reason: str | None = None


def _token_ok(token: str) -> bool:
    core = _EDGE.sub("", token)
    if not core:
        return True  # bare punctuation is neutral
    if not _TOKEN_OK.fullmatch(core):
        return False
    return not (core.isalpha() and len(core) > 4 and not (_VOWELS & set(core)))


def text_quality(text: str) -> tuple[float, float]:
    """(share of word-like tokens, share of odd characters) of a text layer."""
    tokens = text.split()
    if not tokens:
        return 0.0, 1.0
    ok = sum(1 for t in tokens if _token_ok(t)) / len(tokens)
    chars = [c for c in text if not c.isspace()]
    odd = sum(1 for c in chars if not (c.isalnum() or c in ".,;:!?'\"()-/%$#&@*+=’“”–—_[]"))
    return ok, odd / max(len(chars), 1)


def judge_text_layer(text: str, page: pdftext.PdfPageInfo, min_chars: int) -> TextLayerVerdict:
    """Is this page's text layer worth using instead of OCR?"""
    clean = _CID.sub("", text).replace("\x00", "").strip()
    if len(clean) < min_chars:
        reason = "text layer empty; OCRed" if not text.strip() else "text layer too short; OCRed"
        return TextLayerVerdict(False, clean, reason if page.text_chars else None)
    visible = page.text_objects - page.invisible_text_objects
    if (page.image_coverage >= SCAN_COVERAGE and page.invisible_text_objects == 0
            and visible <= SCAN_VISIBLE_TEXT_OBJECTS and len(clean) < 300):
        return TextLayerVerdict(False, clean, "scanned page with only a stamped header; OCRed")
    ok, odd = text_quality(clean)
    ocr_layer = page.image_coverage >= SCAN_COVERAGE and page.invisible_text_objects > 0
    need = OK_TOKEN_SHARE_OCR_LAYER if ocr_layer else OK_TOKEN_SHARE
    if ok < need or odd > MAX_ODD_CHAR_SHARE:
        return TextLayerVerdict(False, clean, "text layer looked like garbage; OCRed")
    return TextLayerVerdict(True, clean)


# --------------------------------------------------------------------------- planning
def plan_pages(path: Path, kind: str, cfg: Config) -> list[PageJob]:
    """Open ``path`` once; return one job per page or raise FileRejected."""
    path = Path(path)
    if kind == "pdf":
        jobs = _plan_pdf(path, cfg)
    elif kind in IMAGE_KINDS:
        jobs = _plan_image(path, kind, cfg)
    else:
        raise FileRejected(f"Files of type '{kind}' cannot be read; send a PDF, TIFF, PNG or JPEG.")
    if not jobs:
        raise FileRejected("The file has no pages.")
    return jobs


def _too_many(count: int, cfg: Config) -> FileRejected:
    return FileRejected(
        f"The file has {count} pages; the limit is {cfg.intake.max_pages}. "
        "Split it into smaller files and put them back in the inbox.")


def _too_big(number: int, pixels: int, cfg: Config) -> FileRejected:
    return FileRejected(
        f"Page {number} is too large to process ({pixels / 1e6:.0f} million pixels; "
        f"the limit is {cfg.intake.max_page_pixels / 1e6:.0f} million). "
        "Rescan it at a normal resolution (200-300 dpi).")


def _plan_pdf(path: Path, cfg: Config) -> list[PageJob]:
    try:
        info = pdftext.inspect_pdf(path, cfg.intake.max_pages)
    except pdftext.PdfPasswordRequired as exc:
        raise FileRejected("The PDF is password-protected. Ask the sender for a copy "
                           "without a password.") from exc
    except pdftext.PdfTooManyPages as exc:
        raise _too_many(exc.count, cfg) from exc
    except pdftext.PdfUnreadable as exc:
        raise FileRejected("The PDF is damaged or incomplete and cannot be opened. "
                           "Ask the sender to send it again.") from exc
    if info.page_count == 0:
        raise FileRejected("The PDF has no pages.")
    candidates = [p.number for p in info.pages if p.text_chars >= cfg.ocr.min_text_layer_chars]
    layers = pdftext.text_layers(path, candidates)
    jobs: list[PageJob] = []
    for page in info.pages:
        w_px, h_px = page.max_image_px
        if w_px * h_px > cfg.intake.max_page_pixels:
            raise _too_big(page.number, w_px * h_px, cfg)
        verdict = judge_text_layer(layers.get(page.number, ""), page, cfg.ocr.min_text_layer_chars)
        if verdict.usable:
            jobs.append(PageJob(str(path), "pdf", page.number, verdict.text))
            continue
        dpi = _render_dpi(page, cfg)
        jobs.append(PageJob(str(path), "pdf", page.number, None, render_dpi=dpi,
                            crisp=dpi == page.native_dpi, note=verdict.reason))
    return jobs


def _render_dpi(page: pdftext.PdfPageInfo, cfg: Config) -> float:
    """Render scanned pages at their native resolution (never above the OCR target),
    vector pages at the target; low-resolution scans are upscaled later, in one place."""
    target = float(cfg.ocr.target_dpi)
    native = page.native_dpi
    dpi = min(max(native or target, MIN_RENDER_DPI), target)
    area_in2 = (page.width_pt / 72.0) * (page.height_pt / 72.0)
    if area_in2 > 0 and area_in2 * dpi * dpi > cfg.intake.max_page_pixels:
        dpi = (cfg.intake.max_page_pixels / area_in2) ** 0.5  # huge page: fit the limit
    return dpi


def _open_image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise FileRejected("The image is far too large to process (possible "
                           "decompression bomb).") from exc
    except Exception as exc:  # Pillow raises many types for broken files
        raise FileRejected("The image file is damaged or in a format that cannot be "
                           "read. Ask the sender to send it again.") from exc


def _plan_image(path: Path, kind: str, cfg: Config) -> list[PageJob]:
    image = _open_image(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            count = int(getattr(image, "n_frames", 1)) if kind == "tiff" else 1
            if count > cfg.intake.max_pages:
                raise _too_many(count, cfg)
            jobs = []
            for index in range(count):
                if index:
                    image.seek(index)
                width, height = image.size
                if width * height > cfg.intake.max_page_pixels:
                    raise _too_big(index + 1, width * height, cfg)
                if width < 1 or height < 1:
                    raise FileRejected(f"Page {index + 1} of the image is empty (0 pixels).")
                jobs.append(PageJob(str(path), kind, index + 1, None))
            return jobs
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected("The image file is damaged and its pages cannot be counted. "
                           "Ask the sender to send it again.") from exc
    finally:
        image.close()


# --------------------------------------------------------------------------- reading
def read_page(job: PageJob, cfg: Config) -> PageText:
    """Text of one page: its text layer, or decode that page only and OCR it."""
    started = time.perf_counter()
    if job.text_layer is not None:
        if _only_header(job.text_layer):
            return PageText(job.number, "", "blank", seconds=time.perf_counter() - started,
                            note="text layer holds only a fax header or footer")
        return PageText(job.number, job.text_layer, "text_layer",
                        seconds=time.perf_counter() - started)
    image, dpi = decode_page(job, cfg)
    page = ocr.ocr_image(image, job.number, cfg, dpi)
    page.seconds = time.perf_counter() - started
    if job.note and page.note is None:
        page.note = job.note
    return page


def _only_header(text: str) -> bool:
    """True when nothing but fax header / footer lines carries letters or digits."""
    keep = list(text)
    for start, end in header_footer_spans(text):
        keep[start:end] = " " * (end - start)
    return sum(c.isalnum() for c in keep) < 3


def decode_page(job: PageJob, cfg: Config) -> tuple[Image.Image, tuple[float, float] | None]:
    """Decode exactly one page of the file to an image and its (x, y) resolution."""
    if job.kind == "pdf":
        render_dpi = job.render_dpi or float(cfg.ocr.target_dpi)
        try:
            image = pdftext.render_page(Path(job.path), job.number, render_dpi, crisp=job.crisp)
        except pdftext.PdfUnreadable as exc:
            raise FileRejected(f"Page {job.number} of the PDF is damaged and cannot be "
                               "read.") from exc
        return image, (render_dpi, render_dpi)
    Image.MAX_IMAGE_PIXELS = cfg.intake.max_page_pixels
    image = _open_image(Path(job.path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if job.number > 1:
                image.seek(job.number - 1)
            dpi = preprocess.source_dpi(image)
            tag = preprocess.orientation_tag(image)
            image.load()
            frame = preprocess.apply_orientation(image, tag)
            if frame is image:
                frame = image.copy()
    except Exception as exc:
        raise FileRejected(f"Page {job.number} of the image is damaged and cannot be "
                           "read.") from exc
    finally:
        image.close()
    if dpi is not None and frame.size != image.size:  # 90/270 orientation swaps axes
        dpi = (dpi[1], dpi[0])
    return frame, dpi

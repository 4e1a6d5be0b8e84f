"""Fax-aware OCR of one page image: preprocess, orient, deskew, tesseract.

:func:`ocr_image` is the one entry point; it takes a decoded page image and
returns a :class:`~intake.model.PageText`.  Which preprocessing steps run is
decided by :class:`OcrOptions` (defaults = the steps the accuracy benchmark
showed to help, see ``docs/benchmarks-ocr.md``).  Logs carry page numbers and
timings only, never text.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from PIL import Image

from intake import preprocess
from intake._exec import tesseract
from intake.config import Config
from intake.model import PageText

log = logging.getLogger(__name__)

# Below this mean word confidence the page is checked with OSD for rotation.
OSD_BELOW_CONFIDENCE = 75.0
# OSD answers with less orientation confidence than this are ignored.
MIN_OSD_CONFIDENCE = 1.5
# Skew below this is left to tesseract (the ablation showed no gain from
# rotating pages skewed by up to ~2 degrees; resampling costs CPU and sharpness).
MIN_DESKEW_DEGREES = 1.0


@dataclass(frozen=True)
class OcrOptions:
    """Switches for each preprocessing step (the benchmark toggles them)."""

    square_pixels: bool = True
    upscale: bool = True
    downscale: bool = True
    orientation: bool = True
    deskew: bool = True
    despeckle: bool = True
    psm: int | None = None  # None = cfg.ocr.psm

    def with_(self, **changes: object) -> OcrOptions:
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_OPTIONS = OcrOptions()


def _prepare(image: Image.Image, dpi: tuple[float, float] | None, target: int,
             opts: OcrOptions) -> preprocess.Prepared:
    grey = preprocess.to_grey(image)
    if dpi is not None and not opts.square_pixels:
        dpi = (dpi[0], dpi[0])
    return preprocess.normalise_resolution(grey, dpi, target, upscale=opts.upscale,
                                           downscale=opts.downscale)


def _rotate(image: Image.Image, clockwise: int) -> Image.Image:
    return image.rotate(-clockwise, expand=True, fillcolor=255) if clockwise else image


def ocr_image(image: Image.Image, number: int, cfg: Config,
              dpi: tuple[float, float] | None = None,
              options: OcrOptions = DEFAULT_OPTIONS) -> PageText:
    """OCR one decoded page image; blank pages come back as ``source="blank"``."""
    started = time.perf_counter()
    prepared = _prepare(image, dpi, cfg.ocr.target_dpi, options)
    page = prepared.image
    width, height = page.size
    if preprocess.is_blank(page, prepared.dpi):
        log.debug("page %d blank", number)
        return PageText(number, "", "blank", seconds=time.perf_counter() - started,
                        width_px=width, height_px=height)
    if options.despeckle:
        page = preprocess.despeckle(page)
    if options.deskew:
        page = preprocess.deskew(page, preprocess.estimate_skew(page), MIN_DESKEW_DEGREES)
    psm = options.psm if options.psm is not None else cfg.ocr.psm
    timeout = cfg.intake.page_timeout_seconds
    run = tesseract.ocr(page, lang=cfg.ocr.language, psm=psm, dpi=prepared.dpi,
                        timeout=timeout)
    rotation = 0
    conf = run.mean_confidence
    if options.orientation and cfg.ocr.detect_orientation and (conf is None
                                                               or conf < OSD_BELOW_CONFIDENCE):
        osd = tesseract.orientation(page, timeout=timeout)
        if osd is not None and osd.rotate and osd.confidence >= MIN_OSD_CONFIDENCE:
            turned = _rotate(page, osd.rotate)
            if options.deskew:
                turned = preprocess.deskew(turned, preprocess.estimate_skew(turned), MIN_DESKEW_DEGREES)
            second = tesseract.ocr(turned, lang=cfg.ocr.language, psm=psm,
                                   dpi=prepared.dpi, timeout=timeout)
            if (second.mean_confidence or 0) >= (conf or 0):
                run, rotation, conf = second, osd.rotate, second.mean_confidence
    seconds = time.perf_counter() - started
    log.debug("page %d OCRed in %.2fs rotation=%d", number, seconds, rotation)
    return PageText(number, run.text, "ocr", confidence=conf, rotation=rotation,
                    seconds=seconds, width_px=width, height_px=height)

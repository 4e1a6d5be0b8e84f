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
from contextlib import ExitStack
from dataclasses import dataclass, field, replace

from PIL import Image

from intake import ocrtext, paper, preprocess
from intake._exec import tesseract
from intake.config import Config
from intake.model import PageText

log = logging.getLogger(__name__)

# Below this mean word confidence the page is checked with OSD for rotation.
OSD_BELOW_CONFIDENCE = 75.0
# OSD answers with less orientation confidence than this are ignored (a rotation
# is only kept when the re-read page scores at least as well, so this can be low).
MIN_OSD_CONFIDENCE = 0.5
# A page still read this poorly when OSD sees no rotation is read upside down once (kept only if better).
UPSIDE_DOWN_BELOW = 50.0
UPSIDE_DOWN_GAIN = 1.5  # ...and kept only when it reads this much more (confidence-weighted words)
# Skew below this is left to tesseract (the ablation showed no gain from
# rotating pages skewed by up to ~2 degrees; resampling costs CPU and sharpness).
MIN_DESKEW_DEGREES = 1.0
# A non-blank page read with fewer words / lower confidence than this is retried
# after a global Otsu binarization (photos, low-contrast or tinted scans).
MIN_WORDS_BEFORE_BINARIZE = 3
LOW_CONFIDENCE = 40.0


@dataclass(frozen=True)
class OcrOptions:
    """Switches for each preprocessing step (the benchmark toggles them)."""

    square_pixels: bool = True
    upscale: bool = True
    downscale: bool = True
    orientation: bool = True
    deskew: bool = True
    despeckle: bool = True
    despeckle_first: bool = False  # at the source resolution, before squaring/upscaling
    despeckle_squared: bool = False  # 204x98 two-level faxes: after squaring, before upscaling
    upscale_two_level: bool = True  # black-and-white pages under 250 dpi: to the target dpi, smoothed
    two_level_deskew: bool = False  # rotate black-and-white pages with NEAREST: they stay 1-bit
    find_sheet: bool = True  # images without a resolution: crop to the sheet, resolution from its size
    min_deskew: float = MIN_DESKEW_DEGREES
    resample: str | None = None  # resize/deskew filter; None = cfg.ocr.resample
    psm: int | None = None  # None = cfg.ocr.psm
    fax_dpi: int | None = None  # None = cfg.ocr.fax_dpi

    def with_(self, **changes: object) -> OcrOptions:
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_OPTIONS = OcrOptions()


def _prepare(image: Image.Image, dpi: tuple[float, float] | None, cfg: Config,
             opts: OcrOptions) -> tuple[preprocess.Prepared, bool]:
    """The page at the resolution tesseract gets, and whether it is despeckled already."""
    grey = preprocess.to_grey(image)
    if dpi is None and opts.find_sheet:  # no resolution in the file: the paper tells it
        grey, dpi = paper.find_sheet(grey)
    despeckled = fax = False
    if opts.despeckle and opts.despeckle_first:
        grey, despeckled = preprocess.despeckle(grey), True
    if dpi is not None and not opts.square_pixels:
        dpi = (dpi[0], dpi[0])
    elif dpi is not None and opts.despeckle and opts.despeckle_squared and not despeckled:
        squared = preprocess.square_two_level(grey, dpi)
        if squared is not None:  # despeckle while the fax is still two-level: exact and cheap
            grey, dpi = preprocess.despeckle(squared[0]), squared[1]
            despeckled = fax = True
    two_level = bool(opts.upscale_two_level and cfg.ocr.two_level_dpi and not despeckled
                     and preprocess.is_two_level(grey))
    if two_level and dpi is not None and _bold_print(grey, dpi, cfg):
        two_level = False  # bold print reads as sent: the upscale buys 0.2 points for ~35 % more CPU
    prepared = preprocess.normalise_resolution(
        grey, dpi, cfg.ocr.target_dpi, upscale=opts.upscale, downscale=opts.downscale,
        resample=opts.resample or cfg.ocr.resample, fax_target=opts.fax_dpi or cfg.ocr.fax_dpi,
        fax=fax, two_level=two_level, two_level_target=cfg.ocr.two_level_dpi)
    return prepared, despeckled


def _bold_print(grey: Image.Image, dpi: tuple[float, float], cfg: Config) -> bool:
    """A black-and-white page the upscale would enlarge (under 250 dpi) whose strokes are too bold
    to need it.  Never true with ``ocr.two_level_thin_share = 0`` (every such page is upscaled)."""
    if max(dpi) >= preprocess.TWO_LEVEL_UPSCALE_BELOW or cfg.ocr.two_level_thin_share <= 0:
        return False
    return preprocess.thin_stroke_share(grey, dpi[0]) < cfg.ocr.two_level_thin_share


def _quality(run: tesseract.OcrOutput) -> float:
    """Words weighted by confidence: which of two readings of a page to keep."""
    return sum(max(w.conf, 0.0) for w in run.words)


def _rotate(image: Image.Image, clockwise: int) -> Image.Image:
    return image.rotate(-clockwise, expand=True, fillcolor=255) if clockwise else image


@dataclass
class _Run:
    """How tesseract is called for this page.

    With the ``cli`` engine each image is written to disk once, for all its
    runs; the ``library`` engine takes the pixels from memory.
    """

    lang: str
    psm: int
    dpi: int | None
    timeout: float
    engine: str = "library"
    files: ExitStack = field(default_factory=ExitStack)
    _paths: dict[int, tuple[Image.Image, str]] = field(default_factory=dict)

    def source(self, image: Image.Image) -> tesseract.Source:
        if self.engine == "library":
            return image
        key = id(image)
        if key not in self._paths:  # the image is kept alive with its path, so ids are not reused
            self._paths[key] = (image, self.files.enter_context(tesseract.staged(image)))
        return self._paths[key][1]

    def __call__(self, image: Image.Image) -> tesseract.OcrOutput:
        return tesseract.ocr(self.source(image), lang=self.lang, psm=self.psm, dpi=self.dpi,
                             timeout=self.timeout, engine=self.engine)

    def orientation(self, image: Image.Image) -> tesseract.Orientation | None:
        return tesseract.orientation(self.source(image), timeout=self.timeout, engine=self.engine)


def _straighten(image: Image.Image, options: OcrOptions) -> Image.Image:
    if not options.deskew:
        return image
    resample = options.resample or preprocess.DEFAULT_RESAMPLE
    if options.two_level_deskew and preprocess.is_two_level(image):
        resample = "nearest"
    return preprocess.deskew(image, preprocess.estimate_skew(image), options.min_deskew,
                             resample=resample)


def _orient(base: Image.Image, first: tesseract.OcrOutput, image: Image.Image, run: _Run,
            options: OcrOptions) -> tuple[int, tesseract.OcrOutput, Image.Image]:
    """Ask OSD (on the un-deskewed page: resampling blurs its evidence); keep the
    rotation only if the re-read page is read with at least the same confidence."""
    osd = run.orientation(base)
    if osd is None or not osd.rotate or osd.confidence < MIN_OSD_CONFIDENCE:
        if (first.mean_confidence or 0) >= UPSIDE_DOWN_BELOW:
            return 0, first, image
        turn = 180  # OSD misses upside-down degraded faxes: a very poor read is tried the other way up
    else:
        turn = osd.rotate
    turned = _straighten(_rotate(base, turn), options)
    second = run(turned)
    guessed = osd is None or turn != osd.rotate  # upside down on a hunch: the new read must be clearly better
    better = _quality(second) > UPSIDE_DOWN_GAIN * _quality(first) if guessed else \
        (second.mean_confidence or 0) >= (first.mean_confidence or 0)
    if better:
        return turn, second, turned
    return 0, first, image


def _binarized_retry(first: tesseract.OcrOutput, image: Image.Image, run: _Run) -> tesseract.OcrOutput:
    """Photos / tinted scans: retry after an adaptive threshold when little was read."""
    if len(first.words) >= MIN_WORDS_BEFORE_BINARIZE and (first.mean_confidence or 0) >= LOW_CONFIDENCE:
        return first
    second = run(preprocess.binarize(image))
    return second if _quality(second) > _quality(first) else first


def ocr_image(image: Image.Image, number: int, cfg: Config,
              dpi: tuple[float, float] | None = None,
              options: OcrOptions = DEFAULT_OPTIONS) -> PageText:
    """OCR one decoded page image; blank pages come back as ``source="blank"``."""
    started = time.perf_counter()
    options = options.with_(resample=options.resample or cfg.ocr.resample)
    prepared, despeckled = _prepare(image, dpi, cfg, options)
    width, height = prepared.image.size
    if preprocess.is_blank(prepared.image, prepared.dpi):
        log.debug("page %d blank", number)
        return PageText(number, "", "blank", seconds=time.perf_counter() - started,
                        width_px=width, height_px=height)
    base = prepared.image if despeckled or not options.despeckle else preprocess.despeckle(prepared.image)
    psm = options.psm if options.psm is not None else cfg.ocr.psm
    run = _Run(cfg.ocr.language, psm, prepared.dpi, cfg.intake.page_timeout_seconds, cfg.ocr.engine)
    with run.files:
        page = _straighten(base, options)
        result = run(page)
        rotation = 0
        if options.orientation and cfg.ocr.detect_orientation and (
                (result.mean_confidence or 0) < OSD_BELOW_CONFIDENCE):
            rotation, result, page = _orient(base, result, page, run, options)
        result = _binarized_retry(result, page, run)
    seconds = time.perf_counter() - started
    log.debug("page %d OCRed in %.2fs rotation=%d", number, seconds, rotation)
    return PageText(number, ocrtext.tidy(result.text), "ocr", confidence=result.mean_confidence,
                    rotation=rotation, seconds=seconds, width_px=width, height_px=height)

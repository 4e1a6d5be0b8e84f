"""Fax-aware image preparation before OCR (pure Pillow/NumPy, no tesseract).

Each step is a small function so the benchmark can switch it on and off and
measure it (see ``docs/benchmarks-ocr.md``):

* :func:`to_grey` - any mode (1-bit, palette, alpha, 16-bit, CMYK) to 8-bit grey on white.
* :func:`orientation_tag` / :func:`apply_orientation` - honour the TIFF/EXIF Orientation tag.
* :func:`thin_stroke_share` - how much of the ink is thin strokes (decides the two-level upscale).
* :func:`normalise_resolution` - square the pixels of 204x98 "normal" faxes and bring
  the page to the OCR resolution (upscale low-resolution pages, downscale huge ones).
* :func:`is_blank` - detect pages with no ink (fax noise tolerated).
* :func:`despeckle` - remove isolated salt-and-pepper noise.
* :func:`estimate_skew` / :func:`deskew` - small-angle skew correction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

log = logging.getLogger(__name__)

MIN_TRUSTED_DPI = 100.0
MAX_TRUSTED_DPI = 2400.0
UPSCALE_BELOW = 0.6  # upscale when resolution < 60% of the target (or pixels were not square)
# Black-and-white pages (fine-mode faxes, G4 scans) under this resolution are brought to the target and
# smoothed: thin fonts at ~200 dpi lose stroke pixels, and tesseract reads the smoothed, larger glyphs far
# better (dev corpus, 204x196 faxes: truth words missing 20.8% -> 10.3%; docs/benchmarks.md)
TWO_LEVEL_UPSCALE_BELOW = 250.0
TWO_LEVEL_SMOOTH_RADIUS = 0.8
# Two-level pages with non-square pixels (204x98 faxes) are squared by repeating rows (they stay
# two-level), then brought to the two-level target and smoothed harder: their rows are twice as coarse
# as their columns.  Squaring first reads better than interpolating each axis straight to the target
# (dev corpus, all 82 such pages: words missing 19.8% -> 18.7%, same CPU; docs/benchmarks.md).
FAX_SMOOTH_RADIUS = 1.1
# Only thin strokes need that upscale.  A stroke cross-section is a horizontal run of black pixels up to
# STROKE_RUN_MAX_INCH (longer runs are rules and bars); a thin one is at most THIN_RUN_INCH (0.7 pt: 1-2 px
# at 200 dpi).  Pages where at least ``ocr.two_level_thin_share`` of the cross-sections are thin are
# upscaled (dev corpus faxes and 200-dpi scans: 0.18-0.86, the upscale halves their missed words); pages
# of bolder print (0.03-0.11 on the throughput benchmark's faxes) gain 0.2 points from it for ~35 % more
# CPU and are read as sent (docs/benchmarks.md, "The stroke gate").
STROKE_RUN_MAX_INCH = 0.06
THIN_RUN_INCH = 0.01
MIN_STROKE_RUNS = 500  # fewer cross-sections than this say nothing: such a page is treated as thin
DOWNSCALE_ABOVE = 1.5  # downscale when resolution > 150% of the target
MAX_UPSCALE = 2.5


@dataclass(frozen=True)
class Prepared:
    """A grey page image ready for tesseract and the resolution it now has."""

    image: Image.Image
    dpi: int | None  # None when the source did not say (tesseract estimates)


def to_grey(image: Image.Image) -> Image.Image:
    """8-bit greyscale, transparent areas white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    if image.mode == "L":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        top = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / top)).astype(np.uint8), "L")
    if image.mode == "CMYK":
        image = image.convert("RGB")
    return image.convert("L")


ORIENTATION_TAG = 274
_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def orientation_tag(image: Image.Image) -> int:
    """The TIFF/EXIF Orientation tag (1..8; 1 = normal).  Read it before ``load()``."""
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
        return int(value) if 1 <= int(value) <= 8 else 1
    except Exception:  # a broken EXIF block must not stop the page
        return 1


def apply_orientation(image: Image.Image, tag: int) -> Image.Image:
    """Apply an Orientation tag value (2..8) to a decoded image; 1 returns it unchanged."""
    for op in _TRANSPOSE.get(tag, ()):
        image = image.transpose(op)
    return image


def source_dpi(image: Image.Image) -> tuple[float, float] | None:
    """Trusted (x, y) resolution from the file's metadata, else None."""
    dpi = image.info.get("dpi")
    if not dpi or len(dpi) != 2:
        return None
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError):
        return None
    if not (MIN_TRUSTED_DPI / 2 <= y and MIN_TRUSTED_DPI <= x <= MAX_TRUSTED_DPI and y <= MAX_TRUSTED_DPI):
        return None
    return x, y


RESAMPLE = {"lanczos": Image.Resampling.LANCZOS, "bilinear": Image.Resampling.BILINEAR,
            "bicubic": Image.Resampling.BICUBIC, "nearest": Image.Resampling.NEAREST}
DEFAULT_RESAMPLE = "bilinear"  # measured as good as lanczos/bicubic on fax pages, and cheaper


def normalise_resolution(image: Image.Image, dpi: tuple[float, float] | None, target: int,
                         *, upscale: bool = True, downscale: bool = True, resample: str = DEFAULT_RESAMPLE,
                         fax_target: int | None = None, fax: bool = False, two_level: bool = False,
                         two_level_target: int | None = None) -> Prepared:
    """Square the pixels (fax 204x98, resampled towards ``fax_target`` dpi) and rescale
    low- or high-resolution pages towards ``target`` dpi.  ``fax``: the pixels were
    non-square at the source and have been squared already (:func:`square_two_level`).
    ``two_level``: a black-and-white page under :data:`TWO_LEVEL_UPSCALE_BELOW` dpi is upscaled to
    ``two_level_target`` (default ``target``) and smoothed; one with non-square pixels (204x98) is
    squared by repeating rows first (:func:`square_two_level`) and smoothed harder (:data:`FAX_SMOOTH_RADIUS`)."""
    if dpi is None:
        return Prepared(image, None)
    if two_level and upscale and not fax:
        squared = square_two_level(image, dpi)
        if squared is not None:
            image, dpi, fax = squared[0], squared[1], True
    x, y = dpi
    width, height = image.size
    sx = sy = 1.0
    if abs(x - y) / max(x, y) > 0.1:  # non-square pixels: stretch the coarse axis
        if y < x:
            sy = x / y
        else:
            sx = y / x
    res = max(x, y)
    factor = 1.0
    stretched = sx != 1.0 or sy != 1.0
    if upscale and two_level and (stretched or fax):
        factor = min((two_level_target or target) / res, MAX_UPSCALE)
    elif upscale and (fax or stretched):
        factor = min((fax_target or target) / res, MAX_UPSCALE)
    elif upscale and two_level and res < TWO_LEVEL_UPSCALE_BELOW < (two_level_target or target):
        factor = min((two_level_target or target) / res, MAX_UPSCALE)
    elif upscale and res < target * UPSCALE_BELOW:
        factor = min(target / res, MAX_UPSCALE)
    elif downscale and res > target * DOWNSCALE_ABOVE:
        factor = target / res
    sx, sy = sx * factor, sy * factor
    if abs(sx - 1) < 0.01 and abs(sy - 1) < 0.01:
        if two_level:  # a black-and-white page at full resolution is smoothed too (G4 scans at 300 dpi)
            image = image.filter(ImageFilter.GaussianBlur(TWO_LEVEL_SMOOTH_RADIUS))
        return Prepared(image, int(round(res)))
    size = (max(1, int(round(width * sx))), max(1, int(round(height * sy))))
    method = RESAMPLE[resample] if factor >= 1 else Image.Resampling.BOX
    resized = image.resize(size, method)
    if two_level and factor > 1:
        radius = FAX_SMOOTH_RADIUS if stretched or fax else TWO_LEVEL_SMOOTH_RADIUS
        resized = resized.filter(ImageFilter.GaussianBlur(radius))
    return Prepared(resized, int(round(res * factor)))


def thin_stroke_share(image: Image.Image, x_dpi: float) -> float:
    """Share of the stroke cross-sections (horizontal black runs up to :data:`STROKE_RUN_MAX_INCH`)
    no wider than :data:`THIN_RUN_INCH`, on every second row; 1.0 when the page has too little ink to tell.

    Measured along x, whose resolution is the fine one on every fax mode.
    """
    dark = np.asarray(image, dtype=np.uint8)[::2] < 128
    edges = np.diff(np.pad(dark.view(np.int8), ((0, 0), (1, 1))), axis=1)
    starts, ends = np.nonzero(edges == 1)[1], np.nonzero(edges == -1)[1]
    runs = ends - starts
    runs = runs[runs <= max(1, round(x_dpi * STROKE_RUN_MAX_INCH))]
    if runs.size < MIN_STROKE_RUNS:
        return 1.0
    return float(np.count_nonzero(runs <= max(1, round(x_dpi * THIN_RUN_INCH)))) / runs.size


def ink_mask(image: Image.Image, dpi: int | None, cell_dpi: int = 50) -> np.ndarray:
    """Boolean mask of inked cells at ~``cell_dpi``; single-pixel specks vanish."""
    cell = max(1, int(round((dpi or 200) / cell_dpi)))
    w, h = image.size
    small = image.reduce(cell) if cell > 1 and w >= cell and h >= cell else image
    arr = np.asarray(small, dtype=np.uint8)
    return arr < 200


def _solid(mask: np.ndarray) -> np.ndarray:
    """Ink cells inked above *and* below, and left or right.

    Text (3+ cells tall at ~50 dpi) survives; isolated specks, vertical
    hairlines and horizontal scanner streaks up to two cells thick vanish.
    """
    if mask.shape[0] < 3 or mask.shape[1] < 3:
        return np.zeros((0, 0), dtype=bool)
    core = mask[1:-1, 1:-1]
    vertical = mask[:-2, 1:-1] & mask[2:, 1:-1]
    horizontal = mask[1:-1, :-2] | mask[1:-1, 2:]
    return core & vertical & horizontal


def is_blank(image: Image.Image, dpi: int | None, max_ink_fraction: float = 0.000015,
             margin: float = 0.03) -> bool:
    """True when the page carries (almost) no text-like ink away from its edges.

    The top/bottom/side ``margin`` (fax header line, punch holes, scanner
    borders) is ignored, as are specks and thin streaks.
    """
    mask = ink_mask(image, dpi)
    h, w = mask.shape
    my, mx = int(h * margin), int(w * margin)
    inner = _solid(mask[my:h - my or None, mx:w - mx or None])
    if inner.size == 0:
        return True
    return float(inner.mean()) < max_ink_fraction


def binarize(image: Image.Image, radius: int = 15, offset: int = 12) -> Image.Image:
    """Adaptive (local-mean) threshold to black/white: a fallback for photos and
    low-contrast or tinted scans on which tesseract's global threshold reads nothing."""
    arr = np.asarray(image, dtype=np.int16)
    local = np.asarray(image.filter(ImageFilter.BoxBlur(radius)), dtype=np.int16)
    return Image.fromarray(np.where(arr < local - offset, 0, 255).astype(np.uint8), "L")


def square_two_level(image: Image.Image, dpi: tuple[float, float]) -> tuple[Image.Image, tuple[float, float]] | None:
    """A two-level page with non-square pixels (a 204x98 fax) made square by repeating
    rows (or columns); it stays two-level, so :func:`despeckle` on it is exact and cheap.
    None when the pixels are square or the page is not two-level."""
    x, y = dpi
    if abs(x - y) / max(x, y) <= 0.1 or not is_two_level(image):
        return None
    res = max(x, y)
    size = (round(image.width * res / x), round(image.height * res / y))
    return image.resize(size, Image.Resampling.NEAREST), (res, res)


def despeckle(image: Image.Image) -> Image.Image:
    """3x3 median filter: removes fax salt-and-pepper noise, keeps strokes.

    On a two-level page (a fine-mode fax, not resampled) the median of 3x3 is the
    majority of the 9 pixels, which a box blur and a threshold give exactly, ~3x faster.
    Other grey pages go through :func:`median3`, exactly Pillow's ``MedianFilter(3)``
    at about a fifth of its cost.
    """
    if is_two_level(image):
        return image.filter(ImageFilter.BoxBlur(1)).point(_MAJORITY_LUT)
    if image.mode != "L" or min(image.size) < 3:
        return image.filter(ImageFilter.MedianFilter(3))
    return median3(image)


def median3(image: Image.Image) -> Image.Image:
    """3x3 median of a grey image, edges replicated (as Pillow's ``MedianFilter(3)``), in NumPy.

    Each column of three is sorted first (lo <= mid <= hi); the median of the
    nine is then the median of (largest lo, median of the mids, smallest hi)
    over three neighbouring columns: 19 element-wise min/max passes, no sort.
    """
    padded = np.pad(np.asarray(image, dtype=np.uint8), 1, mode="edge")
    top, centre, bottom = padded[:-2], padded[1:-1], padded[2:]
    lo, hi = np.minimum(top, centre), np.maximum(top, centre)
    mid, hi = np.minimum(hi, bottom), np.maximum(hi, bottom)
    mid, lo = np.maximum(lo, mid), np.minimum(lo, mid)

    def cols(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return a[:, :-2], a[:, 1:-1], a[:, 2:]

    lo0, lo1, lo2 = cols(lo)
    hi0, hi1, hi2 = cols(hi)
    md0, md1, md2 = cols(mid)
    max_lo = np.maximum(np.maximum(lo0, lo1), lo2)
    min_hi = np.minimum(np.minimum(hi0, hi1), hi2)
    med_mid = np.maximum(np.minimum(md0, md1), np.minimum(np.maximum(md0, md1), md2))
    out = np.maximum(np.minimum(max_lo, med_mid), np.minimum(np.maximum(max_lo, med_mid), min_hi))
    return Image.fromarray(np.ascontiguousarray(out), "L")


_MAJORITY_LUT = [0 if v < 128 else 255 for v in range(256)]  # 3x3 mean < 128 <=> >= 5 of 9 black


def is_two_level(image: Image.Image) -> bool:
    """A greyscale page holding only pure black and pure white."""
    if image.mode != "L":
        return False
    histogram = image.histogram()
    return not any(histogram[1:255])


def estimate_skew(image: Image.Image, max_angle: float = 10.0, step: float = 0.1) -> float:
    """Skew angle in degrees (positive = text rises to the right) by projection profiles.

    Coarse-to-fine: 1 degree steps over +-max_angle, then ``step`` around the best.
    """
    w, h = image.size
    scale = min(1.0, 800.0 / max(w, h))
    small = image.resize((max(1, int(w * scale)), max(1, int(h * scale))),
                         Image.Resampling.BOX) if scale < 1 else image
    dark = np.asarray(small, dtype=np.uint8) < 160
    ys, xs = np.nonzero(dark)
    if len(xs) < 200:
        return 0.0
    xs_c = xs - small.size[0] / 2.0
    coarse = _best_angle(ys, xs_c, _angles(-max_angle, max_angle, 1.0))
    return _best_angle(ys, xs_c, _angles(coarse - 1.0, coarse + 1.0, step))


def _best_angle(ys: np.ndarray, xs_c: np.ndarray, angles: list[float]) -> float:
    """The angle whose row-projection profile is sharpest (text lines line up)."""
    best_angle, best_score = 0.0, -1.0
    for angle in angles:
        rows = np.round(ys + xs_c * np.tan(np.radians(angle))).astype(np.int64)
        hist = np.bincount(rows - rows.min()).astype(np.float64)
        score = float(np.sum(np.diff(hist) ** 2))
        if score > best_score:
            best_angle, best_score = angle, score
    return best_angle


def _angles(low: float, high: float, step: float) -> list[float]:
    n = int(round((high - low) / step))
    return [round(low + i * step, 3) for i in range(n + 1)]


def deskew(image: Image.Image, angle: float, min_angle: float = 0.3,
           resample: str = DEFAULT_RESAMPLE) -> Image.Image:
    """Undo a skew of ``angle`` degrees (as from :func:`estimate_skew`) on a white background."""
    if abs(angle) < min_angle:
        return image
    method = RESAMPLE[resample]
    if method == Image.Resampling.LANCZOS:  # rotate() offers up to bicubic
        method = Image.Resampling.BICUBIC
    return image.rotate(-angle, resample=method, expand=True, fillcolor=255)

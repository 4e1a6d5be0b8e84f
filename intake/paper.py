"""The sheet of paper in a page image that carries no resolution (phone photos, PNG scans).

Tesseract's own guess of the resolution of such an image is poor (it reads a
letter page scanned to 1100 px at 70 dpi as if it were 300 dpi, and small glyphs
are then lost), so the resolution is worked out from the paper: a page image that
is a whole Letter or A4 sheet, or a photo of one on a darker desk, tells its
resolution by its width in pixels.  A photo is cropped to the sheet, so the desk
around it is not read as text.  Pure Pillow/NumPy; no tesseract.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# (short, long) side of the paper sizes an office receives, inches: US Letter, A4, US Legal
PAPER_INCHES = ((8.5, 11.0), (8.27, 11.69), (8.5, 14.0))
WHOLE_IMAGE_TOLERANCE = 0.03  # aspect ratio off by at most this share: the image is the sheet
SHEET_TOLERANCE = 0.05  # ... a sheet found on a background (perspective bends its outline)
MIN_BACKGROUND = 0.03  # the sheet covers less than 97 % of the image: there is a background to crop
REDUCE = 8  # the sheet is found on an image reduced this many times
MIN_GUESSED_DPI = 40.0


def _otsu(values: np.ndarray) -> int:
    """Otsu's threshold of 8-bit values."""
    hist = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    p = hist / max(hist.sum(), 1.0)
    w = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    between = (mu[-1] * w - mu) ** 2 / np.maximum(w * (1 - w), 1e-9)
    return int(np.argmax(between))


def sheet_box(grey: Image.Image) -> tuple[int, int, int, int] | None:
    """Box of a bright sheet lying on a darker background, or None when the sheet fills the image.

    Rows and columns that are mostly brighter than Otsu's threshold belong to the sheet.
    """
    if min(grey.size) < REDUCE * 8:
        return None
    small = np.asarray(grey.reduce(REDUCE), dtype=np.uint8)
    bright = small > _otsu(small)
    cols = np.flatnonzero(bright.mean(axis=0) > 0.5)
    rows = np.flatnonzero(bright.mean(axis=1) > 0.5)
    if cols.size == 0 or rows.size == 0:
        return None
    box = (int(cols[0]) * REDUCE, int(rows[0]) * REDUCE,
           min(grey.width, (int(cols[-1]) + 1) * REDUCE), min(grey.height, (int(rows[-1]) + 1) * REDUCE))
    if (box[2] - box[0]) * (box[3] - box[1]) > (1 - MIN_BACKGROUND) * grey.width * grey.height:
        return None
    return box


def _paper_dpi(width: int, height: int, tolerance: float) -> float | None:
    """Resolution of a ``width`` x ``height`` pixel area that is a whole sheet of paper, else None."""
    short, long_ = min(width, height), max(width, height)
    if short <= 0:
        return None
    ratio = long_ / short
    for side, other in PAPER_INCHES:
        if abs(ratio - other / side) <= tolerance * other / side:
            dpi = short / side
            return dpi if dpi >= MIN_GUESSED_DPI else None
    return None


def find_sheet(grey: Image.Image) -> tuple[Image.Image, tuple[float, float] | None]:
    """The sheet (cropped when it lies on a background) and its resolution, when the paper tells it."""
    box = sheet_box(grey)
    if box is not None:
        dpi = _paper_dpi(box[2] - box[0], box[3] - box[1], SHEET_TOLERANCE)
        if dpi is not None:
            return grey.crop(box), (dpi, dpi)
    dpi = _paper_dpi(grey.width, grey.height, WHOLE_IMAGE_TOLERANCE)
    return grey, (dpi, dpi) if dpi is not None else None

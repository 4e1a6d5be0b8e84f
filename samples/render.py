"""Rendering pages of text to fax-like images.

This module owns pixels: page geometry, fonts, line layout (shared with the
text-layer PDF writer in :mod:`samples.formats`), the fax header line, skew,
speckle noise, the RECEIVED stamp, 180° pages and the reduction to 1-bit
"fine" (204×196 dpi) or "standard" (204×98 dpi) fax resolution.

Fonts: DejaVu Sans (Debian ``fonts-dejavu-core``) or Liberation Sans when
present, else Pillow's built-in scalable font (Pillow ≥ 10.1).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from samples.documents import Line

# Fax "fine" geometry: 1728 px across 8.5 in (the ITU-T T.4 width), letter length.
FINE_DPI = (204, 196)
STANDARD_DPI = (204, 98)
PAGE_W = 1728
PAGE_H = 2156  # 11 in at 196 lpi
MARGIN_L = 110
MARGIN_R = 90
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R
BODY_TOP = 84
LINE_PITCH = 40  # px per line unit (11 pt text at 196 dpi is ~30 px)
FOOTER_Y = PAGE_H - 72

# px sizes at 196 dpi: 11 pt body, 10 pt small, 14 pt title, ~9 pt fax header.
SIZES = {"body": 30, "bold": 30, "small": 27, "title": 38, "footer": 27, "header": 25}

FONT_CANDIDATES = {
    "regular": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
                "/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans.ttf"),
    "bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
             "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
             "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
    "mono": ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
             "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
             "/usr/share/fonts/TTF/DejaVuSansMono.ttf", "DejaVuSansMono.ttf"),
}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.lru_cache(maxsize=64)
def font(face: str, size: int) -> Font:
    """A TrueType font of ``size`` px; falls back to Pillow's scalable default."""
    for candidate in FONT_CANDIDATES[face]:
        if Path(candidate).is_absolute() and not Path(candidate).exists():
            continue
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def font_for(style: str, size_scale: float = 1.0) -> Font:
    """The font used for a line style."""
    face = "bold" if style in ("bold", "title") else "regular"
    return font(face, max(8, round(SIZES.get(style, 30) * size_scale)))


@dataclass
class PageSpec:
    """Everything needed to draw one page."""

    lines: list[Line]
    header: str | None = None  # fax header line (drawn upright, unskewed)
    rotation: int = 0  # 0 or 180: the paper went through upside down
    skew: float = 0.0  # degrees, counter-clockwise
    stamp: tuple[str, ...] | None = None  # e.g. ("RECEIVED", "NOV 21 2026")
    speckle: float = 0.0  # noise dots per 10,000 px^2 (0.5 is a dirty glass)
    seed: str = "0"


# --------------------------------------------------------------------------
# layout (also used by the text-layer PDF writer)
# --------------------------------------------------------------------------
def layout_line(line: Line, measure: Callable[[str], float], width: float,
                gap: float) -> list[tuple[float, str]]:
    """Column positions ``(x, text)`` for a line; columns never overlap."""
    parts = line.text.split("\t")
    tabs = list(line.tabs) + [line.tabs[-1] + 0.2 * i for i in range(1, len(parts))]
    out: list[tuple[float, str]] = []
    x_min = 0.0
    for part, tab in zip(parts, tabs, strict=False):
        x = max((tab + line.indent) * width, x_min)
        if part:
            out.append((x, part))
            x_min = x + measure(part) + gap
    return out


def line_fits(line: Line, measure: Callable[[str], float], width: float, gap: float) -> bool:
    """Whether the laid-out line stays inside ``width``."""
    cols = layout_line(line, measure, width, gap)
    return not cols or cols[-1][0] + measure(cols[-1][1]) <= width


def _draw_lines(draw: ImageDraw.ImageDraw, lines: list[Line]) -> None:
    y = float(BODY_TOP)
    for ln in lines:
        if ln.style == "rule":
            yy = int(y + LINE_PITCH * 0.2)
            draw.line((MARGIN_L, yy, PAGE_W - MARGIN_R, yy), fill=0, width=3)
        elif ln.text:
            scale = 1.0
            while scale > 0.6 and not line_fits(ln, font_for(ln.style, scale).getlength, TEXT_W, 24 * scale):
                scale -= 0.05
            f = font_for(ln.style, scale)
            top = FOOTER_Y if ln.style == "footer" else y
            for x, text in layout_line(ln, f.getlength, TEXT_W, 24 * scale):
                draw.text((MARGIN_L + x, top), text, font=f, fill=0)
        y += ln.units * LINE_PITCH


def _draw_stamp(img: Image.Image, stamp: tuple[str, ...], rng: random.Random) -> None:
    f = font("bold", 34)
    w = int(max(f.getlength(t) for t in stamp)) + 40
    h = 48 * len(stamp) + 24
    box = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(box)
    d.rectangle((2, 2, w - 3, h - 3), outline=0, width=5)
    for i, t in enumerate(stamp):
        d.text(((w - f.getlength(t)) / 2, 12 + 48 * i), t, font=f, fill=0)
    box = box.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    x = rng.randint(PAGE_W - MARGIN_R - w - 260, PAGE_W - MARGIN_R - w)
    y = rng.randint(BODY_TOP + 20, BODY_TOP + 220)
    img.paste(0, (x, y, x + box.width, y + box.height), Image.eval(box, lambda v: 255 - v))


def _speckle(img: Image.Image, density: float, rng: random.Random) -> None:
    d = ImageDraw.Draw(img)
    n = int(density * img.width * img.height / 10_000)
    for _ in range(n):
        x, y = rng.randrange(img.width), rng.randrange(img.height)
        r = rng.choice((0, 0, 0, 1, 1, 2))
        d.ellipse((x - r, y - r, x + r, y + r), fill=0)
    for _ in range(rng.randint(0, 3)):  # the odd scanner streak
        y = rng.randrange(img.height)
        x = rng.randrange(img.width - 200)
        d.line((x, y, x + rng.randint(40, 400), y), fill=0, width=rng.choice((1, 2)))


def _draw_header(img: Image.Image, header: str) -> None:
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, img.width, 40), fill=255)
    d.text((28, 8), header, font=font("mono", SIZES["header"]), fill=0)


def render_gray(spec: PageSpec) -> Image.Image:
    """The page as an 8-bit grayscale image at 204×196 dpi geometry (before binarisation)."""
    rng = random.Random(f"render:{spec.seed}")
    img = Image.new("L", (PAGE_W, PAGE_H), 255)
    _draw_lines(ImageDraw.Draw(img), spec.lines)
    if spec.stamp:
        _draw_stamp(img, spec.stamp, rng)
    if spec.skew:
        img = img.rotate(spec.skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    if spec.rotation == 180:
        img = img.transpose(Image.Transpose.ROTATE_180)
    if spec.speckle:
        _speckle(img, spec.speckle, rng)
    if spec.header:
        _draw_header(img, spec.header)
    return img


def binarize(img: Image.Image, threshold: int = 160) -> Image.Image:
    """Hard threshold to 1-bit (no dithering: fax machines don't dither text)."""
    return img.point(lambda v: 255 if v > threshold else 0).convert("1", dither=Image.Dither.NONE)


def render_page(spec: PageSpec, resolution: str = "fine") -> Image.Image:
    """Render one page: ``fine`` (1-bit 204×196), ``standard`` (1-bit 204×98) or ``gray``."""
    gray = render_gray(spec)
    if resolution == "fine":
        out = binarize(gray)
    elif resolution == "standard":
        out = binarize(gray.resize((PAGE_W, PAGE_H // 2), Image.Resampling.BOX))
    elif resolution == "gray":
        out = gray.point(lambda v: int(v * 0.9 + 14))  # scanner paper is never pure white
    else:
        raise ValueError(f"unknown resolution {resolution!r}")
    out.info["dpi"] = STANDARD_DPI if resolution == "standard" else FINE_DPI
    return out


def dpi_for(resolution: str) -> tuple[int, int]:
    """Pixel density of a rendered resolution name."""
    return STANDARD_DPI if resolution == "standard" else FINE_DPI

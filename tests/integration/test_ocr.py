"""OCR of single page images with the real tesseract: orientation, blank pages, fax resolution.

Pages are small generated images so the whole file stays well under a minute
on two cores.  Corpus-based tests skip cleanly when ../shared/corpus is absent.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from intake import preprocess
from intake._exec import tesseract
from intake.config import Config
from intake.ocr import ocr_image

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = ("Patient: John Smith   DOB: 03/04/1957",
         "MRN: CF123456   Date of Service: 11/14/2026",
         "The quick brown fox jumps over the lazy dog.",
         "Please review the attached laboratory results.")


def text_page(lines: tuple[str, ...] = LINES, dpi: int = 200, size_pt: float = 11) -> Image.Image:
    """A small 1-bit page of text at ``dpi`` (as a fax or scanner would deliver it)."""
    px = round(size_pt / 72 * dpi)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(FONT, px)
    except OSError:
        font = ImageFont.load_default(size=px)
    width, pitch = int(6.5 * dpi), int(px * 1.6)
    img = Image.new("L", (width, pitch * (len(lines) + 2)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((dpi // 4, pitch * (i + 1)), line, font=font, fill=0)
    out = img.point(lambda v: 255 if v > 160 else 0).convert("1")
    out.info["dpi"] = (dpi, dpi)
    return out


def words(text: str) -> set[str]:
    return {w.strip(".,:;").lower() for w in text.split()}


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config()


def test_upright_page(cfg: Config) -> None:
    page = ocr_image(text_page(), 1, cfg, (200, 200))
    assert page.source == "ocr" and page.rotation == 0
    assert {"patient", "john", "smith", "cf123456", "03/04/1957"} <= words(page.text)
    assert page.confidence is not None and page.confidence > 80
    assert page.width_px and page.height_px and page.seconds > 0


def test_tesseract_runs_single_threaded(cfg: Config) -> None:
    tesseract.ocr(text_page(LINES[:1]), psm=7, dpi=200)
    assert os.environ.get("OMP_THREAD_LIMIT") == "1"


@pytest.mark.parametrize("turn", [180, 90])
def test_rotated_page_is_corrected(cfg: Config, turn: int) -> None:
    upright = text_page()
    rotated = upright.rotate(turn, expand=True)  # counter-clockwise: needs `turn` clockwise
    page = ocr_image(rotated, 1, cfg, (200, 200))
    assert page.rotation == turn
    assert {"patient", "smith", "laboratory"} <= words(page.text)


def test_blank_fax_page_with_speckles(cfg: Config) -> None:
    img = Image.new("L", (1728, 1100), 255)
    draw = ImageDraw.Draw(img)
    rng = random.Random(1)
    for _ in range(300):
        x, y = rng.randrange(1728), rng.randrange(1100)
        draw.point((x, y), fill=0)
    page = ocr_image(img.convert("1"), 3, cfg, (204, 98))
    assert page.source == "blank" and page.text == "" and page.number == 3


def test_page_with_only_fax_header_and_streak_is_blank(cfg: Config) -> None:
    img = Image.new("L", (1728, 2156), 255)
    draw = ImageDraw.Draw(img)
    draw.text((28, 8), "NOV-21-2026 10:42  FROM: VALLEY GENERAL  P.2/3", fill=0,
              font=ImageFont.load_default(size=25))
    draw.line((300, 900, 700, 900), fill=0, width=2)  # scanner streak
    for x, y in ((100, 400), (900, 1500), (1500, 300)):
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=0)
    page = ocr_image(img.convert("1"), 2, cfg, (204, 196))
    assert page.source == "blank"


def test_one_line_page_is_not_blank(cfg: Config) -> None:
    page = ocr_image(text_page(("Page 2 of 2",)), 2, cfg, (200, 200))
    assert page.source == "ocr" and "page" in words(page.text)


def test_standard_fax_resolution_is_squared(cfg: Config) -> None:
    fine = text_page(dpi=204).convert("L")
    standard = fine.resize((fine.width, fine.height * 98 // 204), Image.Resampling.BOX)
    prepared = preprocess.normalise_resolution(standard, (204, 98), cfg.ocr.target_dpi)
    assert abs(prepared.image.width / prepared.image.height - fine.width / fine.height) < 0.05
    page = ocr_image(standard.point(lambda v: 255 if v > 160 else 0).convert("1"), 1, cfg, (204, 98))
    assert {"patient", "smith", "cf123456", "laboratory"} <= words(page.text)


def test_small_skew_is_corrected() -> None:
    img = text_page().convert("L").rotate(4, expand=True, fillcolor=255)
    angle = preprocess.estimate_skew(img)
    assert 3.0 <= angle <= 5.0
    straight = preprocess.deskew(img, angle)
    assert abs(preprocess.estimate_skew(straight)) <= 0.6


def test_odd_image_modes_become_grey() -> None:
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    assert preprocess.to_grey(rgba).getpixel((1, 1)) == 255  # transparent -> white
    assert preprocess.to_grey(Image.new("I;16", (4, 4), 1000)).mode == "L"
    assert preprocess.to_grey(Image.new("CMYK", (4, 4))).mode == "L"


# ---------------------------------------------------------------- shared corpus
def corpus_file(rel: str) -> Path:
    path = CORPUS / rel
    if not path.exists():
        pytest.skip(f"corpus file {rel} not available")
    return path


def test_corpus_phototest_rotated_180(cfg: Config) -> None:
    path = corpus_file("scanned/tess_phototest-rotated-180.png")
    with Image.open(path) as img:
        img.load()
        page = ocr_image(img, 1, cfg, preprocess.source_dpi(img))
    assert page.rotation == 180
    assert {"quick", "brown", "dog", "jumped", "lazy", "fox"} <= words(page.text)


def test_corpus_blank_fax_is_blank(cfg: Config) -> None:
    path = corpus_file("scanned/commons-imaging_1pagefax_blank.tif")
    with Image.open(path) as img:
        img.load()
        page = ocr_image(img, 1, cfg, preprocess.source_dpi(img))
    assert page.source == "blank"


def test_corpus_photo_of_insurance_card(cfg: Config) -> None:
    """A photo (RGBA, no dpi, textured background) is read after the binarization fallback."""
    from intake.doctype import classify

    path = corpus_file("forms/azure_health-insurance-card.png")
    with Image.open(path) as img:
        img.load()
        page = ocr_image(img, 1, cfg, preprocess.source_dpi(img))
    assert {"angel", "brown", "deductible"} <= words(page.text)
    assert classify(page.text)[0] == "insurance_card"


def test_black_and_white_pages_reach_tesseract_as_1_bit_and_read_the_same() -> None:
    page = text_page().convert("L").point(lambda v: 255 if v > 128 else 0)
    grey = page.copy()
    grey.putpixel((0, 0), 200)  # one grey pixel: stays 8-bit
    with tesseract.staged(page) as bw_path, tesseract.staged(grey) as grey_path:
        assert Path(bw_path).read_bytes()[:2] == b"P4" and Path(grey_path).read_bytes()[:2] == b"P5"
        assert tesseract.ocr(bw_path, psm=4, dpi=200).text == tesseract.ocr(grey_path, psm=4, dpi=200).text

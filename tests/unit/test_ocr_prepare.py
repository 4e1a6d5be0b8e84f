"""Which black-and-white pages get the two-level upscale before tesseract (no tesseract here)."""

from __future__ import annotations

from PIL import Image, ImageFilter

from intake import ocr, preprocess
from intake.config import Config


def _fax(stroke: int) -> Image.Image:
    """A 204x196 fine fax page of short vertical strokes ``stroke`` px wide."""
    page = Image.new("L", (1728, 2156), 255)
    for top in range(200, 2000, 60):
        for left in range(100, 1600, 12):
            page.paste(0, (left, top, left + stroke, top + 20))
    return page


def _prepared(page: Image.Image, cfg: Config) -> preprocess.Prepared:
    prepared, _despeckled = ocr._prepare(page, (204.0, 196.0), cfg, ocr.DEFAULT_OPTIONS)
    return prepared


def test_thin_print_is_upscaled_and_smoothed() -> None:
    prepared = _prepared(_fax(2), Config())
    assert prepared.dpi == 300 and not preprocess.is_two_level(prepared.image)


def test_bold_print_is_read_as_sent() -> None:
    prepared = _prepared(_fax(4), Config())
    assert prepared.dpi == 204 and preprocess.is_two_level(prepared.image)


def test_a_zero_share_upscales_bold_print_too() -> None:
    cfg = Config()
    cfg.ocr.two_level_thin_share = 0
    assert _prepared(_fax(4), cfg).dpi == 300


def test_no_two_level_dpi_reads_thin_print_as_sent() -> None:
    cfg = Config()
    cfg.ocr.two_level_dpi = 0
    assert _prepared(_fax(2), cfg).dpi == 204


def test_a_standard_fax_in_thin_print_is_squared_by_repeating_rows_then_upscaled() -> None:
    page = _fax(2).resize((1728, 1078), Image.Resampling.NEAREST)  # 204x98: half the rows
    prepared, _despeckled = ocr._prepare(page, (204.0, 98.0), Config(), ocr.DEFAULT_OPTIONS)
    squared = preprocess.square_two_level(page, (204.0, 98.0))
    assert squared is not None and squared[0].size == (1728, 2244)  # rows repeated: still black and white
    upscaled = squared[0].resize((2541, 3300), Image.Resampling.BILINEAR)
    expected = upscaled.filter(ImageFilter.GaussianBlur(preprocess.FAX_SMOOTH_RADIUS))
    assert prepared.dpi == 300 and prepared.image.tobytes() == expected.tobytes()

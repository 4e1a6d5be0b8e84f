"""Resolution normalisation (fax pixels squared to the fax resolution, other pages to the
target) and despeckling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from intake import preprocess
from intake.config import Config


def _page(width: int, height: int) -> Image.Image:
    return Image.new("L", (width, height), 255)


def test_standard_fax_is_squared_and_resampled_to_the_fax_resolution() -> None:
    prepared = preprocess.normalise_resolution(_page(1728, 1078), (204, 98), 300, fax_target=250)
    assert prepared.dpi == 250
    assert prepared.image.size == (round(1728 * 250 / 204), round(1078 * 204 / 98 * 250 / 204))


def test_fax_target_defaults_to_the_page_target() -> None:
    prepared = preprocess.normalise_resolution(_page(1728, 1078), (204, 98), 300)
    assert prepared.dpi == 300


def test_fine_fax_and_native_scans_keep_their_pixels() -> None:
    for dpi in ((204, 196), (300, 300), (400, 400)):
        prepared = preprocess.normalise_resolution(_page(1000, 1300), dpi, 300, fax_target=250)
        assert prepared.image.size == (1000, 1300)


@pytest.mark.parametrize("dpi, expected", [((100, 100), 250), ((150, 150), 300), ((600, 600), 300)])
def test_low_and_high_resolution_scans_go_to_the_page_target(dpi: tuple[int, int], expected: int) -> None:
    prepared = preprocess.normalise_resolution(_page(800, 1000), dpi, 300, fax_target=250)
    assert prepared.dpi == expected  # 100 dpi: capped at MAX_UPSCALE (2.5x)


def test_unknown_resample_filter_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        preprocess.normalise_resolution(_page(100, 100), (204, 98), 300, resample="sinc")


@pytest.mark.parametrize("seed, ink", [(1, 0.02), (2, 0.3), (3, 0.5), (4, 0.8)])
def test_despeckle_of_a_two_level_page_equals_the_3x3_median(seed: int, ink: float) -> None:
    rng = np.random.default_rng(seed)
    pixels = np.where(rng.random((97, 131)) < ink, 0, 255).astype(np.uint8)
    page = Image.fromarray(pixels, "L")
    expected = np.asarray(page.filter(ImageFilter.MedianFilter(3)))
    assert np.array_equal(np.asarray(preprocess.despeckle(page)), expected)


@settings(max_examples=150, deadline=None)
@given(width=st.integers(3, 40), height=st.integers(3, 40), seed=st.integers(0, 2**32 - 1),
       levels=st.sampled_from([2, 3, 16, 256]))
def test_numpy_median_equals_pillows_3x3_median_filter(width: int, height: int, seed: int, levels: int) -> None:
    rng = np.random.default_rng(seed)
    pixels = (rng.integers(0, levels, (height, width)) * (255 // (levels - 1))).astype(np.uint8)
    page = Image.fromarray(pixels, "L")
    expected = np.asarray(page.filter(ImageFilter.MedianFilter(3)))
    assert np.array_equal(np.asarray(preprocess.median3(page)), expected)


def test_grey_page_despeckle_equals_pillows_median_on_a_page_sized_image() -> None:
    rng = np.random.default_rng(11)
    page = Image.fromarray(rng.integers(0, 256, (1100, 850)).astype(np.uint8), "L")
    expected = np.asarray(page.filter(ImageFilter.MedianFilter(3)))
    assert np.array_equal(np.asarray(preprocess.despeckle(page)), expected)


@pytest.mark.parametrize("size", [(1, 1), (2, 7), (7, 2), (1, 30)])
def test_despeckle_of_tiny_grey_images_falls_back_to_pillow(size: tuple[int, int]) -> None:
    page = Image.new("L", size, 200)
    page.putpixel((0, 0), 17)
    assert np.array_equal(np.asarray(preprocess.despeckle(page)), np.asarray(page.filter(ImageFilter.MedianFilter(3))))


def test_despeckle_removes_isolated_specks_on_grey_pages_too() -> None:
    page = Image.new("L", (60, 40), 250)
    page.putpixel((30, 20), 0)
    page.putpixel((10, 10), 128)
    cleaned = preprocess.despeckle(page)
    assert cleaned.getpixel((30, 20)) == 250 and cleaned.getpixel((10, 10)) == 250


def test_standard_fax_squared_by_repeating_rows_stays_two_level() -> None:
    rng = np.random.default_rng(5)
    page = Image.fromarray(np.where(rng.random((98, 204)) < 0.1, 0, 255).astype(np.uint8), "L")
    squared = preprocess.square_two_level(page, (204, 98))
    assert squared is not None and squared[1] == (204, 204)
    image = squared[0]
    assert image.size == (204, 204) and not any(image.histogram()[1:255])
    assert preprocess.square_two_level(page, (204, 196)) is None  # square enough already
    assert preprocess.square_two_level(page.point(lambda v: 128), (204, 98)) is None  # grey


def test_a_black_and_white_standard_fax_is_interpolated_to_the_two_level_target_and_smoothed() -> None:
    page = Image.new("L", (1728, 1078), 255)
    page.paste(0, (100, 100, 400, 103))
    prepared = preprocess.normalise_resolution(page, (204, 98), 300, fax_target=250, two_level=True,
                                               two_level_target=300)
    assert prepared.dpi == 300 and prepared.image.size == (round(1728 * 300 / 204), round(1078 * 300 / 98))
    assert not preprocess.is_two_level(prepared.image)  # smoothed


def test_a_black_and_white_page_at_full_resolution_is_smoothed_but_not_resized() -> None:
    page = Image.new("L", (2550, 3300), 255)
    page.paste(0, (100, 100, 400, 103))
    prepared = preprocess.normalise_resolution(page, (300, 300), 300, two_level=True, two_level_target=300)
    assert prepared.dpi == 300 and prepared.image.size == page.size
    assert not preprocess.is_two_level(prepared.image)


def _strokes(width: int, *, dpi: int = 204) -> Image.Image:
    """A US-letter page at ``dpi`` of short vertical strokes ``width`` px wide, as print is
    (a 20-px stem every 12 px across text lines), crossed by a long table rule."""
    page = Image.new("L", (int(8.5 * dpi), 11 * dpi), 255)
    for top in range(200, 2000, 60):
        for left in range(100, 1600, 12):
            page.paste(0, (left, top, left + width, top + 20))
    page.paste(0, (100, 150, 1600, 152))  # a rule: a horizontal run far longer than any stroke
    return page


@pytest.mark.parametrize("width, thin", [(1, True), (2, True), (4, False), (5, False)])
def test_thin_stroke_share_tells_thin_print_from_bold(width: int, thin: bool) -> None:
    share = preprocess.thin_stroke_share(_strokes(width), 204)
    assert (share >= Config().ocr.two_level_thin_share) is thin
    assert share == (1.0 if thin else 0.0)


def test_thin_stroke_share_scales_with_the_resolution() -> None:
    """2 px is thin at 204 dpi (0.01 in) but 3 px at 300 dpi is thin too, and 4 px is not."""
    assert preprocess.thin_stroke_share(_strokes(3, dpi=300), 300) == 1.0
    assert preprocess.thin_stroke_share(_strokes(4, dpi=300), 300) == 0.0


def test_a_page_with_too_little_ink_to_tell_counts_as_thin() -> None:
    page = _page(1728, 2200)
    page.paste(0, (100, 100, 104, 120))
    assert preprocess.thin_stroke_share(page, 204) == 1.0

"""The sheet and its resolution in page images that carry no resolution."""

from __future__ import annotations

from PIL import Image, ImageDraw

from intake import paper


def _sheet(width: int, height: int) -> Image.Image:
    image = Image.new("L", (width, height), 245)
    draw = ImageDraw.Draw(image)
    for y in range(100, height - 100, 40):
        draw.text((60, y), "Patient name and date of birth", fill=20)
    return image


def test_a_letter_scan_is_read_at_its_width_in_inches() -> None:
    grey, dpi = paper.find_sheet(_sheet(850, 1100))
    assert grey.size == (850, 1100)
    assert dpi is not None and abs(dpi[0] - 100) < 0.5 and dpi[0] == dpi[1]


def test_a_landscape_a4_scan_is_recognised() -> None:
    _, dpi = paper.find_sheet(_sheet(1169, 827))
    assert dpi is not None and abs(dpi[0] - 100) < 0.5


def test_an_image_of_another_shape_gets_no_resolution() -> None:
    grey, dpi = paper.find_sheet(_sheet(1000, 1000))
    assert dpi is None and grey.size == (1000, 1000)


def test_a_photo_is_cropped_to_the_sheet_on_the_desk() -> None:
    desk = Image.new("L", (1400, 1600), 70)
    desk.paste(_sheet(850, 1100), (250, 200))
    grey, dpi = paper.find_sheet(desk)
    assert abs(grey.width - 850) <= 16 and abs(grey.height - 1100) <= 16
    assert dpi is not None and 95 < dpi[0] < 105


def test_a_sheet_of_no_paper_size_on_a_desk_keeps_the_whole_photo() -> None:
    desk = Image.new("L", (1400, 1600), 70)
    desk.paste(_sheet(900, 900), (250, 200))
    grey, dpi = paper.find_sheet(desk)
    assert grey.size == (1400, 1600) and dpi is None


def test_tiny_and_blank_images_are_left_alone() -> None:
    assert paper.find_sheet(Image.new("L", (20, 30), 255))[1] is None
    assert paper.sheet_box(Image.new("L", (800, 800), 0)) is None

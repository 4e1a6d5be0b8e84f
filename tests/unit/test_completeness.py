"""Structural completeness checks: whole files say yes, cut files never do."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from intake.completeness import MAX_TAIL_SLACK, looks_complete


def _page(text: str = "LAB RESULT", size: tuple[int, int] = (400, 300)) -> Image.Image:
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).text((20, 20), text, fill=0)
    return img


def _big_endian_tiff(page: Image.Image) -> bytes:
    """A Motorola-order ("MM") one-strip grey TIFF, as some scanners write (Pillow writes "II" only)."""
    pixels = page.tobytes()
    w, h = page.size
    entries = [(256, 3, w), (257, 3, h), (258, 3, 8), (259, 3, 1), (262, 3, 1),
               (273, 4, 0), (278, 3, h), (279, 4, len(pixels))]
    data_at = 8 + 2 + 12 * len(entries) + 4
    out = bytearray(b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", len(entries)))
    for tag, typ, value in entries:
        value = data_at if tag == 273 else value
        field = struct.pack(">HH", value, 0) if typ == 3 else struct.pack(">I", value)
        out += struct.pack(">HHI", tag, typ, 1) + field
    return bytes(out + struct.pack(">I", 0) + pixels)


def _bytes(kind: str) -> bytes:
    buf = io.BytesIO()
    pages = [_page("page one"), _page("page two"), _page("page three")]
    if kind == "tiff-g4":
        bw = [p.convert("1") for p in pages]
        bw[0].save(buf, "TIFF", compression="group4", save_all=True, append_images=bw[1:], dpi=(204, 196))
    elif kind == "tiff-raw":
        pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:])
    elif kind == "tiff-be":
        return _big_endian_tiff(pages[0])
    elif kind == "pdf":
        pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:])
    elif kind == "png":
        pages[0].save(buf, "PNG")
    elif kind == "jpeg":
        pages[0].save(buf, "JPEG")
    return buf.getvalue()


KINDS = ("tiff-g4", "tiff-raw", "tiff-be", "pdf", "png", "jpeg")
FILES = {kind: _bytes(kind) for kind in KINDS}


def _write(tmp_path: Path, data: bytes, name: str = "f.bin") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _benign_cut(kind: str, data: bytes, cut: int) -> bool:
    """Cuts that remove only padding or trailing line ends (the content is still whole)."""
    if kind.startswith("tiff"):
        return len(data) - cut <= MAX_TAIL_SLACK and not any(data[cut:])
    if kind == "pdf":
        return data[:cut].rstrip(b"\r\n\t \x00").endswith(b"%%EOF")
    return False


@pytest.mark.parametrize("kind", KINDS)
def test_whole_files_look_complete(tmp_path: Path, kind: str) -> None:
    assert looks_complete(_write(tmp_path, FILES[kind]))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=60, deadline=None)
@given(fraction=st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_a_cut_file_never_looks_complete(tmp_path_factory: pytest.TempPathFactory, kind: str,
                                         fraction: float) -> None:
    data = FILES[kind]
    cut = int(len(data) * fraction)
    if _benign_cut(kind, data, cut):
        return
    path = _write(tmp_path_factory.mktemp("cut"), data[:cut])
    assert not looks_complete(path)


def test_tiff_with_the_next_page_being_appended_is_not_complete(tmp_path: Path) -> None:
    """A fax server writing page after page: the chain ends, but strip data follows it."""
    one = io.BytesIO()
    _page().convert("1").save(one, "TIFF", compression="group4")
    assert looks_complete(_write(tmp_path, one.getvalue(), "one.tif"))
    growing = one.getvalue() + b"\x26\xa0\x3b\x11" * 64  # G4 data of the next page, no directory yet
    assert not looks_complete(_write(tmp_path, growing, "growing.tif"))


@pytest.mark.parametrize("data", [
    b"",
    b"%PDF-1.7\n",
    b"hello world, this is not an image at all",
    b"II*\x00\x08\x00\x00\x00" + b"\x00" * 8,  # a directory with no entries... and no data
    # one entry: a strip offset far beyond the end of the file
    b"II*\x00\x08\x00\x00\x00\x01\x00\x11\x01\x04\x00\x01\x00\x00\x00\xff\xff\xff\x7f\x00\x00\x00\x00",
    b"II*\x00\x08\x00\x00\x00\x00\x00\x08\x00\x00\x00",  # directory chain loops onto itself
])
def test_odd_or_hostile_files_are_not_complete(tmp_path: Path, data: bytes) -> None:
    assert not looks_complete(_write(tmp_path, data))


def test_missing_file_is_not_complete(tmp_path: Path) -> None:
    assert not looks_complete(str(tmp_path / "gone.pdf"))

"""Has the writer finished this file?  Structural end-of-file checks per format.

Used by the stability tracker to take a file *sooner* (after a short settle
period instead of the full quiet period) when its own structure says it is
whole.  It never rejects anything: a file that does not look complete simply
waits for the full quiet period, then goes through the normal checks, so a
wrong "no" costs seconds, never a file.  A wrong "yes" would hand a
half-written file to intake, so every check is strict:

* PDF: the file ends with ``%%EOF`` (then only line ends, blanks or NULs);
  an unfinished PDF ends mid-object.
* PNG: the file ends exactly with the IEND chunk.
* JPEG: the file ends with the EOI marker ``FF D9``.
* TIFF (classic): every directory, out-of-line value and strip/tile the
  directories point to lies inside the file, *and* those structures reach
  the end of the file (up to 15 zero bytes of padding).  A fax server appending page after page leaves strip
  data of the next page past the last directory, which fails the second
  test.  BigTIFF and anything unusual answer "no".

Reads at most a few KB per directory; no image is decoded.

:func:`inspect` answers both questions the stability tracker asks at once:
which format the content is (from the first bytes, see
:func:`intake.sniff.sniff_bytes`) and whether it looks complete.  The format
decides how long a file must stay unchanged (``intake.quiet_by_format``):
a TIFF is structurally whole after *every* page, so a fax written page by
page would look complete after page 1 - TIFFs never take the settle
shortcut unless configured to.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

from intake.sniff import sniff_bytes

TAIL_BYTES = 1024  # head read for the %PDF- marker; tail read for the trailers
PNG_END = b"IEND\xaeB`\x82"
MAX_DIRECTORIES = 10_000
MAX_TAIL_SLACK = 15  # zero padding writers put after the last structure (Pillow aligns pages to 16 bytes)
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_DATA_TAGS = ((273, 279), (324, 325))  # (StripOffsets, StripByteCounts), (TileOffsets, TileByteCounts)


@dataclass(frozen=True)
class Inspection:
    """What the first and last bytes of a file say: its content type and whether it is whole."""

    kind: str | None  # "pdf", "tiff", "png", "jpeg", another sniffed type, or None when unknown
    complete: bool


def inspect(path: str) -> Inspection:
    """The file's content type and whether its structure shows it written to its end."""
    kind: str | None = None
    try:
        with open(path, "rb", opener=_no_follow) as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(TAIL_BYTES)
            kind = sniff_bytes(head)
            if size < 16:
                return Inspection(kind, False)
            if head.startswith(b"II*\x00") or head.startswith(b"MM\x00*"):
                return Inspection(kind, _tiff_complete(fh, size, "<" if head[:2] == b"II" else ">"))
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read()
    except (OSError, ValueError, struct.error):
        return Inspection(kind, False)  # a cut TIFF is still a TIFF: it keeps the TIFF's wait
    return Inspection(kind, _ends_whole(head, tail))


def looks_complete(path: str) -> bool:
    """True only when the file's format shows that it has been written to its end."""
    return inspect(path).complete


def _no_follow(path: str, flags: int) -> int:
    """Open without following a symlink and without blocking on a FIFO (never a file elsewhere)."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


def _ends_whole(head: bytes, tail: bytes) -> bool:
    if head.startswith(b"\x89PNG"):
        return tail.endswith(PNG_END)
    if head.startswith(b"\xff\xd8\xff"):
        return tail.endswith(b"\xff\xd9")
    if b"%PDF-" in head:
        return tail.rstrip(b"\r\n\t \x00").endswith(b"%%EOF")
    return False


def _read(fh: BinaryIO, offset: int, length: int, size: int) -> bytes:
    if offset < 0 or offset + length > size:
        raise ValueError("structure outside the file")
    fh.seek(offset)
    data = fh.read(length)
    if len(data) != length:
        raise ValueError("short read")
    return data


def _tiff_complete(fh: BinaryIO, size: int, order: str) -> bool:
    offset = struct.unpack(order + "I", _read(fh, 4, 4, size))[0]
    extent, data_end = 8, 0
    seen: set[int] = set()
    while offset:
        if offset in seen or len(seen) >= MAX_DIRECTORIES or offset % 2:
            return False
        seen.add(offset)
        count = struct.unpack(order + "H", _read(fh, offset, 2, size))[0]
        raw = _read(fh, offset + 2, count * 12 + 4, size)
        entries: dict[int, tuple[int, ...]] = {}
        for i in range(count):
            tag, typ, n, field = struct.unpack(order + "HHI4s", raw[i * 12:i * 12 + 12])
            width = _TYPE_SIZES.get(typ, 1) * n
            if width > 4:
                extent = max(extent, _end(_value_offset(field, order), width, size))
            if tag in (273, 279, 324, 325):
                entries[tag] = _integers(fh, order, typ, n, field, size)
        data_end = max(data_end, _data_extent(entries, size))
        extent = max(extent, offset + 2 + count * 12 + 4, data_end)
        offset = struct.unpack(order + "I", raw[count * 12:])[0]
    if not data_end:  # no directory, or no image data at all
        return False
    slack = size - extent
    return slack <= MAX_TAIL_SLACK and not any(_read(fh, extent, slack, size))


def _value_offset(field: bytes, order: str) -> int:
    return int(struct.unpack(order + "I", field)[0])


def _end(offset: int, length: int, size: int) -> int:
    if offset < 0 or offset + length > size:
        raise ValueError("value outside the file")
    return offset + length


def _integers(fh: BinaryIO, order: str, typ: int, n: int, field: bytes, size: int) -> tuple[int, ...]:
    code = {3: "H", 4: "I", 16: "Q"}.get(typ)
    if code is None or n > 10_000_000:
        raise ValueError("unexpected strip table")
    width = struct.calcsize(code) * n
    data = field[:width] if width <= 4 else _read(fh, _value_offset(field, order), width, size)
    return struct.unpack(f"{order}{n}{code}", data)


def _data_extent(entries: dict[int, tuple[int, ...]], size: int) -> int:
    extent = 0
    for offsets_tag, counts_tag in _DATA_TAGS:
        offsets, counts = entries.get(offsets_tag, ()), entries.get(counts_tag, ())
        if len(offsets) != len(counts):
            raise ValueError("strip tables disagree")
        for start, length in zip(offsets, counts, strict=True):
            extent = max(extent, _end(start, length, size))
    return extent

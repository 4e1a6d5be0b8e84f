"""Content sniffing and pre-flight checks on a spooled file.

Owns the decision "what is this file really, and may we open it at all":
the type comes from the first bytes, never from the name.  Anything that is
not a supported type, is empty, is larger than allowed or whose content
contradicts its name in a way we cannot handle raises :class:`FileRejected`
with a reason a clerk can read.
"""

from __future__ import annotations

from pathlib import Path

from intake.config import Config
from intake.errors import FileRejected

SUPPORTED = ("pdf", "tiff", "png", "jpeg")
EXTENSIONS = {
    ".pdf": "pdf",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),  # BigTIFF
    (b"MM\x00+", "tiff"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"PK\x03\x04", "zip (e.g. a Word or Excel document)"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"GIF8", "GIF image"),
    (b"BM", "BMP image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)


def sniff_bytes(head: bytes) -> str | None:
    """Return the content type named by the leading bytes, or None if unknown."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return "HTML/XML text"
    # a PDF may carry junk before its header (allowed within the first 1024 bytes)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if b"ftypheic" in head[:32] or b"ftypheix" in head[:32] or b"ftypmif1" in head[:32]:
        return "HEIC photo"
    return None


def sniff_file(path: Path, cfg: Config, original_name: str | None = None) -> str:
    """Return the supported kind of ``path`` or raise FileRejected with a readable reason."""
    name = original_name or path.name
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("The file is empty (0 bytes). Ask the sender to send it again.")
    limit = cfg.intake.max_file_mb * 1024 * 1024
    if size > limit:
        raise FileRejected(
            f"The file is {size / 1048576:.0f} MB, over the {cfg.intake.max_file_mb} MB limit "
            "(intake.max_file_mb)."
        )
    with open(path, "rb") as fh:
        head = fh.read(2048)
    kind = sniff_bytes(head)
    claimed = EXTENSIONS.get(Path(name).suffix.lower())
    if kind in SUPPORTED:
        return kind
    if kind is None:
        what = "an unrecognised format"
    else:
        what = kind
    if claimed:
        raise FileRejected(
            f"The file is named like a {claimed.upper()} but its content is {what}; it cannot be read as one."
        )
    raise FileRejected(
        f"Unsupported file type ({what}). Chartfile accepts PDF, TIFF, PNG and JPEG."
    )

"""The only module that runs tesseract (through pytesseract).

It owns the subprocess environment (``OMP_THREAD_LIMIT=1`` so that one OCR
job uses one core and the worker pool decides the parallelism), the image
file tesseract reads, the translation of tesseract's failures into Chartfile
errors, and the parsing of tesseract's TSV output into text plus per-word
confidences in one run.

Tesseract reads images from files.  Handing pytesseract a PIL image makes it
write a PNG for every run (about 150 ms of zlib per 8-megapixel page), so
callers write the page once with :func:`staged` - uncompressed PNM, a few ms
- and pass the path to :func:`ocr` and :func:`orientation`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import pytesseract
from PIL import Image

from intake.errors import DependencyError, TransientError

log = logging.getLogger(__name__)

TESSERACT_CMD = "tesseract"


@dataclass(frozen=True)
class OcrWord:
    """One recognised word with its confidence (0..100) and position."""

    text: str
    conf: float
    block: int
    par: int
    line: int
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class OcrOutput:
    """Text and word confidences from one tesseract run."""

    text: str
    words: tuple[OcrWord, ...]

    @property
    def mean_confidence(self) -> float | None:
        confs = [w.conf for w in self.words if w.conf >= 0]
        return sum(confs) / len(confs) if confs else None


@dataclass(frozen=True)
class Orientation:
    """Tesseract OSD answer: rotate the image clockwise by ``rotate`` degrees."""

    rotate: int
    confidence: float


def _prepare_env() -> None:
    """Make every tesseract subprocess single-threaded (inherited environment)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


@lru_cache(maxsize=1)
def _binary() -> str:
    path = shutil.which(TESSERACT_CMD)
    if path is None:
        raise DependencyError("tesseract is not installed or not on PATH")
    pytesseract.pytesseract.tesseract_cmd = path
    return path


def version() -> str:
    """Tesseract's version string; raises DependencyError if it is missing."""
    _binary()
    _prepare_env()
    return str(pytesseract.get_tesseract_version())


Source = Image.Image | str
"""A page for tesseract: an image (written to a temporary PNG by pytesseract) or the path of a staged file."""


@contextmanager
def staged(image: Image.Image) -> Iterator[str]:
    """Write ``image`` once as uncompressed PNM (PGM for grey) and yield its path; removed afterwards.

    The file goes to the process's temporary folder (the worker's scratch
    folder inside the data home: page images carry PHI).
    """
    fd, path = tempfile.mkstemp(prefix="tess_", suffix=".pnm")
    os.close(fd)
    try:
        page = image if image.mode in ("1", "L", "RGB") else image.convert("L")
        page.save(path, format="PPM")
        yield path
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _run_error(exc: Exception) -> Exception:
    if isinstance(exc, pytesseract.TesseractNotFoundError):
        return DependencyError("tesseract is not installed or not on PATH")
    if isinstance(exc, RuntimeError) and "timeout" in str(exc).lower():
        return TransientError("tesseract timed out on a page")
    return exc


def ocr(image: Source, *, lang: str = "eng", psm: int = 6, dpi: int | None = 300,
        timeout: float = 0, extra: str = "") -> OcrOutput:
    """OCR one prepared page image; text and word confidences from a single run.

    ``dpi`` None/0 = unknown: tesseract estimates it from the text size.
    """
    _binary()
    _prepare_env()
    config = f"--psm {int(psm)} {f'--dpi {int(dpi)}' if dpi else ''} {extra}".strip()
    try:
        tsv = pytesseract.image_to_data(image, lang=lang, config=config, timeout=timeout)
    except (pytesseract.TesseractNotFoundError, RuntimeError) as exc:
        raise _run_error(exc) from exc
    return parse_tsv(tsv)


def parse_tsv(tsv: str) -> OcrOutput:
    """Turn tesseract's TSV into text (lines, blank line between blocks) and words."""
    words: list[OcrWord] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        words.append(OcrWord(text, float(cols[10]), int(cols[2]), int(cols[3]), int(cols[4]),
                             int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9])))
    return OcrOutput(_assemble(words), tuple(words))


def _assemble(words: list[OcrWord]) -> str:
    out: list[str] = []
    prev: tuple[int, int, int] | None = None
    line: list[str] = []
    for w in words:
        key = (w.block, w.par, w.line)
        if prev is not None and key != prev:
            out.append(" ".join(line))
            line = []
            if (w.block, w.par) != prev[:2]:
                out.append("")
        line.append(w.text)
        prev = key
    if line:
        out.append(" ".join(line))
    return "\n".join(out).strip()


_ROTATE_RE = re.compile(r"Rotate:\s*(\d+)")
_OCONF_RE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def orientation(image: Source, *, timeout: float = 0) -> Orientation | None:
    """Tesseract OSD (``--psm 0``); None when there is too little text to tell."""
    _binary()
    _prepare_env()
    try:
        osd = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=20",
                                       timeout=timeout)
    except pytesseract.TesseractError:
        return None  # "Too few characters" and similar: no opinion
    except (pytesseract.TesseractNotFoundError, RuntimeError) as exc:
        raise _run_error(exc) from exc
    rot = _ROTATE_RE.search(osd)
    conf = _OCONF_RE.search(osd)
    if rot is None:
        return None
    return Orientation(int(rot.group(1)) % 360, float(conf.group(1)) if conf else 0.0)

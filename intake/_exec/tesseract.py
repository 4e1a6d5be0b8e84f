"""The only module that runs tesseract: in process (``engine="library"``) or as a command.

It owns the choice of engine, the environment (``OMP_THREAD_LIMIT=1`` so that
one OCR job uses one core and the worker pool decides the parallelism), the
pixels tesseract gets (:func:`for_tesseract`), the translation of tesseract's
failures into Chartfile errors, and the parsing of tesseract's TSV output
into text plus per-word confidences in one run.

``library`` (the default, ``ocr.engine``) is Debian's libtesseract through
:mod:`intake._exec.tesslib`: the model is loaded once per worker, not once per
page.  ``cli`` runs the ``tesseract`` command through pytesseract.  The
command reads images from files: handing pytesseract a PIL image makes it
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

from intake._exec import tesslib
from intake.errors import DependencyError, TransientError

log = logging.getLogger(__name__)

TESSERACT_CMD = "tesseract"
OSD_MIN_CHARACTERS = 20


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


Source = Image.Image | str
"""A page for tesseract: an image, or the path of a staged file."""


def for_tesseract(image: Image.Image) -> Image.Image:
    """The page as tesseract gets it: 1-bit when it holds only black and white, else grey or RGB.

    A 1-bit page skips tesseract's own thresholding (same words, ~6% less
    CPU on those pages; docs/benchmarks-ocr.md, run D).
    """
    page = image if image.mode in ("1", "L", "RGB") else image.convert("L")
    if page.mode == "L" and not any(page.histogram()[1:255]):
        page = page.convert("1", dither=Image.Dither.NONE)
    return page


def _image(source: Source) -> Image.Image:
    if isinstance(source, str):
        with Image.open(source) as img:
            img.load()
            return img
    return source


@contextmanager
def staged(image: Image.Image) -> Iterator[str]:
    """Write ``image`` once (:func:`for_tesseract`) as uncompressed PNM and yield its path; removed afterwards.

    For the ``cli`` engine.  The file goes to the process's temporary folder
    (the worker's scratch folder inside the data home: page images carry PHI).
    """
    fd, path = tempfile.mkstemp(prefix="tess_", suffix=".pnm")
    os.close(fd)
    try:
        for_tesseract(image).save(path, format="PPM")
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
        timeout: float = 0, engine: str = "library") -> OcrOutput:
    """OCR one prepared page image; text and word confidences from a single run.

    ``dpi`` None/0 = unknown: tesseract estimates it from the text size.
    """
    _prepare_env()
    if engine == "library":
        pixels = tesslib.pixels(for_tesseract(_image(image)))
        return parse_tsv(tesslib.engine(lang).tsv(pixels, psm, dpi, timeout))
    _binary()
    config = f"--psm {int(psm)} {f'--dpi {int(dpi)}' if dpi else ''}".strip()
    try:
        tsv = pytesseract.image_to_data(image, lang=lang, config=config, timeout=timeout)
    except (pytesseract.TesseractNotFoundError, RuntimeError) as exc:
        raise _run_error(exc) from exc
    return parse_tsv(tsv)


def parse_tsv(tsv: str) -> OcrOutput:
    """Turn tesseract's TSV (with or without its header line) into text (lines, blank line between blocks) and words."""
    words: list[OcrWord] = []
    for row in tsv.splitlines():
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


def orientation(image: Source, *, timeout: float = 0, engine: str = "library") -> Orientation | None:
    """Tesseract OSD (``--psm 0``); None when there is too little text to tell."""
    _prepare_env()
    if engine == "library":
        answer = tesslib.engine("osd").osd(tesslib.pixels(for_tesseract(_image(image))), OSD_MIN_CHARACTERS)
        return None if answer is None else Orientation(*answer)
    _binary()
    try:
        osd = pytesseract.image_to_osd(image, config=f"--psm 0 -c min_characters_to_try={OSD_MIN_CHARACTERS}",
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

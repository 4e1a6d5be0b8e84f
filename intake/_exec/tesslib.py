"""Tesseract in the worker process: Debian's ``libtesseract.so.5`` through its C API (ctypes).

Owns loading the library, one initialised ``TessBaseAPI`` per language per
process, handing it page pixels straight from memory, the per-page deadline
(tesseract's own monitor), and reading back the TSV and the OSD answer.

Why not only the ``tesseract`` command: every run of the command loads the
language model again (0.15-0.25 CPU-s, ~15% of an average fax page on these
machines; docs/benchmarks-throughput.md).  Here the model is loaded once per
worker and reused for every page.  It is the same library, with the same
settings (``--psm``, ``--dpi`` = ``user_defined_dpi``) and the same TSV
renderer, as the command: tests check that both read the same words.

Nothing is loaded at import time.  ``OMP_THREAD_LIMIT=1`` must be in the
environment before the library (and OpenMP with it) is loaded; the caller
(:mod:`intake._exec.tesseract`) sets it.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import logging
import os
import threading
import time
from dataclasses import dataclass

from PIL import Image

from intake.errors import DependencyError, TransientError

log = logging.getLogger(__name__)

SONAMES = ("libtesseract.so.5", "libtesseract.so")
PSM_OSD_ONLY = 0

_lib: ctypes.CDLL | None = None
_lock = threading.Lock()


class TesseractFailed(RuntimeError):
    """libtesseract refused a page for a reason other than its deadline."""


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sigs: dict[str, tuple[object, list[object]]] = {
        "TessBaseAPICreate": (vp, []),
        "TessBaseAPIDelete": (None, [vp]),
        "TessBaseAPIInit3": (ci, [vp, cp, cp]),
        "TessBaseAPISetPageSegMode": (None, [vp, ci]),
        "TessBaseAPISetVariable": (ci, [vp, cp, cp]),
        "TessBaseAPISetImage": (None, [vp, cp, ci, ci, ci, ci]),
        "TessBaseAPIRecognize": (ci, [vp, vp]),
        "TessBaseAPIGetTsvText": (vp, [vp, ci]),
        "TessBaseAPIClear": (None, [vp]),
        "TessBaseAPIDetectOrientationScript": (
            ci, [vp, ctypes.POINTER(ci), ctypes.POINTER(ctypes.c_float), ctypes.POINTER(cp),
                 ctypes.POINTER(ctypes.c_float)]),
        "TessDeleteText": (None, [vp]),
        "TessMonitorCreate": (vp, []),
        "TessMonitorDelete": (None, [vp]),
        "TessMonitorSetDeadlineMSecs": (None, [vp, ci]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


def library() -> ctypes.CDLL:
    """The loaded library (loaded on first use); DependencyError when it is not installed."""
    global _lib
    with _lock:
        if _lib is None:
            names = list(SONAMES)
            found = ctypes.util.find_library("tesseract")
            if found:
                names.append(found)
            for name in names:
                try:
                    _lib = _declare(ctypes.CDLL(name))
                    break
                except (OSError, AttributeError):
                    continue
            else:
                raise DependencyError("the tesseract library (libtesseract.so.5) is not installed",
                                      hint="Install Debian's tesseract-ocr package, or set "
                                           "ocr.engine = \"cli\" to run the tesseract command instead.")
        return _lib


@dataclass(frozen=True)
class Pixels:
    """A page as tesseract's SetImage wants it."""

    data: bytes
    width: int
    height: int
    bytes_per_pixel: int  # 0 = 1 bit per pixel, byte-packed, 1 = white
    bytes_per_line: int


def pixels(image: Image.Image) -> Pixels:
    """Raw pixels of a 1-bit, grey or RGB page (other modes are made grey)."""
    page = image if image.mode in ("1", "L", "RGB") else image.convert("L")
    w, h = page.size
    if page.mode == "1":
        return Pixels(page.tobytes(), w, h, 0, (w + 7) // 8)
    bpp = 1 if page.mode == "L" else 3
    return Pixels(page.tobytes(), w, h, bpp, w * bpp)


class Engine:
    """One initialised TessBaseAPI for one language in this process (not shared between threads)."""

    def __init__(self, lang: str) -> None:
        self.lib = library()
        self.lang = lang
        self.pid = os.getpid()
        self.handle = self.lib.TessBaseAPICreate()
        if self.lib.TessBaseAPIInit3(self.handle, None, lang.encode()) != 0:
            self.lib.TessBaseAPIDelete(self.handle)
            raise DependencyError(f"tesseract has no language data for {lang!r}",
                                  hint=f"Install Debian's tesseract-ocr-{lang} package (or fix ocr.language).")
        self._set("debug_file", "/dev/null")  # its progress chatter ("Detected 30 diacritics") stays out of logs

    def close(self) -> None:
        if self.handle:
            self.lib.TessBaseAPIDelete(self.handle)
            self.handle = None

    def _set(self, name: str, value: str) -> None:
        if not self.lib.TessBaseAPISetVariable(self.handle, name.encode(), value.encode()):
            raise TesseractFailed(f"tesseract does not know the setting {name}")

    def _load(self, page: Pixels) -> None:
        """Hand tesseract the page; it copies the pixels, so ``page`` need not outlive this call."""
        self.lib.TessBaseAPISetImage(self.handle, page.data, page.width, page.height, page.bytes_per_pixel,
                                     page.bytes_per_line)

    def tsv(self, page: Pixels, psm: int, dpi: int | None, timeout: float = 0) -> str:
        """Recognise the page and return tesseract's TSV (as ``tesseract IMG stdout tsv`` gives it)."""
        self.lib.TessBaseAPISetPageSegMode(self.handle, int(psm))
        self._set("user_defined_dpi", str(int(dpi)) if dpi else "0")
        self._load(page)
        monitor = self.lib.TessMonitorCreate()
        try:
            if timeout > 0:
                self.lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout * 1000)))
            started = time.monotonic()
            if self.lib.TessBaseAPIRecognize(self.handle, monitor) != 0:
                if timeout > 0 and time.monotonic() - started >= timeout:
                    raise TransientError("tesseract timed out on a page")
                raise TesseractFailed("tesseract could not recognise the page")
            raw = self.lib.TessBaseAPIGetTsvText(self.handle, 0)
            try:
                return ctypes.string_at(raw).decode("utf-8", "replace") if raw else ""
            finally:
                if raw:
                    self.lib.TessDeleteText(raw)
        finally:
            self.lib.TessMonitorDelete(monitor)
            self.lib.TessBaseAPIClear(self.handle)

    def osd(self, page: Pixels, min_characters: int) -> tuple[int, float] | None:
        """Orientation (``Rotate`` degrees clockwise, confidence), as ``--psm 0`` reports; None = no opinion."""
        self.lib.TessBaseAPISetPageSegMode(self.handle, PSM_OSD_ONLY)
        self._set("min_characters_to_try", str(int(min_characters)))
        self._load(page)
        deg, conf = ctypes.c_int(0), ctypes.c_float(0.0)
        script, sconf = ctypes.c_char_p(), ctypes.c_float(0.0)
        try:
            ok = self.lib.TessBaseAPIDetectOrientationScript(self.handle, ctypes.byref(deg), ctypes.byref(conf),
                                                             ctypes.byref(script), ctypes.byref(sconf))
        finally:
            self.lib.TessBaseAPIClear(self.handle)
        if not ok:
            return None
        # deg is the text's orientation; the clockwise turn that makes it upright (tesseract's "Rotate")
        return (360 - deg.value) % 360, float(conf.value)


_engines: dict[str, Engine] = {}


def engine(lang: str) -> Engine:
    """This process's engine for ``lang`` (created, and the model loaded, on first use)."""
    eng = _engines.get(lang)
    if eng is None or eng.pid != os.getpid():  # a forked child must not use its parent's handle
        if not _engines:
            atexit.register(close_all)
        eng = _engines[lang] = Engine(lang)
    return eng


def close_all() -> None:
    """Free this process's engines (models unloaded)."""
    for eng in _engines.values():
        if eng.pid == os.getpid():
            eng.close()
    _engines.clear()

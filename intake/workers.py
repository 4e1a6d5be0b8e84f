"""Worker-process side of intake: pure computation, no database, no index.

Owns what runs inside the OCR worker pool: planning a file's pages, reading
one page (text layer or OCR), and extracting entities from a file's pages.
Expensive per-process state (the spaCy pipeline with the patient gazetteer,
tesseract's model for the ``library`` engine, the word list of OCR word
repair) is built once per worker by
:func:`init_worker`, which also points the worker's temporary files at a
scratch folder inside the data home.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from intake.config import Config
from intake.model import Entities, PageText, RosterLexicon

if TYPE_CHECKING:
    from intake.names import Gazetteer

_CFG: Config | None = None
_GAZETTEER: tuple[tuple[str, str], ...] | RosterLexicon = ()
_EXTRACTOR: object | None = None
_ROSTER_NAMES: Gazetteer | None = None  # the roster's names as the gazetteer reads them, for word repair


def init_worker(cfg: Config, gazetteer: Sequence[tuple[str, str]] | RosterLexicon, eager: bool = True) -> None:
    """Pool initializer: remember settings; one tesseract thread; Pillow's pixel limit from the config.

    With ``eager`` the entity extractor is built now, so its start-up cost is
    paid before the worker reports ready and never counts against a task's
    time limit.
    """
    global _CFG, _GAZETTEER, _EXTRACTOR, _ROSTER_NAMES
    from PIL import Image

    os.environ["OMP_THREAD_LIMIT"] = "1"
    Image.MAX_IMAGE_PIXELS = cfg.intake.max_page_pixels
    use_scratch(scratch_dir(cfg))
    _CFG = cfg
    _GAZETTEER = gazetteer if isinstance(gazetteer, RosterLexicon) else tuple(gazetteer)
    _EXTRACTOR = _ROSTER_NAMES = None
    if eager:
        from intake.entities import EntityExtractor

        _EXTRACTOR = EntityExtractor(cfg, _GAZETTEER)
        _load_tesseract(cfg)
        if cfg.ocr.word_repair:
            from intake import unitfix, wordfix

            wordfix.lexicon_for(cfg.ocr.language)
            unitfix.warm()


def _load_tesseract(cfg: Config) -> None:
    """Load tesseract's model now (``library`` engine), once per worker, outside any task's time limit.

    A missing library or language is left for the first page to report: that
    error stops the service with its own exit code instead of looking like a
    worker that cannot start.
    """
    if cfg.ocr.engine != "library":
        return
    from intake._exec import tesslib
    from intake.errors import DependencyError

    try:
        tesslib.engine(cfg.ocr.language)
    except DependencyError:
        pass


def scratch_dir(cfg: Config) -> Path:
    """Where workers (and tesseract) write temporary page images: inside the data home, not /tmp.

    Page images carry PHI; a worker killed mid-page leaves its temporaries
    here, and :mod:`indexer.recovery` empties the folder at the next start.
    """
    return cfg.home.resolve() / "tmp" / "intake"


def use_scratch(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)


def _cfg() -> Config:
    if _CFG is None:
        raise RuntimeError("worker used before init_worker")
    return _CFG


def plan_file(path: str, kind: str) -> list[object]:
    """Open the file once and list its page jobs (raises FileRejected for bad files)."""
    from intake.pages import plan_pages

    return list(plan_pages(Path(path), kind, _cfg()))


def read_one_page(job: object) -> PageText:
    """Text of one page: the text layer when usable, else fax-aware OCR."""
    from intake.pages import read_page

    t0 = time.perf_counter()
    page = repaired(read_page(job, _cfg()), _cfg())  # type: ignore[arg-type]
    if not page.seconds:
        page.seconds = time.perf_counter() - t0
    return page


def repaired(page: PageText, cfg: Config) -> PageText:
    """An OCR'd page with its misread units, test names, labels, addresses and page counters repaired,
    then its non-words (``ocr.word_repair``), the roster's names left as read."""
    if page.source != "ocr" or not cfg.ocr.word_repair:
        return page
    from intake import textfix, unitfix, wordfix

    text = unitfix.repair(textfix.repair(page.text))  # a range's decimal comma first: it marks result rows
    page.text = wordfix.repair(text, wordfix.lexicon_for(cfg.ocr.language), _roster_names().near_name)
    return page


def _roster_names() -> Gazetteer:
    global _ROSTER_NAMES
    if _ROSTER_NAMES is None:
        from intake.names import Gazetteer

        _ROSTER_NAMES = Gazetteer(_GAZETTEER.names if isinstance(_GAZETTEER, RosterLexicon) else _GAZETTEER)
    return _ROSTER_NAMES


def extract_entities(pages: Sequence[PageText]) -> Entities:
    """Entities of a whole file, with the extractor built once per process."""
    global _EXTRACTOR
    from intake.entities import EntityExtractor

    if _EXTRACTOR is None:
        _EXTRACTOR = EntityExtractor(_cfg(), _GAZETTEER)
    return _EXTRACTOR.extract(pages)  # type: ignore[attr-defined, no-any-return]


@dataclass
class FileWork:
    """Answer of :func:`read_file`: the page jobs, and for a small file its pages and entities too."""

    jobs: list[object]
    pages: list[PageText] | None = None
    entities: Entities | None = None


def read_file(path: str, kind: str, inline_pages: int = 1) -> FileWork:
    """Plan the file; a file of at most ``inline_pages`` pages is also read and its entities found.

    One task instead of three round trips for the common one-page fax; larger
    files come back with their jobs only, to be spread over all workers.
    """
    jobs = plan_file(path, kind)
    if len(jobs) > inline_pages:
        return FileWork(jobs)
    pages = [read_one_page(job) for job in jobs]
    return FileWork(jobs, pages, extract_entities(pages))

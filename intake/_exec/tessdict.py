"""The only module that runs tesseract's dictionary tools: the word list inside a language model.

Each tesseract model (``eng.traineddata``) carries the word list its LSTM
recogniser was trained with (about 338,000 entries for English, medical
terms among them).  :func:`word_list` unpacks it with ``combine_tessdata -u``
and ``dawg2wordlist`` (both in Debian's ``tesseract-ocr`` package) into a
private temporary folder, reads it and removes the folder.  Word repair
(:mod:`intake.wordfix`) checks OCR words against it.  A missing tool or
model gives an empty list and one warning: OCR then runs without repair.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

TOOL_TIMEOUT = 60.0
_LIST_LANGS = re.compile(r'languages in "([^"]+)"')


def tessdata_dir() -> Path | None:
    """Where tesseract's models are: ``TESSDATA_PREFIX``, else what ``tesseract --list-langs`` says."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        return Path(prefix)
    binary = shutil.which("tesseract")
    if binary is None:
        return None
    try:
        done = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = _LIST_LANGS.search(done.stdout + done.stderr)
    return Path(found.group(1)) if found else None


def _run(*args: str) -> bool:
    try:
        done = subprocess.run(list(args), capture_output=True, timeout=TOOL_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _one_language(model: Path, combine: str, dawg2wordlist: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="tessdict_") as tmp:
        stem = str(Path(tmp) / "m.")
        if not _run(combine, "-u", str(model), stem):
            return []
        unicharset, dawg, out = f"{stem}lstm-unicharset", f"{stem}lstm-word-dawg", f"{stem}words"
        if not (Path(unicharset).exists() and Path(dawg).exists()):
            return []  # a model without a word list (some script models)
        if not _run(dawg2wordlist, unicharset, dawg, out):
            return []
        return Path(out).read_text(encoding="utf-8", errors="replace").split()


def word_list(lang: str) -> list[str]:
    """The words of every model in ``lang`` (``eng``, ``eng+deu``); empty when they cannot be read."""
    combine, dawg2wordlist, folder = shutil.which("combine_tessdata"), shutil.which("dawg2wordlist"), tessdata_dir()
    if combine is None or dawg2wordlist is None or folder is None:
        log.warning("tesseract's dictionary tools or models not found: OCR word repair is off")
        return []
    words: list[str] = []
    for code in filter(None, lang.split("+")):
        model = folder / f"{code}.traineddata"
        found = _one_language(model, combine, dawg2wordlist) if model.is_file() else []
        if not found:
            log.warning("no word list in the %s model: OCR word repair skips it", code)
        words.extend(found)
    return words

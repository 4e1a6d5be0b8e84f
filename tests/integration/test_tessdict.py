"""The word list inside Debian's tesseract model (intake/_exec/tessdict.py) and repair with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from intake import wordfix
from intake._exec import tessdict

pytestmark = pytest.mark.skipif(shutil.which("dawg2wordlist") is None, reason="tesseract tools not installed")


def test_the_english_model_carries_common_and_medical_words() -> None:
    words = set(tessdict.word_list("eng"))
    assert len(words) > 100_000
    assert {"confidential", "chloride", "hemoglobin", "referral"} <= words


def test_an_unknown_language_gives_no_words() -> None:
    assert tessdict.word_list("xx_no_such_model") == []


def test_repair_with_the_real_lexicon() -> None:
    lexicon = wordfix.lexicon_for("eng")
    text = "CONFIDENTIALITY: this fax is contidential. Chioride 99 mmol/L. Heaith Plan. Patient: Okafor, Ada"
    assert wordfix.repair(text, lexicon) == (
        "CONFIDENTIALITY: this fax is confidential. Chloride 99 mmol/L. Health Plan. Patient: Okafor, Ada")


def test_a_missing_model_folder_turns_repair_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert tessdict.word_list("eng") == []


def test_the_worker_repairs_ocr_pages_only_and_keeps_roster_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile

    from intake import workers
    from intake.config import Config
    from intake.model import PageText

    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)  # init_worker points both at the data home
    monkeypatch.setenv("TMPDIR", os.environ.get("TMPDIR", tempfile.gettempdir()))
    cfg = Config(home=tmp_path)
    workers.init_worker(cfg, [("Baird", "John")], eager=False)
    text = "Patient: Baiid, John\nThis fax is contidential.\nBUN 17 mg/dt 7-20\nPage lofl"
    assert workers.repaired(PageText(1, text, "ocr"), cfg).text == (
        "Patient: Baiid, John\nThis fax is confidential.\nBUN 17 mg/dL 7-20\nPage 1 of 1")
    assert workers.repaired(PageText(1, text, "text_layer"), cfg).text == text  # the sender's own text
    cfg.ocr.word_repair = False
    assert workers.repaired(PageText(1, text, "ocr"), cfg).text == text

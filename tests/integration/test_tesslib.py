"""Tesseract in process (``ocr.engine = "library"``) against the tesseract command, on real pages.

The library engine must read exactly what the command reads (same words, same
confidences, same orientation answer), stop at its deadline, and fail with
the installation's error when the library or a language is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from intake import preprocess
from intake._exec import tesseract, tesslib
from intake.config import Config
from intake.errors import ConfigError, DependencyError, TransientError
from intake.ocr import ocr_image
from tests.integration.test_ocr import LINES, text_page

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")

REPO = Path(__file__).resolve().parents[2]


def _both(page: Image.Image, psm: int = 4, dpi: int | None = 200) -> tuple[tesseract.OcrOutput, tesseract.OcrOutput]:
    with tesseract.staged(page) as path:
        cli = tesseract.ocr(path, psm=psm, dpi=dpi, engine="cli")
    return cli, tesseract.ocr(page, psm=psm, dpi=dpi, engine="library")


def _as_read(out: tesseract.OcrOutput) -> list[tuple[str, float, int, int]]:
    return [(w.text, w.conf, w.left, w.top) for w in out.words]


@pytest.mark.parametrize("mode", ["1", "L", "grey", "RGB"])
def test_library_reads_exactly_what_the_command_reads(mode: str) -> None:
    page = text_page()
    if mode == "grey":  # anti-aliased: real grey levels, tesseract thresholds it itself
        page = page.convert("L").resize((page.width * 3 // 2, page.height * 3 // 2), Image.Resampling.BILINEAR)
    elif mode != "1":
        page = page.convert(mode)
    cli, lib = _both(page, dpi=300 if mode == "grey" else 200)
    assert lib.words, "nothing read"
    assert _as_read(lib) == _as_read(cli)
    assert lib.text == cli.text
    assert {"smith", "cf123456", "laboratory"} <= {w.strip(".,:").lower() for w in lib.text.split()}


def test_unknown_resolution_is_estimated_the_same_way() -> None:
    cli, lib = _both(text_page(LINES[:2]), psm=6, dpi=None)
    assert _as_read(lib) == _as_read(cli) and lib.words


def test_one_engine_reads_many_pages_without_carrying_anything_over() -> None:
    first = tesseract.ocr(text_page(LINES[:1]), psm=4, dpi=200, engine="library")
    tesseract.ocr(text_page(LINES[2:]), psm=6, dpi=300, engine="library")
    again = tesseract.ocr(text_page(LINES[:1]), psm=4, dpi=200, engine="library")
    assert _as_read(again) == _as_read(first)
    assert tesslib.engine("eng") is tesslib.engine("eng")


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_orientation_answer_matches_the_command(turn: int) -> None:
    page = text_page(LINES * 3).rotate(turn, expand=True)
    with tesseract.staged(page) as path:
        cli = tesseract.orientation(path, engine="cli")
    lib = tesseract.orientation(page, engine="library")
    assert cli is not None and lib is not None
    assert lib.rotate == cli.rotate == turn
    assert lib.confidence == pytest.approx(cli.confidence, abs=0.01)


def test_too_little_text_for_orientation_is_no_opinion() -> None:
    assert tesseract.orientation(text_page(("Hi",)), engine="library") is None


def test_page_past_its_deadline_is_a_timeout() -> None:
    page = text_page(LINES * 12, dpi=300)
    with pytest.raises(TransientError, match="timed out"):
        tesseract.ocr(page, psm=4, dpi=300, timeout=0.001, engine="library")
    assert tesseract.ocr(text_page(LINES[:1]), psm=4, dpi=200, engine="library").words  # engine still usable


def test_whole_page_ocr_is_the_same_with_either_engine() -> None:
    page = text_page(LINES * 2).rotate(180, expand=True)
    lib = ocr_image(page, 1, Config(), (200, 200))
    cli = ocr_image(page, 1, _cli_config(), (200, 200))
    assert lib.rotation == cli.rotation == 180
    assert lib.text == cli.text and lib.confidence == cli.confidence


def _cli_config() -> Config:
    cfg = Config()
    cfg.ocr.engine = "cli"
    return cfg


def test_engine_setting_is_checked(tmp_path: Path) -> None:
    from intake.config import load_config

    (tmp_path / "chartfile.toml").write_text('[ocr]\nengine = "gpu"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="ocr.engine"):
        load_config(tmp_path)


def test_missing_library_is_the_installations_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesslib, "_lib", None)
    monkeypatch.setattr(tesslib, "SONAMES", ("libtesseract-not-here.so.99",))
    monkeypatch.setattr(tesslib.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(DependencyError) as err:
        tesslib.library()
    assert err.value.exit_code == 8 and "ocr.engine" in err.value.hint


def test_missing_language_names_the_package() -> None:
    with pytest.raises(DependencyError, match="klingon") as err:
        tesslib.Engine("klingon")
    assert "tesseract-ocr-klingon" in err.value.hint


def test_library_is_loaded_single_threaded_and_quietly(tmp_path: Path) -> None:
    """In a fresh process: OMP_THREAD_LIMIT set before the library loads; no tesseract chatter on stderr."""
    page = tmp_path / "p.png"
    text_page(LINES * 2).save(page)
    script = textwrap.dedent(f"""
        import os
        from PIL import Image
        from intake._exec import tesseract
        def threads():
            return int(open("/proc/self/status").read().split("Threads:")[1].split()[0])
        before = threads()
        out = tesseract.ocr(Image.open({str(page)!r}), psm=4, dpi=None, engine="library")
        print(os.environ["OMP_THREAD_LIMIT"], len(out.words), threads() - before)
    """)
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                          cwd=REPO)
    limit, count, new_threads = done.stdout.split()
    assert limit == "1" and int(count) > 20
    assert new_threads == "0"  # no OpenMP worker threads were started
    assert done.stderr == ""


def test_prepared_fax_pages_match(tmp_path: Path) -> None:
    """A 204x98 fax page through Chartfile's preprocessing: same words from both engines."""
    fine = text_page(LINES * 2, dpi=196)
    fax = fine.resize((fine.width * 204 // 196, fine.height // 2), Image.Resampling.NEAREST)
    prepared = preprocess.normalise_resolution(preprocess.to_grey(fax), (204, 98), 300, fax_target=250)
    cli, lib = _both(prepared.image, dpi=prepared.dpi)
    assert _as_read(lib) == _as_read(cli) and len(lib.words) > 20

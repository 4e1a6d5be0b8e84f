"""Shared helpers of the intake end-to-end tests: a fast data home and small generated files."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from indexer.db.engine import Database
from intake.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"

FAST: dict[str, dict[str, Any]] = {
    "intake": {"quiet_seconds": 0.5, "rescan_seconds": 1.0, "page_timeout_seconds": 20.0, "max_attempts": 2,
               "quiet_by_format": {"tiff": 0.5}},
    "ocr": {"workers": 2, "detect_orientation": False},
}


def write_settings(home: Path, extra: str = "") -> None:
    """chartfile.toml for a subprocess service with the fast test settings."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "chartfile.toml").write_text(
        "[intake]\nquiet_seconds = 0.5\nrescan_seconds = 1.0\npage_timeout_seconds = 20.0\n"
        "quiet_by_format = { tiff = 0.5 }\n"
        "max_attempts = 2\n\n[ocr]\nworkers = 2\ndetect_orientation = false\n" + extra, encoding="utf-8")
    from tests.conftest import init_home

    init_home(home)  # what 'chartfile init' does: commands refuse a data home that was never created


def make_home(tmp_path: Path, **intake: Any) -> tuple[Config, Database]:
    """A migrated data home with fast intake settings (``intake`` overrides them)."""
    home = tmp_path / "home"
    overrides: dict[str, Any] = {k: dict(v) for k, v in FAST.items()}
    overrides["intake"].update(intake)
    cfg = load_config(home, environ={}, overrides=overrides)
    for folder in (cfg.home, cfg.spool_dir, cfg.archive_dir, cfg.quarantine_dir):
        folder.mkdir(parents=True, exist_ok=True)
    db = Database(cfg)
    db.migrate()
    return cfg, db


def text_pdf_bytes(n: int, pages: int = 1) -> bytes:
    """A small text-layer PDF whose content is unique for ``n`` (no OCR needed)."""
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    for page in range(pages):
        y = 740
        for line in (f"VALLEY LAB SERVICES   Report {n:05d}-{page + 1}", "",
                     f"Patient: Testcase Person{n:05d}", "DOB: 01/02/1970",
                     f"Date of Service: 10/{(n % 28) + 1:02d}/2026",
                     "Result: hemoglobin 13.9 g/dL, within the reference range.",
                     f"Specimen number {n * 7919 % 100000:05d}; reviewed and released."):
            c.drawString(60, y, line)
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def patient_pdf_bytes(given: str, family: str, dob: str, mrn: str, n: int = 1) -> bytes:
    """A text-layer lab report naming one patient by name, DOB (MM/DD/YYYY) and MRN: filed automatically."""
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    y = 740
    for line in (f"VALLEY LAB SERVICES   Laboratory Report {n:05d}", "", f"Patient: {given} {family}",
                 f"DOB: {dob}", f"MRN: {mrn}", f"Date of Service: 10/{(n % 28) + 1:02d}/2026",
                 "Result: hemoglobin 13.9 g/dL, within the reference range."):
        c.drawString(60, y, line)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    return ImageFont.truetype(path, size) if os.path.exists(path) else ImageFont.load_default(size=size)


def fax_tiff_bytes(n: int) -> bytes:
    """A small one-page G4 fax TIFF (needs OCR; a small page keeps it fast)."""
    import io

    img = Image.new("L", (1000, 360), 255)
    draw = ImageDraw.Draw(img)
    font = _font(26)
    for i, line in enumerate((f"FAX  Report {n:05d}", f"Patient: Testcase Person{n:05d}",
                              "DOB: 01/02/1970", "Findings within normal limits.")):
        draw.text((40, 30 + i * 75), line, fill=0, font=font)
    buf = io.BytesIO()
    img.convert("1").save(buf, format="TIFF", compression="group4", dpi=(204, 196))
    return buf.getvalue()


def drop(inbox: Path, name: str, data: bytes) -> Path:
    """Write a file beside the inbox, then rename it in (the way a scanner delivers)."""
    staging = inbox.parent / (inbox.name + ".staging")
    staging.mkdir(exist_ok=True)
    tmp = staging / name
    tmp.write_bytes(data)
    dest = inbox / name
    os.replace(tmp, dest)
    return dest


def wait_for(pred: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class ThreadedWatch:
    """Run a :class:`~chartfile.service.runner.WatchLoop` in a thread (so tests can use a worker hook)."""

    def __init__(self, cfg: Config, db: Database, inbox: Path, **kw: Any) -> None:
        from chartfile.service.runner import WatchLoop

        self.loop = WatchLoop(cfg, db, inbox, **kw)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.loop.run(drain_seconds=30)
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.error = exc
        finally:
            self.loop.started.set()

    def __enter__(self) -> ThreadedWatch:
        self.thread.start()
        assert self.loop.started.wait(60), "watch did not start"
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.loop.request_stop()
        self.thread.join(90)
        assert not self.thread.is_alive(), "watch did not stop"
        if self.error is not None:
            raise self.error

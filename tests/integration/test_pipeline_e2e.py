"""End to end through the real pipeline: ingest and a watched inbox, real tesseract, real index."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import REPO

HEADER = "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"
ROSTER = HEADER + (
    "CF104233,Garcia,Maria,L,1961-03-04,F,(555) 201-3344,12 Oak St,Springfield,IL,62701\n"
    "CF200417,Okonkwo,Chidi,,1984-09-12,M,(555) 201-7000,9 Pine Rd,Springfield,IL,62702\n"
    "CF300991,Smith,John,A,1975-11-30,M,(555) 201-9988,4 Elm Ave,Springfield,IL,62703\n"
)
LAB_LINES = [
    "VALLEY CARDIOLOGY ASSOCIATES",
    "100 Main Street, Springfield IL   Phone (555) 555-0142  Fax (555) 555-0143",
    "",
    "ECHOCARDIOGRAM REPORT",
    "Patient: Maria L Garcia",
    "DOB: 03/04/1961        MRN: CF104233",
    "Date of Service: 10/14/2026",
    "",
    "Findings: Normal left ventricular size and systolic function.",
    "Ejection fraction estimated at 60 percent. No pericardial effusion.",
]

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract binary not installed")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def make_fax_tiff(path: Path, lines: list[str]) -> Path:
    """A one-page 1-bit G4 TIFF at fax fine resolution (204x196 dpi)."""
    img = Image.new("L", (1728, 1100), 255)
    draw = ImageDraw.Draw(img)
    font = _font(30)
    y = 60
    for line in lines:
        draw.text((90, y), line, fill=0, font=font)
        y += 48
    img.convert("1").save(path, format="TIFF", compression="group4", dpi=(204, 196))
    return path


def make_text_pdf(path: Path, lines: list[str]) -> Path:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter)
    y = 740
    for line in lines:
        c.drawString(60, y, line)
        y -= 16
    c.showPage()
    c.save()
    return path


def test_ingest_files_text_pdf_and_fax_and_quarantines_bad(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "roster.csv").write_text(ROSTER)
    assert chartfile("init").code == 0
    assert chartfile("patients", "import", str(tmp_path / "roster.csv")).code == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    make_fax_tiff(drop / "echo fax.tif", LAB_LINES)
    pdf_lines = [ln.replace("Maria L Garcia", "Chidi Okonkwo").replace("03/04/1961", "09/12/1984")
                 .replace("CF104233", "CF200417") for ln in LAB_LINES]
    make_text_pdf(drop / "-okonkwo.pdf", pdf_lines)
    (drop / "broken.pdf").write_text("<html>not a pdf</html>")
    r = chartfile("ingest", str(drop))
    assert r.code == 0, r.err
    intake = {row["source"]: row for row in chartfile("intake", "export", "--format", "jsonl").json_lines()}
    assert intake["echo fax.tif"]["status"] == "processed"
    assert intake["-okonkwo.pdf"]["status"] == "processed"
    assert intake["broken.pdf"]["status"] == "quarantined"
    assert "HTML" in intake["broken.pdf"]["reason"]
    docs = {row["source"]: row for row in chartfile("documents", "export", "--format", "jsonl").json_lines()}
    fax = docs["echo fax.tif"]
    assert fax["status"] == "filed" and fax["patient_mrn"] == "CF104233", fax["match"]
    assert fax["pages"] == [1, 1]
    assert fax["source_sha256"] == intake["echo fax.tif"]["sha256"]
    assert docs["-okonkwo.pdf"]["patient_mrn"] == "CF200417"
    assert "ventricular" in docs["-okonkwo.pdf"]["text"]
    found = chartfile("search", "patient:garcia", "--json")
    assert found.code == 0
    import json

    hits = json.loads(found.out)["hits"]
    assert [h["doc_id"] for h in hits] == [fax["document_id"]]
    # the originals given to ingest are copies: still where they were
    assert (drop / "echo fax.tif").exists()
    # exact re-send is a recorded duplicate, not a second document
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(drop / "echo fax.tif", again / "echo fax (resent).tif")
    assert chartfile("ingest", str(again)).code == 0
    rows = chartfile("intake", "export").json_lines()
    dup = [x for x in rows if x["source"] == "echo fax (resent).tif"][0]
    assert dup["status"] == "duplicate" and dup["duplicate_of"] == intake["echo fax.tif"]["intake_id"]
    assert len(chartfile("documents", "export").json_lines()) == 2


def _wait_for(pred, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.3)
    return False


def test_watch_takes_dropped_fax_and_stops_cleanly(chartfile, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "roster.csv").write_text(ROSTER)
    assert chartfile("init").code == 0
    assert chartfile("patients", "import", str(tmp_path / "roster.csv")).code == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_fax_tiff(inbox / "already-there.tif", LAB_LINES)  # present before start
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "chartfile.cli.main", "--home", str(home), "watch",
                             "--inbox", str(inbox)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        tmp = inbox / "late.tif.part"
        make_fax_tiff(tmp, [ln.replace("Maria L Garcia", "John A Smith").replace("03/04/1961", "11/30/1975")
                            .replace("CF104233", "CF300991") for ln in LAB_LINES])
        tmp.rename(inbox / "late.tif")  # scanners often write a temp name then rename

        def both_done() -> bool:
            rows = chartfile("intake", "export").json_lines()
            return len(rows) == 2 and all(r["status"] == "processed" for r in rows)

        assert _wait_for(both_done, 90), chartfile("intake", "export").out
        assert not list(inbox.iterdir())
        assert chartfile("search", "patient:smith", "--json").out.count('"doc_id"') == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]

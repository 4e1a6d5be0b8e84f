"""Shared builders for the ROI integration tests (no tests here).

Creates a data home with a migrated database, synthetic patients and
documents whose stored source files (PDF, multi-frame TIFF, PNG) are
generated on the fly — no OCR, no real data.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from indexer.db.engine import Database
from indexer.db.models import AuditEvent, Document, IntakeItem, Page, Patient
from indexer.roi import authorizations as auths
from indexer.roi.authorizations import AuthorizationFields
from intake.config import Config, load_config

MRN = "CF100001"
OTHER_MRN = "CF100002"
RECIPIENT = "Valley Cardiology"
ADDRESS = "2250 River Rd Ste 300, Salem, OR 97302"


@dataclass
class Home:
    """A data home with a database and the ids of what was inserted."""

    cfg: Config
    db: Database
    docs: dict[str, int] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.cfg.home


def pdf_bytes(label: str, pages: int) -> bytes:
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=letter)
    for n in range(1, pages + 1):
        canvas.drawString(72, 700, f"{label} page {n}")
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def tiff_bytes(frames: int) -> bytes:
    images = []
    for n in range(frames):
        img = Image.new("1", (850, 1100), 1)
        ImageDraw.Draw(img).text((60, 60), f"TIFF frame {n + 1}", fill=0)
        images.append(img)
    buf = io.BytesIO()
    images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:], dpi=(100, 100))
    return buf.getvalue()


def png_bytes() -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(img).text((40, 40), "PNG scan", fill="black")
    img.save(buf, format="PNG", dpi=(100, 100))
    return buf.getvalue()


def _source(home: Home, name: str, kind: str, data: bytes, pages: int) -> IntakeItem:
    rel = Path("archive") / name
    (home.path / rel).parent.mkdir(parents=True, exist_ok=True)
    (home.path / rel).write_bytes(data)
    return IntakeItem(original_name=name, origin="ingest", stored_path=str(rel), size=len(data), kind=kind,
                      state="processed", page_count=pages, sha256=hashlib.sha256(data).hexdigest())


def _doc(item: IntakeItem, first: int, last: int, patient: Patient | None, doc_type: str,
         doc_date: date | None) -> Document:
    return Document(intake_item=item, first_page=first, last_page=last, status="filed" if patient else "review",
                    patient=patient, doc_type=doc_type, doc_date=doc_date)


def make_home(tmp_path: Path) -> Home:
    """Patients CF100001/CF100002 and documents (names in ``Home.docs``)."""
    cfg = load_config(tmp_path / "home", environ={})
    db = Database(cfg)
    db.migrate()
    home = Home(cfg, db)
    with db.transaction() as s:
        alice = Patient(mrn=MRN, family_name="Testperson", given_name="Alice", dob=date(1970, 1, 2))
        bob = Patient(mrn=OTHER_MRN, family_name="Sample", given_name="Bob", dob=date(1980, 3, 4))
        s.add_all([alice, bob])
        pdf = _source(home, "fax1.pdf", "pdf", pdf_bytes("SRC1", 4), 4)
        tif = _source(home, "scan2.tiff", "tiff", tiff_bytes(3), 3)
        png = _source(home, "photo3.png", "png", png_bytes(), 1)
        bobs = _source(home, "fax4.pdf", "pdf", pdf_bytes("BOB", 1), 1)
        s.add_all([pdf, tif, png, bobs])
        s.flush()
        for number in range(1, 5):
            s.add(Page(intake_item_id=pdf.id, number=number, text=f"SRC1 page {number}", source="text_layer"))
        docs = {
            "lab": _doc(pdf, 1, 2, alice, "lab_result", date(2024, 5, 1)),
            "note": _doc(pdf, 3, 4, alice, "clinical_note", date(2024, 6, 1)),
            "imaging": _doc(tif, 2, 3, alice, "imaging_report", date(2023, 1, 15)),
            "old_note": _doc(png, 1, 1, alice, "clinical_note", date(2015, 1, 1)),
            "bob_lab": _doc(bobs, 1, 1, bob, "lab_result", date(2024, 5, 2)),
        }
        s.add_all(docs.values())
        s.flush()
        home.docs = {k: d.id for k, d in docs.items()}
    return home


def complete_fields(**changes: object) -> AuthorizationFields:
    """A complete authorization (labs and notes of 2023-2024 to Valley Cardiology)."""
    base = AuthorizationFields(
        discloser="Maple Street Family Medicine", recipient_name=RECIPIENT, recipient_address=ADDRESS,
        description="Lab results and office notes", doc_types=["lab_result", "clinical_note"],
        info_from=date(2023, 1, 1), info_to=date(2024, 12, 31), purpose="Continuity of care",
        expires_on=date(2030, 1, 1), signed_on=date(2025, 1, 10), signer_name="Alice Testperson",
        statements=["revocation", "conditioning", "redisclosure"],
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def add_authorization(home: Home, today: date, **changes: object) -> int:
    with home.db.transaction() as s:
        auth, _ = auths.add(s, mrn=MRN, given=complete_fields(**changes), actor="clerk1", today=today)
        return auth.id


def run_cli(home: Home, capsys: Any, *args: str) -> tuple[int, str, str]:
    """Run ``chartfile --home HOME --user clerk1 ARGS``; return (exit code, stdout, stderr)."""
    from chartfile.cli.main import main

    capsys.readouterr()
    try:
        main(["--home", str(home.path), "--user", "clerk1", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def audit_events(home: Home, prefix: str = "roi.") -> list[AuditEvent]:
    with home.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type.startswith(prefix))
                              .order_by(AuditEvent.seq)))

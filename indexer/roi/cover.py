"""The packet's cover sheet and the stamp on every page: what a recipient reads first.

Owns the wording: the office profile (``[office]`` name, address, phone, fax)
as sender, the recipient block, purpose and basis, the page count, and the
notice — the prohibition on redisclosure for third parties, or, on the
patient's own copy, a plain note that this is their own information (the
prohibition addresses recipients, not the individual).  The cover carries no
patient identifiers except, on the patient's own copy, the patient as
recipient.  Every page of the packet is stamped ``<reference> - page i of n``
in the bottom margin.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

REDISCLOSURE_NOTICE = (
    "PROHIBITION ON REDISCLOSURE: The enclosed information has been disclosed to you from "
    "confidential health records protected by federal privacy law (45 CFR Parts 160 and 164) "
    "and may be protected by state law. You may not further use or disclose it except as permitted "
    "by the authorization or legal basis under which it was released, or as required by law. "
    "If you received this in error, notify the sender immediately and destroy all copies."
)
OWN_COPY_NOTICE = (
    "This is a copy of your own health information, provided at your request under your right of access "
    "(45 CFR 164.524). Keep it somewhere safe. If anything in it looks wrong, you may ask us in writing to "
    "amend it (45 CFR 164.526)."
)
STAMP_SIZE = 7.5


@dataclass(frozen=True)
class Sender:
    """The office releasing the records (``[office]`` in chartfile.toml)."""

    name: str
    address: str = ""
    phone: str = ""
    fax: str = ""

    def lines(self) -> list[str]:
        contact = "  ".join(part for part in (f"Phone {self.phone}" if self.phone else "",
                                              f"Fax {self.fax}" if self.fax else "") if part)
        return [line for line in (self.name, self.address, contact) if line]


@dataclass(frozen=True)
class Cover:
    """What the cover sheet says."""

    reference: str
    released_on: str
    sender: Sender
    recipient_name: str
    recipient_address: str | None
    method: str
    purpose: str
    basis: str
    authorization_ref: str | None
    legal_reference: str | None
    record_pages: int
    documents: int
    own_copy: bool = False  # the patient's own copy: no redisclosure prohibition


def cover_rows(cover: Cover) -> list[tuple[str, str]]:
    """Label/value rows printed on the cover sheet."""
    rows = [
        ("Release reference", cover.reference),
        ("Date released", cover.released_on),
        ("From", "; ".join(cover.sender.lines())),
        ("To", cover.recipient_name),
        ("Address", cover.recipient_address or "-"),
        ("Sent by", cover.method),
        ("Purpose", cover.purpose),
        ("Basis", cover.basis),
    ]
    if cover.authorization_ref:
        rows.append(("Authorization", cover.authorization_ref))
    if cover.legal_reference:
        rows.append(("Legal reference", cover.legal_reference))
    rows.append(("Pages", f"{cover.record_pages} page(s) of records in {cover.documents} document(s), "
                          "plus this cover sheet"))
    return rows


def _wrapped(canvas: Canvas, text: str, x: float, y: float, width: float, size: float = 10) -> float:
    """Draw ``text`` word-wrapped to ``width``; return the y below it."""
    canvas.setFont("Helvetica", size)
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if canvas.stringWidth(trial, "Helvetica", size) > width and line:
            canvas.drawString(x, y, line)
            y -= size * 1.35
            line = word
        else:
            line = trial
    if line:
        canvas.drawString(x, y, line)
        y -= size * 1.35
    return y


def render_cover(cover: Cover) -> bytes:
    """One-page cover sheet as PDF bytes."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=letter, invariant=True)
    width, height = letter
    left, y = 0.9 * inch, height - 1.0 * inch
    for number, line in enumerate(cover.sender.lines()):
        canvas.setFont("Helvetica-Bold" if number == 0 else "Helvetica", 12 if number == 0 else 10)
        canvas.drawString(left, y, line)
        y -= 14
    y -= 0.25 * inch
    canvas.setFont("Helvetica-Bold", 16)
    title = "YOUR HEALTH INFORMATION - COVER SHEET" if cover.own_copy else "RELEASE OF INFORMATION - COVER SHEET"
    canvas.drawString(left, y, title)
    y -= 0.45 * inch
    for label, value in cover_rows(cover):
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(left, y, f"{label}:")
        y = _wrapped(canvas, value, left + 1.5 * inch, y, width - left * 2 - 1.5 * inch) - 4
    y -= 0.3 * inch
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(left, y, "YOUR COPY" if cover.own_copy else "CONFIDENTIAL HEALTH INFORMATION")
    _wrapped(canvas, OWN_COPY_NOTICE if cover.own_copy else REDISCLOSURE_NOTICE, left, y - 16, width - left * 2)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def stamp_text(reference: str, number: int, total: int) -> str:
    return f"{reference} - page {number} of {total}"


def render_stamps(reference: str, sizes: Sequence[tuple[float, float]]) -> bytes:
    """One overlay page per packet page: the stamp on a white band in the bottom-right margin."""
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=True)
    total = len(sizes)
    for number, (width, height) in enumerate(sizes, start=1):
        canvas.setPageSize((width, height))
        text = stamp_text(reference, number, total)
        text_width = canvas.stringWidth(text, "Helvetica", STAMP_SIZE)
        x, y = max(4.0, width - text_width - 18), 6.0
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(x - 3, y - 2.5, text_width + 6, STAMP_SIZE + 5, stroke=0, fill=1)
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont("Helvetica", STAMP_SIZE)
        canvas.drawString(x, y, text)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()

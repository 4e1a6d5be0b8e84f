"""A document (record, pages, history, corrections), its page images and original file, and a patient's chart.

Also the correct form (type, date, sender, with a reason) that the document
page and the review page share: blank fields are left as they are.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from chartfile.service import documents, viewing
from chartfile.service.auth_sessions import WebLogin
from chartfile.service.page_images import Width
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state
from intake.errors import ChartfileError, InputError

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)
Login = Annotated[WebLogin, Depends(page_login)]

SIZES = {"thumb": Width.THUMB, "view": Width.VIEW, "large": Width.LARGE}
DONE = {"corrected": "Corrections saved."}


class CorrectionForm(BaseModel):
    """The correct form: what the document should say, and why (blank fields are left as they are)."""

    doc_type: str = Field("", max_length=40)
    doc_date: str = Field("", max_length=20)
    sender: str = Field("", max_length=200)
    reason: str = Field("", max_length=300)

    def request(self) -> documents.CorrectionRequest:
        when = None
        if self.doc_date.strip():
            try:
                when = date.fromisoformat(self.doc_date.strip())
            except ValueError:
                raise InputError(f"{self.doc_date.strip()!r} is not a date",
                                 hint="Give the date written on the document, YYYY-MM-DD.") from None
        return documents.CorrectionRequest(reason=self.reason, doc_type=self.doc_type.strip() or None,
                                           doc_date=when, sender=self.sender.strip() or None)


def correction_context(action: str, doc_type: str, doc_date: str | None, sender: str) -> dict[str, Any]:
    """What the correct form shows: where it posts, the types to choose from, the current values."""
    return {"correct_action": action, "doc_types": [(t, t.replace("_", " ")) for t in documents.DOC_TYPES],
            "correct": {"doc_type": doc_type, "doc_date": doc_date or "", "sender": sender},
            "today": date.today().isoformat()}


def png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"cache-control": "no-store"})


def _document_page(request: Request, login: WebLogin, document_id: int, done: str = "", error: str = "",
                   status: int = 200) -> Response:
    doc = viewing.document_view(web_state(request).office, web_actor(login), document_id)
    return render(request, "document.html", {
        "title": f"Document {doc.document_id}", "doc": doc, "message": DONE.get(done, ""), "error": error,
        **correction_context(f"/documents/{doc.document_id}/correct", doc.doc_type, doc.doc_date, doc.sender)},
        status=status)


@router.get("/documents/{document_id}")
def document_page(request: Request, login: Login, document_id: int, done: str = "") -> Response:
    return _document_page(request, login, document_id, done=done)


@router.post("/documents/{document_id}/correct")
def correct_document(request: Request, login: Login, document_id: int,
                     form: Annotated[CorrectionForm, Form()]) -> Response:
    """Correct the document's type, date or sender (audited, kept in its history, re-indexed)."""
    office, actor = web_state(request).office, web_actor(login)
    try:
        documents.correct(office, actor, document_id, form.request())
    except ChartfileError as exc:
        if exc.http_status in (403, 404):
            raise
        return _document_page(request, login, document_id, error=f"{exc.message} {exc.hint}".strip(),
                              status=exc.http_status)
    return RedirectResponse(f"/documents/{document_id}?done=corrected", status_code=303)


@router.get("/documents/{document_id}/pages/{n}.png")
def page_png(request: Request, login: Login, document_id: int, n: int, size: str = "view") -> Response:
    width = SIZES.get(size, Width.VIEW)
    return png(viewing.page_image(web_state(request).office, web_actor(login), document_id, n, width))


@router.get("/documents/{document_id}/original")
def original(request: Request, login: Login, document_id: int) -> Response:
    dl = viewing.original_file(web_state(request).office, web_actor(login), document_id)
    return Response(dl.data, media_type=dl.media_type, headers={
        "content-disposition": f'attachment; filename="{dl.filename}"', "cache-control": "no-store"})


@router.get("/patients/{patient_id}")
def chart_page(request: Request, login: Login, patient_id: int) -> Response:
    chart = viewing.chart_by_id(web_state(request).office, web_actor(login), patient_id)
    return render(request, "chart.html", {"title": f"Chart of {chart.name}", "chart": chart})

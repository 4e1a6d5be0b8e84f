"""A document (record, pages, history), its page images and original file, and a patient's chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from chartfile.service import viewing
from chartfile.service.auth_sessions import WebLogin
from chartfile.service.page_images import Width
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)
Login = Annotated[WebLogin, Depends(page_login)]

SIZES = {"thumb": Width.THUMB, "view": Width.VIEW, "large": Width.LARGE}


def png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"cache-control": "no-store"})


@router.get("/documents/{document_id}")
def document_page(request: Request, login: Login, document_id: int) -> Response:
    doc = viewing.document_view(web_state(request).office, web_actor(login), document_id)
    return render(request, "document.html", {"title": f"Document {doc.document_id}", "doc": doc})


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

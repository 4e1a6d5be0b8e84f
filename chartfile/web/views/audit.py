"""The privacy officer's audit page: chain status and verification, exports with filters, per-patient access."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from chartfile.service import audit as audit_svc
from chartfile.service.auth_sessions import WebLogin
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state
from intake.errors import ChartfileError, IntegrityError

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)
Login = Annotated[WebLogin, Depends(page_login)]

EXPORT_MEDIA = {"csv": ("text/csv; charset=utf-8", "csv"), "jsonl": ("application/x-ndjson", "jsonl"),
                "fhir": ("application/fhir+json", "json")}
Day = Annotated[str, Form(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


def _page(request: Request, login: WebLogin, status: int = 200, **extra: object) -> Response:
    info = audit_svc.audit_status(web_state(request).office, web_actor(login))
    return render(request, "audit.html", {"title": "Audit", "info": info, "today": date.today().isoformat(),
                                          "verify": None, "report": None, "error": "", **extra}, status=status)


@router.get("/audit")
def audit_page(request: Request, login: Login) -> Response:
    return _page(request, login)


@router.post("/audit/verify")
def verify(request: Request, login: Login) -> Response:
    try:
        done = audit_svc.verify(web_state(request).office, web_actor(login))
    except IntegrityError as exc:
        return _page(request, login, verify={"ok": False, "message": exc.message, "hint": exc.hint})
    data = done.data
    return _page(request, login, verify={"ok": True, "message": f"The chain is intact: {data['checked']:,} events "
                                                               f"checked, {data['anchors_checked']} anchors agree."})


@router.post("/audit/export")
def export(request: Request, login: Login, fmt: Annotated[str, Form(pattern="^(csv|jsonl|fhir)$")] = "csv",
           since: Day = "", until: Day = "", patient: Annotated[str, Form(max_length=40)] = "",
           user: Annotated[str, Form(max_length=80)] = "") -> Response:
    try:
        flt = audit_svc.make_filter(since or None, until or None, patient=patient or None, user=user or None)
        out = io.StringIO()
        audit_svc.export(web_state(request).office, web_actor(login), flt, fmt, "seq", out)
    except ChartfileError as exc:
        if exc.http_status == 403:
            raise
        return _page(request, login, error=f"{exc.message} {exc.hint}".strip(), status=exc.http_status)
    media, suffix = EXPORT_MEDIA[fmt]
    body = ("\ufeff" if fmt == "csv" else "") + out.getvalue()
    return Response(body, media_type=media, headers={
        "content-disposition": f'attachment; filename="audit-{date.today().isoformat()}.{suffix}"'})


@router.post("/audit/access-report")
def access_report(request: Request, login: Login, mrn: Annotated[str, Form(min_length=1, max_length=40)],
                  since: Day = "", until: Day = "") -> Response:
    out = io.StringIO()
    try:
        n = audit_svc.access_report(web_state(request).office, web_actor(login), mrn.strip(), since or None,
                                    until or None, "text", out)
    except ChartfileError as exc:
        if exc.http_status == 403:
            raise
        return _page(request, login, error=f"{exc.message} {exc.hint}".strip(), status=exc.http_status)
    return _page(request, login, report={"entries": n, "text": out.getvalue()})

"""Release of information: drafts beside the scanned form, requests and due dates, releases, accounting."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from chartfile.service import packets
from chartfile.service import roi as roi_svc
from chartfile.service.auth_sessions import WebLogin
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state
from intake.errors import ChartfileError, InputError

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)
Login = Annotated[WebLogin, Depends(page_login)]
Text = Annotated[str, Form(max_length=300)]
LongText = Annotated[str, Form(max_length=2000)]
Day = Annotated[str, Form(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
RECENT = 20


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _ids(value: str) -> list[int]:
    try:
        return [int(v) for v in value.replace(" ", ",").split(",") if v.strip()]
    except ValueError:
        raise InputError("document numbers must be numbers separated by commas") from None


@router.get("/roi")
def roi_page(request: Request, login: Login, released: int = 0) -> Response:
    office, actor = web_state(request).office, web_actor(login)
    return render(request, "roi.html", {
        "title": "Release of information",
        "drafts": roi_svc.authorization_list(office, actor, status="draft"),
        "requests": roi_svc.request_list(office, actor),
        "releases": roi_svc.release_list(office, actor)[:RECENT], "report": None, "error": "",
        "released": released})


@router.post("/roi/accounting")
def accounting(request: Request, login: Login, mrn: Annotated[str, Form(min_length=1, max_length=40)],
               since: Day = "", until: Day = "") -> Response:
    office, actor = web_state(request).office, web_actor(login)
    error, report = "", None
    try:
        report = roi_svc.accounting(office, actor, mrn.strip(), _day(since), _day(until), False, "text")
    except ChartfileError as exc:
        if exc.http_status == 403:
            raise
        error = f"{exc.message} {exc.hint}".strip()
    return render(request, "roi.html", {
        "title": "Release of information", "drafts": roi_svc.authorization_list(office, actor, status="draft"),
        "requests": roi_svc.request_list(office, actor), "releases": roi_svc.release_list(office, actor)[:RECENT],
        "report": report, "error": error}, status=400 if error else 200)


def _auth_page(request: Request, login: WebLogin, authorization_id: int, message: str = "", error: str = "",
               status: int = 200) -> Response:
    auth = roi_svc.authorization_show(web_state(request).office, web_actor(login), authorization_id)
    return render(request, "roi_authorization.html", {
        "title": f"Authorization #{authorization_id}", "auth": auth, "message": message, "error": error},
        status=status)


@router.get("/roi/authorizations/{authorization_id}")
def authorization_page(request: Request, login: Login, authorization_id: int) -> Response:
    return _auth_page(request, login, authorization_id)


@router.post("/roi/authorizations/{authorization_id}/confirm")
def confirm(request: Request, login: Login, authorization_id: int, mrn: Annotated[str, Form(max_length=40)] = "",
            discloser: Text = "", recipient: Text = "", address: Text = "", description: LongText = "",
            types: Text = "", info_from: Day = "", info_to: Day = "", purpose: Text = "", expires: Day = "",
            expiry_event: Text = "", signed: Day = "", signer: Text = "",
            statements: Annotated[list[str] | None, Form()] = None) -> Response:
    fields = roi_svc.AuthorizationFields(
        discloser=discloser or None, recipient_name=recipient or None, recipient_address=address or None,
        description=description or None, doc_types=[t.strip() for t in types.split(",") if t.strip()] or None,
        info_from=_day(info_from), info_to=_day(info_to), purpose=purpose or None, expires_on=_day(expires),
        expiration_event=expiry_event or None, signed_on=_day(signed), signer_name=signer or None,
        statements=[s for s in (statements or []) if s in ("revocation", "conditioning", "redisclosure")] or None)
    try:
        done = roi_svc.authorization_confirm(web_state(request).office, web_actor(login), authorization_id, fields,
                                             mrn=mrn.strip() or None)
    except ChartfileError as exc:
        if exc.http_status in (403, 404):
            raise
        return _auth_page(request, login, authorization_id, error=f"{exc.message} {exc.hint}".strip(),
                          status=exc.http_status)
    message = ("Confirmed: the authorization is valid today." if done["valid"] else
               "Confirmed, but it is not valid today: " + "; ".join([*done["missing"], *done["problems"]]))
    return _auth_page(request, login, authorization_id, message=message)


def _release_form(request: Request, values: dict[str, str], problems: list[str], status: int = 200,
                  outcome: object = None) -> Response:
    return render(request, "roi_release.html", {
        "title": "Release records", "v": values, "problems": problems, "outcome": outcome,
        "bases": roi_svc.RELEASE_BASES, "methods": roi_svc.METHODS}, status=status)


@router.get("/roi/release")
def release_form(request: Request, login: Login) -> Response:
    return _release_form(request, {}, [])


@router.post("/roi/release")
def release(request: Request, login: Login, mrn: Annotated[str, Form(max_length=40)] = "",
            documents: Text = "", recipient: Text = "", address: Text = "",
            method: Annotated[str, Form(max_length=10)] = "fax", basis: Annotated[str, Form(max_length=20)] = "",
            authorization: Annotated[str, Form(max_length=12)] = "",
            request_id: Annotated[str, Form(max_length=12)] = "", purpose: Text = "") -> Response:
    values = {"mrn": mrn, "documents": documents, "recipient": recipient, "address": address, "method": method,
              "basis": basis, "authorization": authorization, "request_id": request_id, "purpose": purpose}
    try:
        inp = roi_svc.ReleaseInput(
            mrn=mrn.strip(), document_ids=_ids(documents), recipient_name=recipient.strip(), method=method,
            recipient_address=address.strip() or None, basis=basis or None,
            authorization_id=int(authorization) if authorization.strip() else None,
            request_id=int(request_id) if request_id.strip() else None, purpose=purpose.strip() or None)
        outcome = roi_svc.release(web_state(request).office, web_actor(login), inp)
    except ValueError:
        return _release_form(request, values, ["authorization and request numbers must be numbers"], 400)
    except ChartfileError as exc:
        if exc.http_status == 403:
            raise
        reasons = exc.message.removeprefix("release refused: ").split("; ")
        return _release_form(request, values, reasons, exc.http_status)
    return RedirectResponse(f"/roi?released={outcome.release_id}", status_code=303)


@router.get("/roi/releases/{release_id}/packet")
def packet(request: Request, login: Login, release_id: int) -> Response:
    dl = packets.packet(web_state(request).office, web_actor(login), release_id)
    return Response(dl.data, media_type=dl.media_type,
                    headers={"content-disposition": f'attachment; filename="{dl.filename}"'})

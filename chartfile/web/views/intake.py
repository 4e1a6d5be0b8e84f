"""The intake status page: queue depth, pages per hour, auto-file rate, quarantined files with a retry button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from chartfile.service import dashboard
from chartfile.service import intake as intake_svc
from chartfile.service.auth_sessions import WebLogin
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state
from intake.errors import ChartfileError

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)
Login = Annotated[WebLogin, Depends(page_login)]


def _page(request: Request, login: WebLogin, message: str = "", error: str = "", status: int = 200) -> Response:
    b = dashboard.board(web_state(request).office, web_actor(login))
    return render(request, "intake.html", {"title": "Intake", "board": b, "message": message, "error": error},
                  status=status)


@router.get("/intake")
def intake_page(request: Request, login: Login, retried: int = 0) -> Response:
    return _page(request, login, message=f"Intake item {retried} was queued again." if retried else "")


@router.post("/intake/{intake_id}/retry")
def retry(request: Request, login: Login, intake_id: int) -> Response:
    try:
        intake_svc.retry(web_state(request).office, web_actor(login), intake_id)
    except ChartfileError as exc:
        if exc.http_status in (403,):
            raise
        return _page(request, login, error=f"{exc.message} {exc.hint}".strip(), status=exc.http_status)
    return RedirectResponse(f"/intake?retried={intake_id}", status_code=303)

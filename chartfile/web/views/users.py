"""The administrator's page of users: add, disable, enable, set a password (all audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from chartfile.service import users as svc
from chartfile.service.actor import Role
from chartfile.service.auth_sessions import WebLogin
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state
from intake.errors import ChartfileError

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)

Login = Annotated[WebLogin, Depends(page_login)]


def _page(request: Request, message: str = "", error: str = "", status: int = 200) -> Response:
    rows = [r.as_dict() for r in svc.list_users(web_state(request).office, web_actor(request.state.login))]
    return render(request, "users.html", {"title": "Users", "users": rows, "roles": [r.value for r in Role],
                                          "message": message, "error": error}, status=status)


@router.get("/users")
def users_page(request: Request, login: Login) -> Response:
    return _page(request)


@router.post("/users")
def add_user(request: Request, login: Login, username: Annotated[str, Form(max_length=80)],
             role: Annotated[str, Form(max_length=20)], password: Annotated[str, Form(max_length=1024)]) -> Response:
    state = web_state(request)
    try:
        svc.add_user(state.office, web_actor(login), username, svc.parse_role(role), password)
    except ChartfileError as exc:
        return _page(request, error=f"{exc.message}. {exc.hint}", status=exc.http_status)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{username}/disable")
def disable(request: Request, login: Login, username: str) -> Response:
    svc.set_disabled(web_state(request).office, web_actor(login), username, True)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{username}/enable")
def enable(request: Request, login: Login, username: str) -> Response:
    svc.set_disabled(web_state(request).office, web_actor(login), username, False)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{username}/password")
def password(request: Request, login: Login, username: str,
             new_password: Annotated[str, Form(max_length=1024)]) -> Response:
    state = web_state(request)
    try:
        svc.set_password(state.office, web_actor(login), username, new_password)
    except ChartfileError as exc:
        return _page(request, error=f"{exc.message}. {exc.hint}", status=exc.http_status)
    return _page(request, message=f"Password of {username} changed; their open sessions were ended.")

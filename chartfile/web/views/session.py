"""Logging in and out, and the start page that sends each role to its own work."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from chartfile.service.actor import Role
from chartfile.service.auth import AuthenticationError, authenticate
from chartfile.service.auth_sessions import EndReason, WebLogin, end_session, start_session
from chartfile.web.access import client_of, page_login
from chartfile.web.render import menu_for, render
from chartfile.web.security import (
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    new_login_csrf,
    set_login_csrf_cookie,
    set_session_cookie,
)
from chartfile.web.state import web_state

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)

HOMES = {Role.CLERK: "/review", Role.ROI: "/roi", Role.PRIVACY: "/audit", Role.PROVIDER: "/search",
         Role.ADMIN: "/intake"}
MESSAGES = {
    "idle": "You were logged off after {idle} minutes without activity. Please log in again.",
    "expired": "Your session reached its maximum length. Please log in again.",
    "out": "You have logged out.",
    "disabled": "Your account was disabled.",
    "login": "Please log in to continue.",
}


def _login_form(request: Request, message: str = "", error: str = "", status: int = 200,
                username: str = "") -> Response:
    token = new_login_csrf()
    response = render(request, "login.html", {"title": "Log in", "login_csrf": token, "message": message,
                                              "error": error, "username": username}, status=status)
    set_login_csrf_cookie(response, web_state(request).cfg, request, token)
    return response


@router.get("/login")
def login_form(request: Request, m: str = "") -> Response:
    cfg = web_state(request).cfg
    message = MESSAGES.get(m, "").format(idle=f"{cfg.web.idle_minutes:g}")
    return _login_form(request, message=message)


@router.post("/login")
def login_submit(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                 password: Annotated[str, Form(max_length=1024)] = "",
                 otp: Annotated[str, Form(max_length=20)] = "",
                 csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    state = web_state(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_form(request, error="The login form expired. Please try again.", status=403,
                           username=username)
    try:
        principal = authenticate(state.office, username, password, otp, client_of(request))
    except AuthenticationError as exc:
        return _login_form(request, error=exc.message, status=401, username=username)
    token, _login = start_session(state.office, principal)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, state.cfg, request, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, login: Annotated[WebLogin, Depends(page_login)],
           reason: Annotated[str, Form(max_length=20)] = "") -> Response:
    state = web_state(request)
    why = EndReason.IDLE if reason == "idle" else EndReason.LOGOUT
    end_session(state.office, login.session_id, why, login.principal.username, client_of(request),
                role=login.principal.role)
    response = RedirectResponse(f"/login?m={'idle' if why == EndReason.IDLE else 'out'}", status_code=303)
    clear_session_cookie(response, state.cfg, request)
    return response


@router.get("/")
def home(request: Request, login: Annotated[WebLogin, Depends(page_login)]) -> Response:
    """Each role starts at its own work: clerks at the review queue, ROI at requests, privacy at the audit."""
    entries = dict((path, label) for label, path in menu_for(login.principal.role, web_state(request).pages))
    start = HOMES.get(login.principal.role)
    if start in entries:
        return RedirectResponse(start, status_code=303)
    if entries:
        return RedirectResponse(next(iter(entries)), status_code=303)
    return render(request, "home.html", {"title": "Chartfile"})

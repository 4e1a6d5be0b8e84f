"""Rendering pages: the layout's context (who is logged in, the menu for their role, the CSRF token)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from chartfile.service.actor import Role
from chartfile.service.auth_sessions import WebLogin
from chartfile.web.state import web_state

# (label, path, roles): the main menu; the route table must agree (tests/web/test_route_matrix.py)
MENU: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("Review", "/review", frozenset({Role.CLERK})),
    ("Search", "/search", frozenset({Role.CLERK, Role.ROI, Role.PROVIDER})),
    ("Intake", "/intake", frozenset({Role.CLERK, Role.ADMIN})),
    ("Release of information", "/roi", frozenset({Role.ROI})),
    ("Audit", "/audit", frozenset({Role.PRIVACY, Role.ADMIN})),
    ("Users", "/users", frozenset({Role.ADMIN})),
)


def menu_for(role: Role | None, available: set[str]) -> list[tuple[str, str]]:
    """The menu entries a role may open (only pages this build has)."""
    return [(label, path) for label, path, roles in MENU if role in roles and path in available]


def current_login(request: Request) -> WebLogin | None:
    login = getattr(request.state, "login", None)
    return login if isinstance(login, WebLogin) else None


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page with the layout's context added."""
    state = web_state(request)
    login = current_login(request)
    role = login.principal.role if login else None
    here = request.url.path
    ctx = {
        "request": request, "login": login, "csrf_token": login.csrf_token if login else "",
        "menu": menu_for(role, state.pages), "here": here,
        "idle_seconds": int(state.cfg.web.idle_minutes * 60), **context,
    }
    return state.templates.TemplateResponse(request, template, ctx, status_code=status, headers=headers)

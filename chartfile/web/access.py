"""Who may open which route: the one route → roles table, and the dependency that enforces it.

Every route of the web app and the API appears in :data:`ROUTE_ROLES` as
``(METHOD, path template)``.  A route missing from the table is refused for
everyone (fail closed) and fails ``tests/web/test_route_matrix.py``.  Page
routes authenticate with the session cookie and need a CSRF token on every
state-changing request; API routes authenticate with ``Authorization: Bearer``
and never look at cookies (so cross-site requests cannot ride a session).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.auth import AuthenticationError, Principal, resolve_token
from chartfile.service.auth_sessions import WebLogin, csrf_ok, resolve_session
from chartfile.service.permissions import PermissionDenied
from chartfile.web.security import SESSION_COOKIE, presented_csrf
from chartfile.web.state import web_state

log = logging.getLogger(__name__)


class Gate(StrEnum):
    PUBLIC = "public"  # no login (the login form, static files)
    ANY = "any"  # any logged-in user


C, R, P, D, A = Role.CLERK, Role.ROI, Role.PRIVACY, Role.PROVIDER, Role.ADMIN
READERS = frozenset({C, R, D})  # who reads charts and documents
ALL = frozenset(Role)

Rule = frozenset[Role] | Gate

ROUTE_ROLES: dict[tuple[str, str], Rule] = {
    # --- session -------------------------------------------------------------------
    ("GET", "/login"): Gate.PUBLIC,
    ("POST", "/login"): Gate.PUBLIC,
    ("POST", "/logout"): Gate.ANY,
    ("GET", "/"): Gate.ANY,
    # --- review (clerks) ------------------------------------------------------------
    ("GET", "/review"): frozenset({C}),
    ("GET", "/review/{item_id}"): frozenset({C}),
    ("POST", "/review/patients"): frozenset({C}),
    ("POST", "/review/{item_id}/file"): frozenset({C}),
    ("POST", "/review/{item_id}/split"): frozenset({C}),
    ("POST", "/review/{item_id}/reject"): frozenset({C}),
    ("POST", "/review/{item_id}/correct"): frozenset({C}),
    # --- search --------------------------------------------------------------------
    ("GET", "/search"): READERS,
    ("POST", "/search"): READERS,
    # --- documents and charts ------------------------------------------------------
    ("GET", "/documents/{document_id}"): READERS,
    ("GET", "/documents/{document_id}/pages/{n}.png"): READERS,
    ("GET", "/documents/{document_id}/original"): READERS,
    ("POST", "/documents/{document_id}/correct"): frozenset({C}),
    ("GET", "/patients/{patient_id}"): READERS,
    # --- intake --------------------------------------------------------------------
    ("GET", "/intake"): frozenset({C, A}),
    ("POST", "/intake/{intake_id}/retry"): frozenset({C, A}),
    # --- release of information ------------------------------------------------------
    ("GET", "/roi"): frozenset({R}),
    ("POST", "/roi/accounting"): frozenset({R}),
    ("GET", "/roi/authorizations/{authorization_id}"): frozenset({R}),
    ("POST", "/roi/authorizations/{authorization_id}/confirm"): frozenset({R}),
    ("GET", "/roi/release"): frozenset({R}),
    ("POST", "/roi/release"): frozenset({R}),
    ("GET", "/roi/releases/{release_id}/packet"): frozenset({R}),
    # --- audit (privacy officer) -----------------------------------------------------
    ("GET", "/audit"): frozenset({P, A}),
    ("POST", "/audit/verify"): frozenset({P, A}),
    ("POST", "/audit/export"): frozenset({P, A}),
    ("POST", "/audit/access-report"): frozenset({P, A}),
    # --- administration ------------------------------------------------------------
    ("GET", "/users"): frozenset({A}),
    ("POST", "/users"): frozenset({A}),
    ("POST", "/users/{username}/disable"): frozenset({A}),
    ("POST", "/users/{username}/enable"): frozenset({A}),
    ("POST", "/users/{username}/password"): frozenset({A}),
    # --- JSON API (bearer token) ---------------------------------------------------
    ("GET", "/api/openapi.json"): Gate.PUBLIC,
    ("GET", "/api/me"): Gate.ANY,
    ("GET", "/api/search"): READERS,
    ("GET", "/api/documents/{document_id}"): READERS,
    ("GET", "/api/documents/{document_id}/pages/{n}.png"): READERS,
    ("POST", "/api/documents/{document_id}/correct"): frozenset({C}),
    ("GET", "/api/review"): frozenset({C}),
    ("POST", "/api/review/{item_id}/file"): frozenset({C}),
    ("GET", "/api/audit/export"): frozenset({P, A}),
}

PAGE_RULE_WHEN_MISSING: Rule = frozenset()  # fail closed


def route_key(request: Request) -> tuple[str, str]:
    """(method, path template) of the matched route, e.g. ("GET", "/documents/{document_id}")."""
    route = request.scope.get("route")
    return request.method.upper(), route.path if isinstance(route, APIRoute) else request.url.path


def rule_for(request: Request) -> Rule:
    key = route_key(request)
    method = "GET" if key[0] == "HEAD" else key[0]
    rule = ROUTE_ROLES.get((method, key[1]))
    if rule is None:
        log.error("route %s %s has no access rule: refused", *key)
        return PAGE_RULE_WHEN_MISSING
    return rule


def _allowed(rule: Rule, principal: Principal) -> bool:
    return rule == Gate.ANY or (isinstance(rule, frozenset) and principal.role in rule)


def web_actor(login: WebLogin) -> Actor:
    """The Actor of a logged-in browser (channel web)."""
    return login.principal.actor(Channel.WEB)


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


async def page_login(request: Request) -> WebLogin | None:
    """Dependency of every page route: the session (None on public routes), role and CSRF checked."""
    rule = rule_for(request)
    if rule == Gate.PUBLIC:
        return None
    state = web_state(request)
    # database work off the event loop: a session touch may wait for SQLite's write lock
    login = await run_in_threadpool(resolve_session, state.office, request.cookies.get(SESSION_COOKIE, ""),
                                    client_of(request))
    request.state.username = login.principal.username
    request.state.login = login
    if not _allowed(rule, login.principal):
        raise PermissionDenied(f"Your role ({login.principal.role}) cannot open this page.")
    if request.method not in {"GET", "HEAD"} and not csrf_ok(login, await presented_csrf(request)):
        raise PermissionDenied("This form has expired or did not come from Chartfile. Reload the page and try again.",
                               hint="Reload the page; forms are valid only while you are logged in.")
    return login


BEARER = HTTPBearer(auto_error=False, description="An API token from: chartfile users token USERNAME")


async def api_principal(request: Request,
                        credentials: HTTPAuthorizationCredentials | None = Depends(BEARER)) -> Principal:
    """Dependency of every API route: the bearer token's user, with the route's role rule."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials.strip():
        raise AuthenticationError("Authorization: Bearer <token> required",
                                  hint="Get a token from an administrator: chartfile users token USERNAME")
    principal = await run_in_threadpool(resolve_token, web_state(request).office, credentials.credentials.strip())
    request.state.username = principal.username
    rule = rule_for(request)
    if not _allowed(rule, principal) and rule != Gate.PUBLIC:
        raise PermissionDenied(f"role {principal.role} may not call this endpoint")
    return principal

"""Browser-facing security: response headers, cookies, CSRF tokens and a PHI-free access log.

Owns the Content-Security-Policy (no inline script or style, ``frame-ancestors
'none'``), ``Cache-Control: no-store`` on everything but static assets, the
session cookie's flags (HttpOnly, SameSite=Strict, Secure over https), and the
access log, which records the route template (``/documents/{document_id}``),
never the query string, so search words and names never reach a log file.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from intake.config import Config

access_log = logging.getLogger("chartfile.web.access")

SESSION_COOKIE = "chartfile_session"
LOGIN_CSRF_COOKIE = "chartfile_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple((k.encode(), v.encode()) for k, v in (
    ("content-security-policy", CSP),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
))
NO_STORE = (b"cache-control", b"no-store")
STATIC_CACHE = (b"cache-control", b"no-cache")  # revalidate; static files carry no PHI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


INTERNAL_MESSAGE = "Something went wrong on the server. It was logged; please tell your administrator."
INTERNAL_PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Server error — Chartfile"
                 "</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main id=\"main\">"
                 f"<h1>Server error</h1><p>{INTERNAL_MESSAGE}</p><p><a href=\"/\">Back to Chartfile</a></p>"
                 "</main></body></html>")


async def _internal_error(scope: Scope, send: Callable[[Message], Awaitable[None]]) -> None:
    api = str(scope.get("path", "")).startswith("/api/")
    body = (json.dumps({"error": INTERNAL_MESSAGE, "hint": ""}) if api else INTERNAL_PAGE).encode()
    ctype = b"application/json" if api else b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Pure ASGI middleware: security headers on every HTTP response (a bug's 500 too), the scrubbed access log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        static = str(scope.get("path", "")).startswith("/static/")
        status = [500]
        sent = [False]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent[0] = True
                status[0] = int(message["status"])
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [h for h in BASE_HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    extra.append(STATIC_CACHE if static else NO_STORE)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:  # noqa: BLE001 - the one place a bug becomes a plain 500, with the headers above
            route = getattr(scope.get("route"), "path", "(unrouted)")
            logging.getLogger("chartfile.web").exception("internal error on %s %s", scope.get("method"), route)
            if status[0] != 500 or sent[0]:
                raise
            await _internal_error(scope, send_with_headers)
        finally:
            _log_access(scope, status[0], time.perf_counter() - started)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    """One line per request: method, route template (no ids' values of queries), status, user, time."""
    route = scope.get("route")
    path = getattr(route, "path", None) or ("/static/…" if str(scope.get("path", "")).startswith("/static/")
                                            else "(unrouted)")
    user = scope.get("state", {}).get("username", "-") if isinstance(scope.get("state"), dict) else "-"
    access_log.info("%s %s %d %s %.0fms", scope.get("method"), path, status, user, seconds * 1000)


def wants_secure_cookie(cfg: Config, request: Request) -> bool:
    """Secure flag: always/never by configuration, else when the request came over https."""
    mode = cfg.web.secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def set_session_cookie(response: Response, cfg: Config, request: Request, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="strict", path="/",
                        secure=wants_secure_cookie(cfg, request), max_age=int(cfg.web.session_hours * 3600))


def clear_session_cookie(response: Response, cfg: Config, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=wants_secure_cookie(cfg, request))


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, cfg: Config, request: Request, value: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, value, httponly=True, samesite="strict", path="/login",
                        secure=wants_secure_cookie(cfg, request), max_age=3600)


async def presented_csrf(request: Request) -> str:
    """The CSRF token a state-changing request carried: the X-CSRF-Token header (htmx) or the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""

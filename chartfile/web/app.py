"""The web application factory: pages and JSON API on one FastAPI app, errors as pages or JSON.

``create_app(cfg)`` builds everything; nothing happens at import time.  Page
routes are left out of the OpenAPI schema, which documents only ``/api/``
(served at ``/api/openapi.json``).  Every error becomes a clear page or JSON
body with the right status — a login redirect (401), a refusal (403), a
not-found (404), a rule (409) — and an unexpected one a 500 without details.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from chartfile.service.auth import AuthenticationError
from chartfile.service.auth_sessions import SessionEnded
from chartfile.service.office import Office
from chartfile.web.render import render
from chartfile.web.security import SecurityHeaders
from chartfile.web.state import STATIC_DIR, TEMPLATES_DIR, WebState
from intake.errors import ChartfileError

log = logging.getLogger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

API_PREFIX = "/api/"
VIEW_MODULES = ("session", "review", "search", "documents", "intake", "roi", "audit", "users")


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def create_app(office: Office, lifespan: Lifespan | None = None) -> FastAPI:
    """The web app over an open office (``chartfile.service.office.open_office``)."""
    app = FastAPI(title="Chartfile API", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan,
                  description="Search, documents, review and audit of a Chartfile office. "
                              "Authenticate with `Authorization: Bearer <token>` (chartfile users token USERNAME).")
    templates = Jinja2Templates(env=_template_env())
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    routes = _include_views(app)
    app.state.chartfile = WebState(office=office, templates=templates, routes=routes)
    _error_handlers(app)
    app.add_middleware(SecurityHeaders)  # headers on every response, a bug's 500 too
    return app


def _template_env() -> jinja2.Environment:
    """Starlette's template environment, without a file check per page (templates ship with the package)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                              autoescape=jinja2.select_autoescape(), auto_reload=False)


def serving_app(office: Office) -> FastAPI:
    """The app as ``chartfile serve`` runs it: readied before the first clerk (see :mod:`chartfile.web.warm`)."""
    from chartfile.web.warm import serving_lifespan

    return create_app(office, lifespan=serving_lifespan)


def app_from_environment() -> FastAPI:
    """The app of one uvicorn worker process (``web.workers`` > 1): the office of ``$CHARTFILE_HOME``."""
    from chartfile.service.office import open_office
    from intake.config import load_config

    return serving_app(open_office(load_config()))


def _include_views(app: FastAPI) -> list[tuple[str, str]]:
    """Include every page module's router and the API's; returns (method, path) of each route."""
    import importlib

    from chartfile.web import api

    routers = [importlib.import_module(f"chartfile.web.views.{name}").router for name in VIEW_MODULES]
    routers.append(api.router)
    found: list[tuple[str, str]] = [("GET", "/api/openapi.json")]
    for router in routers:
        app.include_router(router)
        for route in router.routes:
            if isinstance(route, APIRoute):
                found.extend((method, route.path) for method in sorted(route.methods or ()))
    return found


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ChartfileError)
    async def chartfile_error(request: Request, exc: ChartfileError) -> Response:
        if is_api(request):
            return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=exc.http_status,
                                headers={"www-authenticate": "Bearer"} if exc.http_status == 401 else None)
        if isinstance(exc, AuthenticationError):
            return _to_login(request, exc)
        if exc.http_status >= 500:
            log.error("error on %s: %s", request.url.path, exc.message)
        return render(request, "error.html", {"title": _TITLES.get(exc.http_status, "Error"),
                                              "message": exc.message, "hint": exc.hint}, status=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in exc.errors()]
        if is_api(request):
            return JSONResponse({"error": "invalid request", "detail": problems}, status_code=422)
        return render(request, "error.html", {"title": "Invalid request", "message": "; ".join(problems),
                                              "hint": "Go back and check the form."}, status=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "Not found." if exc.status_code == 404 else str(exc.detail)
        if is_api(request):
            return JSONResponse({"error": message, "hint": ""}, status_code=exc.status_code)
        return render(request, "error.html", {"title": _TITLES.get(exc.status_code, "Error"), "message": message,
                                              "hint": ""}, status=exc.status_code)


_TITLES = {400: "Invalid request", 401: "Please log in", 403: "Not allowed", 404: "Not found",
           405: "Not allowed", 409: "Refused", 500: "Server error"}


def _to_login(request: Request, exc: AuthenticationError) -> Response:
    reason = exc.reason.value if isinstance(exc, SessionEnded) else "login"
    target = f"/login?m={reason}"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)

"""Search: the clerk query syntax by POST (the words never appear in a URL or a log), facets, snippets, pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from chartfile.service import searching
from chartfile.service.auth_sessions import WebLogin
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state
from intake.errors import InputError

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)
Login = Annotated[WebLogin, Depends(page_login)]

PAGE_SIZE = 20
FACET_FIELDS = {"doc_type": "type", "sender": "from", "status": "status"}


def marked(snippet: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The snippet as (text, highlighted) pieces, so the template escapes every piece."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        if start < at or end <= start:
            continue
        if start > at:
            out.append((snippet[at:start], False))
        out.append((snippet[start:end], True))
        at = end
    if at < len(snippet):
        out.append((snippet[at:], False))
    return out


def facet_query(field: str, value: str) -> str:
    key = FACET_FIELDS.get(field, field)
    return f'{key}:"{value}"' if " " in value else f"{key}:{value}"


@router.get("/search")
def search_form(request: Request, login: Login) -> Response:
    return render(request, "search.html", {"title": "Search", "q": "", "results": None})


@router.post("/search")
def search_results(request: Request, login: Login, q: Annotated[str, Form(max_length=500)] = "",
                   page: Annotated[int, Form(ge=1, le=500)] = 1,
                   sort: Annotated[str, Form(max_length=20)] = "auto") -> Response:
    template = "partials/search_results.html" if request.headers.get("hx-request") else "search.html"
    context: dict[str, object] = {"title": "Search", "q": q, "sort": sort, "results": None, "error": ""}
    if q.strip():
        try:
            results = searching.search(web_state(request).office, web_actor(login), q, page=page,
                                       page_size=PAGE_SIZE, sort=sort)
        except InputError as exc:
            context["error"] = f"{exc.message} {exc.hint}".strip()
        else:
            context.update(results=results, hits=[(h, marked(h.snippet, h.highlights)) for h in results.hits],
                           facets=[(field, FACET_FIELDS.get(field, field), [(v, n, facet_query(field, v))
                                                                          for v, n in rows])
                                   for field, rows in results.facets.items() if rows])
    return render(request, template, context)

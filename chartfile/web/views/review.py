"""The review worklist and the decision page: file (guarded), split, reject, correct, beside the page images.

A filing the guard refuses (the document's name, DOB, sex or MRN contradicts
the chosen chart) re-shows the item with every reason and a form to file
anyway with a reason (recorded with the filing and audited).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from chartfile.service import documents, worklist
from chartfile.service import review as decisions
from chartfile.service.auth_sessions import WebLogin
from chartfile.web.access import page_login, web_actor
from chartfile.web.render import render
from chartfile.web.state import web_state
from chartfile.web.views.documents import CorrectionForm, correction_context
from intake.errors import ChartfileError

router = APIRouter(dependencies=[Depends(page_login)], include_in_schema=False)
Login = Annotated[WebLogin, Depends(page_login)]

DONE = {"filed": "Filed.", "split": "Split; each part was matched on its own.", "rejected": "Rejected.",
        "corrected": "Corrections saved."}


@router.get("/review")
def queue_page(request: Request, login: Login, page: int = 1, done: str = "") -> Response:
    queue = worklist.review_queue(web_state(request).office, web_actor(login), page=page)
    return render(request, "review_list.html", {
        "title": "Review queue", "items": queue.rows, "total": queue.total, "page": queue.page,
        "pages": queue.pages, "message": DONE.get(done, "")})


def _item_page(request: Request, login: WebLogin, item_id: int, error: str = "", status: int = 200,
               done: str = "", refused: decisions.FilingRefused | None = None, chosen: str = "") -> Response:
    item = worklist.review_item(web_state(request).office, web_actor(login), item_id)
    example = "1-2,3" if item.page_count >= 3 else "1,2" if item.page_count == 2 else "1"
    return render(request, "review_item.html", {
        "title": f"Review #{item.review_id}", "item": item, "doc": item, "fields": item.fields,
        "candidates": item.candidates, "split_example": example, "proposed_split": item.proposed_split,
        "position": f"item {item.position} of {item.queue_total}" if item.position else f"({item.state})",
        "next_id": item.next_review_id, "error": error, "message": DONE.get(done, ""),
        "refused": refused, "chosen": refused.mrn if refused else chosen,
        **correction_context(f"/review/{item.review_id}/correct", item.doc_type, item.doc_date, item.sender)},
        status=status)


@router.get("/review/{item_id}")
def item_page(request: Request, login: Login, item_id: int, done: str = "") -> Response:
    return _item_page(request, login, item_id, done=done)


@router.post("/review/patients")
def patient_options(request: Request, login: Login, q: Annotated[str, Form(max_length=100)] = "") -> Response:
    """The typeahead (htmx): patients by name, DOB or MRN, as radio buttons of the file form."""
    try:
        found = worklist.patient_lookup(web_state(request).office, web_actor(login), q)
    except ChartfileError as exc:
        return render(request, "partials/patient_options.html", {"found": [], "searched": "", "error": exc.message})
    return render(request, "partials/patient_options.html", {"found": found, "searched": q.strip()})


def _after(request: Request, login: WebLogin, item_id: int, done: str) -> Response:
    """After a decision: the next item in the queue, or the queue when it is empty."""
    try:
        nxt = worklist.review_queue(web_state(request).office, web_actor(login), page=1, page_size=1).rows
    except ChartfileError:
        nxt = []
    target = f"/review/{nxt[0].review_id}?done={done}" if nxt else f"/review?done={done}"
    return RedirectResponse(target, status_code=303)


def _decide(request: Request, login: WebLogin, item_id: int, done: str, action: Callable[[], object],
            chosen: str = "") -> Response:
    """Run a decision; a refusal re-shows the item with the reason, success goes to the next item."""
    try:
        action()
    except decisions.FilingRefused as exc:  # the document contradicts the chart: reasons and the override form
        return _item_page(request, login, item_id, status=exc.http_status, refused=exc)
    except ChartfileError as exc:
        if exc.http_status in (403, 404):
            raise
        return _item_page(request, login, item_id, error=f"{exc.message} {exc.hint}".strip(),
                          status=exc.http_status, chosen=chosen)
    return _after(request, login, item_id, done)


@router.post("/review/{item_id}/file")
def file_item(request: Request, login: Login, item_id: int, mrn: Annotated[str, Form(max_length=40)] = "",
              override_reason: Annotated[str | None, Form(max_length=300)] = None) -> Response:
    """File to the chosen chart; with ``override_reason`` (the refusal's form) despite contradictions."""
    office, actor = web_state(request).office, web_actor(login)
    if not mrn.strip():
        return _item_page(request, login, item_id, error="Choose a patient first (1–9, or search).", status=400)
    return _decide(request, login, item_id, "filed",
                   lambda: decisions.review_file(office, actor, item_id, mrn.strip(), override_reason=override_reason),
                   chosen=mrn.strip())


@router.post("/review/{item_id}/split")
def split_item(request: Request, login: Login, item_id: int,
               pages: Annotated[str, Form(max_length=200)] = "") -> Response:
    office, actor = web_state(request).office, web_actor(login)
    return _decide(request, login, item_id, "split",
                   lambda: decisions.review_split(office, actor, item_id, pages.strip()))


@router.post("/review/{item_id}/reject")
def reject_item(request: Request, login: Login, item_id: int,
                reason: Annotated[str, Form(max_length=300)] = "") -> Response:
    office, actor = web_state(request).office, web_actor(login)
    if not reason.strip():
        return _item_page(request, login, item_id, error="Give a reason for rejecting.", status=400)
    return _decide(request, login, item_id, "rejected",
                   lambda: decisions.review_reject(office, actor, item_id, reason.strip()))


@router.post("/review/{item_id}/correct")
def correct_item(request: Request, login: Login, item_id: int, form: Annotated[CorrectionForm, Form()]) -> Response:
    """Correct the document's type, date or sender; the item stays in the queue, shown again."""
    office, actor = web_state(request).office, web_actor(login)
    try:
        documents.correct_item(office, actor, item_id, form.request())
    except ChartfileError as exc:
        if exc.http_status in (403, 404):
            raise
        return _item_page(request, login, item_id, error=f"{exc.message} {exc.hint}".strip(), status=exc.http_status)
    return RedirectResponse(f"/review/{item_id}?done=corrected", status_code=303)

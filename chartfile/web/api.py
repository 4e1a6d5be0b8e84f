"""The JSON API under ``/api/`` (bearer tokens), on the same service layer as the pages.

Every route is in ``chartfile.web.access.ROUTE_ROLES``; responses are typed
(pydantic) so ``/api/openapi.json`` describes them exactly; errors are
``{"error", "hint"}`` with 401 (no or bad token), 403 (role), 404, 409 or 422.
The access log records route templates only, so ``?q=`` never reaches a log.
"""

from __future__ import annotations

import io
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from chartfile.service import audit as audit_svc
from chartfile.service import documents, searching, viewing, worklist
from chartfile.service import review as decisions
from chartfile.service.actor import Actor, Channel
from chartfile.service.auth import Principal
from chartfile.service.page_images import Width
from chartfile.web.access import api_principal
from chartfile.web.state import web_state


class ErrorBody(BaseModel):
    """Every error: what went wrong and how to fix it."""

    error: str
    hint: str = ""


class ValidationErrorBody(BaseModel):
    error: str
    detail: list[str]


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: _err("no or invalid token"), 403: _err("the token's role may not do this"),
    422: {"model": ValidationErrorBody, "description": "invalid parameters"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _err("no such item")}
REFUSED: dict[int | str, dict[str, Any]] = {400: _err("bad input"), 409: _err("refused by a rule")}

router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)


def api_actor(principal: Annotated[Principal, Depends(api_principal)]) -> Actor:
    return principal.actor(Channel.API)


Caller = Annotated[Actor, Depends(api_actor)]
DocId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Me(BaseModel):
    username: str
    role: str


@router.get("/me", response_model=Me)
def me(caller: Caller) -> Me:
    """Who the token belongs to."""
    return Me(username=caller.username, role=str(caller.role))


class SearchHit(BaseModel):
    document_id: int
    patient_mrn: str | None
    doc_type: str
    doc_date: str | None
    status: str
    pages: int
    snippet: str


class SearchResult(BaseModel):
    total: int
    page: int
    pages: int
    hits: list[SearchHit]


@router.get("/search", response_model=SearchResult, responses=REFUSED)
def search(request: Request, caller: Caller, q: Annotated[str, Query(min_length=1, max_length=500)],
           page: Annotated[int, Query(ge=1, le=500)] = 1,
           page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> SearchResult:
    """The clerk query syntax (``patient:``, ``mrn:``, ``dob:``, ``type:``, ``from:``, ``date:``, words)."""
    r = searching.search(web_state(request).office, caller, q, page=page, page_size=page_size)
    return SearchResult(total=r.total, page=r.page, pages=r.pages, hits=[SearchHit(
        document_id=h.doc_id, patient_mrn=h.patient_mrn or None, doc_type=h.doc_type, doc_date=h.doc_date,
        status=h.status, pages=h.pages, snippet=h.snippet) for h in r.hits])


class FilingEntry(BaseModel):
    when: str
    action: str
    by: str
    mrn: str
    reason: str


class CorrectionEntry(BaseModel):
    when: str
    field: str
    old: str
    new: str
    by: str
    reason: str


class DocumentOut(BaseModel):
    document_id: int
    status: str
    doc_type: str
    doc_date: str | None
    sender: str
    urgent: bool
    pages: int
    source: str
    source_pages: list[int]
    received: str
    patient_mrn: str | None
    patient_name: str | None
    patient_dob: str | None
    review_id: int | None
    history: list[FilingEntry]
    corrections: list[CorrectionEntry]


@router.get("/documents/{document_id}", response_model=DocumentOut, responses=NOT_FOUND)
def document(request: Request, caller: Caller, document_id: DocId) -> DocumentOut:
    """One document's record, patient and filing history (audited as a view)."""
    return DocumentOut.model_validate(viewing.document_view(web_state(request).office, caller, document_id)
                                      .to_dict())


class ImageSize(StrEnum):
    thumb = "thumb"
    view = "view"
    large = "large"


@router.get("/documents/{document_id}/pages/{n}.png", responses={
    **NOT_FOUND, 200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                       "description": "the page as PNG"}}, response_class=Response)
def page_png(request: Request, caller: Caller, document_id: DocId, n: Annotated[int, Path(ge=1, le=10_000)],
             size: ImageSize = ImageSize.view) -> Response:
    """Page ``n`` (1-based within the document) as PNG (audited)."""
    width = {"thumb": Width.THUMB, "view": Width.VIEW, "large": Width.LARGE}[size.value]
    data = viewing.page_image(web_state(request).office, caller, document_id, n, width)
    return Response(data, media_type="image/png", headers={"cache-control": "no-store"})


class CandidateOut(BaseModel):
    mrn: str
    name: str
    dob: str | None
    sex: str | None
    score: float | None
    grade: str


class ReviewOut(BaseModel):
    review_id: int
    document_id: int
    kind: str
    urgent: bool
    received: str
    doc_type: str
    pages: int
    reasons: list[str]
    best: CandidateOut | None


class ReviewQueueOut(BaseModel):
    total: int
    page: int
    pages: int
    items: list[ReviewOut]


def _cand(c: worklist.Candidate | None) -> CandidateOut | None:
    return None if c is None else CandidateOut(mrn=c.mrn, name=c.name, dob=c.dob, sex=c.sex, score=c.score,
                                               grade=c.grade)


@router.get("/review", response_model=ReviewQueueOut)
def review_queue(request: Request, caller: Caller, page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                 page_size: Annotated[int, Query(ge=1, le=100)] = 25) -> ReviewQueueOut:
    """Open review items, urgent first, then oldest (audited)."""
    q = worklist.review_queue(web_state(request).office, caller, page=page, page_size=page_size)
    return ReviewQueueOut(total=q.total, page=q.page, pages=q.pages, items=[ReviewOut(
        review_id=r.review_id, document_id=r.document_id, kind=r.kind, urgent=r.urgent, received=r.received,
        doc_type=r.doc_type, pages=r.page_count, reasons=r.reasons, best=_cand(r.best)) for r in q.rows])


class FileIn(BaseModel):
    mrn: str = Field(min_length=1, max_length=40, description="MRN of the chart to file to")
    override_reason: str | None = Field(None, min_length=1, max_length=300, description=(
        "File even though the document contradicts the chart (name, DOB, sex or MRN): why. "
        "Kept with the filing and audited; without it such a filing is refused (409)."))


class DecisionOut(BaseModel):
    document_ids: list[int]
    message: str


@router.post("/review/{item_id}/file", response_model=DecisionOut, responses={**NOT_FOUND, **REFUSED})
def review_file(request: Request, caller: Caller, item_id: DocId, body: FileIn) -> DecisionOut:
    """File the item's document to the chart with this MRN.

    Refused (409) when the item is not open, or when the document's name, DOB, sex or MRN contradicts the
    chart (each contradiction named in ``error``) unless ``override_reason`` says why it is right.
    """
    done = decisions.review_file(web_state(request).office, caller, item_id, body.mrn.strip(),
                                 override_reason=body.override_reason)
    return DecisionOut(document_ids=done.document_ids, message=done.message)


class CorrectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="What was wrong (kept in the history)")
    doc_type: str | None = Field(None, min_length=1, max_length=40,
                                 description="One of: " + ", ".join(documents.DOC_TYPES))
    doc_date: date | None = Field(None, description="The date written on the document (not in the future)")
    sender: str | None = Field(None, min_length=1, max_length=200)


class ChangeOut(BaseModel):
    field: str
    old: str | None
    new: str | None


class CorrectionOut(BaseModel):
    document_id: int
    changes: list[ChangeOut]
    draft_authorization_id: int | None
    message: str


@router.post("/documents/{document_id}/correct", response_model=CorrectionOut, responses={**NOT_FOUND, **REFUSED})
def correct_document(request: Request, caller: Caller, document_id: DocId, body: CorrectIn) -> CorrectionOut:
    """Correct a document's type, date and/or sender with a reason (audited, kept in its history, re-indexed).

    400 when a value is not allowed or nothing would change; 409 for a split document (correct its parts).
    """
    done = documents.correct(web_state(request).office, caller, document_id, documents.CorrectionRequest(
        reason=body.reason, doc_type=body.doc_type, doc_date=body.doc_date, sender=body.sender))
    return CorrectionOut(document_id=done.document_id, draft_authorization_id=done.draft_authorization_id,
                         message=done.message, changes=[ChangeOut(field=str(c.field.value), old=c.old, new=c.new)
                                                        for c in done.changes])


class AuditFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    fhir = "fhir"


MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8", "fhir": "application/fhir+json"}


@router.get("/audit/export", responses={**REFUSED, 200: {"content": {
    "application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}},
    "application/fhir+json": {"schema": {"type": "object"}}}, "description": "the events"}},
    response_class=Response)
def audit_export(request: Request, caller: Caller, format: AuditFormat = AuditFormat.jsonl,  # noqa: A002
                 from_: Annotated[date | None, Query(alias="from")] = None,
                 to: Annotated[date | None, Query()] = None,
                 patient: Annotated[str | None, Query(max_length=40)] = None,
                 user: Annotated[str | None, Query(max_length=80)] = None) -> Response:
    """Audit events between two dates (UTC, inclusive) as JSON Lines, CSV or a FHIR R4 Bundle (audited)."""
    flt = audit_svc.make_filter(from_.isoformat() if from_ else None, to.isoformat() if to else None,
                                patient=patient, user=user)
    out = io.StringIO()
    audit_svc.export(web_state(request).office, caller, flt, format.value, "seq", out)
    return Response(out.getvalue(), media_type=MEDIA[format.value], headers={"cache-control": "no-store"})

"""The JSON API under ``/api/`` (bearer tokens), on the same service layer as the pages.

Every route is in ``chartfile.web.access.ROUTE_ROLES``; responses are typed
(pydantic) so ``/api/openapi.json`` describes them exactly; errors are
``{"error", "hint"}`` with 401 (no or bad token), 403 (role), 404, 409 or 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from chartfile.service.auth import Principal
from chartfile.web.access import api_principal


class ErrorBody(BaseModel):
    """Every error: what went wrong and how to fix it."""

    error: str
    hint: str = ""


class ValidationErrorBody(BaseModel):
    error: str
    detail: list[str]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no or invalid token"},
    403: {"model": ErrorBody, "description": "the token's role may not do this"},
    422: {"model": ValidationErrorBody, "description": "invalid parameters"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "no such item"}}
REFUSED: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "refused by a rule"}}

router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)

Caller = Annotated[Principal, Depends(api_principal)]


class Me(BaseModel):
    username: str
    role: str


@router.get("/me", response_model=Me)
def me(caller: Caller) -> Me:
    """Who the token belongs to."""
    return Me(username=caller.username, role=str(caller.role))

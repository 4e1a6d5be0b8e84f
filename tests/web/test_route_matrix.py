"""Every route × every role, generated from the route table: allowed roles get in, others get 403.

A route without a rule in ``ROUTE_ROLES`` fails here (and is refused at run
time); so does a rule naming a route that no longer exists.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from chartfile.service import users
from chartfile.service.actor import Role
from chartfile.web.access import ROUTE_ROLES, Gate
from tests.web.conftest import ADMIN, office_of

DUMMY = {"username": "nobody-here", "document_id": "999999", "item_id": "999999", "patient_id": "999999",
         "intake_id": "999999", "n": "1", "request_id": "999999", "authorization_id": "999999",
         "release_id": "999999"}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: DUMMY.get(m.group(1), "1"), path)


def test_every_route_has_a_rule_and_every_rule_a_route(app) -> None:  # type: ignore[no-untyped-def]
    routes = set(app.state.chartfile.routes)
    missing = routes - set(ROUTE_ROLES)
    stale = set(ROUTE_ROLES) - routes
    assert not missing, f"routes without an access rule: {sorted(missing)}"
    assert not stale, f"access rules for routes that do not exist: {sorted(stale)}"


def _call(client: TestClient, method: str, path: str, csrf: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    url = concrete(path)
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    return client.request(method, url, data={"csrf_token": csrf}, headers=headers, follow_redirects=False)


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix_pages(app, client_for, role: Role) -> None:  # type: ignore[no-untyped-def]
    client, csrf = client_for(role)
    for (method, path), rule in sorted(ROUTE_ROLES.items()):
        if path.startswith("/api/") or path in {"/logout", "/login"}:
            continue
        resp = _call(client, method, path, csrf)
        allowed = rule in (Gate.ANY, Gate.PUBLIC) or (isinstance(rule, frozenset) and role in rule)
        assert resp.status_code < 500, (method, path, role, resp.status_code)
        if allowed:
            assert resp.status_code not in (401, 403), (method, path, role, resp.status_code, resp.text[:300])
        else:
            assert resp.status_code == 403, (method, path, role, resp.status_code)


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix_api(app, role: Role) -> None:  # type: ignore[no-untyped-def]
    token = users.issue_token(office_of(app), ADMIN, f"{role.value}1")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        for (method, path), rule in sorted(ROUTE_ROLES.items()):
            if not path.startswith("/api/") or rule == Gate.PUBLIC:
                continue
            resp = _call(client, method, path, "", auth)
            allowed = rule == Gate.ANY or (isinstance(rule, frozenset) and role in rule)
            assert resp.status_code < 500, (method, path, role, resp.status_code)
            assert (resp.status_code == 403) != allowed, (method, path, role, resp.status_code, resp.text[:300])
            assert resp.status_code != 401


def test_nobody_logged_in(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        for (method, path), rule in sorted(ROUTE_ROLES.items()):
            if rule == Gate.PUBLIC:
                continue
            resp = _call(client, method, path, "")
            if path.startswith("/api/"):
                assert resp.status_code == 401, (method, path, resp.status_code)
                assert resp.json()["error"]
            else:
                assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), (method, path)
            htmx = _call(client, method, path, "", {"HX-Request": "true"})
            if not path.startswith("/api/"):
                assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/login")


def test_a_route_without_a_rule_is_refused(app, client_for) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter, Depends

    from chartfile.web.access import page_login

    extra = APIRouter(dependencies=[Depends(page_login)])

    @extra.get("/not-in-the-table")
    def hidden() -> dict[str, str]:
        return {"secret": "yes"}

    app.include_router(extra)
    client, _ = client_for(Role.ADMIN)
    assert client.get("/not-in-the-table").status_code == 403

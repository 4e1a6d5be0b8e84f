"""Login, CSRF, cookies, security headers, lockout, idle logoff and the audit of each — in process."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from chartfile.service import users
from chartfile.service.actor import Role
from chartfile.web.security import CSP
from indexer.db.models import AuditEvent
from tests.web.conftest import ADMIN, CSRF, PASSWORD, login, make_app, make_cfg, office_of


def _events(app, event_type: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with office_of(app).db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)
                              .order_by(AuditEvent.seq)))


def test_security_headers_on_pages_static_errors_and_api(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        for url, status in (("/login", 200), ("/static/app.css", 200), ("/no-such-page", 404),
                            ("/api/me", 401), ("/api/openapi.json", 200)):
            resp = client.get(url, follow_redirects=False)
            assert resp.status_code == status, url
            assert resp.headers["content-security-policy"] == CSP
            assert "frame-ancestors 'none'" in CSP and "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
            assert resp.headers["x-frame-options"] == "DENY"
            assert resp.headers["x-content-type-options"] == "nosniff"
            expected = "no-cache" if url.startswith("/static/") else "no-store"
            assert resp.headers["cache-control"] == expected, url


def test_session_cookie_flags_http_and_https(app) -> None:  # type: ignore[no-untyped-def]
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        with TestClient(app, base_url=base) as client:
            token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
            resp = client.post("/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False)
            assert resp.status_code == 303
            cookie = [c for c in resp.headers.get_list("set-cookie") if c.startswith("chartfile_session=")][0]
            flags = {part.strip().lower() for part in cookie.split(";")[1:]}
            assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
            assert ("secure" in flags) == secure


def test_csrf_is_required_for_state_changes(app, client_for) -> None:  # type: ignore[no-untyped-def]
    client, csrf = client_for(Role.ADMIN)
    form = {"username": "newclerk", "role": "clerk", "password": PASSWORD}
    assert client.post("/users", data=form, follow_redirects=False).status_code == 403
    assert client.post("/users", data={**form, "csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert "newclerk" not in client.get("/users").text
    ok = client.post("/users", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303
    assert "newclerk" in client.get("/users").text
    # the htmx header carries the token too
    hx = client.post("/users/newclerk/disable", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert hx.status_code == 303
    # logging out also needs it
    assert client.post("/logout", follow_redirects=False).status_code == 403


def test_login_form_needs_its_own_csrf_cookie(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        resp = client.post("/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": "x"},
                           follow_redirects=False)
        assert resp.status_code == 403
        assert "chartfile_session" not in resp.headers.get("set-cookie", "")


def test_wrong_password_message_does_not_tell_which_part(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
        bad_user = client.post("/login", data={"username": "ghost", "password": PASSWORD, "csrf_token": token})
        token = CSRF.search(bad_user.text).group(1)  # type: ignore[union-attr]
        bad_pw = client.post("/login", data={"username": "clerk1", "password": "nope", "csrf_token": token})
    assert bad_user.status_code == bad_pw.status_code == 401
    msg = "Wrong username, password or code"
    assert msg in bad_user.text and msg in bad_pw.text
    failures = _events(app, "auth.login")
    assert [(e.actor, e.outcome, e.detail) for e in failures] == [
        ("anonymous", "failure", "unknown user"), ("clerk1", "failure", "wrong password")]


def test_lockout_after_repeated_failures_is_audited(app, web_cfg) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        for _ in range(web_cfg.web.lockout_attempts):
            assert login(client, "roi1", "wrong password!") == ""
        assert login(client, "roi1") == "", "the right password must not open a locked account"
    lock = _events(app, "auth.lockout")
    assert len(lock) == 1 and lock[0].actor == "roi1" and lock[0].outcome == "failure"
    assert _events(app, "auth.login")[-1].detail == "account locked"
    status = {u.username: u.status for u in users.list_users(office_of(app), ADMIN)}
    assert status["roi1"] == "locked"
    users.set_disabled(office_of(app), ADMIN, "roi1", False)  # enable lifts the lock
    with TestClient(app) as client:
        assert login(client, "roi1")


def test_totp_second_factor(app) -> None:  # type: ignore[no-untyped-def]
    uri = users.enroll_totp(office_of(app), ADMIN, "provider1")
    secret = pyotp.parse_uri(uri).secret
    with TestClient(app) as client:
        assert login(client, "provider1") == "", "password alone is not enough once TOTP is enrolled"
        assert login(client, "provider1", otp="000000") == "" or pyotp.TOTP(secret).now() == "000000"
        assert login(client, "provider1", otp=pyotp.TOTP(secret).now())


def test_logout_ends_the_session(app, client_for) -> None:  # type: ignore[no-untyped-def]
    client, csrf = client_for(Role.ADMIN)
    cookie = client.cookies.get("chartfile_session")
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?m=out"
    replay = TestClient(app)
    replay.cookies.set("chartfile_session", cookie or "")
    resp = replay.get("/users", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    assert _events(app, "auth.logout")[-1].detail == "logout"


def test_idle_logoff(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path / "idle", idle_minutes=0.02)  # 1.2 seconds
    application = make_app(cfg)
    users.add_user(office_of(application), ADMIN, "clerk2", Role.CLERK, PASSWORD)
    with TestClient(application) as client:
        assert login(client, "clerk2")
        assert client.get("/", follow_redirects=False).status_code in (200, 303)
        time.sleep(1.5)
        resp = client.get("/", follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/login?m=idle"
        page = client.get("/login?m=idle")
        assert "logged off after 0.02 minutes without activity" in page.text
    ended = _events(application, "auth.logout")
    assert [e.detail for e in ended] == ["idle"] and ended[0].actor == "clerk2"
    office_of(application).close()


def test_disabling_a_user_ends_their_session_and_tokens(app, client_for) -> None:  # type: ignore[no-untyped-def]
    token = users.issue_token(office_of(app), ADMIN, "privacy1")
    client, _ = client_for(Role.PRIVACY)
    with TestClient(app) as api:
        assert api.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json() == {
            "username": "privacy1", "role": "privacy"}
        users.set_disabled(office_of(app), ADMIN, "privacy1", True)
        assert api.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_api_rejects_cookies_and_bad_tokens(app, client_for) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_for(Role.CLERK)
    assert client.get("/api/me").status_code == 401  # the session cookie does not work on the API
    with TestClient(app) as api:
        for header in ("Bearer", "Bearer cf_forged", "Basic abc", "Bearer " + "x" * 500):
            resp = api.get("/api/me", headers={"Authorization": header})
            assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"


def test_a_bug_is_a_plain_500_with_the_headers(app, client_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter, Depends

    from chartfile.web import access

    broken = APIRouter(dependencies=[Depends(access.page_login)])

    @broken.get("/broken-page")
    def boom() -> None:
        raise RuntimeError("a bug with a secret: CF123456")

    app.include_router(broken)
    monkeypatch.setitem(access.ROUTE_ROLES, ("GET", "/broken-page"), access.Gate.ANY)
    client, _ = client_for(Role.CLERK)
    resp = client.get("/broken-page")
    assert resp.status_code == 500
    assert "CF123456" not in resp.text and "Traceback" not in resp.text
    assert resp.headers["content-security-policy"] == CSP and resp.headers["cache-control"] == "no-store"

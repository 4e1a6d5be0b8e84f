"""Fixtures for in-process web tests: an app over a fresh data home, users of every role, logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chartfile.service import users
from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.office import Office, init_home
from intake.config import Config, load_config

PASSWORD = "correct horse battery staple"
ADMIN = Actor(username="test-admin", role=Role.ADMIN, os_login="", channel=Channel.CLI)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_cfg(home: Path, **web: object) -> Config:
    return load_config(home, environ={}, overrides={"web": web} if web else None)


@pytest.fixture
def web_cfg(tmp_path: Path) -> Config:
    return make_cfg(tmp_path / "home")


def make_app(cfg: Config):  # type: ignore[no-untyped-def]
    """A fresh data home (init) and the web app over it."""
    from chartfile.web.app import create_app

    return create_app(init_home(cfg))


def office_of(app) -> Office:  # type: ignore[no-untyped-def]
    office: Office = app.state.chartfile.office
    return office


@pytest.fixture
def app(web_cfg: Config):  # type: ignore[no-untyped-def]
    application = make_app(web_cfg)
    for role in Role:
        users.add_user(office_of(application), ADMIN, f"{role.value}1", role, PASSWORD)
    yield application
    office_of(application).close()


def login(client: TestClient, username: str, password: str = PASSWORD, otp: str = "") -> str:
    """Log in through the form; returns the session's CSRF token (empty when the login failed)."""
    page = client.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text
    resp = client.post("/login", data={"username": username, "password": password, "otp": otp,
                                       "csrf_token": token.group(1)}, follow_redirects=False)
    if resp.status_code != 303:
        return ""
    home = client.get("/", follow_redirects=True)
    found = CSRF.search(home.text)
    return found.group(1) if found else ""


@pytest.fixture
def client_for(app) -> Iterator[Callable[[Role], tuple[TestClient, str]]]:  # type: ignore[no-untyped-def]
    clients: list[TestClient] = []

    def make(role: Role) -> tuple[TestClient, str]:
        client = TestClient(app, base_url="http://testserver")
        clients.append(client)
        csrf = login(client, f"{role.value}1")
        assert csrf, f"login of {role} failed"
        return client, csrf

    yield make
    for c in clients:
        c.close()

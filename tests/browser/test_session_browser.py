"""In a real browser: logging in and out, a wrong password, the admin's users page, idle logoff, axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import serious_violations
from tests.browser.live import PASSWORD, LiveServer, free_port, make_home

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home, inbox = make_home(tmp_path_factory.mktemp("web-session"))
    live = LiveServer(home, inbox, free_port(), watch=False).start()
    yield live
    live.stop()


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_login_page_is_accessible_and_keyboard_operable(server: LiveServer, page: Page) -> None:
    page.goto(f"{server.url}/login")
    assert serious_violations(page) == []
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("admin1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/intake$"))
    page.goto(f"{server.url}/users")
    expect(page.get_by_role("heading", name="Users")).to_be_visible()


def test_wrong_password_then_users_page_then_logout(server: LiveServer, page: Page) -> None:
    log_in(page, server.url, "admin1", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username, password or code")
    assert serious_violations(page) == []
    log_in(page, server.url, "admin1")
    page.goto(f"{server.url}/users")
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert serious_violations(page) == []
    expect(page.get_by_role("row", name=re.compile("clerk1"))).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status").first).to_contain_text("You have logged out")
    page.goto(f"{server.url}/users")
    expect(page).to_have_url(re.compile(r"/login\?m=login$"))


def test_admin_adds_a_user_who_can_log_in(server: LiveServer, page: Page) -> None:
    log_in(page, server.url, "admin1")
    page.goto(f"{server.url}/users")
    page.get_by_label("Username").fill("newclerk")
    page.get_by_label("Role").select_option("clerk")
    page.get_by_label("Password", exact=True).fill("another long passphrase")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("row", name=re.compile("newclerk"))).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    log_in(page, server.url, "newclerk", "another long passphrase")
    expect(page.get_by_text("newclerk (clerk)")).to_be_visible()


def test_idle_logoff(tmp_path: Path, page: Page) -> None:
    home, inbox = make_home(tmp_path, idle_minutes=0.05)  # 3 seconds
    live = LiveServer(home, inbox, free_port(), watch=False).start()
    try:
        log_in(page, live.url, "admin1")
        expect(page.get_by_role("heading", name="Intake")).to_be_visible()
        # no input: the page logs itself off and says why
        expect(page).to_have_url(re.compile(r"/login\?m=idle$"), timeout=15_000)
        expect(page.get_by_role("status").first).to_contain_text("logged off after 0.05 minutes")
        page.goto(f"{live.url}/users")
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        live.stop()

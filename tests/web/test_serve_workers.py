"""``chartfile serve --workers 2``: both processes serve, a login made in one works in the other, SIGTERM stops all.

A real server on a free loopback port (with its hot-folder watcher): the
session and its CSRF token live in the database, so any process serves any
login; the audit trail's source (``host/pid``) shows which process served a page.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import httpx

from tests.browser.live import PASSWORD, LiveServer, free_port, make_home

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login(url: str) -> tuple[httpx.Cookies, str]:
    with httpx.Client(base_url=url) as client:
        form = client.get("/login")
        token = CSRF.search(form.text)
        assert token, "no CSRF token on the login form"
        done = client.post("/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": token.group(1)})
        assert done.status_code == 303, done.text
        page = client.get("/review")
        assert page.status_code == 200
        csrf = CSRF.search(page.text)
        assert csrf
        return client.cookies, csrf.group(1)


def _serving_pids(home: Path) -> set[str]:
    with sqlite3.connect(home / "chartfile.db") as db:
        rows = db.execute("SELECT source FROM audit_events WHERE event_type = 'review.list'").fetchall()
    return {str(source).split("/")[1] for (source,) in rows}


def _group_gone(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_two_processes_share_logins_and_stop_together_on_sigterm(tmp_path: Path) -> None:
    home, inbox = make_home(tmp_path)
    server = LiveServer(home, inbox, free_port(), watch=True).start()
    try:
        cookies, csrf = _login(server.url)
        deadline = time.monotonic() + 90
        while len(_serving_pids(home)) < 2 and time.monotonic() < deadline:
            with httpx.Client(base_url=server.url, cookies=cookies) as fresh:  # a new connection each time
                assert fresh.get("/review").status_code == 200
                refused = fresh.post("/search", data={"q": "x", "csrf_token": "not the token"})
                assert refused.status_code == 403
                assert fresh.post("/search", data={"q": "letter", "csrf_token": csrf}).status_code == 200
        assert len(_serving_pids(home)) == 2, "the second web process never served a page"
        with httpx.Client(base_url=server.url, cookies=cookies) as client:
            assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
        with httpx.Client(base_url=server.url, cookies=cookies) as after:
            assert after.get("/review").status_code in (303, 401)  # logged out in every process
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(60) == 0
        assert _group_gone(server.proc.pid, 20), "a web process or the watcher outlived the server"
    finally:
        server.stop()

"""``chartfile users``: add, list, token, disable, enable, role, totp — and each change audited."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.conftest import CliResult


def _audit_types(chartfile: Callable[..., CliResult]) -> list[str]:
    out = chartfile("audit", "export", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "jsonl")
    assert out.code == 0, out.err
    rows = [json.loads(line) for line in out.out.splitlines() if line.strip().startswith("{")]
    return [r["event_type"] for r in rows if "event_type" in r]


def test_users_lifecycle(chartfile: Callable[..., CliResult]) -> None:
    assert chartfile("init").code == 0
    added = chartfile("users", "add", "Alice", "--role", "clerk", "--generate-password")
    assert added.code == 0, added.err
    assert "password for alice (shown once): " in added.out
    assert chartfile("users", "add", "alice", "--role", "clerk", "--no-password").code == 6  # exists
    again = chartfile("users", "add", "alice", "--role", "clerk", "--generate-password", "--exist-ok")
    assert again.code == 0 and "password changed" in again.out
    assert chartfile("users", "add", "bob", "--role", "nurse", "--no-password").code == 2  # unknown role
    assert chartfile("users", "add", "x", "--role", "roi", "--no-password").code == 3  # bad username
    token = chartfile("users", "token", "alice")
    assert token.code == 0 and token.out.strip().startswith("cf_")
    totp = chartfile("users", "totp", "alice")
    assert totp.out.startswith("otpauth://totp/Chartfile:alice?secret=")
    assert chartfile("users", "disable", "alice").code == 0
    rows = {r["username"]: r for r in chartfile("users", "list", "--json").json_lines()}
    assert rows["alice"] == {**rows["alice"], "role": "clerk", "status": "disabled", "totp": True, "tokens": 1}
    assert chartfile("users", "enable", "alice").code == 0
    assert chartfile("users", "role", "alice", "roi").code == 0
    assert chartfile("users", "token", "alice", "--revoke").out.startswith("1 token(s)")
    assert chartfile("users", "disable", "nobody").code == 4
    rows = {r["username"]: r for r in chartfile("users", "list", "--json").json_lines()}
    assert rows["alice"]["status"] == "active" and rows["alice"]["role"] == "roi" and rows["alice"]["tokens"] == 0
    types = _audit_types(chartfile)
    for event in ("user.add", "user.passwd", "user.token", "user.totp", "user.disable", "user.enable", "user.role",
                  "user.token.revoke"):
        assert event in types, event
    assert "cf_" not in json.dumps(types)

"""Who the CLI says is acting: the OS login, ``--user`` as acting-for (validated), the role it has here."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.audit.context import os_login
from intake.errors import ExitCode
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import events


@pytest.fixture
def ready(home: Path) -> Path:
    assert run_chartfile(home, "init").code == 0
    return home


@pytest.mark.parametrize("bad", ["clerk\n1 2026-01-01 admin viewed", "\u202eclerk", "nul\x00", "system", "x" * 81,
                                 " "])
def test_user_names_that_could_forge_a_line_are_refused(ready: Path, bad: str) -> None:
    r = run_chartfile(ready, "--user", bad, "status")
    assert r.code == ExitCode.USAGE and "--user" in r.err and "Traceback" not in r.err


def test_the_login_acts_and_user_is_acting_for(ready: Path) -> None:
    assert run_chartfile(ready, "--user", "clerk1", "index", "rebuild").code == 0
    ev = events(ready)[-1]
    assert (ev["actor"], ev["os_login"], ev["acting_for"], ev["channel"], ev["role"]) == \
        (os_login(), os_login(), "clerk1", "cli", "admin")
    assert run_chartfile(ready, "--user", os_login(), "index", "rebuild").code == 0
    assert events(ready)[-1]["acting_for"] is None  # naming yourself is not acting for someone


def test_an_account_that_does_not_own_the_home_and_is_no_user_is_refused(ready: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing the data home's owner needs root")
    os.chown(ready, 54321, -1)
    try:
        r = run_chartfile(ready, "status")
    finally:
        os.chown(ready, 0, -1)
    assert r.code == ExitCode.REFUSED and "has no Chartfile role" in r.err


def _add_user(home: Path, username: str, role: str) -> None:
    """A users-table row (the table belongs to the web workstation; created here if this build lacks it)."""
    with sqlite3.connect(home / "chartfile.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username VARCHAR(80) UNIQUE, "
                     "role VARCHAR(20), disabled BOOLEAN DEFAULT 0)")
        columns = {r[1]: r for r in conn.execute("PRAGMA table_info(users)")}
        values: dict[str, object] = {"username": username, "role": role, "disabled": 0}
        for name, info in columns.items():  # fill whatever else the real table requires
            if name not in values and info[3] and info[4] is None and not info[5]:
                values[name] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S") if "_at" in name else "test"
        conn.execute(f"INSERT INTO users ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                     list(values.values()))


def test_a_users_table_user_named_like_the_login_has_that_role(ready: Path) -> None:
    _add_user(ready, os_login(), "clerk")
    assert run_chartfile(ready, "status").code == 0
    r = run_chartfile(ready, "audit", "verify")
    assert r.code == ExitCode.REFUSED and "may not do audit.verify" in r.err
    r = run_chartfile(ready, "audit", "disable", "--reason", "maintenance window")
    assert r.code == ExitCode.REFUSED
    assert "audit.stop" not in [e["event_type"] for e in events(ready)]
    r = run_chartfile(ready, "roi", "release", "--mrn", "CF000001", "--documents", "1", "--recipient", "X",
                      "--method", "fax", "--basis", "legal", "--legal-reference", "Order 1")
    assert r.code == ExitCode.REFUSED and "may not do roi.release" in r.err


def test_a_closed_pipe_ends_the_command_quietly(ready: Path) -> None:
    """``chartfile audit export | head -1`` exits 0 without a traceback, and the export is recorded."""
    import shutil
    import subprocess
    import sys

    from indexer.audit import record
    from indexer.db.engine import Database
    from intake.config import load_config

    db = Database(load_config(ready, environ={}))
    with db.transaction() as s:
        for i in range(3000):  # far more than a pipe buffer of output
            record(s, actor="clerk1", action="R", event_type="patient.chart_view", detail=f"view {i:05d} " * 4)
    db.dispose()
    exe = shutil.which("chartfile", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run(["bash", "-c", f'set -o pipefail; "{exe}" --home "{ready}" audit export --format jsonl '
                           "| head -1 >/dev/null"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert [e["event_type"] for e in events(ready)].count("export.audit") >= 1

"""No code path updates or deletes audit events: a scan of the code base, and the ORM guard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.audit.trail import AppendOnlyViolation, _refuse_delete

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("indexer", "intake", "search")
FORBIDDEN = [
    re.compile(r"\bupdate\s*\(\s*AuditEvent\b"),
    re.compile(r"\bdelete\s*\(\s*AuditEvent\b"),
    re.compile(r"\bUPDATE\s+audit_events\b", re.IGNORECASE),
    re.compile(r"\bDELETE\s+FROM\s+audit_events\b", re.IGNORECASE),
    re.compile(r"\bTRUNCATE\s+(TABLE\s+)?audit_events\b", re.IGNORECASE),
    re.compile(r"\bdrop_table\s*\(\s*['\"]audit_events['\"]"),
    re.compile(r"audit_events\b.*\.(update|delete)\s*\(", re.IGNORECASE),
]
# The base migration's downgrade drops every table it created; that is schema teardown, not a code path.
ALLOWED = {Path("indexer/db/migrations/versions/0001_core_tables.py")}


def _python_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]


def test_scan_finds_the_code_base() -> None:
    files = _python_files()
    assert any(p.name == "trail.py" for p in files) and len(files) > 20


@pytest.mark.parametrize("snippet", [
    "s.execute(update(AuditEvent).values(detail='x'))",
    "conn.exec_driver_sql('DELETE FROM audit_events WHERE seq = 3')",
    "op.execute('truncate table audit_events')",
])
def test_the_scan_would_catch_a_violation(snippet: str) -> None:
    assert any(p.search(snippet) for p in FORBIDDEN)


def test_no_update_or_delete_of_audit_events_anywhere() -> None:
    hits = []
    for path in _python_files():
        rel = path.relative_to(REPO)
        if rel in ALLOWED:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if any(p.search(line) for p in FORBIDDEN):
                hits.append(f"{rel}:{lineno}: {line.strip()}")
    assert not hits, "audit events are append-only:\n" + "\n".join(hits)


def test_orm_delete_guard_raises() -> None:
    class Fake:
        seq = 5

    with pytest.raises(AppendOnlyViolation, match="seq 5"):
        _refuse_delete(None, None, Fake())  # type: ignore[arg-type]

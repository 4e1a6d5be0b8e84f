"""``chartfile audit verify`` against raw-SQL tampering of the database (the attack table is in test_audit_attacks)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from indexer.audit import verify_trail
from indexer.audit.trail import AppendOnlyViolation
from indexer.audit.verify import guards_present
from indexer.db.models import AuditEvent
from intake.errors import ExitCode
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import add_events, clone_home, drop_guards, events, open_db, raw


@pytest.fixture(scope="module")
def trail_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with 12 keyed events, checkpointed at seq 12, and the guard triggers removed (built once)."""
    home = tmp_path_factory.mktemp("audit-verify") / "home"
    home.mkdir()
    db = open_db(home)
    add_events(db, 12)
    db.dispose()
    drop_guards(home)
    return home


@pytest.fixture
def trail(trail_template: Path, tmp_path: Path) -> Path:
    return clone_home(trail_template, tmp_path / "home")


def verify(home: Path, *extra: str) -> tuple[int, str]:
    r = run_chartfile(home, "audit", "verify", *extra)
    return r.code, r.out + r.err


def test_intact_trail_verifies_and_is_checkpointed(trail: Path) -> None:
    code, text = verify(trail)
    assert code == 0, text
    assert "12 events (12 keyed" in text and "1 matched" in text
    assert "append-only triggers on audit_events are missing" in text  # the fixture dropped them
    ev = events(trail)
    assert ev[-1]["event_type"] == "audit.verify" and ev[-1]["outcome"] == "success"
    assert ev[-1]["key_id"] and ev[-1]["os_login"]
    last = (trail / "audit" / "checkpoints.log").read_text().splitlines()[-1]
    assert f" seq=13 hash={ev[-1]['hash']} " in last
    assert verify(trail)[0] == 0  # verifying again, with its own events, still passes


TAMPERING = {
    "edit detail": ("UPDATE audit_events SET detail = 'nothing happened' WHERE seq = 5", 5, "altered"),
    "edit actor": ("UPDATE audit_events SET actor = 'someone_else' WHERE seq = 7", 7, "altered"),
    "edit timestamp": ("UPDATE audit_events SET ts = '2020-01-01T00:00:00.000000Z' WHERE seq = 2", 2, "altered"),
    "edit patient": ("UPDATE audit_events SET patient_mrn = NULL WHERE seq = 9", 9, "altered"),
    "edit hash": ("UPDATE audit_events SET hash = 'ff' || substr(hash, 3) WHERE seq = 4", 4, "altered"),
    "delete middle": ("DELETE FROM audit_events WHERE seq = 6", 6, "deleted"),
    "delete middle, renumbered": ("DELETE FROM audit_events WHERE seq = 6; "
                                  "UPDATE audit_events SET seq = seq - 1 WHERE seq > 6", 6, "(the event now at seq 6 "
                                                                                         "was seq 7)"),
    "delete first": ("DELETE FROM audit_events WHERE seq = 1", 1, "deleted"),
    "insert renumbered": (
        "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 4; "
        "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1004; "
        "INSERT INTO audit_events (seq, ts, actor, action, event_type, patient_mrn, document_ids, outcome, "
        "source, detail, prev_hash, hash) SELECT 4, ts, actor, action, event_type, patient_mrn, document_ids, "
        "outcome, source, 'forged', prev_hash, hash FROM audit_events WHERE seq = 3", 4, "inserted"),
    "insert before first": (
        "INSERT INTO audit_events (seq, ts, actor, action, event_type, patient_mrn, document_ids, outcome, "
        "source, detail, prev_hash, hash) SELECT 0, ts, actor, action, event_type, patient_mrn, document_ids, "
        "outcome, source, detail, prev_hash, hash FROM audit_events WHERE seq = 1", 0, "inserted"),
    "reorder": ("UPDATE audit_events SET seq = -1 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 4; "
                "UPDATE audit_events SET seq = 4 WHERE seq = -1", 3, "reordered"),
    "truncate tail": ("DELETE FROM audit_events WHERE seq > 9", 10, "truncated"),
    "truncate everything": ("DELETE FROM audit_events", 1, "every event was deleted"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_is_detected_and_exits_7(trail: Path, name: str) -> None:
    sql, bad_seq, word = TAMPERING[name]
    with raw(trail) as conn:
        conn.executescript(sql)
    code, text = verify(trail)
    assert code == ExitCode.INTEGRITY, text
    assert f"seq {bad_seq}" in text and word in text
    assert "Hint:" in text
    assert events(trail)[-1]["event_type"] == "audit.verify" and events(trail)[-1]["outcome"] == "failure"


def test_anchor_given_on_the_command_line_is_checked(home: Path) -> None:
    db = open_db(home)
    add_events(db, 5)
    head = events(home)[-1]
    drop_guards(home)
    with raw(home) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq = 5")
    (home / "audit" / "checkpoints.log").unlink()  # the tamperer removes the data home's own copy too
    assert not verify_trail(db).ok  # no checkpoint left at all: reported as such
    db.dispose()
    code, text = verify(home, "--anchor", f"5:{head['hash']}")
    assert code == ExitCode.INTEGRITY and "truncated" in text  # an exported head pins the length
    assert verify(home, "--anchor", "5:nothex")[0] == ExitCode.USAGE


def test_edited_legacy_anchor_file_fails_verification(trail: Path) -> None:
    path = trail / "audit" / "anchors.log"
    path.write_text("not an anchor\n")
    code, text = verify(trail)
    assert code == ExitCode.INTEGRITY and "line 1" in text


def test_guard_triggers_refuse_raw_updates_and_deletes(home: Path) -> None:
    db = open_db(home)
    add_events(db, 3)
    assert guards_present(db) is True
    db.dispose()
    with raw(home) as conn:
        for sql in ("UPDATE audit_events SET detail = 'x' WHERE seq = 2", "DELETE FROM audit_events WHERE seq = 3"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
    assert len(events(home)) == 3


def test_orm_refuses_to_update_or_delete_an_event(home: Path) -> None:
    db = open_db(home)
    add_events(db, 2)
    with pytest.raises(AppendOnlyViolation):
        with db.transaction() as s:
            s.get_one(AuditEvent, 1).detail = "changed"
    with pytest.raises(AppendOnlyViolation):
        with db.transaction() as s:
            s.delete(s.get_one(AuditEvent, 2))
    db.dispose()
    assert [e["detail"] for e in events(home)] == ["event 0", "event 1"]


def test_switch_flipped_behind_the_apps_back_is_detected(trail: Path) -> None:
    with raw(trail) as conn:
        conn.execute("UPDATE settings SET value = 'false' WHERE key = 'audit.enabled'")
    code, text = verify(trail)
    assert code == ExitCode.INTEGRITY and "changed outside Chartfile" in text

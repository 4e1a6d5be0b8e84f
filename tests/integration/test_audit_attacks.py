"""The attack table of issue 20: each insider attack on the trail, and what ``audit verify --anchors`` says.

Two attackers (docs/audit.md, threat model):

- **data home** — can edit the database and every file in the data home
  (including its own ``audit/checkpoints.log``), but cannot read the audit key
  (outside the data home, readable by the service account only) and cannot
  write the privacy officer's checkpoint folder;
- **service account** — holds the key too.  It can forge events and checkpoints
  from now on, but cannot unpublish checkpoints already in the privacy
  officer's folder or in syslog shipped off the machine.

Every test starts from the same trail: 30 events, one transaction each (so
one checkpoint each), events 11-20 being ``roi.release`` for one patient.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from indexer.audit import record
from indexer.audit.chain import event_hash, row_fields
from indexer.audit.keys import default_key_path, generate, load
from indexer.db.engine import Database
from intake.config import load_config
from intake.errors import ExitCode
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import drop_guards, events, raw

N_EVENTS = 30
RELEASES = range(11, 21)


def _env(root: Path) -> dict[str, str]:
    return {"CHARTFILE_AUDIT__CHECKPOINT_DIR": str(root / "officer"), "CHARTFILE_AUDIT__SYSLOG": "false"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attacks")
    (root / "officer").mkdir()
    (root / "home").mkdir()
    db = Database(load_config(root / "home", environ=_env(root)))
    db.migrate()
    for i in range(1, N_EVENTS + 1):
        release = i in RELEASES
        with db.transaction() as s:
            record(s, actor="roi1" if release else "clerk1", action="C" if release else "R",
                   event_type="roi.release" if release else "patient.chart_view", patient_mrn="CF900101",
                   document_ids=[i], detail=f"release {i} to Northside" if release else f"view {i}")
    db.dispose()
    drop_guards(root / "home")
    return root


@pytest.fixture
def site(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    for name, value in _env(root).items():
        monkeypatch.setenv(name, value)
    return root


def verify(root: Path, *args: str) -> tuple[int, str]:
    r = run_chartfile(root / "home", "audit", "verify", "--anchors", str(root / "officer"), *args)
    return r.code, r.out + r.err


# ----- what an attacker does -----------------------------------------------------------------

def trim_home_checkpoints(root: Path, keep_through: int) -> None:
    """The data home's own checkpoint copy is the attacker's to edit: keep only lines up to a seq."""
    path = root / "home" / "audit" / "checkpoints.log"
    kept = [line for line in path.read_text().splitlines(keepends=True)
            if int(line.split(" seq=")[1].split(" ")[0]) <= keep_through]
    path.write_text("".join(kept))


def sql(root: Path, *statements: str) -> None:
    with raw(root / "home") as conn:
        for statement in statements:
            conn.execute(statement)


def rehash(root: Path, start: int, mac_key: bytes | None, rows: list[dict[str, Any]] | None = None) -> None:
    """Recompute the chain from seq ``start`` on: unkeyed SHA-256 (no key) or re-MACed (the key holder)."""
    rows = rows if rows is not None else events(root / "home")
    with raw(root / "home") as conn:
        conn.execute("DELETE FROM audit_events")
        prev = "0" * 64
        for r in rows:
            if r["seq"] >= start:
                if mac_key is None:
                    r["key_id"] = None
                r["prev_hash"], r["hash"] = prev, event_hash(row_fields(_Row(r)), prev, mac_key)
            prev = r["hash"]
            cols = ", ".join(r)
            conn.execute(f"INSERT INTO audit_events ({cols}) VALUES ({', '.join('?' * len(r))})", list(r.values()))


class _Row:
    def __init__(self, data: dict[str, Any]) -> None:
        self.__dict__.update(data)


def renumber(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for seq, r in enumerate(rows, start=1):
        r["seq"] = seq
    return rows


def the_key() -> bytes:
    return load(default_key_path()).mac_key


# ----- the attack table --------------------------------------------------------------------------

Attack = Callable[[Path], None]


def delete_releases_renumber_rehash(root: Path) -> None:
    rows = renumber([r for r in events(root / "home") if r["seq"] not in RELEASES])
    rehash(root, min(RELEASES), None, rows)
    trim_home_checkpoints(root, min(RELEASES) - 1)


def delete_releases_renumber_keep_macs(root: Path) -> None:
    sql(root, f"DELETE FROM audit_events WHERE seq BETWEEN {min(RELEASES)} AND {max(RELEASES)}",
        "UPDATE audit_events SET seq = seq + 1000 WHERE seq > 20", "UPDATE audit_events SET seq = seq - 1010 "
        "WHERE seq > 1000")
    trim_home_checkpoints(root, min(RELEASES) - 1)


def delete_tail(root: Path) -> None:
    sql(root, "DELETE FROM audit_events WHERE seq > 25")
    trim_home_checkpoints(root, 25)


def append_forged_event(root: Path) -> None:
    sql(root, "INSERT INTO audit_events (seq, ts, actor, action, event_type, patient_mrn, document_ids, outcome, "
              "source, detail, os_login, key_id, prev_hash, hash) SELECT 31, ts, 'clerk1', 'R', 'patient.chart_view', "
              "patient_mrn, '', outcome, source, 'alibi', os_login, key_id, hash, substr(hash, 2) || 'a' "
              "FROM audit_events WHERE seq = 30")


def append_unkeyed_event(root: Path) -> None:
    rows = events(root / "home")
    forged = dict(rows[-1], id=None, seq=31, detail="alibi", key_id=None)
    rehash(root, 31, None, [*rows, forged])


def forged_switch_off(root: Path) -> None:
    sql(root, "INSERT INTO audit_events (seq, ts, actor, action, event_type, patient_mrn, document_ids, outcome, "
              "source, detail, os_login, key_id, prev_hash, hash) SELECT 31, ts, 'admin', 'U', 'audit.stop', NULL, "
              "'', 'success', source, 'maintenance', os_login, key_id, hash, substr(hash, 2) || 'a' "
              "FROM audit_events WHERE seq = 30",
        "UPDATE settings SET value = 'false' WHERE key = 'audit.enabled'")


def flip_switch_only(root: Path) -> None:
    sql(root, "UPDATE settings SET value = 'false' WHERE key = 'audit.enabled'")


def full_rewrite_without_key_anchors_deleted(root: Path) -> None:
    rows = renumber([r for r in events(root / "home") if r["seq"] not in RELEASES])
    rehash(root, 1, None, rows)
    shutil.rmtree(root / "home" / "audit")


def alter_a_release(root: Path) -> None:
    sql(root, "UPDATE audit_events SET detail = 'release 15 to Northside (void)' WHERE seq = 15")


# service-account attacks (the key holder)

def key_holder_alters_and_remacs(root: Path) -> None:
    rows = events(root / "home")
    rows[14]["detail"] = "nothing released"
    rehash(root, 15, the_key(), rows)
    trim_home_checkpoints(root, 14)


def key_holder_deletes_releases(root: Path) -> None:
    rows = renumber([r for r in events(root / "home") if r["seq"] not in RELEASES])
    rehash(root, min(RELEASES), the_key(), rows)
    shutil.rmtree(root / "home" / "audit")


def key_holder_full_rewrite(root: Path) -> None:
    rows = events(root / "home")
    rows[0]["detail"] = "view 1 (rewritten)"
    rehash(root, 1, the_key(), renumber([r for r in rows if r["seq"] not in RELEASES]))
    shutil.rmtree(root / "home" / "audit")


def key_holder_truncates_tail(root: Path) -> None:
    delete_tail(root)


DETECTED: dict[str, tuple[Attack, str, str]] = {
    # attack: (what the attacker does, kind reported, words the message must contain)
    "delete 10 releases, renumber, re-hash, trim home checkpoints": (
        delete_releases_renumber_rehash, "deleted", "a checkpoint records seq 30"),
    "delete 10 releases, renumber (MACs kept)": (
        delete_releases_renumber_keep_macs, "deleted", "10 event(s) before seq 11 were deleted"),
    "delete the tail after the last home checkpoint": (delete_tail, "truncated", "events seq 26..30 are missing"),
    "append a forged event (keyed, bad MAC)": (append_forged_event, "forged-append", "events seq 31..31"),
    "append a forged unkeyed event": (append_unkeyed_event, "forged-append", "seq 31"),
    "switch off in the database with a forged audit.stop": (forged_switch_off, "forged-switch-off", "seq 31"),
    "flip the switch setting only": (flip_switch_only, "switch-flipped", "changed outside Chartfile"),
    "full rewrite without the key, anchors deleted": (
        full_rewrite_without_key_anchors_deleted, "replaced", "signed by the audit key for another trail"),
    "alter one release": (alter_a_release, "altered", "event seq 15 (roi.release) was altered"),
    "key holder: alter a release, re-MAC the rest, trim home checkpoints": (
        key_holder_alters_and_remacs, "rewritten", "event seq 15 differs from the checkpoint"),
    "key holder: delete the releases, re-MAC, delete home checkpoints": (
        key_holder_deletes_releases, "rewritten", "event seq 11 differs from the checkpoint"),
    "key holder: full rewrite from event 1": (key_holder_full_rewrite, "replaced", "another trail"),
    "key holder: cut the tail, trim home checkpoints": (key_holder_truncates_tail, "truncated", "seq 26..30"),
}


@pytest.mark.parametrize("name", list(DETECTED))
def test_attack_is_detected_and_named(site: Path, name: str) -> None:
    attack, kind, words = DETECTED[name]
    attack(site)
    code, text = verify(site, "--json")
    assert code == ExitCode.INTEGRITY, text
    assert f'"kind": "{kind}"' in text and words in text, text
    assert events(site / "home")[-1]["event_type"] == "audit.verify"
    assert events(site / "home")[-1]["outcome"] == "failure"


def test_intact_trail_verifies_against_the_officers_checkpoints(site: Path) -> None:
    code, text = verify(site)
    assert code == 0, text
    assert f"{N_EVENTS} events ({N_EVENTS} keyed" in text and f"{N_EVENTS} matched" in text


def test_without_an_outside_source_the_home_copy_alone_misses_a_trimmed_truncation(site: Path) -> None:
    """Why the checkpoints must leave the data home: its own copy is the attacker's to trim."""
    delete_tail(site)
    r = run_chartfile(site / "home", "audit", "verify", "--anchors", str(site / "home" / "audit"))
    assert r.code == 0  # not detected with only the home's copy …
    assert verify(site)[0] == ExitCode.INTEGRITY  # … detected with the privacy officer's folder


def test_forged_checkpoint_lines_are_reported_not_believed(site: Path) -> None:
    officer = site / "officer" / "chartfile-checkpoints.log"
    lines = officer.read_text().splitlines()
    last = lines[-1]
    fake_seq = last.replace(" seq=30 ", " seq=99 ")  # claims a longer trail, but the signature no longer fits
    officer.write_text("\n".join([*lines, fake_seq, "garbage chartfile-checkpoint v1 trail=zz"]) + "\n")
    code, text = verify(site)
    assert code == 0, text
    assert "1 checkpoint line(s) in the sources do not carry a valid signature" in text


def test_checkpoints_signed_by_another_key_are_reported(site: Path, tmp_path: Path) -> None:
    from indexer.audit.checkpoints import make_line, parse

    other = generate(tmp_path / "other" / "audit.key")
    officer = site / "officer" / "chartfile-checkpoints.log"
    real = parse(officer.read_text().splitlines()[-1])
    assert real is not None
    with open(officer, "a") as fh:
        fh.write(make_line(other, real.trail, 99, "ab" * 32, real.time, "commit") + "\n")
    code, text = verify(site)
    assert code == 0 and "signed by another key" in text, text


def test_pinned_public_key(site: Path, tmp_path: Path) -> None:
    assert verify(site, "--public-key", str(default_key_path()) + ".pub")[0] == 0
    other = generate(tmp_path / "other" / "audit.key")
    code, text = verify(site, "--public-key", str(other.path) + ".pub")
    assert code == ExitCode.INTEGRITY and "key-mismatch" in text


def test_a_replaced_key_is_detected(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new = generate(tmp_path / "new" / "audit.key")
    monkeypatch.setenv("CHARTFILE_AUDIT__KEY_FILE", str(new.path))
    code, text = verify(site)
    assert code == ExitCode.INTEGRITY and "unknown-key" in text and "event seq 1 was authenticated with key" in text


# ----- what the threat model says cannot be detected (documented in docs/audit.md) ---------------

def test_not_detected_key_holder_appending_valid_events(site: Path) -> None:
    """The service account can add events that look genuine (it cannot remove published ones)."""
    db = Database(load_config(site / "home"))
    with db.transaction() as s:
        record(s, actor="clerk1", action="R", event_type="patient.chart_view", detail="an alibi")
    db.dispose()
    assert verify(site)[0] == 0


def test_not_detected_key_holder_who_can_also_write_every_checkpoint_sink(site: Path) -> None:
    """If the service account may rewrite the officer's folder, a cut tail cannot be seen (use syslog off-host)."""
    delete_tail(site)
    path = site / "officer" / "chartfile-checkpoints.log"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if int(line.split(" seq=")[1].split(" ")[0]) <= 25))
    assert verify(site)[0] == 0

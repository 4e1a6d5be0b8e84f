"""The intake state machine and the failure policy (pure logic, no database)."""

from __future__ import annotations

import errno
import os

import pytest
from sqlalchemy.exc import OperationalError

from indexer import failures
from indexer.db.models import IntakeItem
from indexer.ledger import FINAL_STATES, STATES, TRANSITIONS, IllegalTransition, check_transition, transition
from indexer.states import IntakeState
from intake.errors import ExitCode, FileRejected, TransientError
from intake.pool import WorkerFailed
from intake.spool import display_name

ALLOWED = {
    ("receiving", "received"),
    ("received", "processing"), ("received", "duplicate"), ("received", "quarantined"),
    ("processing", "processed"), ("processing", "quarantined"), ("processing", "received"),
    ("quarantined", "received"),
    ("received", "receiving"), ("processing", "receiving"),  # the sender changed the file: taken again whole
}


@pytest.mark.parametrize("old", STATES)
@pytest.mark.parametrize("new", STATES)
def test_transition_table_is_exactly_the_documented_one(old: str, new: str) -> None:
    if (old, new) in ALLOWED:
        check_transition(old, new)
    else:
        with pytest.raises(IllegalTransition) as exc:
            check_transition(old, new)
        assert exc.value.exit_code == ExitCode.INTEGRITY


def test_final_states_are_final_except_a_clerks_retry() -> None:
    assert set(TRANSITIONS) == set(STATES)
    for state in FINAL_STATES:
        assert TRANSITIONS[state] <= {"received"}
    assert TRANSITIONS[IntakeState.PROCESSED] == TRANSITIONS[IntakeState.DUPLICATE] == frozenset()


def test_transition_changes_the_item_or_refuses() -> None:
    item = IntakeItem(original_name="x.pdf", state="received")
    transition(item, IntakeState.PROCESSING)
    assert item.state == "processing"
    with pytest.raises(IllegalTransition):
        transition(item, IntakeState.DUPLICATE)
    assert item.state == "processing"


@pytest.mark.parametrize("error, final, words", [
    (FileRejected("The PDF is password-protected."), True, "password"),
    (MemoryError(), True, "more memory"),
    (WorkerFailed("timeout", "120 s"), False, "took longer than the 120-second limit"),
    (WorkerFailed("crash", "signal 11"), False, "stopped unexpectedly"),
    (TransientError("tesseract timed out on a page"), False, "Temporary problem"),
    (OSError(errno.ENOSPC, "No space left on device"), False, "ENOSPC"),
    (ValueError("boom"), False, "Processing failed"),
])
def test_classify(error: BaseException, final: bool, words: str) -> None:
    verdict = failures.classify(error, "page", page=3, timeout=120.0)
    assert verdict.final is final
    assert words in verdict.reason
    if isinstance(error, WorkerFailed):
        assert "page 3" in verdict.reason


def test_transient_errors() -> None:
    assert failures.is_transient(OperationalError("INSERT", {}, Exception("database is locked")))
    assert failures.is_transient(OSError(errno.ENOSPC, "full"))
    assert not failures.is_transient(OSError(errno.ENOENT, "gone"))
    assert not failures.is_transient(ValueError())


def test_backoff_doubles_and_is_capped() -> None:
    delays = [failures.backoff(n) for n in range(1, 10)]
    assert delays[0] == failures.BACKOFF_BASE_SECONDS
    assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) == failures.BACKOFF_MAX_SECONDS


def test_final_reason_says_how_often_it_was_tried() -> None:
    v = failures.Verdict("The program reading this file stopped unexpectedly.", False)
    assert failures.final_reason(v, 3).endswith("Gave up after 3 attempts.")
    assert failures.final_reason(failures.Verdict("Empty.", True), 1) == "Empty."


@pytest.mark.parametrize("raw, shown", [
    (os.fsdecode(b"scan-\xff\xfe.pdf"), "scan-\ufffd\ufffd.pdf"),
    ("line\nbreak\r.pdf", "line break .pdf"),
    ("tab\there.pdf", "tab here.pdf"),
    ("-rf .pdf", "-rf .pdf"),
    ("../../etc/passwd", "../../etc/passwd"),  # shown as given; never used as a path
    ("x" * 400, "x" * 255),
    ("\n", "file"),
])
def test_display_name(raw: str, shown: str) -> None:
    assert display_name(raw) == shown
    display_name(raw).encode("utf-8")  # storable in any database

"""Watch-mode behaviour: event sources, graceful and abandoned stops, transient errors, the single-writer lock."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from chartfile.service.checks import check
from chartfile.service.runner import ingest, intake_lock
from indexer import failures, recovery
from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from intake.config import load_config
from intake.errors import DependencyError, RefusedError
from tests.e2e import faults
from tests.e2e.helpers import (
    REPO,
    ThreadedWatch,
    drop,
    fax_tiff_bytes,
    make_home,
    text_pdf_bytes,
    wait_for,
    write_settings,
)


def _states(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {i.original_name: i.state for i in s.scalars(select(IntakeItem))}


def _all(db: Database, state: str, n: int) -> bool:
    states = _states(db)
    return len(states) == n and set(states.values()) == {state}


@pytest.mark.parametrize("observer", ["polling", "none"])
def test_polling_and_rescan_only_modes_take_every_file(tmp_path: Path, observer: str) -> None:
    """PollingObserver (SMB/NFS) and no events at all (missed events): the rescan still finds everything."""
    cfg, db = make_home(tmp_path, rescan_seconds=1.0)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    drop(inbox, "before start.pdf", text_pdf_bytes(1))  # present before the service starts
    with ThreadedWatch(cfg, db, inbox, observer=observer):
        for i in range(2, 5):
            drop(inbox, f"dropped {i}.pdf", text_pdf_bytes(i))
        assert wait_for(lambda: _all(db, "processed", 4), 120), _states(db)
    assert not list(inbox.iterdir())
    assert check(cfg, db).ok


def test_complete_files_are_taken_after_the_settle_period_half_written_ones_wait(tmp_path: Path) -> None:
    """A 30 s quiet period, a 0.3 s settle period: a whole PDF goes at once, a TIFF waits its own 4 s.

    A TIFF is structurally whole after every page, so it never takes the settle shortcut.
    """
    cfg, db = make_home(tmp_path, quiet_seconds=30.0, settle_seconds=0.3, rescan_seconds=0.5,
                        quiet_by_format={"tiff": 4.0})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fax = fax_tiff_bytes(2)
    with ThreadedWatch(cfg, db, inbox):
        drop(inbox, "whole.pdf", text_pdf_bytes(1))
        assert wait_for(lambda: _states(db).get("whole.pdf") == "processed", 20), _states(db)
        partial = inbox / "arriving.tif"
        partial.write_bytes(fax[: len(fax) // 2])  # a fax server still receiving it
        time.sleep(2.5)
        assert "arriving.tif" not in _states(db) and partial.exists()
        with partial.open("ab") as fh:  # the rest of the fax arrives
            fh.write(fax[len(fax) // 2:])
        completed = time.monotonic()
        assert wait_for(lambda: _states(db).get("arriving.tif") == "processed", 30), _states(db)
        assert time.monotonic() - completed >= 4.0  # whole now, but a TIFF waits its full period
    assert check(cfg, db).ok


def test_sigterm_finishes_work_in_hand_and_the_rest_resumes(tmp_path: Path) -> None:
    home, inbox, log = tmp_path / "home", tmp_path / "inbox", tmp_path / "watch.log"
    write_settings(home)
    inbox.mkdir()
    for i in range(10):
        drop(inbox, f"lab {i:02d}.pdf", text_pdf_bytes(100 + i))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "chartfile.cli.main", "--home", str(home), "watch", "--inbox", str(inbox)]
    db = Database(load_config(home, environ={}))

    def some_done() -> bool:
        try:
            return "processed" in _states(db).values()
        except OperationalError:
            return False

    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=fh, cwd=REPO)
        assert wait_for(some_done, 120, 0.1), log.read_text()[-2000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(90) == 0, log.read_text()[-2000:]
    states = _states(db)
    assert "processing" not in states.values() and "receiving" not in states.values(), states
    assert not [p for p in (home / "spool").iterdir() if p.name.startswith(".")]  # nothing half-written
    with open(log, "ab") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=fh, cwd=REPO)
        try:
            # the restarted service must be up (handlers installed) before it is asked to stop
            assert wait_for(lambda: log.read_text(errors="replace").count("Watching") >= 2, 120)
            assert wait_for(lambda: _all(db, "processed", 10) and not any(inbox.iterdir()), 180), _states(db)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(90) == 0
    assert check(load_config(home, environ={}), db).ok


def test_second_stop_request_abandons_work_which_is_resumed_later(tmp_path: Path) -> None:
    cfg, db = make_home(tmp_path, page_timeout_seconds=300.0)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch = ThreadedWatch(cfg, db, inbox, worker_hook="tests.e2e.faults:install")
    with watch:
        drop(inbox, f"{faults.HANG}.pdf", text_pdf_bytes(7))
        assert wait_for(lambda: _states(db).get(f"{faults.HANG}.pdf") == "processing", 60)
        watch.loop.request_stop()
        time.sleep(1.0)
        assert watch.thread.is_alive()  # draining: waits for the work in hand
        started = time.monotonic()
        watch.loop.request_stop()  # second request: stop now
        watch.thread.join(30)
        assert not watch.thread.is_alive() and time.monotonic() - started < 30
    assert _states(db) == {f"{faults.HANG}.pdf": "processing"}
    assert recovery.recover(db, cfg) and _states(db) == {f"{faults.HANG}.pdf": "received"}


def test_transient_database_errors_are_retried_not_quarantined(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = make_home(tmp_path)
    monkeypatch.setattr(failures, "BACKOFF_BASE_SECONDS", 0.1)
    from indexer import service

    real = service.record_extracted
    calls = {"n": 0}

    def locked_twice(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("INSERT INTO pages", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "record_extracted", locked_twice)
    src = tmp_path / "lab.pdf"
    src.write_bytes(text_pdf_bytes(21))
    assert list(ingest(cfg, db, [src]).values()) == ["processed"]
    with db.session() as s:
        item = s.scalars(select(IntakeItem)).one()
        assert item.attempts == 1  # the file's work was kept; only the commit was retried
    assert calls["n"] == 3


def test_disk_full_while_taking_a_file_leaves_it_in_the_inbox_and_retries(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = make_home(tmp_path)
    monkeypatch.setattr(failures, "BACKOFF_BASE_SECONDS", 0.2)
    from intake import claim  # the claim step's copy

    real = claim.copy_hashing
    calls = {"n": 0}

    def full_twice(src: Path, dest: Path) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dest)

    monkeypatch.setattr(claim, "copy_hashing", full_twice)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with ThreadedWatch(cfg, db, inbox):
        drop(inbox, "fax.pdf", text_pdf_bytes(22))
        assert wait_for(lambda: _states(db) == {"fax.pdf": "processed"}, 120), _states(db)
    assert calls["n"] == 3
    with db.session() as s:
        assert len(list(s.scalars(select(IntakeItem)))) == 1  # the two failed claims left no rows behind
    assert check(cfg, db).ok


def test_disk_full_while_recording_a_claim_leaves_no_item_receiving(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy worked but the database could not record it, nor remove the row: the sweep cleans up."""
    cfg, db = make_home(tmp_path)
    monkeypatch.setattr(failures, "BACKOFF_BASE_SECONDS", 0.2)
    from indexer import ledger

    real = ledger.finish_claim
    calls = {"n": 0}

    def full_once(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(ledger, "finish_claim", full_once)
    monkeypatch.setattr(ledger, "_forget_claim", lambda db, item_id: None)  # that write failed too
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with ThreadedWatch(cfg, db, inbox):
        drop(inbox, "fax.pdf", text_pdf_bytes(23))
        assert wait_for(lambda: _all_states(db) == ["processed"], 120), _all_states(db)  # the stale row is gone
    assert calls["n"] == 2 and not (inbox / "fax.pdf").exists()
    assert check(cfg, db).ok


def _all_states(db: Database) -> list[str]:
    with db.session() as s:
        return [i.state for i in s.scalars(select(IntakeItem).order_by(IntakeItem.id))]


def test_only_one_intake_service_per_data_home(tmp_path: Path) -> None:
    cfg, db = make_home(tmp_path)
    with intake_lock(cfg):
        with pytest.raises(RefusedError, match="another Chartfile intake"):
            ingest(cfg, db, [])
    ingest(cfg, db, [])  # released


def test_a_missing_tesseract_stops_the_service_instead_of_quarantining_files(tmp_path: Path) -> None:
    cfg, db = make_home(tmp_path)
    src = tmp_path / f"{faults.NO_TESSERACT}.pdf"
    src.write_bytes(text_pdf_bytes(31))
    with pytest.raises(DependencyError):
        ingest(cfg, db, [src], worker_hook="tests.e2e.faults:install")
    assert _states(db) == {src.name: "processing"}  # not the file's fault: resumed at the next start
    assert recovery.recover(db, cfg) and _states(db) == {src.name: "received"}

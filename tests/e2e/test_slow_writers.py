"""Slow writers against a real watcher: every sender's file becomes exactly one item with the final bytes' hash.

One watched inbox with the default stability rules (quiet 3 s, settle 0.5 s,
a TIFF written in place waits ``intake.quiet_by_format.tiff`` = 60 s); every
sender is a separate process (:mod:`tests.e2e.slow_writer`) and they all
write at once:

* created and held open empty for 5 s before writing (the "taken empty" finding);
* a pause of 4 s with the file open mid-write, a PDF and a TIFF;
* a fax TIFF written page by page, the file reopened for each page, 2 s and 10 s apart;
* a file truncated and written again, on the same descriptor and after reopening;
* a TIFF written elsewhere and renamed into the inbox: whole on arrival, it is
  taken after the settle period, long before the TIFF wait.

A second run hides the writers from ``/proc`` (as when the fax server runs
as another user; TIFF wait 15 s there to keep it short): the kernel's
modify/close-after-write events alone must hold.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chartfile.service.checks import check
from indexer.db.engine import Database
from indexer.db.models import AuditEvent, Document, IntakeItem
from intake import watcher as watcher_module
from intake.config import FormatQuietConfig
from tests.e2e.faults import SLOW
from tests.e2e.helpers import REPO, ThreadedWatch, fax_tiff_bytes, make_home, text_pdf_bytes, wait_for
from tests.e2e.slow_writer import tiff_page_bytes

TIFF_DEFAULT = FormatQuietConfig().tiff
RENAMED = "renamed in whole.tif"


def _scenarios(data: Path) -> dict[str, list[str]]:
    """inbox name -> writer arguments (after the scenario name and the path)."""
    def keep(name: str, content: bytes) -> str:
        path = data / name
        path.write_bytes(content)
        return str(path)

    pdf = keep("lab.pdf", text_pdf_bytes(501, pages=2))
    tif = keep("fax.tif", fax_tiff_bytes(502))
    return {
        "created then paused.pdf": ["create-pause", pdf, "5"],
        "paused mid-write.pdf": ["mid-pause", keep("lab2.pdf", text_pdf_bytes(503)), "4"],
        "paused mid-write.tif": ["mid-pause", tif, "4"],
        "pages 2 s apart.tif": ["tiff-pages", "3", "2", "504"],
        "pages 10 s apart.tif": ["tiff-pages", "3", "10", "505"],
        "rewritten open.pdf": ["rewrite-open", keep("v1.pdf", text_pdf_bytes(506)),
                               keep("v2.pdf", text_pdf_bytes(507, pages=2)), "1.5"],
        "rewritten reopened.tif": ["rewrite-reopen", keep("v1.tif", tiff_page_bytes(508, 1, 1)),
                                   keep("v2.tif", fax_tiff_bytes(509)), "2"],
        RENAMED: ["rename-in", keep("whole.tif", fax_tiff_bytes(512))],
    }


def _run_matrix(tmp_path: Path, scenarios: dict[str, list[str]] | None = None,
                tiff_wait: float = TIFF_DEFAULT) -> None:
    cfg, db = make_home(tmp_path, quiet_seconds=3.0, settle_seconds=0.5, rescan_seconds=15.0,
                        quiet_by_format={"tiff": tiff_wait})
    data = tmp_path / "data"
    data.mkdir()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    plan = scenarios or _scenarios(data)
    with ThreadedWatch(cfg, db, inbox):
        writers = {name: subprocess.Popen([sys.executable, "-m", "tests.e2e.slow_writer", args[0], str(inbox / name),
                                           *args[1:]], cwd=REPO, stdout=subprocess.PIPE, text=True)
                   for name, args in plan.items()}
        if RENAMED in plan:  # whole on arrival: taken after the settle period, not the TIFF wait
            assert wait_for(lambda: dict((n, st) for n, st, *_ in _items(db)).get(RENAMED) == "processed", 30)
        final: dict[str, tuple[str, int]] = {}
        for name, proc in writers.items():
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, name
            digest, size = out.split()
            final[name] = (digest, int(size))
        assert wait_for(lambda: _finished(db, len(plan)), 150, 0.5), _items(db)
        time.sleep(1.0)  # nothing more arrives late
    items = _items(db)
    assert sorted(name for name, *_ in items) == sorted(plan), items  # exactly one item per sender
    for name, state, sha, stored_size in items:
        assert state == "processed", (name, state)
        assert (sha, stored_size) == final[name], name  # the hash of the final bytes, not of a moment before
        stored = next(cfg.archive_dir.glob(f"*/*/*-{name.replace(' ', '_')}"))
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    assert check(cfg, db).ok


def _items(db: Database) -> list[tuple[str, str, str | None, int | None]]:
    with db.session() as s:
        return [(i.original_name, i.state, i.sha256, i.size) for i in s.scalars(select(IntakeItem))]


def _finished(db: Database, n: int) -> bool:
    items = _items(db)
    return len(items) >= n and all(state in ("processed", "quarantined", "duplicate") for _, state, *_ in items)


def test_slow_writers_each_yield_one_item_with_the_final_hash(tmp_path: Path) -> None:
    _run_matrix(tmp_path)


def test_writers_hidden_from_proc_are_seen_through_kernel_events(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watcher_module.openfiles, "open_for_writing", lambda paths: dict.fromkeys(paths))
    data = tmp_path / "data"
    data.mkdir()
    scenarios = _scenarios(data)
    _run_matrix(tmp_path / "run", {k: scenarios[k] for k in ("created then paused.pdf", "paused mid-write.pdf",
                                                             "paused mid-write.tif", "rewritten open.pdf")},
                tiff_wait=15.0)


def test_a_file_changed_after_it_was_taken_is_abandoned_and_taken_again_whole(tmp_path: Path) -> None:
    """A sender that writes again while the file is being processed: one item, the final bytes, one outcome.

    The first version is a whole PDF (taken after the settle period); its
    processing is slowed (``slow-me``) and the sender rewrites the file in the
    meantime.  The claim is abandoned, the file taken again into the same item,
    and its inbox file removed only after that outcome is committed.
    """
    cfg, db = make_home(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fax = inbox / f"{SLOW} referral.pdf"
    final = text_pdf_bytes(511, pages=2)
    with ThreadedWatch(cfg, db, inbox, worker_hook="tests.e2e.faults:install"):
        fax.write_bytes(text_pdf_bytes(510))
        assert wait_for(lambda: [state for _, state, *_ in _items(db)] == ["received"]
                        or [state for _, state, *_ in _items(db)] == ["processing"], 20), _items(db)
        time.sleep(1.0)
        fax.write_bytes(final)  # the sender was not done
        assert wait_for(lambda: _finished(db, 1), 60), _items(db)
        assert wait_for(lambda: not fax.exists(), 10)  # removed once the outcome was committed
    [(name, state, sha, size)] = _items(db)
    assert (state, sha, size) == ("processed", hashlib.sha256(final).hexdigest(), len(final))
    with db.session() as s:
        events = [e.event_type for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
                  if e.event_type.startswith("intake.")]
        assert events.count("intake.abandoned") == 1 and events.count("intake.received") == 2
        assert s.scalar(select(IntakeItem.source_print)) is None
        assert s.scalar(select(func.sum(Document.last_page - Document.first_page + 1))) == 2  # the final pages
    assert check(cfg, db).ok

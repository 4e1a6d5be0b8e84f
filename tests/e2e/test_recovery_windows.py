"""A crash between any file move and its database commit is recovered at the next start.

Each test stops the service at one exact point (a ``Crash`` raised from a
patched step — like kill -9, nothing after it runs), starts again, and checks
that every file ends with exactly one outcome, no document exists twice, the
files are where their states say and the index agrees with the database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chartfile.service.checks import check
from chartfile.service.runner import ingest
from indexer import ledger, recovery, sources
from indexer.db.engine import Database
from indexer.db.models import Document, IntakeItem
from indexer.states import IntakeState
from intake.config import Config
from intake.spool import move_atomic, reason_sidecar, sha256_file
from intake.workers import scratch_dir
from tests.e2e.helpers import make_home, text_pdf_bytes


class Crash(BaseException):
    """Stands for the process dying at this point (not an Exception: nothing catches it)."""


def crash_after(real: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Crash

    return wrapper


def crash_before(*_args: Any, **_kwargs: Any) -> Any:
    raise Crash


@pytest.fixture
def home(tmp_path: Path) -> tuple[Config, Database]:
    return make_home(tmp_path)


def _files(tmp_path: Path, n: int, start: int = 0) -> list[Path]:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    out = []
    for i in range(start, start + n):
        f = src / f"lab {i}.pdf"
        f.write_bytes(text_pdf_bytes(i))
        out.append(f)
    return out


def _states(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {i.original_name: i.state for i in s.scalars(select(IntakeItem))}


def _docs(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Document)) or 0)


def _assert_consistent(cfg: Config, db: Database) -> None:
    report = check(cfg, db)
    assert report.ok, report.problems
    assert report.unfinished == 0


def test_crash_after_commit_before_archive_move(home: tuple[Config, Database], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = home
    files = _files(tmp_path, 3)
    monkeypatch.setattr("indexer.service.place_file", crash_before)
    with pytest.raises(Crash):
        ingest(cfg, db, files)
    monkeypatch.undo()
    with db.session() as s:
        done = s.scalars(select(IntakeItem).where(IntakeItem.state == "processed")).one()
        assert (done.stored_path or "").startswith("spool/")  # committed, file not yet archived
    ingest(cfg, db, [])
    assert sorted(_states(db).values()) == ["processed"] * 3
    assert _docs(db) == 3
    _assert_consistent(cfg, db)


def test_crash_after_archive_move_before_path_update(home: tuple[Config, Database], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = home
    files = _files(tmp_path, 2)
    monkeypatch.setattr("indexer.ledger.move_atomic", crash_after(move_atomic))
    with pytest.raises(Crash):
        ingest(cfg, db, files)
    monkeypatch.undo()
    with db.session() as s:
        item = s.scalars(select(IntakeItem).where(IntakeItem.state == "processed")).one()
        assert (item.stored_path or "").startswith("spool/") and not (cfg.home / (item.stored_path or "")).exists()
    ingest(cfg, db, [])
    assert sorted(_states(db).values()) == ["processed"] * 2
    assert _docs(db) == 2
    _assert_consistent(cfg, db)


def test_crash_between_claim_row_and_copy_drops_the_row(home: tuple[Config, Database], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = home
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fax.pdf").write_bytes(text_pdf_bytes(1))
    monkeypatch.setattr("intake.claim.copy_hashing", crash_before)  # the claim step's copy
    with pytest.raises(Crash):
        ledger.claim(db, cfg, inbox / "fax.pdf", origin="watch")
    monkeypatch.undo()
    assert _states(db) == {"fax.pdf": "receiving"}
    assert recovery.recover(db, cfg, inbox) == []
    assert _states(db) == {}
    assert (inbox / "fax.pdf").exists()  # the watcher takes it again
    ledger.claim(db, cfg, inbox / "fax.pdf", origin="watch")
    ingest(cfg, db, [])
    assert _states(db) == {"fax.pdf": "processed"}
    assert sources.reconcile(db, inbox).removed == 1 and not (inbox / "fax.pdf").exists()
    _assert_consistent(cfg, db)


def test_crash_after_copy_before_received_takes_the_inbox_file_again(
        home: tuple[Config, Database], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = home
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fax.pdf").write_bytes(text_pdf_bytes(2))
    monkeypatch.setattr("indexer.ledger.finish_claim", crash_before)
    with pytest.raises(Crash):
        ledger.claim(db, cfg, inbox / "fax.pdf", origin="watch")
    monkeypatch.undo()
    assert (inbox / "fax.pdf").exists() and len(list(cfg.spool_dir.iterdir())) == 1  # copied, still in the inbox
    assert recovery.recover(db, cfg, inbox) == []
    assert _states(db) == {} and not list(cfg.spool_dir.iterdir())  # copy and row dropped: taken again
    ledger.claim(db, cfg, inbox / "fax.pdf", origin="watch")
    ingest(cfg, db, [])
    assert _states(db) == {"fax.pdf": "processed"}
    _assert_consistent(cfg, db)


def test_crash_after_copy_then_the_sender_removed_the_file(home: tuple[Config, Database], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy in the spool is then the only one: it is finished, never dropped."""
    cfg, db = home
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fax.pdf").write_bytes(text_pdf_bytes(3))
    monkeypatch.setattr("indexer.ledger.finish_claim", crash_before)
    with pytest.raises(Crash):
        ledger.claim(db, cfg, inbox / "fax.pdf", origin="watch")
    monkeypatch.undo()
    (inbox / "fax.pdf").unlink()
    [item_id] = recovery.recover(db, cfg, inbox)
    assert _states(db) == {"fax.pdf": "received"}
    ingest(cfg, db, [])
    assert _states(db) == {"fax.pdf": "processed"}
    _assert_consistent(cfg, db)


def test_crash_after_the_outcome_before_the_inbox_file_is_removed(home: tuple[Config, Database],
                                                                  tmp_path: Path) -> None:
    """The outcome is committed but the inbox file is still there: the next start removes it (no 2nd item)."""
    cfg, db = home
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fax.pdf").write_bytes(text_pdf_bytes(4))
    ledger.claim(db, cfg, inbox / "fax.pdf", origin="watch")
    ingest(cfg, db, [])  # processes it; only the watch loop removes inbox files
    assert (inbox / "fax.pdf").exists()
    found = sources.reconcile(db, inbox)
    assert found.removed == 1 and not found.hold and not found.retake
    assert not (inbox / "fax.pdf").exists()
    with db.session() as s:
        assert s.scalars(select(IntakeItem.source_print)).one() is None
    assert _states(db) == {"fax.pdf": "processed"}
    _assert_consistent(cfg, db)


def test_a_file_changed_while_the_service_was_down_is_taken_again_into_the_same_item(
        home: tuple[Config, Database], tmp_path: Path) -> None:
    cfg, db = home
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fax = inbox / "fax.pdf"
    fax.write_bytes(text_pdf_bytes(5))
    claimed = ledger.claim(db, cfg, fax, origin="watch")
    with fax.open("ab") as fh:  # the sender was not done
        fh.write(b"% more")
    found = sources.reconcile(db, inbox)
    assert found.retake == {fax: claimed.item_id} and _states(db) == {"fax.pdf": "receiving"}
    assert recovery.recover(db, cfg, inbox) == []  # left for watch to take again
    ledger.retake(db, cfg, claimed.item_id, fax)
    with db.session() as s:
        item = s.get_one(IntakeItem, claimed.item_id)
        assert (item.state, item.size) == ("received", len(fax.read_bytes()))
        assert item.sha256 == sha256_file(fax)


def test_crash_while_pages_are_in_workers(home: tuple[Config, Database], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = home
    files = _files(tmp_path, 4)
    monkeypatch.setattr("indexer.service.record_extracted", crash_before)
    with pytest.raises(Crash):
        ingest(cfg, db, files)
    monkeypatch.undo()
    assert "processing" in _states(db).values() and _docs(db) == 0
    ingest(cfg, db, [])
    assert sorted(_states(db).values()) == ["processed"] * 4
    assert _docs(db) == 4
    _assert_consistent(cfg, db)


def test_crash_after_commit_before_index(home: tuple[Config, Database], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The index was written but the database commit of ``indexed_at`` never happened."""
    cfg, db = home
    files = _files(tmp_path, 3)
    from search.writer import index_pending

    def index_then_die(*args: Any, **kwargs: Any) -> int:
        n = index_pending(*args, **kwargs)
        if n:
            raise Crash
        return n

    monkeypatch.setattr("search.writer.index_pending", index_then_die)  # (the index writer's drain)
    with pytest.raises(Crash):
        ingest(cfg, db, files)
    monkeypatch.undo()
    assert _docs(db) >= 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Document).where(Document.indexed_at.is_(None)))
    ingest(cfg, db, [])
    assert _docs(db) == 3
    _assert_consistent(cfg, db)  # includes: every document in the index exactly once


def test_crash_after_quarantine_commit_and_after_its_move(home: tuple[Config, Database], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, db = home
    bad = tmp_path / "src"
    bad.mkdir()
    (bad / "portal.pdf").write_bytes(b"<html><body>session expired</body></html>")
    (bad / "notes.txt").write_bytes(b"call back\n")
    monkeypatch.setattr("indexer.service.place_file", crash_before)  # state committed, file in spool
    with pytest.raises(Crash):
        ingest(cfg, db, [bad / "portal.pdf"])
    monkeypatch.undo()
    ingest(cfg, db, [])
    monkeypatch.setattr("indexer.ledger.write_text_atomic", crash_before)  # moved, no sidecar yet
    with pytest.raises(Crash):
        ingest(cfg, db, [bad / "notes.txt"])
    monkeypatch.undo()
    with db.session() as s:
        item = s.scalars(select(IntakeItem).where(IntakeItem.original_name == "notes.txt")).one()
        assert not reason_sidecar(cfg.quarantine_dir / Path(item.stored_path or "").name).exists()
    assert _states(db) == {"portal.pdf": "quarantined", "notes.txt": "quarantined"}
    ingest(cfg, db, [])
    with db.session() as s:
        for item in s.scalars(select(IntakeItem)):
            path = cfg.home / (item.stored_path or "")
            assert path.parent == cfg.quarantine_dir and path.is_file()
            text = reason_sidecar(path).read_text()
            assert item.reason and item.reason in text and f"chartfile intake retry {item.id}" in text
    _assert_consistent(cfg, db)


def test_crash_during_clerk_retry(home: tuple[Config, Database], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """quarantined → received committed, file still in quarantine/: the next start processes it once."""
    cfg, db = home
    src = tmp_path / "scan.pdf"
    src.write_bytes(text_pdf_bytes(9))
    cfg.intake.max_pages = 0  # every file is "too long": quarantined
    ingest(cfg, db, [src])
    cfg.intake.max_pages = 300
    with db.transaction() as s:
        item = s.scalars(select(IntakeItem)).one()
        assert item.state == "quarantined"
        ledger.requeue(s, item, actor="clerk")
    # (crash here: place_file never ran)
    assert reason_sidecar(cfg.quarantine_dir / Path(item.stored_path or "").name).exists()
    ingest(cfg, db, [])
    assert _states(db) == {"scan.pdf": "processed"} and _docs(db) == 1
    assert not list(cfg.quarantine_dir.iterdir())
    _assert_consistent(cfg, db)


def test_legacy_order_file_archived_but_not_committed(home: tuple[Config, Database], tmp_path: Path) -> None:
    """The old code moved the file before committing: a processing item whose file sits in archive/."""
    cfg, db = home
    src = tmp_path / "old.pdf"
    src.write_bytes(text_pdf_bytes(11))
    claimed = ledger.claim(db, cfg, src, origin="ingest")
    with db.transaction() as s:
        item = s.get_one(IntakeItem, claimed.item_id)
        ledger.transition(item, IntakeState.PROCESSING)
    os.makedirs(cfg.archive_dir / "2026" / "01")
    move_atomic(claimed.path, cfg.archive_dir / "2026" / "01" / claimed.path.name)
    ingest(cfg, db, [])
    assert _states(db) == {"old.pdf": "processed"} and _docs(db) == 1
    _assert_consistent(cfg, db)


def test_stale_temporaries_and_orphans(home: tuple[Config, Database], tmp_path: Path) -> None:
    cfg, db = home
    (cfg.spool_dir / ".00000042-x.pdf.part").write_bytes(b"%PDF-half")
    (cfg.spool_dir / "dropped-by-hand.pdf").write_bytes(text_pdf_bytes(12))
    scratch = scratch_dir(cfg)
    scratch.mkdir(parents=True)
    (scratch / "tess_abc_input.PNG").write_bytes(b"page image left by a killed worker")
    ingest(cfg, db, [])
    assert not (cfg.spool_dir / ".00000042-x.pdf.part").exists()
    assert not (scratch / "tess_abc_input.PNG").exists()
    with db.session() as s:
        item = s.scalars(select(IntakeItem)).one()
        assert item.origin == "recovered" and item.state == "processed"
    _assert_consistent(cfg, db)


def test_resend_while_original_in_flight_is_a_duplicate(home: tuple[Config, Database], tmp_path: Path) -> None:
    """Two identical files claimed before either is processed: one document, one duplicate."""
    cfg, db = home
    data = text_pdf_bytes(13)
    a, b = tmp_path / "first.pdf", tmp_path / "again.pdf"
    a.write_bytes(data)
    b.write_bytes(data)
    outcomes = ingest(cfg, db, [a, b])
    assert sorted(outcomes.values()) == ["duplicate", "processed"]
    with db.session() as s:
        first = s.scalars(select(IntakeItem).where(IntakeItem.original_name == "first.pdf")).one()
        again = s.scalars(select(IntakeItem).where(IntakeItem.original_name == "again.pdf")).one()
        assert again.state == "duplicate" and again.duplicate_of_id == first.id
    assert _docs(db) == 1
    _assert_consistent(cfg, db)


def test_the_consistency_check_notices_index_disagreements(home: tuple[Config, Database], tmp_path: Path) -> None:
    """The crash tests rely on this check: make sure it can fail."""
    from search.writer import SearchIndex, load_records

    cfg, db = home
    ingest(cfg, db, _files(tmp_path, 2))
    _assert_consistent(cfg, db)
    index = SearchIndex(cfg)
    with db.session() as s:
        doc = s.scalars(select(Document).order_by(Document.id)).first()
        assert doc is not None
        [record] = load_records(s, [doc])
    writer = index.writer()
    writer.add_document(**record.fields())  # a second copy, as a buggy writer would add it
    writer.commit()
    assert any("more than once" in p for p in check(cfg, db).problems)
    index.delete([doc.id])
    assert any("missing from the index" in p for p in check(cfg, db).problems)

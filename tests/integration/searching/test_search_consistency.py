"""The database is the truth: incremental indexing, check/repair, rebuilds, and failures that never reset the index."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from indexer.db.models import Document
from intake.errors import IntegrityError
from search import store as searchstore
from search import writer as searchindex
from search.maint import check_index, rebuild_online, repair
from search.writer import SearchIndex, index_pending, load_records, rebuild

from .conftest import Clinic


def doc(clinic: Clinic, doc_id: int) -> Document:
    with clinic.db.session() as s:
        return s.get_one(Document, doc_id)


def test_index_pending_marks_documents_without_touching_updated_at(fresh_records: Clinic) -> None:
    c = fresh_records
    d = doc(c, c.docs["smith_lab"])
    assert d.indexed_at is not None and d.indexed_at >= d.updated_at
    with c.db.transaction() as s:
        assert index_pending(s, c.index) == 0  # nothing pending
        s.get_one(Document, c.docs["smith_lab"]).status = "rejected"  # a change bumps updated_at ...
        s.get_one(Document, c.docs["miller_rx"]).indexed_at = None  # ... the convention is to clear indexed_at
    with c.db.transaction() as s:
        assert index_pending(s, c.index) == 1  # cleared: found at once through the column's index
    with c.db.session() as s:
        assert check_index(s, c.index).pending == [c.docs["smith_lab"]]
    with c.db.transaction() as s:
        assert index_pending(s, SearchIndex(c.cfg)) == 1  # changed only: found by the periodic sweep
    assert c.engine().search("status:rejected", include_rejected=True).hits[0].doc_id == c.docs["smith_lab"]


def test_index_pending_sweeps_for_changed_documents_periodically(fresh_records: Clinic,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    c = fresh_records
    with c.db.transaction() as s:
        s.get_one(Document, c.docs["smith_lab"]).doc_type = "clinical_note"
    with c.db.transaction() as s:
        assert index_pending(s, c.index) == 0  # swept moments ago
    monkeypatch.setattr(searchindex, "SWEEP_SECONDS", 0.0)
    with c.db.transaction() as s:
        assert index_pending(s, c.index) == 1


def test_check_finds_and_repair_fixes_every_kind_of_difference(fresh_records: Clinic) -> None:
    c = fresh_records
    with c.db.session() as s:
        assert check_index(s, c.index).ok
    # 1. an entry deleted from the index
    c.index.delete([c.docs["miller_rx"]])
    # 2. an entry corrupted: the index says the wrong patient and status
    with c.db.session() as s:
        wrong = load_records(s, [s.get_one(Document, c.docs["smith_echo"])])[0]
    wrong.status, wrong.patient_mrn, wrong.patient_name = "rejected", "CF999999", "Someone Else"
    c.index.upsert([wrong])
    # 3. an entry for a document that no longer exists
    with c.db.session() as s:
        ghost = load_records(s, [s.get_one(Document, c.docs["smithers_lab"])])[0]
    ghost.doc_id = 9999
    c.index.upsert([ghost])
    # 4. a second entry for one document, as a buggy writer would add it
    with c.db.session() as s:
        twin = load_records(s, [s.get_one(Document, c.docs["obrien_referral"])])[0]
    writer = c.index.writer()
    writer.add_document(**twin.fields())
    writer.commit()
    # 5. a database change not yet indexed
    with c.db.transaction() as s:
        s.get_one(Document, c.docs["nguyen_discharge"]).doc_type = "clinical_note"

    with c.db.session() as s:
        report = check_index(s, c.index)
    assert not report.ok
    assert report.missing == [c.docs["miller_rx"]]
    assert report.stale == [c.docs["smith_echo"]]
    assert report.orphans == [9999]
    assert report.pending == [c.docs["nguyen_discharge"]]
    assert report.duplicates == [c.docs["obrien_referral"]]
    assert c.engine().search("mrn:CF999999", include_rejected=True).total == 1  # the corruption is visible
    assert c.engine().search("patient:zoe").total == 2

    with c.db.transaction() as s:
        fixed = repair(s, c.index, report)
    assert fixed == {"reindexed": 4, "deleted": 1}
    with c.db.session() as s:
        assert check_index(s, c.index).ok
    eng = c.engine()
    assert eng.search("mrn:CF999999").total == 0
    assert {h.doc_id for h in eng.search("mrn:CF100001").hits} == {c.docs["smith_lab"], c.docs["smith_echo"]}
    assert [h.doc_id for h in eng.search("type:note").hits] == [c.docs["nguyen_discharge"]]
    assert [h.doc_id for h in eng.search("lisinopril").hits] == [c.docs["miller_rx"]]
    assert eng.search("patient:zoe").total == 1


def test_rebuild_replaces_the_index_from_the_database(fresh_records: Clinic) -> None:
    c = fresh_records
    c.index.delete(list(c.docs.values())[:3])
    with c.db.transaction() as s:
        assert rebuild(s, c.index) == 7
    with c.db.session() as s:
        assert check_index(s, c.index).ok
    assert not c.cfg.index_dir.with_name("index.rebuild").exists()
    assert not c.cfg.index_dir.with_name("index.old").exists()


def test_rebuild_with_parallel_writers(fresh_records: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    c = fresh_records
    monkeypatch.setattr(searchstore, "REBUILD_PROCS", 2)
    monkeypatch.setattr(searchstore, "PARALLEL_FROM", 0)  # (normally only for large rebuilds)
    with c.db.transaction() as s:
        assert rebuild(s, c.index) == 7
    with c.db.session() as s:
        assert check_index(s, c.index).ok
    assert c.engine().search("hemoglobin").total == 2
    assert [h.doc_id for h in c.engine().search('patient:"bob miller"').hits] == [c.docs["miller_rx"]]


def test_online_rebuild_catches_up_with_changes_made_while_it_runs(fresh_records: Clinic) -> None:
    c = fresh_records
    seen: list[int] = []

    def meanwhile(n: int) -> None:  # called after each batch: the intake service keeps working
        seen.append(n)
        if len(seen) == 1:
            c.auto_index = False
            c.document("CF100004", ["Late arrival: thyroid panel"], doc_type="lab_result")
            with c.db.transaction() as s:
                s.get_one(Document, c.docs["miller_rx"]).status = "rejected"
                s.delete(s.get_one(Document, c.docs["smithers_lab"]))

    assert rebuild_online(c.db, c.index, meanwhile) == 8  # the late arrival was read in the second batch
    with c.db.session() as s:
        assert check_index(s, c.index).ok
    eng = c.engine()
    assert eng.search("thyroid").total == 1
    assert [h.doc_id for h in eng.search("status:rejected", include_rejected=True).hits] == [c.docs["miller_rx"]]
    assert c.docs["smithers_lab"] not in {h.doc_id for h in eng.search("hemoglobin").hits}


def test_a_failed_rebuild_leaves_the_old_index_working(fresh_records: Clinic,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    c = fresh_records

    def broken(session, docs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(searchindex, "load_records", broken)
    with pytest.raises(RuntimeError), c.db.transaction() as s:
        rebuild(s, c.index)
    assert c.engine().search("hemoglobin").total == 2
    assert not c.cfg.index_dir.with_name("index.rebuild").exists()


def _segment_files(index: SearchIndex, suffix: str) -> list:  # type: ignore[type-arg]
    return sorted(index.dir.glob(f"*{suffix}"))


def test_a_corrupted_index_raises_integrity_error_and_is_never_reset(fresh_records: Clinic) -> None:
    c = fresh_records
    c.index.close()
    terms = _segment_files(c.index, ".trm")
    assert terms
    for f in terms:
        f.write_bytes(b"\x00garbage")
    before = {p.name: p.read_bytes() for p in c.index.dir.iterdir()}
    with pytest.raises(IntegrityError) as err:
        c.engine().search("hemoglobin")
    assert "rebuild" in err.value.hint
    c.document("CF100001", ["New page while broken"], index=False)
    with pytest.raises(IntegrityError), c.db.transaction() as s:
        index_pending(s, SearchIndex(c.cfg))
    after = {p.name: p.read_bytes() for p in c.index.dir.iterdir()}
    assert all(after.get(name) == data for name, data in before.items())  # nothing deleted or rewritten
    with c.db.transaction() as s:
        assert rebuild(s, SearchIndex(c.cfg)) == 8
    assert c.engine().search("hemoglobin").total == 2


def test_a_missing_table_of_contents_is_an_integrity_error(fresh_records: Clinic) -> None:
    c = fresh_records
    c.index.close()
    for toc in c.index.dir.glob("*.toc"):
        toc.unlink()
    with pytest.raises(IntegrityError) as err:
        SearchIndex(c.cfg).open()
    assert "no readable index" in err.value.message
    assert any(c.index.dir.iterdir())  # the remains are kept for inspection


def test_schema_version_change_requires_a_rebuild(fresh_records: Clinic) -> None:
    c = fresh_records
    c.index.close()
    c.index.version_file.write_text('{"version": 1}')
    fresh = SearchIndex(c.cfg)
    assert fresh.needs_rebuild()
    with pytest.raises(IntegrityError) as err:
        c.engine().search("hemoglobin")
    assert "schema version 1" in err.value.message
    with c.db.transaction() as s:
        rebuild(s, fresh)
    assert not SearchIndex(c.cfg).needs_rebuild()
    assert c.engine().search("hemoglobin").total == 2


def test_lock_timeout_is_an_integrity_error_and_keeps_the_index(fresh_records: Clinic,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh.filedb.filestore import FileStorage

    c = fresh_records
    monkeypatch.setattr(searchstore, "LOCK_TIMEOUT", 0.2)
    lock = FileStorage(str(c.index.dir)).lock(searchstore.WRITE_LOCK)
    assert lock.acquire(blocking=False)
    try:
        c.document("CF100001", ["written while another writer holds the lock"], index=False)
        with pytest.raises(IntegrityError) as err, c.db.transaction() as s:
            index_pending(s, SearchIndex(c.cfg))
        assert "locked by another writer" in err.value.message
        assert c.engine().search("hemoglobin").total == 2  # readers are not blocked by the writer lock
    finally:
        lock.release()
    with c.db.session() as s:
        missing = check_index(s, c.index).missing
        newest = max(s.scalars(select(Document.id)))
    assert missing == [newest]
    with c.db.transaction() as s:
        assert index_pending(s, SearchIndex(c.cfg)) == 1


def test_a_deleted_index_folder_is_refilled_from_the_database(fresh_records: Clinic,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    import shutil

    c = fresh_records
    c.index.close()
    shutil.rmtree(c.index.dir)
    with pytest.raises(IntegrityError):
        c.engine().search("hemoglobin")  # searching never creates an index
    with c.db.transaction() as s:
        assert index_pending(s, SearchIndex(c.cfg)) == 7  # the next intake commit re-indexes everything
    assert "re-indexing all 7 documents" in caplog.text
    with c.db.session() as s:
        assert check_index(s, c.index).ok

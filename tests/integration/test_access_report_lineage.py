"""Issue 18: the access report follows a document's whole life, from the fax in review to its filed parts."""

from __future__ import annotations

import json
from pathlib import Path

from indexer.audit import trail
from indexer.db.models import Document, IntakeItem
from indexer.lineage import ancestors
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import add_patient, open_db


def _fax_split_into_two_patients(home: Path, *, linked: bool) -> tuple[int, int, int, int, int]:
    db = open_db(home)
    joe = add_patient(db, "CF587304", "Sullivan", "Joe")
    ann = add_patient(db, "CF100002", "Other", "Ann")
    with db.transaction() as s:
        item = IntakeItem(original_name="batch.pdf", state="processed")
        s.add(item)
        s.flush()
        fax = Document(intake_item_id=item.id, first_page=1, last_page=4, status="review")
        s.add(fax)
        s.flush()
        # clerks read the whole fax while it waits in review
        trail.record(s, actor="clerk1", action="R", event_type="document.view", document_ids=[fax.id])
        fax.status = "split"
        parts = [Document(intake_item_id=item.id, first_page=a, last_page=b, status="filed", patient_id=p,
                          split_from_id=fax.id if linked else None) for a, b, p in ((1, 2, joe), (3, 4, ann))]
        s.add_all(parts)
        s.flush()
        trail.record(s, actor="clerk2", action="U", event_type="review.file", patient_mrn="CF587304",
                     document_ids=[parts[0].id])
        ids = (fax.id, parts[0].id, parts[1].id, joe, ann)
    db.dispose()
    return ids


def _report(home: Path, mrn: str) -> list[dict[str, object]]:
    r = run_chartfile(home, "--user", "privacy1", "audit", "access-report", mrn, "--format", "jsonl")
    assert r.code == 0, r.err
    return [json.loads(x) for x in r.out.splitlines()][:-1]


def test_reads_of_the_fax_before_its_parts_were_filed_count_for_each_patient(home: Path) -> None:
    """Before: the view of the fax in review was missing from the report of the patient its part went to."""
    fax = _fax_split_into_two_patients(home, linked=True)[0]
    for mrn in ("CF587304", "CF100002"):
        rows = _report(home, mrn)
        view = [r for r in rows if r["event_type"] == "document.view"]
        assert [(r["actor"], r["via"], r["document_ids"]) for r in view] == [("clerk1", "documents", str(fax))], mrn


def test_parts_made_before_lineage_was_kept_are_traced_by_their_pages(home: Path) -> None:
    fax, part_joe, part_ann, _, _ = _fax_split_into_two_patients(home, linked=False)
    db = open_db(home)
    with db.session() as s:
        assert ancestors(s, {part_joe}) == {fax} and ancestors(s, {part_ann}) == {fax}
        assert ancestors(s, {fax}) == set()
    db.dispose()
    assert any(r["event_type"] == "document.view" for r in _report(home, "CF587304"))

"""Issue 18: documents in review are found by who they are about; rejected ones leave search."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.office import Office
from chartfile.service.permissions import PermissionDenied
from chartfile.service.search import search
from indexer.db.models import Document
from intake.model import Entities, NameMention, ValueMention
from search.writer import index_pending
from tests.integration.searching.conftest import Clinic, _close, _open

SULLIVAN = Entities(patient_names=[NameMention(family="Sullivan", given="Joe", middle="J", source="label")],
                    dobs=[ValueMention("1983-06-03", label="DOB")],
                    mrns=[ValueMention("SB1583955", label="Med Rec #", scheme="foreign")])


def _critical_lab_in_review(c: Clinic) -> int:
    doc_id = c.document(None, ["ST BRIGID MEDICAL CENTER\nPotassium 6.9 CRITICAL"], urgent=True, index=False)
    with c.db.transaction() as s:
        s.get_one(Document, doc_id).entities_json = json.dumps(SULLIVAN.to_dict())
        index_pending(s, c.index)
    return doc_id


def test_a_critical_lab_in_review_is_found_by_name_dob_and_mrn(clinic: Clinic) -> None:
    """Before: while it waited in review, ``patient:sullivan`` and ``dob:1983-06-03`` found nothing."""
    doc_id = _critical_lab_in_review(clinic)
    eng = clinic.engine()
    for typed in ("patient:sullivan", 'patient:"joe sullivan"', "patient:sulivan", "dob:1983-06-03",
                  "dob:06/03/1983", "mrn:SB1583955", "mrn:sb-1583955", "sullivan potassium"):
        hits = eng.search(typed).hits
        assert [h.doc_id for h in hits] == [doc_id], typed
        assert (hits[0].status, hits[0].patient_mrn, hits[0].read_names) == ("review", "", ["Joe J Sullivan"])


def test_names_read_on_a_filed_document_do_not_make_it_anothers(clinic: Clinic) -> None:
    clinic.patient("CF100001", "John", "Smith")
    doc_id = clinic.document("CF100001", ["note"], index=False)
    with clinic.db.transaction() as s:
        s.get_one(Document, doc_id).entities_json = json.dumps(SULLIVAN.to_dict())  # misread, but filed
        index_pending(s, clinic.index)
    assert clinic.engine().search("patient:sullivan").total == 0
    assert clinic.engine().search("patient:smith").hits[0].read_names == []


def test_rejected_documents_leave_search_but_an_administrator_finds_them(clinic: Clinic) -> None:
    """Before: a rejected misdirected fax was still returned by search."""
    doc_id = _critical_lab_in_review(clinic)
    with clinic.db.transaction() as s:
        d = s.get_one(Document, doc_id)
        d.status, d.indexed_at = "rejected", None
        index_pending(s, clinic.index)
    eng = clinic.engine()
    for typed in ("potassium", "patient:sullivan", "status:rejected", "-type:referral"):
        assert eng.search(typed).total == 0, typed
    assert [h.doc_id for h in eng.search("potassium", include_rejected=True).hits] == [doc_id]
    assert [h.doc_id for h in eng.search("status:rejected", include_rejected=True).hits] == [doc_id]


@pytest.fixture
def home_clinic(home: Path) -> Iterator[Clinic]:
    c = _open(home)
    yield c
    _close(c)


def test_cli_marks_documents_in_review(home_clinic: Clinic, chartfile: Callable[..., Any]) -> None:
    _critical_lab_in_review(home_clinic)
    r = chartfile("search", "patient:sullivan")
    assert r.code == 0, r.err
    assert "in review URGENT" in r.out and "Joe J Sullivan (as read on the document; not filed)" in r.out
    assert all(len(line) <= 80 for line in r.out.splitlines())


def test_only_an_administrator_may_include_rejected_documents(home_clinic: Clinic) -> None:
    _critical_lab_in_review(home_clinic)
    office = Office(home_clinic.cfg, home_clinic.db)
    clerk = Actor(username="clerk1", role=Role.CLERK, os_login="clerk1", channel=Channel.CLI)
    with pytest.raises(PermissionDenied):
        search(office, clerk, "potassium", include_rejected=True)
    assert search(office, clerk, "potassium").total == 1  # in review: found
    admin = Actor(username="admin1", role=Role.ADMIN, os_login="admin1", channel=Channel.CLI)
    assert search(office, admin, "potassium", include_rejected=True).total == 1

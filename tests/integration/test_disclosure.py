"""Disclosure rules, tested once for all: the audit event is committed before any byte leaves,
files are written atomically and privately, and a failed write is recorded."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest
from sqlalchemy import select

from chartfile.service import disclosure
from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.documents import export_documents
from chartfile.service.intake import export_intake
from chartfile.service.office import Office, open_office
from indexer.db.models import AuditEvent
from intake.config import load_config
from intake.errors import RefusedError

CLERK = Actor(username="clerk1", role=Role.CLERK, os_login="clerk1", channel=Channel.CLI)


@pytest.fixture
def office(home: Path) -> Iterator[Office]:
    opened = open_office(load_config(home, environ={}))
    yield opened
    opened.close()


def events(office: Office, event_type: str) -> list[AuditEvent]:
    with office.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)
                              .order_by(AuditEvent.seq)))


class Watching(io.StringIO):
    """A stream that checks, at its first write, that the audit event is already committed."""

    def __init__(self, office: Office, event_type: str) -> None:
        super().__init__()
        self.office, self.event_type = office, event_type
        self.seen_before_first_byte: int | None = None

    def write(self, text: str) -> int:
        if self.seen_before_first_byte is None:
            self.seen_before_first_byte = len(events(self.office, self.event_type))
        return super().write(text)


def test_audit_event_is_committed_before_the_first_byte(office: Office) -> None:
    d = disclosure.Disclosure("export.test", "E", [3, 1, 2], ["CF000002", "CF000001"], detail="3 documents")
    out = Watching(office, "export.test")
    assert disclosure.disclose(office, CLERK, d, out, lambda fh: fh.write("row\n")) == 4
    assert out.seen_before_first_byte == 1 and out.getvalue() == "row\n"
    ev = events(office, "export.test")[0]
    assert ev.actor == "clerk1" and ev.document_ids == "1-3" and ev.outcome == "success"
    assert ev.patient_mrn is None and '"mrns":["CF000001","CF000002"]' in ev.detail  # several MRNs: all named


def test_one_patient_goes_into_the_mrn_field(office: Office) -> None:
    disclosure.recorded(office, CLERK, disclosure.Disclosure("view.test", "R", [5], ["CF000009"]))
    ev = events(office, "view.test")[0]
    assert (ev.patient_mrn, ev.document_ids, ev.action) == ("CF000009", "5", "R")


def test_a_file_is_written_atomically_and_privately(office: Office, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.jsonl"
    d = disclosure.Disclosure("export.test")
    disclosure.disclose(office, CLERK, d, target, lambda fh: fh.write("complete\n"))
    assert target.read_text() == "complete\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["out.jsonl"]
    assert events(office, "export.test")[0].detail.endswith("to file")


def test_a_failed_write_leaves_nothing_and_is_recorded(office: Office, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.jsonl"
    target.write_text("the previous export\n")

    def half_then_fail(fh: TextIO) -> int:
        fh.write("half a row")
        raise OSError("disk full")

    with pytest.raises(OSError):
        disclosure.disclose(office, CLERK, disclosure.Disclosure("export.test"), target, half_then_fail)
    assert target.read_text() == "the previous export\n"  # never a half-written file that looks finished
    assert sorted(p.name for p in folder.iterdir()) == ["out.jsonl"]
    outcomes = [e.outcome for e in events(office, "export.test")]
    assert outcomes == ["success", "failure"]  # recorded before, and its failure after


def test_never_overwrite_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("kept")
    with pytest.raises(RefusedError):
        disclosure.write_bytes(target, b"new", overwrite=False)
    assert target.read_text() == "kept"


@pytest.mark.parametrize("export, event_type", [(export_documents, "export.documents"),
                                                (export_intake, "export.intake")])
def test_cli_exports_go_through_the_disclosure_path(  # type: ignore[no-untyped-def]
        office: Office, tmp_path: Path, export, event_type) -> None:
    out = Watching(office, event_type)
    export(office, CLERK, out)
    assert out.seen_before_first_byte in (None, 1)  # (an empty home writes nothing at all)
    assert len(events(office, event_type)) == 1
    target = tmp_path / "x.jsonl"
    export(office, CLERK, target)
    assert target.exists() and stat.S_IMODE(os.stat(target).st_mode) == 0o600

"""Issue 19 on the command line: a verified archive, roster identity changes, links refused by ingest.

* An original altered in the archive: ``intake check`` and ``archive verify``
  exit 7 naming the item; a release of it, ``documents export``, its download
  and its page images are refused with a clear error; other documents still work.
* ``intake retry`` records the hash of the stored bytes as they are now.
* ``patients import`` lists identity changes and applies them only with
  ``--accept-identity-changes`` (exit 6 otherwise), re-indexing the patient.
* ``ingest`` refuses a symbolic link or a pipe by name and never reads it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from chartfile.service import viewing
from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.office import open_office
from indexer.archive_verify import OriginalDamaged
from indexer.db.models import AuditEvent, Document, IntakeItem
from indexer.roi.models import Release
from intake.config import load_config
from tests.conftest import CliResult
from tests.e2e.helpers import patient_pdf_bytes

Run = Callable[..., CliResult]
HEADER = "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"
ROSTER = HEADER + "CF000401,Lindqvist,Marta,,1970-01-02,F,,,,,\nCF000402,Okafor,Daniel,,1985-03-04,M,,,,,\n"
ADMIN = Actor(username="admin", role=Role.ADMIN, os_login="admin", channel=Channel.CLI)
TO = ("--recipient", "Valley Cardiology", "--address", "2250 River Rd, Salem, OR 97302")
RELEASE = (*TO, "--method", "mail", "--basis", "tpo", "--purpose", "Continuity of care")


def _release(chartfile: Run, mrn: str, doc: int) -> CliResult:
    """A release for treatment, on a logged request of the provider (one request per release)."""
    asked = chartfile("roi", "request", "add", "--mrn", mrn, "--received", "2026-12-01", "--channel", "fax",
                      "--requester", "Valley Cardiology", *TO, "--basis", "tpo", "--types", "all")
    assert asked.code == 0, asked.err
    request_id = asked.out.split("#", 1)[1].split()[0]
    return chartfile("roi", "release", "--mrn", mrn, "--documents", str(doc), *RELEASE, "--request", request_id)


def _office(home: Path, chartfile: Run, tmp_path: Path) -> dict[str, int]:
    """Two patients, one filed lab report each; returns MRN -> document id."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert chartfile("patients", "import", str(roster)).code == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "marta.pdf").write_bytes(patient_pdf_bytes("Marta", "Lindqvist", "01/02/1970", "CF000401", 1))
    (drop / "daniel.pdf").write_bytes(patient_pdf_bytes("Daniel", "Okafor", "03/04/1985", "CF000402", 2))
    r = chartfile("ingest", str(drop))
    assert r.code == 0, r.err
    office = open_office(load_config(home, environ={}))
    try:
        with office.db.session() as s:
            docs = {d.patient.mrn: d.id for d in s.scalars(select(Document)) if d.patient is not None}
    finally:
        office.close()
    assert sorted(docs) == ["CF000401", "CF000402"]
    return docs


def _archived(home: Path, name: str) -> Path:
    [path] = (home / "archive").glob(f"*/*/*-{name}")
    return path


def test_an_altered_original_fails_the_checks_and_nothing_of_it_leaves(home: Path, chartfile: Run,
                                                                       tmp_path: Path) -> None:
    docs = _office(home, chartfile, tmp_path)
    assert chartfile("intake", "check").code == 0
    assert chartfile("archive", "verify").code == 0

    original = _archived(home, "marta.pdf")
    item = int(original.name.split("-", 1)[0])
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped on disk
    original.write_bytes(bytes(data))

    check = chartfile("intake", "check")
    assert check.code == 7 and f"no longer match their hash: items [{item}]" in check.out, check.out
    assert "Consistent" not in check.out
    scrub = chartfile("archive", "verify", "--json")
    assert scrub.code == 7 and f'"mismatched": [{item}]' in scrub.out and f"items [{item}]" in scrub.err
    release = _release(chartfile, "CF000401", docs["CF000401"])
    assert release.code == 7 and f"intake item {item} has been altered" in release.err, release.err
    other = _release(chartfile, "CF000402", docs["CF000402"])
    assert other.code == 0, other.err  # a document whose original is intact is released as before
    export = tmp_path / "docs.jsonl"
    refused = chartfile("documents", "export", "-o", str(export))
    assert refused.code == 7 and f"items [{item}]" in refused.err and not export.exists()

    office = open_office(load_config(home, environ={}))
    try:
        with pytest.raises(OriginalDamaged) as err:
            viewing.original_file(office, ADMIN, docs["CF000401"])
        assert err.value.http_status == 409
        with pytest.raises(OriginalDamaged):
            viewing.page_image(office, ADMIN, docs["CF000401"], 1)
        assert viewing.original_file(office, ADMIN, docs["CF000402"]).data == _archived(home, "daniel.pdf").read_bytes()
        with office.db.session() as s:
            assert len(list(s.scalars(select(Release)))) == 1  # the refused release recorded nothing
            [refusal] = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "roi.release",
                                                           AuditEvent.outcome == "failure"))
            assert "altered" in (refusal.detail or "")
            scrubs = [e.outcome for e in s.scalars(select(AuditEvent).where(AuditEvent.event_type == "archive.verify"))]
            assert scrubs == ["success", "failure"]
    finally:
        office.close()


def test_retry_records_the_hash_of_the_stored_bytes(home: Path, chartfile: Run, tmp_path: Path) -> None:
    src = tmp_path / "cut.pdf"
    whole = patient_pdf_bytes("Marta", "Lindqvist", "01/02/1970", "CF000401", 3)
    src.write_bytes(whole[: len(whole) // 2])  # a cut PDF: quarantined
    assert chartfile("ingest", str(src)).code == 0
    [quarantined] = list((home / "quarantine").glob("*-cut.pdf"))
    quarantined.write_bytes(whole)  # the stored copy as it is when the clerk retries (e.g. fixed by hand)
    r = chartfile("intake", "retry", "1")
    assert r.code == 0, r.err
    office = open_office(load_config(home, environ={}))
    try:
        with office.db.session() as s:
            item = s.get_one(IntakeItem, 1)
            assert (item.sha256, item.size) == (hashlib.sha256(whole).hexdigest(), len(whole))
            retry = list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == "intake.retry")))[-1]
            assert "hash recomputed" in (retry.detail or "")
    finally:
        office.close()
    again = tmp_path / "again.pdf"
    again.write_bytes(whole)  # an identical re-send is now recognised
    assert chartfile("ingest", str(tmp_path / "again.pdf"), "--json").code == 0
    assert chartfile("ingest", str(tmp_path / "again.pdf"), "--json").out.count('"duplicate"') == 1


def test_identity_changes_are_listed_and_applied_only_when_accepted(home: Path, chartfile: Run,
                                                                    tmp_path: Path) -> None:
    docs = _office(home, chartfile, tmp_path)
    changed = tmp_path / "changed.csv"
    changed.write_text(HEADER + "CF000401,Smith,Jane,,1971-01-02,F,555-0100,,,,\n"
                       "CF000402,OKAFOR,Daniel,,1985-03-04,M,,,,,\n", encoding="utf-8")
    held = chartfile("patients", "import", str(changed))
    assert held.code == 6, held.err
    assert "NOT applied: MRN CF000401: family name 'Lindqvist' -> 'Smith'" in held.err
    assert "date of birth '1970-01-02' -> '1971-01-02'" in held.err and "CF000402" not in held.err
    assert "Lindqvist" in chartfile("search", "Lindqvist").out  # nothing changed yet
    applied = chartfile("patients", "import", str(changed), "--accept-identity-changes")
    assert applied.code == 0, applied.err
    assert "Identity changed: MRN CF000401: given name 'Marta' -> 'Jane'" in applied.out
    assert "1 documents of those patients re-indexed" in applied.out
    found = chartfile("search", "patient:Smith", "--json")
    assert found.code == 0 and [h["doc_id"] for h in json.loads(found.out)["hits"]] == [docs["CF000401"]]
    assert json.loads(chartfile("search", "patient:Lindqvist", "--json").out)["hits"] == []  # the index moved on


def test_ingest_refuses_links_and_pipes_by_name_and_never_reads_them(home: Path, chartfile: Run,
                                                                     tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    link = tmp_path / "fax.pdf"
    link.symlink_to(secret)
    r = chartfile("ingest", str(link))
    assert r.code == 3 and f"{link} is a symbolic link" in r.err
    pipe = tmp_path / "pipe.pdf"
    os.mkfifo(pipe)
    r = chartfile("ingest", str(pipe))
    assert r.code == 3 and "is a named pipe" in r.err
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "real.pdf").write_bytes(patient_pdf_bytes("Marta", "Lindqvist", "01/02/1970", "CF000401", 4))
    (folder / "link.pdf").symlink_to(secret)
    r = chartfile("ingest", str(folder))
    assert r.code == 0 and "Not taken:" in r.err and "link.pdf is a symbolic link" in r.err
    office = open_office(load_config(home, environ={}))
    try:
        with office.db.session() as s:
            assert [i.original_name for i in s.scalars(select(IntakeItem))] == ["real.pdf"]
    finally:
        office.close()
    assert not any("root:x" in p.read_text(errors="replace") for p in home.rglob("*") if p.is_file()
                   and p.suffix != ".db")

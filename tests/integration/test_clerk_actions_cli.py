"""Issue 18 through the real CLI: guarded filing, aliases, document ids, plain status, JSON lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from indexer.db.models import AuditEvent, Filing
from tests.integration.test_review_queue import pdf

HEADER = "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"
ROSTER = HEADER + (
    "CF986947,Garcia,Samuel,Luis,1983-10-20,M,(555) 732-8638,4695 Lincoln Ave,Dallas,OR,97338\n"
    "CF828448,Garcia,Jessica,Linda,1983-10-20,F,(555) 732-8638,4695 Lincoln Ave,Dallas,OR,97338\n"
    "CF100003,Whitfield,Robert,,1961-02-14,M,(555) 201-7000,9 Pine Rd,Salem,OR,97301\n"
)


def referral(name: str, dob: str | None, sex: str) -> list[str]:
    born = f"DOB: {dob}   " if dob else ""
    return ["LAKESIDE BEHAVIORAL HEALTH", "REFERRAL FOR CONSULTATION", f"Patient: {name}",
            f"{born}Sex: {sex}", "Reason for referral: evaluation and treatment recommendations."]


def setup(chartfile: Any, tmp_path: Path, *docs: tuple[str, list[str]]) -> None:
    (tmp_path / "r.csv").write_text(ROSTER)
    assert chartfile("init").code == 0
    assert chartfile("patients", "import", str(tmp_path / "r.csv")).code == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    for name, page in docs:
        pdf(drop / name, [page])
    assert chartfile("ingest", str(drop)).code == 0


def events(home: Path, event_type: str) -> list[AuditEvent]:
    from indexer.db.engine import Database
    from intake.config import load_config

    db = Database(load_config(home, environ={}))
    with db.session() as s:
        out = list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type).order_by(AuditEvent.seq)))
    db.dispose()
    return out


def test_twins_referral_cannot_be_filed_into_the_sisters_chart(chartfile: Any, home: Path, tmp_path: Path) -> None:
    """Before: ``review file 9 --mrn CF828448`` filed Samuel's referral to Jessica and taught an alias."""
    # no DOB on the referral: a name alone never files, so it waits for a clerk (with its DOB the matcher
    # itself would file it to Samuel: the full given name tells the twins apart)
    setup(chartfile, tmp_path, ("samuel.pdf", referral("Samuel Garcia", None, "M")))
    [item] = json.loads(chartfile("review", "list", "--json").out)
    doc = f"D{item['document_id']}"
    refused = chartfile("review", "file", doc, "--mrn", "CF828448")
    assert refused.code == 6, refused.out
    assert "name differs: the document says Samuel Garcia, the chart says Jessica Garcia" in refused.err
    assert "sex differs: the document says M, the chart says F" in refused.err and "--override-reason" in refused.err
    [event] = events(home, "review.file")
    assert (event.outcome, event.patient_mrn) == ("failure", "CF828448") and "Samuel" not in event.detail
    forced = chartfile("review", "file", str(item["review_id"]), "--mrn", "CF828448",
                       "--override-reason", "sender confirmed by phone")
    assert forced.code == 0 and "Filed despite" in forced.out
    assert chartfile("patients", "aliases", "CF828448", "--json").out.strip() == "[]"
    assert "override of name, sex" in events(home, "review.file")[-1].detail
    from indexer.db.engine import Database
    from intake.config import load_config

    db = Database(load_config(home, environ={}))
    with db.session() as s:
        assert s.scalars(select(Filing.override_reason).where(Filing.action == "review")).one() == \
            "sender confirmed by phone"
    db.dispose()


def test_a_nickname_files_and_is_learned_visibly_and_can_be_removed(chartfile: Any, home: Path,
                                                                   tmp_path: Path) -> None:
    setup(chartfile, tmp_path, ("bob.pdf", referral("Bob Whitfield", None, "M")))  # a nickname, no DOB: reviewed
    [item] = json.loads(chartfile("review", "list", "--json").out)
    r = chartfile("review", "file", f"d{item['document_id']}", "--mrn", "CF100003")
    assert r.code == 0, r.err
    assert "is now an alias of CF100003" in r.out and "chartfile patients alias remove CF100003" in r.out
    listed = json.loads(chartfile("patients", "aliases", "CF100003", "--json").out)
    assert [(a["name"], a["document_id"]) for a in listed] == [("Bob Whitfield", item["document_id"])]
    text = chartfile("patients", "aliases", "CF100003").out
    assert "Bob Whitfield" in text and "taught by" in text and f"from D{item['document_id']}" in text
    removed = chartfile("patients", "alias", "remove", "CF100003", "Bob Whitfield")
    assert removed.code == 0 and f"Alias #{listed[0]['id']}" in removed.out
    assert json.loads(chartfile("patients", "aliases", "CF100003", "--json").out) == []
    assert chartfile("patients", "alias", "remove", "CF100003", "Bob Whitfield").code == 4
    [event] = events(home, "patient.alias.remove")
    assert event.patient_mrn == "CF100003" and "Bob" not in event.detail


def test_clerk_readable_output(chartfile: Any, home: Path, tmp_path: Path) -> None:
    assert chartfile("init").code == 0
    assert chartfile("review", "list", "--json").out.strip() == "[]"
    assert chartfile("intake", "list", "--json").out.strip() == "[]"
    status = chartfile("status").out
    assert "{" not in status and "Files received: none yet" in status
    assert chartfile("review", "file", "X9", "--mrn", "CF1").code == 2  # a malformed id is a usage error
    assert chartfile("review", "file", "D999", "--mrn", "CF1").code == 4


def test_review_list_lines_fit_80_columns_and_keep_the_instruction_whole(chartfile: Any, home: Path,
                                                                         tmp_path: Path) -> None:
    setup(chartfile, tmp_path, ("samuel.pdf", referral("Samuel Garcia", "10/20/1983", "M")),
          ("unknown.pdf", referral("Zed Unknownperson-Longfamilyname", "01/01/1950", "M")))
    out = chartfile("review", "list").out
    assert out and all(len(line) <= 80 for line in out.splitlines())
    assert "D" in out.splitlines()[0]


SULLIVAN = HEADER + "CF587304,Sullivan,Joseph,Jeffrey,1983-06-03,M,(555) 489-3877,269 Willow Ct,Albany,OR,97321\n"
COVER = ["ST BRIGID MEDICAL CENTER", "FAX COVER SHEET", "To: Maple Street Family Medicine", "Pages: 3",
         "RE: Joe J Sullivan", "[ ] Urgent  [X] For Review",
         "Attached are results for your patient."]
LAB = ["ST BRIGID MEDICAL CENTER LABORATORY", "LABORATORY REPORT", "Patient: Sullivan, Joe", "Page 1 of 2",
       "Med Rec #: SB1583955", "Collected: 10/21/2026",
       "Potassium 6.9 mmol/L CRITICAL  (3.5-5.1)", "Critical value called to Dr. Ortiz."]
LAB_2 = LAB[:3] + ["Page 2 of 2", "Comment: repeat potassium in the morning."]


def test_a_manual_split_keeps_what_each_part_says(chartfile: Any, home: Path, tmp_path: Path) -> None:
    """Before: both parts had "no patient identifiers", the cover stayed an URGENT lab_result and the split
    parent stayed in search."""
    (tmp_path / "r.csv").write_text(SULLIVAN)
    assert chartfile("init").code == 0
    assert chartfile("patients", "import", str(tmp_path / "r.csv")).code == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    # the fax names the patient without a DOB anywhere: a name alone never files, so it waits for a clerk
    pdf(drop / "lab.pdf", [COVER, LAB, LAB_2])
    assert chartfile("ingest", str(drop)).code == 0
    items = json.loads(chartfile("review", "list", "--json").out)
    whole = [i for i in items if i["pages"] == [1, 3]]
    assert whole, json.dumps(items)
    parent = whole[0]["document_id"]
    r = chartfile("review", "split", f"D{parent}", "--pages", "1,2-3")
    assert r.code == 0, r.err
    exported = {tuple(d["pages"]): d for d in chartfile("documents", "export").json_lines()}
    cover, lab = exported[(1, 1)], exported[(2, 3)]
    assert cover["doc_type"] == "fax_cover" and not cover["urgent"]
    assert lab["doc_type"] == "lab_result" and lab["urgent"] and lab["doc_date"] == "2026-10-21"
    for part in (cover, lab):
        assert "no patient identifiers" not in " ".join(part["match"]["reasons"] + part["match"].get(
            "review_reasons", []))
        assert part["match"]["candidates"] and part["match"]["candidates"][0]["mrn"] == "CF587304"
    hits = json.loads(chartfile("search", "potassium", "--json").out)["hits"]
    assert parent not in {h["doc_id"] for h in hits} and lab["document_id"] in {h["doc_id"] for h in hits}
    assert parent not in {i["document_id"] for i in json.loads(chartfile("review", "list", "--json").out)}

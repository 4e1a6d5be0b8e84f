"""Review queue through the CLI: list, show, file (learning an alias), split, reject, refile."""

from __future__ import annotations

import json
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

HEADER = "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"
ROSTER = HEADER + (
    "CF104233,Garcia,Maria,L,1961-03-04,F,(555) 201-3344,12 Oak St,Springfield,IL,62701\n"
    "CF200417,Okonkwo,Chidi,,1984-09-12,M,(555) 201-7000,9 Pine Rd,Springfield,IL,62702\n"
)


def pdf(path: Path, pages: list[list[str]]) -> Path:
    c = canvas.Canvas(str(path), pagesize=letter)
    for lines in pages:
        y = 740
        for line in lines:
            c.drawString(60, y, line)
            y -= 16
        c.showPage()
    c.save()
    return path


def page(name: str, extra: str = "") -> list[str]:
    return ["SPRINGFIELD IMAGING CENTER", "RADIOLOGY REPORT", f"Patient: {name}", extra,
            "Exam: Chest X-ray two views. Impression: no acute cardiopulmonary process."]


def setup(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "r.csv").write_text(ROSTER)
    assert chartfile("init").code == 0
    assert chartfile("patients", "import", str(tmp_path / "r.csv")).code == 0


def docs_by_source(chartfile) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def, type-arg]
    out: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for d in chartfile("documents", "export").json_lines():
        out.setdefault(d["source"], []).append(d)
    return out


def test_file_from_review_learns_alias_and_refile(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup(chartfile, tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    # a nickname and no DOB: never certain enough to file automatically
    pdf(drop / "xray.pdf", [page("Chidi Okonkwo")])
    assert chartfile("ingest", str(drop)).code == 0
    doc = docs_by_source(chartfile)["xray.pdf"][0]
    assert doc["status"] == "review" and doc["patient_mrn"] is None
    items = json.loads(chartfile("review", "list", "--json").out)
    assert len(items) == 1 and items[0]["document_id"] == doc["document_id"]
    rid = str(items[0]["review_id"])
    shown = json.loads(chartfile("review", "show", rid, "--json").out)
    assert "RADIOLOGY REPORT" in shown["pages_text"][0]["text"]
    assert chartfile("review", "file", rid, "--mrn", "CF999999").code == 4
    r = chartfile("review", "file", rid, "--mrn", "CF200417")
    assert r.code == 0, r.err
    assert chartfile("review", "file", rid, "--mrn", "CF200417").code == 6  # already resolved
    doc = docs_by_source(chartfile)["xray.pdf"][0]
    assert doc["status"] == "filed" and doc["patient_mrn"] == "CF200417"
    hits = json.loads(chartfile("search", "mrn:CF200417", "--json").out)["hits"]
    assert [h["doc_id"] for h in hits] == [doc["document_id"]]
    # found later to be misfiled: refile, history kept.  The page names Chidi Okonkwo: moving it into
    # Maria Garcia's chart contradicts the document, so it takes an override reason.
    refused = chartfile("documents", "refile", str(doc["document_id"]), "--mrn", "CF104233", "--reason", "wrong chart")
    assert refused.code == 6 and "name differs" in refused.err and "--override-reason" in refused.err
    assert chartfile("documents", "refile", f"D{doc['document_id']}", "--mrn", "CF104233", "--reason", "wrong chart",
                     "--override-reason", "the sender confirmed it is Maria Garcia's x-ray").code == 0
    assert docs_by_source(chartfile)["xray.pdf"][0]["patient_mrn"] == "CF104233"
    hits = json.loads(chartfile("search", "mrn:CF104233", "--json").out)["hits"]
    assert [h["doc_id"] for h in hits] == [doc["document_id"]]
    assert json.loads(chartfile("search", "mrn:CF200417", "--json").out)["hits"] == []


def test_split_and_reject(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup(chartfile, tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    # a two-page report (its counter says so) and a one-page report for someone else
    pdf(drop / "batch.pdf", [page("Zed Unknownperson", "Page 1 of 2"), page("Zed Unknownperson", "Page 2 of 2"),
                             page("Quinn Otherstranger", "Page 1 of 1")])
    assert chartfile("ingest", str(drop)).code == 0
    docs = docs_by_source(chartfile)["batch.pdf"]
    items = json.loads(chartfile("review", "list", "--json").out)
    assert docs and all(d["status"] == "review" for d in docs)
    whole = [i for i in items if i["pages"] == [1, 3]]
    if whole:  # matcher proposed a split but was not certain: the clerk splits
        rid = str(whole[0]["review_id"])
        assert chartfile("review", "split", rid, "--pages", "1-2,4").code == 3
        r = chartfile("review", "split", rid, "--pages", "1-2,3")
        assert r.code == 0, r.err
        docs = docs_by_source(chartfile)["batch.pdf"]
    assert sorted(d["pages"] for d in docs) == [[1, 2], [3, 3]]
    items = json.loads(chartfile("review", "list", "--json").out)
    target = [i for i in items if i["pages"] == [3, 3]][0]
    assert chartfile("review", "reject", str(target["review_id"]), "--reason", "not our patient").code == 0
    statuses = {tuple(d["pages"]): d["status"] for d in docs_by_source(chartfile)["batch.pdf"]}
    assert statuses == {(1, 2): "review", (3, 3): "rejected"}

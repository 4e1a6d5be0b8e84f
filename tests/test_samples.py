"""Tests for the synthetic data package ``samples`` (fast: a few seconds)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from samples import (
    DOC_TYPES,
    FORMATS,
    build_roster,
    generate_faxes,
    generate_hostile,
    generate_roster,
    make_document,
    make_fax,
    read_ground_truth,
    slow_write,
    write_roster,
    write_roster_csv,
)
from samples.__main__ import cli
from samples.roster import ROSTER_FIELDS

OWN_MRN = re.compile(r"CF\d{6}")
SENT = dt.datetime(2026, 11, 20, 10, 32)
PLAIN_PATIENT = {
    "mrn": "CF123456", "family_name": "Thornton", "given_name": "Helen", "middle_name": "Ruth",
    "dob": "1957-03-04", "sex": "F", "phone": "(555) 321-7654", "address": "12 Oak St",
    "city": "Salem", "state": "OR", "postal_code": "97301",
}


# --------------------------------------------------------------------------
# roster
# --------------------------------------------------------------------------
def test_roster_is_deterministic_by_seed() -> None:
    assert generate_roster(120, 7) == generate_roster(120, 7)
    assert generate_roster(120, 7) != generate_roster(120, 8)


def test_roster_csv_header_and_field_formats(tmp_path: Path) -> None:
    rows = generate_roster(200, 3)
    path = write_roster_csv(rows, tmp_path / "r.csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code"
    back = list(csv.DictReader(io.StringIO(text)))
    assert len(back) == 200 and tuple(back[0]) == ROSTER_FIELDS
    assert len({r["mrn"] for r in back}) == 200
    for r in back:
        assert re.fullmatch(r"CF\d{6}", r["mrn"])
        assert dt.date.fromisoformat(r["dob"]) <= dt.date(2026, 11, 20)
        assert r["sex"] in ("F", "M")
        assert re.fullmatch(r"\(555\) \d{3}-\d{4}", r["phone"])
        assert re.fullmatch(r"[A-Z]{2}", r["state"]) and re.fullmatch(r"\d{5}", r["postal_code"])


def test_roster_has_labelled_hard_cases() -> None:
    roster = build_roster(300, 11)
    by_mrn = roster.by_mrn()
    kinds = {g.kind for g in roster.groups}
    assert {"twins", "same_name_diff_dob", "suffix", "hyphenated", "apostrophe", "diacritics",
            "nickname", "maiden_name", "household", "common_family_name"} <= kinds
    for g in roster.groups_of("twins"):
        a, b = (by_mrn[m] for m in g.mrns)
        assert (a["family_name"], a["dob"], a["address"]) == (b["family_name"], b["dob"], b["address"])
        assert a["given_name"] != b["given_name"]
    for g in roster.groups_of("same_name_diff_dob"):
        a, b = (by_mrn[m] for m in g.mrns)
        assert a["given_name"] == b["given_name"] and a["dob"] != b["dob"]
    assert any("-" in by_mrn[g.mrns[0]]["family_name"] for g in roster.groups_of("hyphenated"))
    assert any("'" in by_mrn[g.mrns[0]]["family_name"] for g in roster.groups_of("apostrophe"))
    assert all(not (by_mrn[g.mrns[0]]["given_name"] + by_mrn[g.mrns[0]]["family_name"]).isascii()
               for g in roster.groups_of("diacritics"))
    assert all("nickname" in roster.extras(g.mrns[0]) for g in roster.groups_of("nickname"))
    common = sum(r["family_name"] in ("Smith", "Johnson", "Garcia", "Nguyen", "Williams") for r in roster.rows)
    assert common >= 10


def test_roster_sidecar_round_trip(tmp_path: Path) -> None:
    from samples import load_roster

    roster = build_roster(40, 2)
    write_roster(roster, tmp_path / "p.csv")
    again = load_roster(tmp_path / "p.csv")
    assert again.rows == roster.rows and again.groups == roster.groups


# --------------------------------------------------------------------------
# document content
# --------------------------------------------------------------------------
@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_documents_have_exact_pages_and_consistent_truth(doc_type: str) -> None:
    rows = build_roster(60, 5).rows
    for seed, pages in ((1, 1), (2, 2), (3, 4)):
        doc = make_document(random.Random(seed), doc_type, rows[seed], sent=SENT, pages=pages)
        assert len(doc.pages) == pages
        truth = doc.truth
        text = "\n".join(doc.page_texts())
        assert truth["doc_type"] == doc_type and truth["mrn"] == rows[seed]["mrn"]
        if truth["name_layout"] == "inline":
            assert truth["name"] and truth["name"] in text
        assert truth["family"].upper() in text.upper() and truth["given"].upper() in text.upper()
        if truth["dob_raw"]:
            assert truth["dob_raw"] in text
        if doc_type not in ("fax_cover", "insurance_card"):
            assert truth["doc_date"] < SENT.date().isoformat()  # never the transmission date
        assert (truth["mrn"] in text) == truth["mrn_printed"]
        for fid in truth["foreign_ids"]:
            assert fid["value"] in text and not OWN_MRN.fullmatch(fid["value"])
        assert truth["sender"]


def test_roi_truth_matches_printed_elements() -> None:
    rows = build_roster(60, 5).rows
    seen_missing = False
    for seed in range(30):
        doc = make_document(random.Random(seed), "roi_authorization", rows[seed], sent=SENT, pages=1)
        roi, text = doc.truth["roi"], "\n".join(doc.page_texts())
        el = roi["elements"]
        assert ("revoke" in text) == el["revocation_statement"]
        assert ("conditioned" in text) == el["conditioning_statement"]
        assert ("redisclosed" in text) == el["redisclosure_statement"]
        assert ("Purpose of disclosure" in text) == el["purpose"]
        assert ("/s/" in text) == el["signature"]
        assert roi["valid"] == (not roi["missing"] and not roi["expired"])
        seen_missing |= bool(roi["missing"])
    assert seen_missing


def test_forced_urgent_lab_has_critical_value() -> None:
    row = build_roster(10, 1).rows[0]
    doc = make_document(random.Random(4), "lab_result", row, sent=SENT, pages=1, force={"urgent": True})
    assert doc.truth["urgent"] and "critical_value" in doc.truth["urgency_reasons"]
    assert any(w in doc.page_texts()[0] for w in ("CRITICAL", "PANIC", "HH", "LL", "CRIT"))


def test_unknown_patient_has_no_mrn() -> None:
    doc = make_document(random.Random(1), "clinical_note", dict(PLAIN_PATIENT, mrn=""), sent=SENT,
                        in_roster=False)
    assert doc.truth["mrn"] is None and not OWN_MRN.search("\n".join(doc.page_texts()))


# --------------------------------------------------------------------------
# formats
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    d = tmp_path_factory.mktemp("formats")
    out = {}
    for fmt, info in FORMATS.items():
        pages = 2 if info.multipage else 1
        path = d / f"doc-{fmt}{info.ext}"
        out[fmt] = (path, make_fax(path, PLAIN_PATIENT, "clinical_note", fmt, seed=3, pages=pages))
    return out


@pytest.mark.parametrize("fmt,dpi,height,compression", [
    ("tiff-fine", (204, 196), 2156, "group4"),
    ("tiff-standard", (204, 98), 1078, "group4"),
    ("tiff-g3", (204, 98), 1078, "group3"),
])
def test_tiff_pages_dpi_and_ccitt(written: dict, fmt: str, dpi: tuple, height: int, compression: str) -> None:
    path, truth = written[fmt]
    with Image.open(path) as im:
        assert getattr(im, "n_frames", 1) == 2 == truth["page_count"]
        for i in range(2):
            im.seek(i)
            assert im.mode == "1" and im.size == (1728, height)
            assert tuple(round(v) for v in im.info["dpi"]) == dpi
            assert im.info["compression"] == compression
    assert truth["resolution"] == list(dpi)


def test_image_pdf_has_no_text_and_text_pdf_has_text(written: dict) -> None:
    pdfplumber = pytest.importorskip("pdfplumber")
    img_path, img_truth = written["pdf-image"]
    txt_path, txt_truth = written["pdf-text"]
    with pdfplumber.open(img_path) as pdf:
        assert len(pdf.pages) == 2
        assert all(not (p.extract_text() or "").strip() for p in pdf.pages)
        assert all(p.images for p in pdf.pages)
    with pdfplumber.open(txt_path) as pdf:
        assert len(pdf.pages) == 2
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
        assert not any(p.images for p in pdf.pages)
    name = txt_truth["documents"][0]["name"]
    assert " ".join(name.split()) in " ".join(text.split())
    assert "Thornton".lower() in text.lower()


def test_single_page_images(written: dict) -> None:
    for fmt, mode in (("png", "1"), ("jpeg", "L")):
        path, truth = written[fmt]
        with Image.open(path) as im:
            assert im.mode == mode and getattr(im, "n_frames", 1) == 1 == truth["page_count"]
            assert tuple(round(v) for v in im.info["dpi"]) == (204, 196)


def test_make_fax_is_byte_deterministic(tmp_path: Path) -> None:
    for fmt in ("tiff-fine", "pdf-image", "pdf-text"):
        ext = FORMATS[fmt].ext
        a = make_fax(tmp_path / f"a{ext}", PLAIN_PATIENT, "lab_result", fmt, seed=9, noise=True)
        b = make_fax(tmp_path / f"b{ext}", PLAIN_PATIENT, "lab_result", fmt, seed=9, noise=True)
        assert (tmp_path / f"a{ext}").read_bytes() == (tmp_path / f"b{ext}").read_bytes()
        a.pop("file"), b.pop("file")
        assert a == b


def test_fax_header_uses_transmission_date(written: dict) -> None:
    _, truth = written["tiff-fine"]
    sent = dt.datetime.fromisoformat(truth["fax"]["sent"])
    header = truth["page_texts"][0].splitlines()[0]
    assert any(sent.strftime(f).upper() in header.upper() for f in ("%b-%d-%Y", "%m/%d/%Y", "%b %d %Y"))
    assert sent.strftime("%I:%M") in header or sent.strftime("%H:%M") in header
    assert truth["documents"][0]["doc_date"] != sent.date().isoformat()


# --------------------------------------------------------------------------
# corpus + CLI
# --------------------------------------------------------------------------
def test_generate_faxes_ground_truth_is_deterministic_and_complete(tmp_path: Path) -> None:
    roster = build_roster(60, 4)
    kwargs: dict[str, Any] = {"formats": ("tiff-standard", "pdf-text"), "batch_rate": 0.5, "unknown_rate": 0.2}
    recs = generate_faxes(roster, tmp_path / "a", 6, 21, **kwargs)
    generate_faxes(roster, tmp_path / "b", 6, 21, **kwargs)
    gt_a = (tmp_path / "a" / "ground_truth.jsonl").read_bytes()
    assert gt_a == (tmp_path / "b" / "ground_truth.jsonl").read_bytes()
    assert read_ground_truth(tmp_path / "a" / "ground_truth.jsonl") == json.loads(json.dumps(recs))
    assert any(r["batch"] for r in recs)
    mrns = {r["mrn"] for r in roster.rows}
    for r in recs:
        assert (tmp_path / "a" / r["file"]).exists()
        assert len(r["page_texts"]) == r["page_count"] == len(r["pages"])
        covered = [n for d in r["documents"] for n in range(d["pages"][0], d["pages"][1] + 1)]
        assert covered == list(range(1, r["page_count"] + 1))
        for d in r["documents"]:
            assert d["mrn"] is None or d["mrn"] in mrns
        if r["batch"]:
            assert r["documents"][0]["doc_type"] == "fax_cover"
            patients = [d["mrn"] or d["name"] for d in r["documents"][1:]]
            assert len(set(patients)) == len(patients) >= 2


def test_cli_roster_and_faxes(tmp_path: Path) -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    res = runner.invoke(cli, ["roster", "--out", str(tmp_path / "r.csv"), "--count", "30", "--seed", "2"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.groups.json").exists()
    res = runner.invoke(cli, ["faxes", "--roster", str(tmp_path / "r.csv"), "--out", str(tmp_path / "f"),
                              "--count", "2", "--seed", "2", "--formats", "pdf-text,png"])
    assert res.exit_code == 0, res.output
    assert len(read_ground_truth(tmp_path / "f" / "ground_truth.jsonl")) == 2
    res = runner.invoke(cli, ["faxes", "--roster", str(tmp_path / "r.csv"), "--out", str(tmp_path / "g"),
                              "--formats", "bmp"])
    assert res.exit_code == 2 and "unknown format" in res.output


# --------------------------------------------------------------------------
# hostile files
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    d = tmp_path_factory.mktemp("hostile")
    cases = generate_hostile(d, seed=1, max_pages=5)
    return d, {c.case: c for c in cases}


def test_hostile_files_are_what_they_claim(hostile: tuple[Path, dict[str, Any]]) -> None:
    from pypdf import PdfReader

    d, cases = hostile
    assert (d / cases["zero_bytes"].file).stat().st_size == 0
    assert PdfReader(d / cases["user_password"].file).is_encrypted
    owner = PdfReader(d / cases["owner_password_only"].file)
    assert owner.is_encrypted and owner.decrypt("") and len(owner.pages) == 1
    assert (d / cases["html_as_pdf"].file).read_bytes().startswith(b"<!DOCTYPE html>")
    assert not (d / cases["garbage_pdf"].file).read_bytes().startswith(b"%PDF")
    assert b"%%EOF" not in (d / cases["truncated_pdf"].file).read_bytes()
    assert (d / cases["exe_as_pdf"].file).read_bytes()[:2] == b"MZ"
    assert zipfile.is_zipfile(d / cases["docx"].file)
    bomb = d / cases["decompression_bomb"].file
    assert bomb.stat().st_size < 2048
    with pytest.raises(Image.DecompressionBombError):
        Image.open(bomb)
    with Image.open(d / cases["page_limit"].file) as im:
        assert getattr(im, "n_frames", 1) == 6
    with Image.open(d / cases["unicode"].file) as im:
        assert im.format == "TIFF"
    assert len(cases["long_name"].file) == 200 and cases["leading_dash"].file.startswith("-")
    expectations = json.loads("[" + ",".join((d / "hostile.jsonl").read_text(encoding="utf-8").splitlines()) + "]")
    assert {e["expect"] for e in expectations} == {"quarantine", "ignore", "accept"}
    for e in expectations:
        assert (d / e["file"]).exists()


def test_slow_write_grows_the_file_over_time(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    start = time.perf_counter()
    slow_write(tmp_path / "slow.pdf", data, chunks=4, seconds=0.3)
    assert time.perf_counter() - start >= 0.25
    assert (tmp_path / "slow.pdf").read_bytes() == data


# --------------------------------------------------------------------------
# real OCR (integration)
# --------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("tesseract") is None,
                    reason="tesseract binary not installed (Debian package tesseract-ocr)")
def test_tesseract_reads_patient_name_from_fine_fax(tmp_path: Path) -> None:
    truth = make_fax(tmp_path / "ocr.tif", PLAIN_PATIENT, "referral", "tiff-fine", seed=5, noise=True)
    with Image.open(tmp_path / "ocr.tif") as im:
        im.crop((0, 0, 1728, 700)).save(tmp_path / "top.png")  # letterhead + patient block
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # no thread oversubscription under pytest-xdist/CI
    out = subprocess.run(["tesseract", str(tmp_path / "top.png"), "stdout", "--psm", "6"],
                         capture_output=True, text=True, timeout=60, check=True, env=env).stdout
    assert "thornton" in out.lower(), out
    assert truth["documents"][0]["family"] == "Thornton"

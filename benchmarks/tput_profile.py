"""Where the time goes in one ``chartfile ingest``: py-spy samples classified by stage.

Owns the stage rules for the writer and worker processes, turning py-spy's
raw output into seconds per stage, and the OSD usage report.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.tput_runs import _run, build_set, chartfile_cmd, fresh_home

Rule = tuple[str, tuple[str, ...]]  # (label, substrings all in the stack, "!x": x not in it); first match wins
HELPERS = "helper processes (idle)"
WRITER_RULES: tuple[Rule, ...] = (
    ("imports (one-time)", ("_find_and_load",)),
    ("worker pool start/stop", ("ensure (indexer/intake_items",)),
    ("worker pool start/stop", ("close (indexer/service",)),
    ("index: Whoosh write + commit", ("upsert (search/",)),
    ("index: find pending, mark indexed", ("index_pending",)),
    ("audit events", ("indexer/audit/",)),
    ("matching", ("indexer/matching/",)),
    ("ROI drafts", ("indexer/roi/",)),
    ("roster load / version check", ("load_roster",)),
    ("roster load / version check", ("roster_version",)),
    ("roster load / version check", ("gazetteer (indexer/patients",)),
    ("filing: transaction commit", ("_commit (indexer/service", "commit (sqlalchemy")),
    ("filing: record_extracted (other SQL + Python)", ("record_extracted",)),
    ("filing: move to archive", ("place_file (indexer/ledger",)),
    ("claim: ledger row + copy into spool", ("claim (indexer/ledger",)),
    ("start item: duplicate check, sniff", ("_duplicate (indexer/service",)),
    ("start item: duplicate check, sniff", ("_sniff (indexer/service",)),
    ("start item: duplicate check, sniff", ("submit (indexer/service",)),
    ("dispatch results", ("_handle (indexer/service",)),
    ("waiting for workers", ("pump (indexer/service",)),
    ("home init (migrate, index check)", ("prepare_home",)),
)
WORKER_RULES: tuple[Rule, ...] = (
    (HELPERS, ("resource_tracker.py",)),
    (HELPERS, ("main (multiprocessing/forkserver", "!_serve_one")),
    ("imports (one-time)", ("_find_and_load",)),
    ("page file for tesseract (written once)", ("staged (intake/_exec/tesseract",)),
    ("OSD: write temp image", ("image_to_osd", "save (PIL")),
    ("OSD: tesseract --psm 0", ("image_to_osd",)),
    ("OSD: libtesseract", ("osd (intake/_exec/tesslib",)),
    ("tesseract model load (once per worker)", ("__init__ (intake/_exec/tesslib",)),
    ("orientation: re-read of the turned page", ("_orient (intake/ocr",)),
    ("binarized retry (second OCR)", ("_binarized_retry",)),
    ("OCR: write temp image", ("pytesseract", "save (PIL")),
    ("OCR: tesseract", ("pytesseract",)),
    ("OCR: tesseract", ("tsv (intake/_exec/tesslib",)),
    ("OCR: pixels for libtesseract", ("pixels (intake/_exec/tesslib",)),
    ("OCR: pixels for libtesseract", ("for_tesseract (intake/_exec/tesseract",)),
    ("OCR: parse TSV", ("parse_tsv",)),
    ("decode page", ("decode_page",)),
    ("preprocess: skew estimate", ("estimate_skew",)),
    ("preprocess: deskew / rotate", ("deskew",)),
    ("preprocess: deskew / rotate", ("_rotate (intake/ocr",)),
    ("preprocess: grey + resolution", ("normalise_resolution",)),
    ("preprocess: grey + resolution", ("to_grey",)),
    ("preprocess: blank check", ("is_blank",)),
    ("preprocess: despeckle", ("despeckle",)),
    ("OCR: other", ("ocr_image",)),
    ("plan file (open, text layers)", ("plan_file",)),
    ("entities (spaCy rules)", ("extract_entities",)),
    ("read page: other", ("read_one_page",)),
    ("idle: waiting for a task", ("recv (multiprocessing",)),
    ("idle: waiting for a task", ("get (multiprocessing/queues",)),
)


def classify(stack: str, rules: Sequence[Rule]) -> str:
    for label, needles in rules:
        if all((n[1:] not in stack) if n.startswith("!") else (n in stack) for n in needles):
            return label
    return "other"


def breakdown(raw: str, rate: float) -> dict[str, dict[str, float]]:
    """py-spy ``--format raw`` (``frame;frame;... count``) to seconds per role ('writer'/'workers') and stage.

    The root process is the writer; deeper processes are workers, except idle
    helpers (fork server, resource tracker).  Helper threads (stacks rooted in
    ``threading._bootstrap``) are left out: a process's main thread says where its time goes.
    """
    out: dict[str, dict[str, float]] = {"writer": {}, "workers": {}, "helpers": {}}
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        procs = sum(1 for f in frames if f.startswith("process "))
        if len(frames) > procs and frames[procs].startswith("_bootstrap (threading"):
            continue
        role = "writer" if procs <= 1 else "workers"
        label = classify(stack, WRITER_RULES if role == "writer" else WORKER_RULES)
        role = "helpers" if label == HELPERS else role
        out[role][label] = out[role].get(label, 0.0) + int(count) / rate
    return out


def profile_table(times: dict[str, float], per: int, unit: str) -> str:
    total = sum(times.values()) or 1.0
    rows = [f"| stage | seconds | share | ms per {unit} |", "|---|---:|---:|---:|"]
    for label, sec in sorted(times.items(), key=lambda kv: -kv[1]):
        rows.append(f"| {label} | {sec:.1f} | {sec / total:.0%} | {1000 * sec / max(per, 1):.0f} |")
    return "\n".join(rows)


def orientation_report(db: Path, recs: Sequence[dict[str, Any]]) -> dict[str, int]:
    """OSD usage from the pages table against the ground truth: how often it ran, what it fixed."""
    import sqlite3

    from intake import ocr

    below = float(getattr(ocr, "OSD_BELOW_CONFIDENCE", 75.0))
    truth = {(r["file"], p["number"]): int(p.get("rotation") or 0) for r in recs for p in r["pages"]}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT i.original_name, p.number, p.confidence, p.rotation FROM pages p JOIN "
                           "intake_items i ON i.id = p.intake_item_id WHERE p.source = 'ocr'").fetchall()
    turned = [(truth.get((name, num), 0), rot) for name, num, _conf, rot in rows]
    return {"ocr_pages": len(rows),
            "osd_ran": sum(1 for _n, _p, conf, rot in rows if rot or conf is None or conf < below),
            "truly_rotated": sum(1 for t in truth.values() if t),
            "rotated_fixed": sum(1 for t, rot in turned if t and rot),
            "turned_wrongly": sum(1 for t, rot in turned if not t and rot)}


def profile(args: argparse.Namespace, work: Path, rate: int = 100) -> dict[str, Any]:
    """One ``chartfile ingest`` of the set under ``py-spy --subprocesses --idle``; time by stage."""
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    bench, roster = build_set(work, args.pages, args.seed, images=False)
    home, raw = work / "home-profile", work / "py-spy.txt"
    fresh_home(home, roster)
    t0 = time.perf_counter()
    _run([spy, "record", "--subprocesses", "--idle", "--rate", str(rate), "--format", "raw", "-o", str(raw),
          "--", *chartfile_cmd(), "--home", str(home), "ingest", str(work / "set")])
    wall = time.perf_counter() - t0
    roles = breakdown(raw.read_text(), rate)
    raster = bench.pages - bench.per_format.get("pdf-text", 0)
    print(f"ingest under py-spy: {len(bench.files)} files, {bench.pages} pages ({raster} raster), {wall:.1f}s wall\n")
    print(f"## Writer process (main thread)\n\n{profile_table(roles['writer'], len(bench.files), 'file')}\n")
    print(f"## Worker processes (main threads, summed)\n\n{profile_table(roles['workers'], raster, 'raster page')}")
    osd = orientation_report(home / "chartfile.db", json.loads((work / "set.json").read_text()))
    print(f"\nOSD (orientation): ran on ~{osd['osd_ran']} of {osd['ocr_pages']} OCRed pages (confidence below the "
          f"threshold); {osd['rotated_fixed']} of {osd['truly_rotated']} upside-down pages turned, "
          f"{osd['turned_wrongly']} pages turned wrongly")
    return {"wall": wall, "files": len(bench.files), "pages": bench.pages, "raster_pages": raster, "seconds": roles,
            "osd": osd}


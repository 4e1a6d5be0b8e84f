"""Replay for :mod:`benchmarks.eval`: everything after OCR, from a finished home's stored page texts.

The source home's database is read with plain SQL (it may be at an older
schema); the target home is a fresh, initialised one with the roster already
imported.  Each processed file's pages go through the same functions the
intake service uses — :func:`intake.workers.extract_entities` (the worker
side) and :func:`indexer.filing.record_extracted` (the writer side) — so a
replay measures the product, not a copy of it.  Quarantine and duplicate
verdicts, decided before any text exists, are copied as they were.
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from indexer.db.engine import Database
from indexer.db.models import IntakeItem, utcnow
from indexer.filing import load_roster, record_extracted
from indexer.patients import roster_lexicon
from intake import workers
from intake.config import load_config
from intake.model import ExtractedFile, PageText

_ITEM_COLS = ("id", "original_name", "origin", "size", "sha256", "kind", "state", "reason",
              "duplicate_of_id", "attempts", "seconds")
_PAGE_COLS = ("intake_item_id", "number", "text", "source", "confidence", "rotation", "seconds", "note")


def _rows(db: Path, table: str, cols: tuple[str, ...]) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        cur = con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {cols[0]}")  # noqa: S608 - fixed names
        return [dict(zip(cols, r, strict=True)) for r in cur]
    finally:
        con.close()


def read_source(home: Path, names: set[str]) -> tuple[list[dict[str, Any]], dict[int, list[PageText]]]:
    """Intake items (id order) whose file is in ``names``, and their stored pages."""
    db = home / "chartfile.db"
    if not db.exists():
        raise SystemExit(f"{home} has no chartfile.db (replay reads a finished SQLite home)")
    items = [r for r in _rows(db, "intake_items", _ITEM_COLS) if r["original_name"] in names]
    wanted = {r["id"] for r in items}
    pages: dict[int, list[PageText]] = defaultdict(list)
    for r in _rows(db, "pages", _PAGE_COLS):
        if r["intake_item_id"] in wanted:
            pages[r["intake_item_id"]].append(PageText(
                number=r["number"], text=r["text"] or "", source=r["source"], confidence=r["confidence"],
                rotation=r["rotation"] or 0, seconds=r["seconds"] or 0.0, note=r["note"]))
    for plist in pages.values():
        plist.sort(key=lambda p: p.number)
    return items, pages


def replay(source: Path, target: Path, names: set[str], env: dict[str, str]) -> dict[str, Any]:
    """Fill the fresh home ``target`` from ``source``'s page texts; returns counts and timings."""
    items, pages = read_source(source, names)
    cfg = load_config(target, environ=env)
    db = Database(cfg)
    try:
        workers.init_worker(cfg, roster_lexicon(cfg, db), eager=False)
        with db.session() as s:
            roster = load_roster(s)
        new_ids: dict[int, int] = {}
        t_ent = t_rec = 0.0
        processed = 0
        for row in items:
            extracted = None
            if row["state"] == "processed" and pages.get(row["id"]):
                t0 = time.process_time()
                ent = workers.extract_entities(pages[row["id"]])
                t_ent += time.process_time() - t0
                extracted = (pages[row["id"]], ent)
            t0 = time.process_time()
            with db.transaction() as s:
                item = IntakeItem(
                    original_name=row["original_name"], origin=row["origin"], size=row["size"],
                    sha256=row["sha256"], kind=row["kind"], attempts=row["attempts"],
                    state="processing" if extracted else row["state"], reason=row["reason"],
                    duplicate_of_id=new_ids.get(row["duplicate_of_id"] or -1), finished_at=utcnow())
                s.add(item)
                s.flush()
                new_ids[row["id"]] = item.id
                if extracted:
                    plist, ent = extracted
                    record_extracted(s, cfg, item, ExtractedFile(item.id, plist, ent, row["seconds"] or 0.0),
                                     roster)
                    processed += 1
            t_rec += time.process_time() - t0
    finally:
        db.dispose()
    return {"items": len(items), "processed": processed, "entities_cpu_s": round(t_ent, 1),
            "record_cpu_s": round(t_rec, 1)}

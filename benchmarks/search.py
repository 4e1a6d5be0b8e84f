"""Search benchmark: index N synthetic documents, then time a fixed mix of clerk queries.

Run ``python -m benchmarks.search --docs 100000`` (the report in
docs/benchmarks-search.md) or ``--docs 500`` (smoke).  Builds a throw-away
data home: a synthetic roster (:mod:`samples.roster`) and fax-like documents
of 1–6 pages (:mod:`samples.documents` templates with the patient swapped in),
inserted straight into the database; then times the real code paths —
:func:`search.writer.rebuild`, per-commit :func:`index_pending`, and
:meth:`search.engine.SearchEngine.search` (20 hits, facets, snippets) — and
prints indexing rate, p50/p95/p99 per query kind and peak memory.  All data
is synthetic; nothing touches the network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import insert, select

from indexer.db.engine import Database
from indexer.db.models import Document, IntakeItem, Page, Patient
from intake.config import load_config
from search.engine import SearchEngine
from search.writer import SearchIndex, index_pending, rebuild

REFERENCE = dt.date(2026, 11, 20)  # "today" of the synthetic data
SPAN_DAYS = 730  # documents received over two years
PAGE_WEIGHTS = (30, 25, 18, 12, 9, 6)  # 1..6 pages
TARGETS_MS = {"structured": 100.0, "free_text": 300.0}


@dataclass
class SynthDoc:
    """One synthetic document ready for insertion."""

    patient: int | None  # index into the roster; None = awaiting review
    doc_type: str
    pages: list[str]
    doc_date: dt.date | None
    received: dt.datetime
    sender: str
    urgent: bool


def _roster(n: int, seed: int) -> list[dict[str, str]]:
    from samples.roster import generate_roster

    return generate_roster(n, seed)


def _templates(n: int, roster: list[dict[str, str]], rng: random.Random) -> list[Any]:
    """Realistic documents from :mod:`samples.documents` to reuse with other patients."""
    from samples.documents import DOC_TYPE_WEIGHTS, make_document

    types, weights = zip(*DOC_TYPE_WEIGHTS.items(), strict=True)
    out = []
    for _ in range(n):
        sent = dt.datetime.combine(REFERENCE, dt.time(9)) - dt.timedelta(days=rng.randint(0, 30))
        out.append(make_document(rng, rng.choices(types, weights)[0], rng.choice(roster), sent=sent))
    return out


def _swap_patient(text: str, truth: dict[str, Any], row: dict[str, str]) -> str:
    """Print another patient's name, DOB and MRN where the template printed its own."""
    name = truth.get("name") or ""
    if name:
        new = (f"{row['family_name']}, {row['given_name']}" if "," in name
               else f"{row['given_name']} {row['family_name']}")
        text = text.replace(name, new.upper() if name.isupper() else new)
    if truth.get("dob_raw"):
        y, m, d = row["dob"].split("-")
        text = text.replace(truth["dob_raw"], f"{m}/{d}/{y}")
    if truth.get("mrn"):
        text = text.replace(truth["mrn"], row["mrn"])
    return text


def synth_docs(n: int, roster: list[dict[str, str]], seed: int) -> list[SynthDoc]:
    """``n`` documents: template text with the patient swapped in, 1–6 pages, two years of dates."""
    rng = random.Random(seed)
    templates = _templates(min(n, 4000), roster, rng)
    by_type: dict[str, list[Any]] = {}
    for t in templates:
        by_type.setdefault(t.doc_type, []).append(t)
    docs = []
    for _ in range(n):
        tpl = rng.choice(templates)
        pages = tpl.page_texts()
        want = rng.choices(range(1, 7), PAGE_WEIGHTS)[0]
        while len(pages) < want:
            more = rng.choice(by_type[tpl.doc_type]).page_texts()[1:]
            pages = pages + (more or rng.choice(templates).page_texts())
        pidx = rng.randrange(len(roster))
        received = (dt.datetime.combine(REFERENCE, dt.time(8)) - dt.timedelta(days=rng.randint(0, SPAN_DAYS))
                    + dt.timedelta(minutes=rng.randint(0, 600)))
        doc_date = None
        if tpl.truth.get("doc_date"):
            doc_date = received.date() - dt.timedelta(days=rng.randint(0, 10))
        docs.append(SynthDoc(None if rng.random() < 0.05 else pidx, tpl.doc_type,
                             [_swap_patient(p, tpl.truth, roster[pidx]) for p in pages[:want]],
                             doc_date, received, tpl.truth.get("sender") or "", bool(tpl.truth.get("urgent"))))
    return docs


def load_database(db: Database, roster: list[dict[str, str]], docs: list[SynthDoc]) -> None:
    """Bulk-insert patients, intake items, pages and documents (Core inserts, in chunks)."""
    with db.transaction() as s:
        s.execute(insert(Patient), [{
            "mrn": r["mrn"], "family_name": r["family_name"], "given_name": r["given_name"],
            "middle_name": r.get("middle_name") or None, "dob": dt.date.fromisoformat(r["dob"]),
            "sex": r.get("sex")} for r in roster])
        ids = dict(s.execute(select(Patient.mrn, Patient.id)).all())
    for start in range(0, len(docs), 5000):
        chunk = docs[start:start + 5000]
        base = start + 1
        with db.transaction() as s:
            s.execute(insert(IntakeItem), [{"id": base + i, "original_name": f"fax-{base + i:07d}.pdf",
                                            "state": "processed", "received_at": d.received,
                                            "page_count": len(d.pages)} for i, d in enumerate(chunk)])
            s.execute(insert(Page), [{"intake_item_id": base + i, "number": n, "text": text, "source": "ocr"}
                                     for i, d in enumerate(chunk) for n, text in enumerate(d.pages, 1)])
            s.execute(insert(Document), [{
                "id": base + i, "intake_item_id": base + i, "first_page": 1, "last_page": len(d.pages),
                "status": "review" if d.patient is None else "filed", "doc_type": d.doc_type,
                "patient_id": None if d.patient is None else ids[roster[d.patient]["mrn"]],
                "doc_date": d.doc_date, "sender_org": d.sender, "urgent": d.urgent,
                "created_at": d.received, "updated_at": d.received} for i, d in enumerate(chunk)])


class QueryMix:
    """A fixed, seeded mix of what clerks type, by kind (structured or free text)."""

    COMMON = ("patient", "date", "results", "medication", "history", "normal", "report", "signed")
    PAIRS = ("blood pressure", "follow up", "patient name", "lab results", "date of birth", "chest pain")
    RARE = ("metformin", "lisinopril", "hemoglobin", "mammogram", "allergies", "impression")
    TYPES = ("lab", "referral", "imaging", "rx", "discharge", "note")
    RELATIVE = ("last month", "this month", "last week", "last 30 days")

    def __init__(self, roster: list[dict[str, str]], docs: list[SynthDoc], seed: int) -> None:
        self.rng = random.Random(seed)
        self.filed = [roster[d.patient] for d in docs[:5000] if d.patient is not None]
        self.senders = sorted({d.sender for d in docs[:5000] if d.sender})
        self.months = [(REFERENCE - dt.timedelta(days=30 * k)).strftime("%Y-%m") for k in range(1, 20)]

    def patient(self) -> dict[str, str]:
        return self.rng.choice(self.filed)

    def typo(self, name: str) -> str:
        """Swap two inner letters (``smith`` → ``smtih``)."""
        if len(name) < 5:
            return name
        i = self.rng.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]

    def make(self, kind: str) -> str:
        r, pick = self.patient(), self.rng.choice
        y, m, d = r["dob"].split("-")
        a, b = sorted((pick(self.months), pick(self.months)))
        return {
            "patient": f'patient:"{r["given_name"]} {r["family_name"]}"',
            "patient_typo": f'patient:"{self.typo(r["given_name"])} {self.typo(r["family_name"])}"',
            "mrn": f"mrn:{r['mrn']}",
            "dob": f"dob:{m}/{d}/{y}",
            "dob_year": f"dob:{y}",
            "type": f"type:{pick(self.TYPES)}",
            "date_range": f"date:{a}..{b}",
            "date_relative": f'date:"{pick(self.RELATIVE)}"',
            "from": f'from:"{pick(self.senders)}"',
            "mixed": f'type:lab date:"last month" patient:{r["family_name"]}',
            "text_common": pick(self.COMMON),
            "text_two_common": pick(self.PAIRS),
            "text_phrase": f'"{pick(self.PAIRS)}"',
            "text_rare": pick(self.RARE),
        }[kind]

    KINDS = ("patient", "patient_typo", "mrn", "dob", "dob_year", "type", "date_range", "date_relative",
             "from", "mixed", "text_common", "text_two_common", "text_phrase", "text_rare")

    def queries(self, per_kind: int) -> dict[str, list[str]]:
        return {k: [self.make(k) for _ in range(per_kind)] for k in self.KINDS}


def is_free_text(kind: str) -> bool:
    return kind.startswith("text_")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def time_queries(engine: SearchEngine, mix: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Wall-clock and CPU milliseconds per query, summarised per kind."""
    out: dict[str, dict[str, float]] = {}
    for kind, queries in mix.items():
        wall, cpu, hits = [], [], []
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            res = engine.search(q)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            hits.append(res.total)
        target = TARGETS_MS["free_text" if is_free_text(kind) else "structured"]
        out[kind] = {"n": len(wall), "p50": percentile(wall, 50), "p95": percentile(wall, 95),
                     "p99": percentile(wall, 99), "max": max(wall), "cpu_p95": percentile(cpu, 95),
                     "mean_hits": statistics.mean(hits), "target": target}
    return out


def time_incremental(db: Database, index: SearchIndex, docs: list[SynthDoc], n: int) -> list[float]:
    """Per-commit cost of index_pending: one new document per commit, as the intake service does."""
    times = []
    with db.session() as s:
        next_id = (s.scalar(select(Document.id).order_by(Document.id.desc()).limit(1)) or 0) + 1
    for i in range(n):
        d = docs[i % len(docs)]
        with db.transaction() as s:
            s.add(IntakeItem(id=next_id + i, original_name=f"new-{i}.pdf", state="processed",
                             received_at=d.received))
            s.flush()
            s.add_all(Page(intake_item_id=next_id + i, number=k, text=t, source="ocr")
                      for k, t in enumerate(d.pages, 1))
            s.add(Document(id=next_id + i, intake_item_id=next_id + i, first_page=1, last_page=len(d.pages),
                           status="review", doc_type=d.doc_type, sender_org=d.sender))
        with db.transaction() as s:
            t = time.perf_counter()
            index_pending(s, index)
            times.append((time.perf_counter() - t) * 1000)
    return times


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the rebuild's writer processes)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(cfg: Any, n_docs: int, seed: int, report: dict[str, Any]) -> tuple[list[dict[str, str]], list[SynthDoc]]:
    """Generate the corpus, load the database and rebuild the index, timing each step."""
    t = time.perf_counter()
    roster = _roster(max(50, n_docs // 10), seed)
    docs = synth_docs(n_docs, roster, seed)
    report["generate_s"] = time.perf_counter() - t
    report["pages"] = sum(len(d.pages) for d in docs)
    report["text_mb"] = sum(len(p) for d in docs for p in d.pages) / 1e6
    db = Database(cfg)
    db.migrate()
    t = time.perf_counter()
    load_database(db, roster, docs)
    report["db_load_s"] = time.perf_counter() - t
    t, c = time.perf_counter(), _cpu_seconds()
    with db.transaction() as s:
        rebuild(s, SearchIndex(cfg))
    secs = time.perf_counter() - t
    report.update(rebuild_s=secs, rebuild_cpu_s=_cpu_seconds() - c, docs_per_s=n_docs / secs,
                  pages_per_s=report["pages"] / secs, rss_after_index_mb=peak_rss_mb())
    db.dispose()
    return roster, docs


def run(n_docs: int, home: Path, seed: int, per_kind: int, commits: int, reuse: bool = False) -> dict[str, Any]:
    cfg = load_config(home, environ={})
    report: dict[str, Any] = {"docs": n_docs, "cpus": psutil.cpu_count(), "python": sys.version.split()[0],
                              "loadavg_start": os.getloadavg()[0], "reused": reuse}
    if reuse:  # same seed: the same roster and the same first documents as the build
        roster = _roster(max(50, n_docs // 10), seed)
        docs = synth_docs(min(n_docs, 5000), roster, seed)
    else:
        roster, docs = build(cfg, n_docs, seed, report)
    report["index_mb"] = sum(f.stat().st_size for f in cfg.index_dir.iterdir()) / 1e6
    db = Database(cfg)
    db.migrate()  # (a reused home may predate a migration)
    index = SearchIndex(cfg)
    commit_ms = time_incremental(db, index, docs, commits)
    report["commit_ms"] = {"p50": percentile(commit_ms, 50), "mean": statistics.mean(commit_ms),
                           "p95": percentile(commit_ms, 95), "max": max(commit_ms),
                           "segments_after": index.segment_count()}
    engine = SearchEngine(cfg, today=lambda: REFERENCE)
    t = time.perf_counter()
    engine.search("type:lab")
    report["first_query_ms"] = (time.perf_counter() - t) * 1000
    report["queries"] = time_queries(engine, QueryMix(roster, docs, seed + 1).queries(per_kind))
    report["peak_rss_mb"] = peak_rss_mb()
    report["rss_end_mb"] = psutil.Process().memory_info().rss / 2**20
    report["loadavg_end"] = os.getloadavg()[0]
    engine.close()
    db.dispose()
    return report


def format_report(r: dict[str, Any]) -> str:
    lines = [f"documents {r['docs']:,}  cpus {r['cpus']}  load average {r['loadavg_start']:.1f} at start, "
             f"{r['loadavg_end']:.1f} at end"]
    if not r["reused"]:
        lines += [f"pages {r['pages']:,}  text {r['text_mb']:.0f} MB; generate {r['generate_s']:.0f} s, "
                  f"database load {r['db_load_s']:.0f} s",
                  f"index rebuild {r['rebuild_s']:.1f} s (CPU {r['rebuild_cpu_s']:.1f} s) = {r['docs_per_s']:.0f} "
                  f"docs/s, {r['pages_per_s']:.0f} pages/s"]
    lines += [f"index size {r['index_mb']:.0f} MB",
              f"per-commit index_pending (1 doc): p50 {r['commit_ms']['p50']:.1f} ms, mean "
              f"{r['commit_ms']['mean']:.1f} ms, p95 {r['commit_ms']['p95']:.1f} ms, "
              f"max {r['commit_ms']['max']:.1f} ms; segments after: {r['commit_ms']['segments_after']}",
              f"first query (opens index) {r['first_query_ms']:.0f} ms", "",
              f"{'kind':<16}{'n':>4}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'cpu p95':>9}"
              f"{'hits':>9}{'target':>8}  ok"]
    for kind, q in r["queries"].items():
        ok = "yes" if q["p95"] <= q["target"] else "NO"
        lines.append(f"{kind:<16}{q['n']:>4}{q['p50']:>9.1f}{q['p95']:>9.1f}{q['p99']:>9.1f}{q['max']:>9.1f}"
                     f"{q['cpu_p95']:>9.1f}{q['mean_hits']:>9.0f}{q['target']:>8.0f}  {ok}")
    lines.append(f"\npeak RSS {r['peak_rss_mb']:.0f} MB"
                 + ("" if r["reused"] else f" (after indexing {r['rss_after_index_mb']:.0f} MB)")
                 + f"; RSS after the queries {r['rss_end_mb']:.0f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000, help="documents to index (default 100000)")
    ap.add_argument("--per-kind", type=int, default=40, help="queries timed per kind (default 40)")
    ap.add_argument("--commits", type=int, default=50, help="single-document commits timed (default 50)")
    ap.add_argument("--seed", type=int, default=20261120)
    ap.add_argument("--home", type=Path, help="keep the data home here (default: a temp dir, removed)")
    ap.add_argument("--reuse", action="store_true", help="time queries on the index already in --home")
    ap.add_argument("--json", dest="json_out", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="chartfile-bench-"))
    try:
        if args.reuse and not (args.home and SearchIndex(load_config(home, environ={})).exists()):
            ap.error("--reuse needs --home with an existing benchmark index")
        report = run(args.docs, home, args.seed, args.per_kind, args.commits, args.reuse)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    print(format_report(report))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2))
    failed = [k for k, q in report["queries"].items() if q["p95"] > q["target"]]
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

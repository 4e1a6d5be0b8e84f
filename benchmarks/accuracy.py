"""Accuracy benchmark for text extraction, OCR and entity extraction.

``python -m benchmarks.accuracy [--samples N] [--corpus DIR] [--text-only] [--ablate]``

* Generates ``N`` synthetic faxes with ground truth (the ``samples`` package),
  reads every page through :func:`intake.pages.plan_pages` / :func:`read_page`
  and reports CER and missing ground-truth words per format (resolution) and
  document kind, seconds per page, entity precision/recall per field (name,
  DOB, MRN, doc date, doc type), doc-type and doc-date accuracy, urgency.
* OCRs the ground-truth scans of the shared corpus (``scanned/*.gt.txt``).
* ``--ablate`` re-OCRs the raster sample pages with each preprocessing step
  switched off in turn (the numbers in ``docs/benchmarks-ocr.md``).
* ``--text-only`` skips OCR and runs entity extraction on the ground-truth
  text (isolates extraction errors from OCR errors).

Pages are processed in a process pool (``--workers``, default: all cores).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from intake import names
from intake.config import Config
from intake.entities import EntityExtractor
from intake.errors import FileRejected
from intake.model import PageText, RosterLexicon
from intake.ocr import DEFAULT_OPTIONS, OcrOptions, ocr_image
from intake.pages import PageJob, decode_page, plan_pages, read_page

PROSE_TYPES = {"clinical_note", "discharge_summary", "correspondence", "imaging_report", "referral"}
KIND_BY_EXT = {".pdf": "pdf", ".tif": "tiff", ".tiff": "tiff", ".png": "png", ".jpg": "jpeg",
               ".jpeg": "jpeg"}
DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
ABLATIONS: dict[str, OcrOptions] = {
    "all steps (default)": DEFAULT_OPTIONS,
    "no square pixels": DEFAULT_OPTIONS.with_(square_pixels=False),
    "no upscale": DEFAULT_OPTIONS.with_(upscale=False),
    "no deskew": DEFAULT_OPTIONS.with_(deskew=False),
    "no orientation": DEFAULT_OPTIONS.with_(orientation=False),
    "no despeckle": DEFAULT_OPTIONS.with_(despeckle=False),
    "psm 4": DEFAULT_OPTIONS.with_(psm=4),
    "psm 6": DEFAULT_OPTIONS.with_(psm=6),
    "despeckle first": DEFAULT_OPTIONS.with_(despeckle_first=True),
    "despeckle 204x98 before upscaling": DEFAULT_OPTIONS.with_(despeckle_squared=True),
    "two-level deskew (nearest)": DEFAULT_OPTIONS.with_(two_level_deskew=True),
    "lanczos, fax 300 dpi": DEFAULT_OPTIONS.with_(resample="lanczos", fax_dpi=300),
    "bilinear, fax 300 dpi": DEFAULT_OPTIONS.with_(fax_dpi=300),
    "deskew from 2": DEFAULT_OPTIONS.with_(min_deskew=2.0),
    "deskew from 0.5": DEFAULT_OPTIONS.with_(min_deskew=0.5),
    "psm 3": DEFAULT_OPTIONS.with_(psm=3),
}


# ---------------------------------------------------------------------- metrics
def norm_text(text: str) -> str:
    return " ".join(text.split())


def cer(truth: str, got: str) -> float:
    t, g = norm_text(truth), norm_text(got)
    return Levenshtein.distance(t, g) / max(len(t), 1)


def words_missing(truth: str, got: str) -> float:
    """Share of ground-truth words (multiset, order-free) absent from the output."""
    strip = re.compile(r"^\W+|\W+$")
    gw: dict[str, int] = defaultdict(int)
    for w in got.split():
        gw[strip.sub("", w).lower()] += 1
    total = missing = 0
    for w in truth.split():
        key = strip.sub("", w).lower()
        if not key:
            continue
        total += 1
        if gw.get(key, 0) > 0:
            gw[key] -= 1
        else:
            missing += 1
    return missing / max(total, 1)


@dataclass
class PR:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, truth: set[str], got: set[str]) -> None:
        self.tp += len(truth & got)
        self.fp += len(got - truth)
        self.fn += len(truth - got)

    def row(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return f"precision {p:6.1%}  recall {r:6.1%}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"


@dataclass
class Tally:
    cer: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    missing: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    misses: list[str] = field(default_factory=list)
    fields: dict[str, PR] = field(default_factory=lambda: defaultdict(PR))
    doc_type_ok: list[bool] = field(default_factory=list)
    doc_date_ok: list[bool] = field(default_factory=list)
    confusion: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    rejected: list[str] = field(default_factory=list)
    rotation_ok: list[bool] = field(default_factory=list)
    blank_ok: list[bool] = field(default_factory=list)


# ---------------------------------------------------------------------- page reading
def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _read(args: tuple[PageJob, Config, OcrOptions | None]) -> tuple[PageText, float]:
    """Read one page; also return the CPU seconds it took (tesseract included)."""
    job, cfg, options = args
    start = _cpu()
    if options is None or job.text_layer is not None:
        page = read_page(job, cfg)
    else:
        image, dpi = decode_page(job, cfg)
        page = ocr_image(image, job.number, cfg, dpi, options)
    return page, _cpu() - start


def read_all(jobs: list[PageJob], cfg: Config, workers: int,
             options: OcrOptions | None = None) -> list[tuple[PageText, float]]:
    """(page, CPU seconds) for every job, in order."""
    if workers <= 1:
        return [_read((j, cfg, options)) for j in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_read, [(j, cfg, options) for j in jobs], chunksize=1))


# ---------------------------------------------------------------------- samples
def generate(out: Path, count: int, seed: int, clean: bool) -> list[dict[str, Any]]:
    from samples.faxes import generate_faxes
    from samples.roster import build_roster, write_roster

    roster = build_roster(max(50, count * 3), seed)
    write_roster(roster, out / "patients.csv")
    return generate_faxes(roster, out / "faxes", count, seed, noise=not clean)


def roster_pairs(path: Path) -> RosterLexicon:
    """Names, DOBs, MRNs and the learned MRN format of a roster CSV (what workers get from the database)."""
    import csv

    from intake.mrnformat import learn

    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fmt = learn(r["mrn"] for r in rows)
    return RosterLexicon([(r["family_name"], r["given_name"]) for r in rows], [r["dob"] for r in rows],
                         [r["mrn"] for r in rows], fmt.to_json() if fmt else None)


def expected_doc_date(truth: dict[str, Any]) -> str | None:
    """The ground-truth document date if the document prints it (else None is right)."""
    value = truth.get("doc_date")
    printed = {d.get("value") for d in truth.get("dates", [])}
    return value if value in printed else None


def score_document(truth: dict[str, Any], ent: Any, t: Tally) -> None:
    def fam_given(family: str, given: str) -> str:
        return f"{names.fold(family)}|{names.fold(given)}"

    if truth.get("family"):
        got = {fam_given(n.family, n.given) for n in ent.patient_names[:1]}
        t.fields["name"].add({fam_given(truth["family"], truth["given"])}, got)
    t.fields["dob"].add({truth["dob"]} if truth.get("dob") else set(), {d.value for d in ent.dobs})
    own_truth = {truth["mrn"]} if truth.get("mrn_printed") and truth.get("mrn") else set()
    t.fields["mrn"].add(own_truth, {m.value for m in ent.mrns if m.scheme == "own"})
    want_date = expected_doc_date(truth)
    t.fields["doc_date"].add({want_date} if want_date else set(),
                             {ent.doc_date} if ent.doc_date else set())
    t.fields["doc_type"].add({truth["doc_type"]}, {ent.doc_type})
    t.fields["urgent"].add({"urgent"} if truth.get("urgent") else set(),
                           {"urgent"} if ent.urgent else set())
    t.doc_type_ok.append(ent.doc_type == truth["doc_type"])
    t.doc_date_ok.append(ent.doc_date == want_date)
    t.confusion[(truth["doc_type"], ent.doc_type)] += 1


_TEMP_DIRS: list[Path] = []  # generated sample sets, removed when main() ends


def load_samples(args: argparse.Namespace) -> tuple[Path, list[dict[str, Any]], Path]:
    """(fax dir, ground-truth records, roster csv): generated now, or given with --faxes."""
    if args.faxes:
        from samples.faxes import read_ground_truth

        records = read_ground_truth(args.faxes / "ground_truth.jsonl")[: args.samples or None]
        return args.faxes, records, args.roster
    tmp = Path(tempfile.mkdtemp(prefix="cf-bench-"))
    _TEMP_DIRS.append(tmp)
    return tmp / "faxes", generate(tmp, args.samples, args.seed, args.clean), tmp / "patients.csv"


RasterPage = tuple[PageJob, str, str, str]  # job, ground-truth text, kind, format


def run_samples(args: argparse.Namespace, cfg: Config, t: Tally) -> list[RasterPage]:
    fax_dir, records, roster_csv = load_samples(args)
    extractor = EntityExtractor(cfg, roster_pairs(roster_csv))
    raster_jobs: list[RasterPage] = []
    all_jobs: list[PageJob] = []
    per_file: list[tuple[dict[str, Any], list[PageJob]]] = []
    for rec in records:
        path = fax_dir / rec["file"]
        if args.text_only:
            per_file.append((rec, []))
            continue
        try:
            jobs = plan_pages(path, KIND_BY_EXT[path.suffix.lower()], cfg)
        except FileRejected as exc:
            t.rejected.append(f"{rec['file']}: {exc.reason}")
            continue
        per_file.append((rec, jobs))
        all_jobs.extend(jobs)
    texts = iter(read_all(all_jobs, cfg, args.workers)) if all_jobs else iter(())
    for rec, jobs in per_file:
        if args.text_only:
            pages = [PageText(i + 1, txt, "text_layer" if txt.strip() else "blank")
                     for i, txt in enumerate(rec["page_texts"])]
        else:
            read = [next(texts) for _ in jobs]
            pages = [p for p, _ in read]
            for p, cpu_s in read:
                t.cpu[f"{rec['format']} ({p.source})"].append(cpu_s)
        fmt = rec["format"]
        if args.dump and not args.text_only:
            args.dump.mkdir(parents=True, exist_ok=True)
            for page, truth_text in zip(pages, rec["page_texts"], strict=False):
                stem = args.dump / f"{rec['file']}.p{page.number}"
                stem.with_suffix(".ocr.txt").write_text(page.text, encoding="utf-8")
                stem.with_suffix(".gt.txt").write_text(truth_text, encoding="utf-8")
        for page, truth_text, gt in zip(pages, rec["page_texts"], rec["pages"], strict=False):
            doc = rec["documents"][gt["document"]]
            if args.text_only:
                continue
            if gt["kind"] == "blank":
                t.blank_ok.append(page.source == "blank")
                if page.source != "blank":
                    t.misses.append(f"{rec['file']} p{page.number}: blank page not detected")
                continue
            t.blank_ok.append(page.source != "blank")
            if page.source == "blank":
                t.misses.append(f"{rec['file']} p{page.number}: content page taken as blank")
            kind = "prose" if doc["doc_type"] in PROSE_TYPES else "form/table"
            for key in (fmt, f"{fmt} / {kind}", f"ALL / {kind}"):
                t.cer[key].append(cer(truth_text, page.text))
                t.missing[key].append(words_missing(truth_text, page.text))
            t.seconds[f"{fmt} ({page.source})"].append(page.seconds)
            if gt.get("rotation"):
                t.rotation_ok.append(page.rotation == gt["rotation"])
            if page.source == "ocr" and fmt != "pdf-text":
                job = jobs[page.number - 1]
                raster_jobs.append((job, truth_text, kind, fmt))
        for doc in rec["documents"]:
            a, b = doc["pages"]
            before = {k: (v.fp, v.fn) for k, v in t.fields.items()}
            score_document(doc, extractor.extract(pages[a - 1:b]), t)
            for k, v in t.fields.items():
                if (v.fp, v.fn) != before.get(k, (0, 0)):
                    t.misses.append(f"{rec['file']} pages {a}-{b} ({doc['doc_type']}): {k} wrong")
    return raster_jobs


# ---------------------------------------------------------------------- corpus
def corpus_pairs(corpus: Path) -> Iterable[tuple[Path, Path]]:
    for gt in sorted((corpus / "scanned").glob("*.gt.txt")):
        stem = gt.name[: -len(".gt.txt")]
        for ext in (".png", ".tif", ".tiff", ".pdf", ".jpg"):
            src = gt.with_name(stem + ext)
            if src.exists():
                yield src, gt
                break


def run_corpus(corpus: Path, cfg: Config, workers: int) -> list[str]:
    rows = []
    for src, gt in corpus_pairs(corpus):
        try:
            jobs = plan_pages(src, KIND_BY_EXT[src.suffix.lower()], cfg)
        except FileRejected as exc:
            rows.append(f"  {src.name:45s} rejected: {exc.reason}")
            continue
        pages = [p for p, _ in read_all(jobs, cfg, workers)]
        text = "\n".join(p.text for p in pages)
        truth = gt.read_text(encoding="utf-8", errors="replace")
        secs = sum(p.seconds for p in pages)
        rot = ",".join(str(p.rotation) for p in pages)
        rows.append(f"  {src.name:45s} CER {cer(truth, text):6.1%}  words missing "
                    f"{words_missing(truth, text):6.1%}  rotation {rot:8s} {secs:5.1f}s")
    return rows


# ---------------------------------------------------------------------- ablation
def run_ablation(jobs: list[RasterPage], cfg: Config, workers: int,
                 only: list[str] | None = None) -> list[str]:
    """One row per preprocessing variant, each printed as soon as it is measured."""
    rows = []
    for name, options in ABLATIONS.items():
        if only and name not in only:
            continue
        start = time.perf_counter()
        read = read_all([j[0] for j in jobs], cfg, workers, options)
        pages = [p for p, _ in read]
        wall = time.perf_counter() - start
        by: dict[str, list[float]] = defaultdict(list)
        miss: dict[str, list[float]] = defaultdict(list)
        for page, (_, truth, kind, fmt) in zip(pages, jobs, strict=False):
            for key in ("all", kind, "standard" if fmt == "tiff-standard" else "other"):
                by[key].append(cer(truth, page.text))
                miss[key].append(words_missing(truth, page.text))
        cpu = statistics.mean(c for _, c in read)
        rows.append(f"  {name:22s} CER all {_mean(by['all']):6.2%}  prose {_mean(by['prose']):6.2%}  "
                    f"form {_mean(by['form/table']):6.2%}  204x98 {_mean(by['standard']):6.2%}  "
                    f"missing {_mean(miss['all']):6.2%}  "
                    f"{cpu:5.2f} CPU s/page  (wall {wall:.0f}s)")
        print(rows[-1], flush=True)
    return rows


def _mean(values: list[float]) -> float:
    return statistics.mean(values) if values else float("nan")


# ---------------------------------------------------------------------- report
def report(t: Tally) -> list[str]:
    out = ["", "== OCR / text extraction on sample pages =="]
    for key in sorted(t.cer):
        out.append(f"  {key:32s} CER {_mean(t.cer[key]):6.2%}  words missing "
                   f"{_mean(t.missing[key]):6.2%}  pages {len(t.cer[key])}")
    out.append("  seconds per page (wall, under whatever else the machine runs | CPU incl. tesseract):")
    for key in sorted(t.seconds):
        out.append(f"    {key:30s} {_mean(t.seconds[key]):6.2f} s wall  {_mean(t.cpu[key]):6.2f} s CPU"
                   f"  (n={len(t.seconds[key])})")
    if t.rotation_ok:
        out.append(f"  upside-down pages corrected: {sum(t.rotation_ok)}/{len(t.rotation_ok)}")
    if t.blank_ok:
        out.append(f"  blank/non-blank detection correct: {sum(t.blank_ok)}/{len(t.blank_ok)}")
    out += ["", "== Entities (per document) =="]
    for key in ("name", "dob", "mrn", "doc_date", "doc_type", "urgent"):
        out.append(f"  {key:9s} {t.fields[key].row()}")
    if t.doc_type_ok:
        out.append(f"  doc-type accuracy {_mean([float(x) for x in t.doc_type_ok]):6.1%}  "
                   f"doc-date accuracy {_mean([float(x) for x in t.doc_date_ok]):6.1%}  "
                   f"(documents {len(t.doc_type_ok)})")
    wrong = sorted(((n, a, b) for (a, b), n in t.confusion.items() if a != b), reverse=True)
    if wrong:
        out.append("  doc-type confusions: " + ", ".join(f"{a}->{b} x{n}" for n, a, b in wrong[:8]))
    for r in t.rejected:
        out.append(f"  REJECTED {r}")
    if t.misses:
        out.append("  misses:")
        out += [f"    {m}" for m in t.misses[:40]]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=40, help="synthetic fax files to generate")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--faxes", type=Path, help="use this generated fax dir (ground_truth.jsonl)")
    ap.add_argument("--roster", type=Path, help="roster CSV for --faxes")
    ap.add_argument("--dump", type=Path, help="write OCR and ground-truth text per page here")
    ap.add_argument("--clean", action="store_true", help="samples without noise")
    ap.add_argument("--text-only", action="store_true", help="entities on ground-truth text")
    ap.add_argument("--ablate", action="store_true", help="preprocessing ablation table")
    ap.add_argument("--ablate-only", action="append", help="only this ablation row (repeatable)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    try:
        return _run(args)
    finally:
        for tmp in _TEMP_DIRS:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace) -> int:
    cfg = Config()
    t = Tally()
    start = time.perf_counter()
    raster: list[RasterPage] = []
    if args.samples or args.faxes:
        raster = run_samples(args, cfg, t)
        print("\n".join(report(t)))
    if args.ablate and raster:
        print(f"\n== Preprocessing ablation (raster sample pages, n={len(raster)}) ==", flush=True)
        run_ablation(raster, cfg, args.workers, args.ablate_only)
    if not args.no_corpus and not args.text_only and (args.corpus / "scanned").is_dir():
        print("\n== Shared corpus: scanned/*.gt.txt ==")
        print("\n".join(run_corpus(args.corpus, cfg, args.workers)))
    print(f"\n(total {time.perf_counter() - start:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

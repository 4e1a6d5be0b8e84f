"""Throughput benchmark: Chartfile against raw tesseract and OCRmyPDF on one fax set.

``python -m intake.benchmark_throughput [--runs 3] [--pages 100] [--drops 10] [--work DIR]``

Owns measuring, never the pipeline.  On one generated set of fax files
(``samples``: 204x196 and 204x98 TIFF, scanned PDF, text PDF, 1-6 pages each)
it times, per run and side by side:

* ``limit``: the ``tesseract`` CLI alone, one process per core,
  ``OMP_THREAD_LIMIT=1``, on page images extracted beforehand (untimed).  Two
  variants: the decoded page as it is (``native``) and the page as Chartfile
  hands it to tesseract after its preprocessing (``prepared``: grey, square
  pixels, 300 dpi, deskewed).  Text-layer pages need no OCR and cost nothing.
* ``chartfile``: ``chartfile --home NEW ingest SET`` as a subprocess (fresh
  home, sample roster imported beforehand), to filed and searchable.
* ``ocrmypdf``: ``ocrmypdf --output-type pdf --skip-text --jobs CORES`` per
  file, TIFFs converted to PDF with img2pdf beforehand (untimed, reported).

It reports pages/minute, CPU utilisation (CPU time of the child processes /
(wall x cores)), peak RSS of the process tree (psutil, every 0.1 s), and the
CPU share used by *other* processes on the machine (a shared machine skews
everything; the number says how much).  Then drop-to-searchable latency of
single one-page faxes dropped into ``chartfile watch`` (quiet period set by
``--quiet-seconds``), polled in the Whoosh index, beside the tesseract time of
that page alone.  ``--profile`` instead runs one ingest under py-spy and
breaks the writer's and the workers' time down by stage.  No patient data:
everything is synthetic.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FORMATS = "tiff-fine,tiff-standard,pdf-image,pdf-text"
LATENCY_FORMATS = "tiff-fine,tiff-standard,pdf-image"
MAX_FILE_PAGES = 6
KIND_BY_EXT = {".pdf": "pdf", ".tif": "tiff", ".tiff": "tiff"}
SAMPLE_SECONDS = 0.1
TARGET_OF_LIMIT = 0.85
TARGET_PEAK_MB = 1536.0
TARGET_LATENCY_MARGIN = 2.0


# ------------------------------------------------------------------ pure helpers
def percentile(values: Sequence[float], q: float) -> float:
    """q-th percentile (0..100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * min(max(q, 0.0), 100.0) / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Phase:
    """One timed phase of one run."""

    name: str
    pages: int
    wall: float  # seconds
    cpu: float  # CPU seconds of the child processes (user + system)
    peak_rss_mb: float  # peak sum of RSS over the child process tree
    other_cpu: float  # CPU seconds used meanwhile by processes that are not ours
    cores: int
    failures: int = 0

    @property
    def pages_per_minute(self) -> float:
        return self.pages * 60.0 / self.wall if self.wall > 0 else math.nan

    @property
    def cpu_util(self) -> float:
        return self.cpu / (self.wall * self.cores) if self.wall > 0 else math.nan

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / self.pages if self.pages else math.nan

    @property
    def other_load(self) -> float:
        return self.other_cpu / (self.wall * self.cores) if self.wall > 0 else math.nan


def median_phase(runs: Sequence[Phase]) -> Phase:
    """Per-field median of several runs of the same phase (pages and cores from the first)."""
    first = runs[0]
    return Phase(first.name, first.pages, statistics.median(r.wall for r in runs),
                 statistics.median(r.cpu for r in runs), statistics.median(r.peak_rss_mb for r in runs),
                 statistics.median(r.other_cpu for r in runs), first.cores, max(r.failures for r in runs))


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else math.nan


def throughput_table(phases: Sequence[Phase], limit: str = "limit-native") -> str:
    """Markdown table of median phases, with each engine's share of the limit."""
    ref = next((p.pages_per_minute for p in phases if p.name == limit), math.nan)
    ref_cpu = next((p.cpu_per_page for p in phases if p.name == limit), math.nan)
    rows = ["| engine | pages | wall s | pages/min | of limit | CPU s/page | of limit (CPU) | CPU util "
            "| peak RSS MB | other load | failures |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in phases:
        rows.append(f"| {p.name} | {p.pages} | {p.wall:.1f} | {p.pages_per_minute:.1f} | "
                    f"{ratio(p.pages_per_minute, ref):.0%} | {p.cpu_per_page:.2f} | "
                    f"{ratio(ref_cpu, p.cpu_per_page):.0%} | {p.cpu_util:.0%} | {p.peak_rss_mb:.0f} | "
                    f"{p.other_load:.0%} | {p.failures} |")
    return "\n".join(rows)


@dataclass
class Drop:
    """One single-page fax dropped into the watcher."""

    name: str
    latency: float  # seconds from the rename into the inbox to searchable
    ocr_native: float  # tesseract CLI alone on the decoded page
    ocr_prepared: float  # tesseract CLI alone on Chartfile's preprocessed page


def latency_summary(drops: Sequence[Drop]) -> dict[str, float]:
    """Median/p95 of latency, OCR time, and latency minus OCR time (the pipeline's own share)."""
    lat = [d.latency for d in drops]
    excess = [d.latency - d.ocr_native for d in drops]
    excess_prep = [d.latency - d.ocr_prepared for d in drops]
    return {"drops": float(len(drops)), "latency_median": percentile(lat, 50), "latency_p95": percentile(lat, 95),
            "ocr_native_median": percentile([d.ocr_native for d in drops], 50),
            "ocr_prepared_median": percentile([d.ocr_prepared for d in drops], 50),
            "excess_median": percentile(excess, 50), "excess_p95": percentile(excess, 95),
            "excess_prepared_p95": percentile(excess_prep, 95)}


def verdicts(phases: Sequence[Phase], lat: dict[str, float] | None) -> list[str]:
    """The issue's done-when targets, each PASS/FAIL with the numbers."""
    by = {p.name: p for p in phases}
    out: list[str] = []

    def line(ok: bool, text: str) -> None:
        out.append(f"{'PASS' if ok else 'FAIL'}  {text}")

    cf = by.get("chartfile")
    if cf and "limit-native" in by:
        share = ratio(cf.pages_per_minute, by["limit-native"].pages_per_minute)
        line(share >= TARGET_OF_LIMIT, f"Chartfile at {share:.0%} of the tesseract limit (target >= 85%)")
        cpu = ratio(by["limit-native"].cpu_per_page, cf.cpu_per_page)
        out.append(f"info  by CPU time per page (robust to other load) Chartfile is at {cpu:.0%} of the limit")
    if cf and "ocrmypdf" in by:
        r = ratio(cf.pages_per_minute, by["ocrmypdf"].pages_per_minute)
        line(r > 1.0, f"Chartfile {r:.2f}x OCRmyPDF pages/min (target > 1)")
    if cf:
        line(cf.peak_rss_mb <= TARGET_PEAK_MB, f"peak RSS {cf.peak_rss_mb:.0f} MB (target <= 1536 MB)")
    if lat:
        line(lat["excess_p95"] <= TARGET_LATENCY_MARGIN,
             f"drop-to-searchable p95 is OCR time + {lat['excess_p95']:.2f} s (target <= + 2 s)")
    return out


# ------------------------------------------------------------------ measuring
def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _busy_cpu() -> float:
    import psutil

    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


class TreeSampler(threading.Thread):
    """Samples the summed RSS of every descendant of this process every 0.1 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._halt.wait(SAMPLE_SECONDS):
            total = 0
            for proc in me.children(recursive=True):
                try:
                    total += proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return self.peak / 2**20


def become_subreaper() -> bool:
    """Adopt orphaned descendants (e.g. a fork server outliving its parent) so their CPU time is counted."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans(timeout: float = 30.0) -> None:
    """Wait for every adopted descendant to exit, adding its CPU time to RUSAGE_CHILDREN."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)
    print("warning: descendants still running; their CPU time is missing", file=sys.stderr)


@contextmanager
def measured(name: str, pages: int, cores: int, out: list[Phase]) -> Iterator[Phase]:
    """Time a block whose work runs in child processes that have all exited when it ends."""
    sampler = TreeSampler()
    cpu0, busy0, t0 = _children_cpu(), _busy_cpu(), time.perf_counter()
    sampler.start()
    phase = Phase(name, pages, 0.0, 0.0, 0.0, 0.0, cores)
    try:
        yield phase
    finally:
        phase.wall = time.perf_counter() - t0
        phase.peak_rss_mb = sampler.stop()
        reap_orphans()
        phase.cpu = _children_cpu() - cpu0
        phase.other_cpu = max(_busy_cpu() - busy0 - phase.cpu, 0.0)
        out.append(phase)


# ------------------------------------------------------------------ the set
@dataclass
class PageImage:
    native: Path
    prepared: Path
    dpi: int  # resolution of the prepared image


@dataclass
class BenchSet:
    files: list[Path]
    pages: int
    images: list[PageImage] = field(default_factory=list)  # raster pages only
    per_format: dict[str, int] = field(default_factory=dict)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTFILE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def _python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def chartfile_cmd() -> list[str]:
    exe = shutil.which("chartfile")
    return [exe] if exe else _python("search.cli.main")


def _run(cmd: Sequence[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), cwd=REPO, env=kw.pop("env", _env()), text=True, capture_output=True,
                          check=kw.pop("check", True), **kw)


def generate(out: Path, roster: Path, min_pages: int, seed: int, formats: str,
             keep: Any = lambda rec: rec["page_count"] <= MAX_FILE_PAGES, pages_per_file: float = 2.0
             ) -> list[dict[str, Any]]:
    """Generate faxes with ``samples`` until the kept files hold ``min_pages`` pages; returns their records."""
    kept: list[dict[str, Any]] = []
    for attempt in range(8):
        raw = out.parent / f"{out.name}-raw{attempt}"
        need = min_pages - sum(r["page_count"] for r in kept)
        count = max(4, math.ceil(need / pages_per_file))
        _run(_python("samples", "faxes", "--roster", str(roster), "--out", str(raw), "--count", str(count),
                     "--seed", str(seed + attempt), "--formats", formats))
        for line in (raw / "ground_truth.jsonl").read_text().splitlines():
            rec = json.loads(line)
            if keep(rec) and sum(r["page_count"] for r in kept) < min_pages:
                out.mkdir(parents=True, exist_ok=True)
                shutil.copy2(raw / rec["file"], out / rec["file"])
                kept.append(rec)
        if sum(r["page_count"] for r in kept) >= min_pages:
            return kept
    raise RuntimeError(f"samples produced fewer than {min_pages} pages")


def extract_images(files: Sequence[Path], out: Path) -> list[PageImage]:
    """Decode every page that Chartfile would OCR, once, to a native and a prepared PNG (untimed)."""
    from intake import ocr, preprocess
    from intake.config import Config
    from intake.pages import decode_page, plan_pages

    cfg = Config()
    min_skew = float(getattr(ocr, "MIN_DESKEW_DEGREES", 0.3))  # mirror what ocr_image does
    out.mkdir(parents=True, exist_ok=True)
    images: list[PageImage] = []
    for path in files:
        for job in plan_pages(path, KIND_BY_EXT[path.suffix.lower()], cfg):
            if job.text_layer is not None:
                continue
            image, dpi = decode_page(job, cfg)
            stem = out / f"{path.stem}-p{job.number}"
            image.save(stem.with_suffix(".native.png"), dpi=dpi or (300, 300))
            prep = preprocess.normalise_resolution(preprocess.to_grey(image), dpi, cfg.ocr.target_dpi)
            page = preprocess.deskew(prep.image, preprocess.estimate_skew(prep.image), min_skew)
            res = prep.dpi or cfg.ocr.target_dpi
            page.save(stem.with_suffix(".prepared.png"), dpi=(res, res))
            images.append(PageImage(stem.with_suffix(".native.png"), stem.with_suffix(".prepared.png"), res))
    return images


def build_set(work: Path, min_pages: int, seed: int, images: bool = True) -> tuple[BenchSet, Path]:
    """The benchmark set (cached in ``work`` between invocations) and its roster."""
    roster = work / "roster.csv"
    if not roster.exists():
        _run(_python("samples", "roster", "--out", str(roster), "--count", "300", "--seed", str(seed)))
    set_dir, manifest = work / "set", work / "set.json"
    if not manifest.exists():
        recs = generate(set_dir, roster, min_pages, seed, FORMATS)
        manifest.write_text(json.dumps(recs))
    recs = json.loads(manifest.read_text())
    files = [set_dir / r["file"] for r in recs]
    per_format: dict[str, int] = {}
    for r in recs:
        per_format[r["format"]] = per_format.get(r["format"], 0) + r["page_count"]
    bench = BenchSet(files, sum(r["page_count"] for r in recs), per_format=per_format)
    if images:
        bench.images = extract_images(files, work / "images")
    return bench, roster


# ------------------------------------------------------------------ engines
def tesseract_once(image: Path, dpi: int | None = None) -> float:
    """Wall seconds of one single-threaded tesseract CLI run (text discarded)."""
    cmd = ["tesseract", str(image), "stdout", "--psm", "6", "-l", "eng"]
    if dpi:
        cmd += ["--dpi", str(dpi)]
    t0 = time.perf_counter()
    subprocess.run([*cmd, "tsv"], env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_limit(bench: BenchSet, cores: int, variant: str, out: list[Phase]) -> None:
    jobs = [(i.native, None) if variant == "native" else (i.prepared, i.dpi) for i in bench.images]
    with measured(f"limit-{variant}", bench.pages, cores, out), ThreadPoolExecutor(cores) as pool:
        list(pool.map(lambda j: tesseract_once(*j), jobs))


def fresh_home(home: Path, roster: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)
    _run([*chartfile_cmd(), "--home", str(home), "init"])
    _run([*chartfile_cmd(), "--home", str(home), "patients", "import", str(roster)])


def run_chartfile(bench: BenchSet, roster: Path, work: Path, cores: int, out: list[Phase]) -> None:
    home = work / "home-ingest"
    fresh_home(home, roster)
    with measured("chartfile", bench.pages, cores, out) as phase:
        done = _run([*chartfile_cmd(), "--home", str(home), "ingest", "--json", str(work / "set")], check=False)
    outcomes = [json.loads(x)["outcome"] for x in done.stdout.splitlines() if x.startswith("{")]
    phase.failures = len(bench.files) - outcomes.count("processed")
    if done.returncode or phase.failures:
        print(f"warning: chartfile ingest exit {done.returncode}, outcomes {outcomes}", file=sys.stderr)


def pdf_inputs(bench: BenchSet, work: Path) -> tuple[list[Path], float]:
    """PDFs as they are, TIFFs through img2pdf; returns the inputs and the (untimed) conversion seconds."""
    import img2pdf

    folder = work / "ocrmypdf-in"
    folder.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    inputs = []
    for f in bench.files:
        if f.suffix.lower() == ".pdf":
            inputs.append(f)
            continue
        target = folder / (f.stem + ".pdf")
        target.write_bytes(img2pdf.convert(str(f)))
        inputs.append(target)
    return inputs, time.perf_counter() - t0


def run_ocrmypdf(bench: BenchSet, inputs: Sequence[Path], work: Path, cores: int, out: list[Phase]) -> None:
    exe = shutil.which("ocrmypdf")
    cmd = [exe] if exe else _python("ocrmypdf")
    folder = work / "ocrmypdf-out"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    with measured("ocrmypdf", bench.pages, cores, out) as phase:
        for f in inputs:
            done = _run([*cmd, "--output-type", "pdf", "--skip-text", "--jobs", str(cores), "-q",
                         str(f), str(folder / f.name)], check=False)
            phase.failures += done.returncode != 0


# ------------------------------------------------------------------ latency
def _searchable(index_dir: Path, name: str) -> bool:
    from whoosh import index as windex

    if not windex.exists_in(str(index_dir)):
        return False
    ix = windex.open_dir(str(index_dir))
    try:
        with ix.searcher() as s:
            return any(f.get("source") == name for f in s.all_stored_fields())
    finally:
        ix.close()


def _drop_and_wait(src: Path, name: str, inbox: Path, index_dir: Path, timeout: float = 120.0) -> float:
    staging = inbox.parent / "lat-staging"
    staging.mkdir(exist_ok=True)
    shutil.copy2(src, staging / name)
    t0 = time.perf_counter()
    os.replace(staging / name, inbox / name)
    while time.perf_counter() - t0 < timeout:
        if _searchable(index_dir, name):
            return time.perf_counter() - t0
        time.sleep(0.05)
    raise RuntimeError(f"{name} not searchable after {timeout:.0f}s")


def run_latency(drops: Sequence[tuple[Path, PageImage]], roster: Path, work: Path, run: int,
                quiet: float) -> tuple[list[Drop], float]:
    """Drop faxes one at a time into a running watcher; the first (cold) drop is returned apart."""
    home, inbox = work / "home-watch", work / "lat-inbox"
    fresh_home(home, roster)
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir()
    log = (work / "watch.log").open("w")
    proc = subprocess.Popen([*chartfile_cmd(), "--home", str(home), "watch", "--inbox", str(inbox)], cwd=REPO,
                            env=_env(CHARTFILE_INTAKE__QUIET_SECONDS=str(quiet)), stdout=log, stderr=log)
    try:
        time.sleep(1.0)
        results: list[Drop] = []
        cold = math.nan
        for i, (src, img) in enumerate(drops):
            lat = _drop_and_wait(src, f"lat-r{run}-{i:02d}{src.suffix}", inbox, home / "index")
            if i == 0:
                cold = lat
                continue
            results.append(Drop(src.name, lat, tesseract_once(img.native), tesseract_once(img.prepared, img.dpi)))
        return results, cold
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def latency_set(work: Path, roster: Path, count: int, seed: int) -> list[tuple[Path, PageImage]]:
    folder, manifest = work / "drops", work / "drops.json"
    if not manifest.exists():
        recs = generate(folder, roster, count, seed + 1000, LATENCY_FORMATS, lambda r: r["page_count"] == 1, 0.3)
        manifest.write_text(json.dumps(recs))
    files = [folder / r["file"] for r in json.loads(manifest.read_text())][:count]
    images = extract_images(files, work / "drop-images")
    return list(zip(files, images, strict=True))


# ------------------------------------------------------------------ profile (py-spy)
Rule = tuple[str, tuple[str, ...]]  # (label, substrings all in the stack, "!x": x not in it); first match wins
HELPERS = "helper processes (idle)"
WRITER_RULES: tuple[Rule, ...] = (
    ("imports (one-time)", ("_find_and_load",)),
    ("worker pool start/stop", ("_ensure_pool",)),
    ("worker pool start/stop", ("close (indexer/service",)),
    ("index: Whoosh write + commit", ("upsert (indexer/searchindex",)),
    ("index: find pending, mark indexed", ("index_pending",)),
    ("audit events", ("indexer/audit/",)),
    ("matching", ("indexer/matching/",)),
    ("ROI drafts", ("indexer/roi/",)),
    ("roster load / version check", ("load_roster",)),
    ("roster load / version check", ("roster_version",)),
    ("roster load / version check", ("gazetteer (indexer/patients",)),
    ("filing: transaction commit", ("_commit (indexer/service", "commit (sqlalchemy")),
    ("filing: transaction commit", ("_finish (indexer/service", "commit (sqlalchemy")),
    ("filing: record_extracted (other SQL + Python)", ("record_extracted",)),
    ("filing: archive move", ("move_item_file",)),
    ("claim: ledger row + copy into spool", ("claim (indexer/ledger",)),
    ("start item: duplicate check, sniff", ("_start (indexer/service",)),
    ("start item: duplicate check, sniff", ("submit (indexer/service",)),
    ("dispatch results", ("_handle (indexer/service",)),
    ("waiting for workers", ("pump (indexer/service",)),
    ("home init (migrate, index check)", ("prepare_home",)),
)
WORKER_RULES: tuple[Rule, ...] = (
    (HELPERS, ("resource_tracker.py",)),
    (HELPERS, ("main (multiprocessing/forkserver", "!_serve_one")),
    ("imports (one-time)", ("_find_and_load",)),
    ("OSD: write temp image", ("image_to_osd", "save (PIL")),
    ("OSD: tesseract --psm 0", ("image_to_osd",)),
    ("orientation: re-read of the turned page", ("_orient (intake/ocr",)),
    ("binarized retry (second OCR)", ("_binarized_retry",)),
    ("OCR: write temp image", ("pytesseract", "save (PIL")),
    ("OCR: tesseract", ("pytesseract",)),
    ("OCR: parse TSV", ("parse_tsv",)),
    ("decode page", ("decode_page",)),
    ("preprocess: skew estimate", ("estimate_skew",)),
    ("preprocess: deskew / rotate", ("deskew",)),
    ("preprocess: deskew / rotate", ("_rotate (intake/ocr",)),
    ("preprocess: grey + resolution", ("normalise_resolution",)),
    ("preprocess: grey + resolution", ("to_grey",)),
    ("preprocess: blank check", ("is_blank",)),
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


# ------------------------------------------------------------------ main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m intake.benchmark_throughput", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of every phase; medians are reported")
    ap.add_argument("--pages", type=int, default=100, help="minimum pages in the benchmark set")
    ap.add_argument("--drops", type=int, default=10, help="timed single-page drops per run (plus 1 cold)")
    ap.add_argument("--quiet-seconds", type=float, default=0.5, help="watcher quiet period for the latency runs")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, help="work folder (kept; the set is reused when present)")
    ap.add_argument("--skip", default="", help="comma list of phases to skip: limit,chartfile,ocrmypdf,latency")
    ap.add_argument("--json", dest="json_out", type=Path, help="also write all raw numbers here")
    ap.add_argument("--nice", type=int, default=0, help="niceness increment for this benchmark (negative needs root)")
    ap.add_argument("--report", type=Path, help="only print the tables of a saved WORK/results.json")
    ap.add_argument("--profile", action="store_true", help="one ingest under py-spy: time by stage instead")
    return ap.parse_args(argv)


def benchmark(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    skip = set(filter(None, args.skip.split(",")))
    t0 = time.perf_counter()
    bench, roster = build_set(work, args.pages, args.seed)
    print(f"set: {len(bench.files)} files, {bench.pages} pages {bench.per_format}, {len(bench.images)} to OCR; "
          f"prepared in {time.perf_counter() - t0:.0f}s; cores {args.cores}; chartfile = {' '.join(chartfile_cmd())}")
    inputs, convert = pdf_inputs(bench, work) if "ocrmypdf" not in skip else ([], 0.0)
    drops = latency_set(work, roster, args.drops + 1, args.seed) if "latency" not in skip else []
    phases: list[Phase] = []
    lat_drops: list[Drop] = []
    colds: list[float] = []
    result: dict[str, Any] = {}
    for run in range(1, args.runs + 1):
        first = len(phases)
        if "limit" not in skip:
            run_limit(bench, args.cores, "native", phases)
            run_limit(bench, args.cores, "prepared", phases)
        if "chartfile" not in skip:
            run_chartfile(bench, roster, work, args.cores, phases)
        if "ocrmypdf" not in skip:
            run_ocrmypdf(bench, inputs, work, args.cores, phases)
        if drops:
            got, cold = run_latency(drops, roster, work, run, args.quiet_seconds)
            lat_drops += got
            colds.append(cold)
        result = {"set": {"files": len(bench.files), "pages": bench.pages, "per_format": bench.per_format,
                          "ocr_pages": len(bench.images)}, "cores": args.cores, "runs": [asdict(p) for p in phases],
                  "drops": [asdict(d) for d in lat_drops], "cold_drops": colds, "quiet_seconds": args.quiet_seconds,
                  "convert_seconds": convert}
        (work / "results.json").write_text(json.dumps(result, indent=1))
        print(f"run {run}: " + "; ".join(f"{p.name} {p.pages_per_minute:.1f} ppm (other load {p.other_load:.0%})"
                                         for p in phases[first:]), flush=True)
    report(result)
    return result


def report(result: dict[str, Any]) -> None:
    """Print the median tables and the target verdicts of a (possibly partial) result."""
    phases = [Phase(**p) for p in result["runs"]]
    drops = [Drop(**d) for d in result["drops"]]
    names = list(dict.fromkeys(p.name for p in phases))
    medians = [median_phase([p for p in phases if p.name == n]) for n in names]
    runs = max((sum(1 for p in phases if p.name == n) for n in names), default=0)
    lat = latency_summary(drops) if drops else None
    pages, cores = (phases[0].pages, phases[0].cores) if phases else (0, 0)
    print(f"\n## Throughput (median of {runs} runs; {pages} pages, {cores} cores)\n")
    print(throughput_table(medians))
    print(f"\nTIFF -> PDF conversion for OCRmyPDF (untimed above): {result.get('convert_seconds', math.nan):.1f}s")
    if lat:
        print(f"\n## Drop-to-searchable (quiet period {result.get('quiet_seconds', '?')}s; {len(drops)} drops)\n")
        print(f"latency median {lat['latency_median']:.2f}s p95 {lat['latency_p95']:.2f}s; tesseract alone "
              f"median {lat['ocr_native_median']:.2f}s native / {lat['ocr_prepared_median']:.2f}s prepared; "
              f"latency - OCR: median {lat['excess_median']:.2f}s p95 {lat['excess_p95']:.2f}s "
              f"(vs prepared p95 {lat['excess_prepared_p95']:.2f}s); cold first drop median "
              f"{statistics.median(result['cold_drops']):.2f}s")
        result["latency"] = lat
    print("\n## Targets\n\n" + "\n".join(verdicts(medians, lat)))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        report(json.loads(args.report.read_text()))
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="chartfile-tput-"))
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.nice:
        os.nice(args.nice)
    become_subreaper()
    if args.profile:
        result = profile(args, work)
    else:
        result = benchmark(args, work)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1, default=str))
    print(f"\nwork folder: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

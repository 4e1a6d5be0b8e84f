"""Numbers of the throughput benchmark: phases, percentiles, tables, verdicts, and measuring a phase.

Owns what is computed from measurements (pure, unit-tested) and how a phase
is measured: wall time, CPU time of every descendant process (the benchmark
is a child subreaper, so orphaned workers are counted), peak summed RSS of
the process tree and the CPU used meanwhile by other processes.
"""

from __future__ import annotations

import math
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

SAMPLE_SECONDS = 0.1
TARGET_OF_LIMIT = 0.85  # issue 8's target for the pipeline around tesseract
FLOOR_OF_LIMIT = 0.80  # issue 15's floor once OCR reads faxes better (the two-level upscale costs CPU)
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
    ocr_library: float = math.nan  # libtesseract alone (model already loaded) on the preprocessed page


def latency_summary(drops: Sequence[Drop]) -> dict[str, float]:
    """Median/p95 of latency, OCR time, and latency minus OCR time (the pipeline's own share)."""
    lat = [d.latency for d in drops]
    excess = [d.latency - d.ocr_native for d in drops]
    excess_prep = [d.latency - d.ocr_prepared for d in drops]
    return {"drops": float(len(drops)), "latency_median": percentile(lat, 50), "latency_p95": percentile(lat, 95),
            "ocr_native_median": percentile([d.ocr_native for d in drops], 50),
            "ocr_prepared_median": percentile([d.ocr_prepared for d in drops], 50),
            "excess_median": percentile(excess, 50), "excess_p95": percentile(excess, 95),
            "excess_prepared_p95": percentile(excess_prep, 95),
            "ocr_library_median": percentile([d.ocr_library for d in drops], 50),
            "excess_library_p95": percentile([d.latency - d.ocr_library for d in drops], 95)}


def verdicts(phases: Sequence[Phase], lat: dict[str, float] | None) -> list[str]:
    """The issue's done-when targets, each PASS/FAIL with the numbers."""
    by = {p.name: p for p in phases}
    out: list[str] = []

    def line(ok: bool, text: str) -> None:
        out.append(f"{'PASS' if ok else 'FAIL'}  {text}")

    cf = by.get("chartfile")
    if cf and "limit-native" in by:
        share = ratio(cf.pages_per_minute, by["limit-native"].pages_per_minute)
        line(share >= FLOOR_OF_LIMIT, f"Chartfile at {share:.0%} of the tesseract limit "
                                      f"(floor >= {FLOOR_OF_LIMIT:.0%}, issue 15)")
        line(share >= TARGET_OF_LIMIT, f"Chartfile at {share:.0%} of the tesseract limit "
                                       f"(target >= {TARGET_OF_LIMIT:.0%}, issue 8)")
        cpu = ratio(by["limit-native"].cpu_per_page, cf.cpu_per_page)
        out.append(f"info  by CPU time per page (robust to other load) Chartfile is at {cpu:.0%} of the limit")
    if cf and "limit-library" in by:
        share = ratio(cf.pages_per_minute, by["limit-library"].pages_per_minute)
        out.append(f"info  against libtesseract alone (no per-run start-up; limit-library) Chartfile is at "
                   f"{share:.0%}: what its own preprocessing, entities, filing and indexing cost")
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
    reap_orphans()  # stragglers of earlier work (e.g. the latency watcher's fork server) count before t0
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


"""Burst benchmark of the hot folder: drop N small files at once into a watched inbox and measure.

Usage::

    python -m benchmarks.burst --files 1000 [--workers 2] [--keep] [--json]

Creates a fresh data home in a temporary folder, starts ``chartfile watch``
as a separate process, moves N generated files into its inbox in one burst
(mostly one-page text PDFs, a share of small fax TIFFs that need OCR and a
few HTML pages named .pdf that must be quarantined; every file's content is
unique), and reports:

* time to drain (first file dropped → every file has an outcome);
* outcome counts; ``lost`` (dropped files with no intake item, or left in
  the inbox) and ``duplicates`` (content filed more than once, or a file taken
  twice) — both must be 0;
* peak memory: RSS of the service process alone and of the service with all
  its children (fork server, OCR workers, tesseract), sampled with psutil;
* the consistency check of :mod:`indexer.intake_check` (ledger, files, index).

Nothing here is imported by the application.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

REPO = Path(__file__).resolve().parents[1]
FINAL = ("processed", "quarantined", "duplicate")
SETTINGS = """[intake]
quiet_seconds = 1.0
rescan_seconds = 5.0

[ocr]
workers = {workers}
"""


@dataclass
class BurstReport:
    """Figures of one burst run."""

    files: int
    workers: int
    drain_seconds: float = 0.0
    files_per_second: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    lost: int = 0
    duplicates: int = 0
    peak_rss_service_mb: float = 0.0
    peak_rss_total_mb: float = 0.0
    peak_processes: int = 0
    consistent: bool = False
    problems: list[str] = field(default_factory=list)
    exit_code: int | None = None
    home: str = ""


# ----------------------------------------------------------------------------- files
def _text_pdf(n: int) -> bytes:
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    y = 740
    for line in (f"VALLEY LAB SERVICES   Accession {n:06d}", "", f"Patient: Burst Person{n:06d}",
                 "DOB: 02/03/1970", f"Date of Service: 10/{n % 28 + 1:02d}/2026",
                 "Result: potassium 4.1 mmol/L, within the reference range."):
        c.drawString(60, y, line)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def _fax_tiff(n: int) -> bytes:
    import io

    from PIL import Image, ImageDraw, ImageFont

    path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    font = ImageFont.truetype(path, 26) if os.path.exists(path) else ImageFont.load_default(size=26)
    img = Image.new("L", (1000, 300), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate((f"FAX  Accession {n:06d}", f"Patient: Burst Person{n:06d}", "DOB: 02/03/1970")):
        draw.text((40, 30 + i * 80), line, fill=0, font=font)
    buf = io.BytesIO()
    img.convert("1").save(buf, format="TIFF", compression="group4", dpi=(204, 196))
    return buf.getvalue()


def make_files(staging: Path, n: int, ocr_share: float, bad_share: float) -> dict[str, str]:
    """Write ``n`` unique files; returns name -> expected outcome."""
    staging.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    every_ocr = max(int(1 / ocr_share), 1) if ocr_share > 0 else 0
    every_bad = max(int(1 / bad_share), 1) if bad_share > 0 else 0
    for i in range(n):
        if every_bad and i % every_bad == every_bad - 1:
            name, data, outcome = f"portal {i:06d}.pdf", f"<html>session {i} expired</html>".encode(), "quarantined"
        elif every_ocr and i % every_ocr == 0:
            name, data, outcome = f"fax {i:06d}.tif", _fax_tiff(i), "processed"
        else:
            name, data, outcome = f"lab {i:06d}.pdf", _text_pdf(i), "processed"
        (staging / name).write_bytes(data)
        expected[name] = outcome
    return expected


# ----------------------------------------------------------------------------- memory
class MemorySampler(threading.Thread):
    """Samples RSS of a process and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_self = 0
        self.peak_total = 0
        self.peak_procs = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            try:
                own = root.memory_info().rss
                total = own
                kids = root.children(recursive=True)
                for kid in kids:
                    try:
                        total += kid.memory_info().rss
                    except psutil.Error:
                        continue
            except psutil.Error:
                return
            self.peak_self = max(self.peak_self, own)
            self.peak_total = max(self.peak_total, total)
            self.peak_procs = max(self.peak_procs, 1 + len(kids))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


# ----------------------------------------------------------------------------- run
def _count_final(db: object) -> int:
    from indexer.db.engine import Database
    from indexer.db.models import IntakeItem

    assert isinstance(db, Database)
    try:
        with db.session() as s:
            return int(s.scalar(select(func.count()).select_from(IntakeItem)
                                .where(IntakeItem.state.in_(FINAL))) or 0)
    except OperationalError:
        return 0


def _wait_started(log: Path, proc: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"the watch service exited early:\n{log.read_text()[-2000:]}")
        if "watch started" in log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise SystemExit("the watch service did not start in time")


def run_burst(n: int, workers: int, base: Path, ocr_share: float = 0.05, bad_share: float = 0.02,
              timeout: float = 3600.0) -> BurstReport:
    """Run one burst in ``base`` (a fresh folder) and return its figures."""
    from indexer.db.engine import Database
    from intake.config import load_config

    home, inbox, staging, log = base / "home", base / "inbox", base / "staging", base / "watch.log"
    home.mkdir(parents=True)
    inbox.mkdir()
    (home / "chartfile.toml").write_text(SETTINGS.format(workers=workers), encoding="utf-8")
    expected = make_files(staging, n, ocr_share, bad_share)
    report = BurstReport(files=n, workers=workers, home=str(home))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTFILE_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, "-m", "chartfile", "--home", str(home), "init"], env=env, cwd=REPO,
                   check=True, capture_output=True)
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "chartfile", "--home", str(home), "-v", "watch",
                                 "--inbox", str(inbox)], env=env, stdout=fh, stderr=fh, cwd=REPO)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    db = Database(load_config(home, environ={}))
    try:
        _wait_started(log, proc, 300)
        started = time.monotonic()
        for name in expected:
            os.replace(staging / name, inbox / name)
        while time.monotonic() - started < timeout:
            if proc.poll() is not None:
                break
            if _count_final(db) >= n and not any(inbox.iterdir()):
                break
            time.sleep(0.5)
        report.drain_seconds = round(time.monotonic() - started, 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            report.exit_code = proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            report.exit_code = proc.wait()
        sampler.stop()
    report.peak_rss_service_mb = round(sampler.peak_self / 1_048_576, 1)
    report.peak_rss_total_mb = round(sampler.peak_total / 1_048_576, 1)
    report.peak_processes = sampler.peak_procs
    _account(report, db, home, inbox, expected)
    db.dispose()
    return report


def _account(report: BurstReport, db: object, home: Path, inbox: Path, expected: dict[str, str]) -> None:
    from chartfile.service.checks import check
    from indexer.db.engine import Database
    from indexer.db.models import Document, IntakeItem
    from intake.config import load_config

    assert isinstance(db, Database)
    with db.session() as s:
        items = list(s.scalars(select(IntakeItem)))
        report.documents = int(s.scalar(select(func.count()).select_from(Document)) or 0)
    names = Counter(i.original_name for i in items)
    report.outcomes = dict(Counter(i.state for i in items))
    left = {p.name for p in inbox.iterdir()}
    report.lost = sum(1 for name in expected if names[name] == 0 or name in left)
    processed_sha = Counter(i.sha256 for i in items if i.state == "processed")
    report.duplicates = (sum(n - 1 for n in processed_sha.values() if n > 1)
                         + sum(n - 1 for n in names.values() if n > 1))
    wrong = [i.original_name for i in items if expected.get(i.original_name) not in (None, i.state)]
    result = check(load_config(home, environ={}), db)
    report.problems = result.problems + [f"unexpected outcome for {len(wrong)} files"] * bool(wrong)
    report.consistent = result.ok and not wrong and result.unfinished == 0
    report.files_per_second = round(report.files / report.drain_seconds, 2) if report.drain_seconds else 0.0


def _print(report: BurstReport) -> None:
    print(f"files dropped           {report.files} (workers: {report.workers})")
    print(f"time to drain           {report.drain_seconds:.1f} s ({report.files_per_second} files/s)")
    print(f"outcomes                {report.outcomes}; documents {report.documents}")
    print(f"lost                    {report.lost}")
    print(f"duplicates              {report.duplicates}")
    print(f"peak RSS service        {report.peak_rss_service_mb:.0f} MB")
    print(f"peak RSS with children  {report.peak_rss_total_mb:.0f} MB ({report.peak_processes} processes)")
    print(f"consistency check       {'ok' if report.consistent else 'FAILED: ' + '; '.join(report.problems)}")
    print(f"service exit code       {report.exit_code}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.burst", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ocr-share", type=float, default=0.05, help="share of files that need OCR")
    parser.add_argument("--bad-share", type=float, default=0.02, help="share of files that must be quarantined")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data home")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="chartfile-burst-")
    report = run_burst(args.files, args.workers, Path(tmp), args.ocr_share, args.bad_share)
    if args.json:
        print(json.dumps(asdict(report)))
    else:
        _print(report)
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    ok = report.consistent and report.lost == 0 and report.duplicates == 0 and report.exit_code == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The engines of the throughput benchmark and the set they run on.

Owns generating the fax set (``samples``), extracting its page images, and
running each engine on it: the raw ``tesseract`` limit, ``chartfile ingest``,
OCRmyPDF, and single-page drops into a running ``chartfile watch`` for
drop-to-searchable latency.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.eval import settings_env
from benchmarks.tput_stats import Drop, Phase, measured

REPO = Path(__file__).resolve().parents[1]
FORMATS = "tiff-fine,tiff-standard,pdf-image,pdf-text"
LATENCY_FORMATS = "tiff-fine,tiff-standard,pdf-image"
MAX_FILE_PAGES = 6
KIND_BY_EXT = {".pdf": "pdf", ".tif": "tiff", ".tiff": "tiff"}


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
    return [exe] if exe else _python("chartfile.cli.main")


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
            prep = preprocess.normalise_resolution(preprocess.to_grey(image), dpi, cfg.ocr.target_dpi,
                                                   resample=cfg.ocr.resample, fax_target=cfg.ocr.fax_dpi)
            page = preprocess.deskew(prep.image, preprocess.estimate_skew(prep.image), min_skew,
                                    resample=cfg.ocr.resample)
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
def ocr_psm() -> int:
    """The page segmentation mode Chartfile runs tesseract with (the limit uses the same)."""
    from intake.config import Config

    return Config().ocr.psm


def tesseract_once(image: Path, dpi: int | None = None) -> float:
    """Wall seconds of one single-threaded tesseract CLI run (text discarded), Chartfile's psm."""
    cmd = ["tesseract", str(image), "stdout", "--psm", str(ocr_psm()), "-l", "eng"]
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


def _library_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from intake._exec import tesslib

    tesslib.engine("eng")


def _library_seconds(image: str, dpi: int | None = None) -> float:
    """Wall seconds of libtesseract alone on one page (the model is loaded already), Chartfile's psm."""
    from PIL import Image

    from intake._exec import tesslib

    with Image.open(image) as img:
        pixels = tesslib.pixels(img)
    t0 = time.perf_counter()
    tesslib.engine("eng").tsv(pixels, ocr_psm(), dpi)
    return time.perf_counter() - t0


def _library_pool(processes: int) -> Any:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(processes, mp_context=mp.get_context("fork"), initializer=_library_init)


def run_limit_library(bench: BenchSet, cores: int, out: list[Phase]) -> None:
    """The engine without its per-run start-up: libtesseract, model loaded once per process, native pages.

    Forked (this process never loads the library), so no resource tracker outlives the phase.
    """
    with measured("limit-library", bench.pages, cores, out), _library_pool(cores) as pool:
        list(pool.map(_library_seconds, [str(i.native) for i in bench.images]))


def fresh_home(home: Path, roster: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)
    _run([*chartfile_cmd(), "--home", str(home), "init"])
    _run([*chartfile_cmd(), "--home", str(home), "patients", "import", str(roster)])


def _outcome_rows(stdout: str) -> list[dict[str, object]]:
    """``ingest --json`` prints one JSON array of ``{"intake_id", "outcome"}`` when done."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("["):
            rows: list[dict[str, object]] = json.loads(line)
            return rows
    return []


def run_chartfile(bench: BenchSet, roster: Path, work: Path, cores: int, out: list[Phase],
                  engine: str | None = None, setting: str | None = None) -> None:
    """``chartfile ingest`` of the set; ``engine`` other than the default runs as phase ``chartfile-ENGINE``,
    a ``setting`` (``SECTION.KEY=VALUE``) as phase ``chartfile[SECTION.KEY=VALUE]``."""
    home = work / "home-ingest"
    fresh_home(home, roster)
    if setting is not None:
        name, env = f"chartfile[{setting}]", _env(**settings_env([setting]))
    elif engine is not None:
        name, env = f"chartfile-{engine}", _env(CHARTFILE_OCR__ENGINE=engine)
    else:
        name, env = "chartfile", _env()
    with measured(name, bench.pages, cores, out) as phase:
        done = _run([*chartfile_cmd(), "--home", str(home), "ingest", "--json", str(work / "set")], check=False,
                    env=env)
    outcomes = [row["outcome"] for row in _outcome_rows(done.stdout)]
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
                settings: dict[str, str]) -> tuple[list[Drop], float]:
    """Drop faxes one at a time into a running watcher; the first (cold) drop is returned apart."""
    home, inbox = work / "home-watch", work / "lat-inbox"
    fresh_home(home, roster)
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir()
    log = (work / "watch.log").open("w")
    proc = subprocess.Popen([*chartfile_cmd(), "--home", str(home), "watch", "--inbox", str(inbox)], cwd=REPO,
                            env=_env(**settings), stdout=log, stderr=log)
    lib = _library_pool(1)
    try:
        time.sleep(1.0)
        results: list[Drop] = []
        cold = math.nan
        for i, (src, img) in enumerate(drops):
            lat = _drop_and_wait(src, f"lat-r{run}-{i:02d}{src.suffix}", inbox, home / "index")
            if i == 0:
                cold = lat
                continue
            results.append(Drop(src.name, lat, tesseract_once(img.native), tesseract_once(img.prepared, img.dpi),
                                lib.submit(_library_seconds, str(img.prepared), img.dpi).result()))
        return results, cold
    finally:
        lib.shutdown()
        stop_watch(proc)
        log.close()


def stop_watch(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM a ``chartfile watch`` (it finishes the work in hand); killed after 60 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()


def latency_set(work: Path, roster: Path, count: int, seed: int) -> list[tuple[Path, PageImage]]:
    folder, manifest = work / "drops", work / "drops.json"
    if not manifest.exists():
        recs = generate(folder, roster, count, seed + 1000, LATENCY_FORMATS, lambda r: r["page_count"] == 1, 0.3)
        manifest.write_text(json.dumps(recs))
    files = [folder / r["file"] for r in json.loads(manifest.read_text())][:count]
    images = extract_images(files, work / "drop-images")
    return list(zip(files, images, strict=True))


def compare_engines(bench: BenchSet) -> tuple[int, list[str]]:
    """Read every prepared page with both engines; returns (pages compared, names of pages that differ).

    Words, confidences and boxes must be identical: the in-process engine is
    the same library with the same settings as the command.
    """
    from PIL import Image

    from intake._exec import tesseract

    differ: list[str] = []
    for img in bench.images:
        with Image.open(img.prepared) as opened:
            page = tesseract.for_tesseract(opened.convert("L"))
        with tesseract.staged(page) as path:
            cli = tesseract.ocr(path, psm=ocr_psm(), dpi=img.dpi, engine="cli")
        lib = tesseract.ocr(page, psm=ocr_psm(), dpi=img.dpi, engine="library")
        if cli.words != lib.words or cli.text != lib.text:
            differ.append(img.prepared.name)
    return len(bench.images), differ

"""Throughput benchmark: Chartfile against raw tesseract and OCRmyPDF on one fax set.

``python -m benchmarks.throughput [--runs 3] [--pages 100] [--drops 10] [--work DIR]``

Owns measuring, never the pipeline.  On one generated set of fax files
(``samples``: 204x196 and 204x98 TIFF, scanned PDF, text PDF, 1-6 pages each)
it times, per run and side by side:

* ``limit``: the ``tesseract`` CLI alone, one process per core,
  ``OMP_THREAD_LIMIT=1``, on page images extracted beforehand (untimed).  Two
  variants: the decoded page as it is (``native``) and the page as Chartfile
  hands it to tesseract after its preprocessing (``prepared``: grey, square
  pixels, at the resolution Chartfile reads it, deskewed).  Text-layer pages need no OCR and cost nothing.
* ``limit-library``: the same engine without its per-run start-up:
  libtesseract in one process per core, the model loaded once per process,
  on the native pages (what is left when no start-up is paid per page).
* ``chartfile``: ``chartfile --home NEW ingest SET`` as a subprocess (fresh
  home, sample roster imported beforehand), to filed and searchable.
* ``ocrmypdf``: ``ocrmypdf --output-type pdf --skip-text --jobs CORES`` per
  file, TIFFs converted to PDF with img2pdf beforehand (untimed, reported).

It reports pages/minute, CPU utilisation (CPU time of the child processes /
(wall x cores)), peak RSS of the process tree (psutil, every 0.1 s), and the
CPU share used by *other* processes on the machine (a shared machine skews
everything; the number says how much).  Then drop-to-searchable latency of
single one-page faxes dropped into ``chartfile watch`` (default intake
settings unless ``--quiet-seconds``/``--settle-seconds`` override them),
polled in the Whoosh index, beside the tesseract time of
that page alone.  ``--profile`` instead runs one ingest under py-spy and
breaks the writer's and the workers' time down by stage.  No patient data:
everything is synthetic.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.tput_profile import profile
from benchmarks.tput_runs import (
    build_set,
    chartfile_cmd,
    compare_engines,
    latency_set,
    ocr_psm,
    pdf_inputs,
    run_chartfile,
    run_latency,
    run_limit,
    run_limit_library,
    run_ocrmypdf,
)
from benchmarks.tput_stats import (
    Drop,
    Phase,
    become_subreaper,
    latency_summary,
    median_phase,
    throughput_table,
    verdicts,
)


# ------------------------------------------------------------------ main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of every phase; medians are reported")
    ap.add_argument("--pages", type=int, default=100, help="minimum pages in the benchmark set")
    ap.add_argument("--drops", type=int, default=10, help="timed single-page drops per run (plus 1 cold)")
    ap.add_argument("--quiet-seconds", type=float, help="intake.quiet_seconds for the latency runs (default: config)")
    ap.add_argument("--settle-seconds", type=float, help="intake.settle_seconds for the latency runs (default: config)")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, help="work folder (kept; the set is reused when present)")
    ap.add_argument("--skip", default="", help="comma list of phases to skip: limit,library,chartfile,ocrmypdf,latency")
    ap.add_argument("--engines", default="",
                    help="also run chartfile with these ocr.engine values (e.g. cli), as phases chartfile-ENGINE")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="also run chartfile with this setting, as phase chartfile[SECTION.KEY=VALUE] (repeatable)")
    ap.add_argument("--json", dest="json_out", type=Path, help="also write all raw numbers here")
    ap.add_argument("--nice", type=int, default=0, help="niceness increment for this benchmark (negative needs root)")
    ap.add_argument("--report", type=Path, help="only print the tables of a saved WORK/results.json")
    ap.add_argument("--profile", action="store_true", help="one ingest under py-spy: time by stage instead")
    ap.add_argument("--compare-engines", action="store_true",
                    help="instead: read every prepared page with the library and the CLI engine; report differences")
    return ap.parse_args(argv)


def watch_settings(args: argparse.Namespace) -> dict[str, str]:
    """Environment overrides of the watcher's intake settings for the latency runs."""
    out = {}
    if args.quiet_seconds is not None:
        out["CHARTFILE_INTAKE__QUIET_SECONDS"] = str(args.quiet_seconds)
    if args.settle_seconds is not None:
        out["CHARTFILE_INTAKE__SETTLE_SECONDS"] = str(args.settle_seconds)
    return out


def watch_label(args: argparse.Namespace) -> str:
    from intake.config import Config

    intake = Config().intake
    quiet = intake.quiet_seconds if args.quiet_seconds is None else args.quiet_seconds
    settle = intake.settle_seconds if args.settle_seconds is None else args.settle_seconds
    return f"quiet {quiet:g} s, settle {settle:g} s when complete"


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
        if "library" not in skip:
            run_limit_library(bench, args.cores, phases)
        if "chartfile" not in skip:
            run_chartfile(bench, roster, work, args.cores, phases)
            for engine in filter(None, args.engines.split(",")):
                run_chartfile(bench, roster, work, args.cores, phases, engine)
            for setting in args.settings:
                run_chartfile(bench, roster, work, args.cores, phases, setting=setting)
        if "ocrmypdf" not in skip:
            run_ocrmypdf(bench, inputs, work, args.cores, phases)
        if drops:
            got, cold = run_latency(drops, roster, work, run, watch_settings(args))
            lat_drops += got
            colds.append(cold)
        result = {"set": {"files": len(bench.files), "pages": bench.pages, "per_format": bench.per_format,
                          "ocr_pages": len(bench.images)}, "cores": args.cores, "runs": [asdict(p) for p in phases],
                  "drops": [asdict(d) for d in lat_drops], "cold_drops": colds, "watch": watch_label(args),
                  "psm": ocr_psm(),
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
        print(f"\n## Drop-to-searchable ({result.get('watch', '?')}; {len(drops)} drops)\n")
        print(f"latency median {lat['latency_median']:.2f}s p95 {lat['latency_p95']:.2f}s; tesseract alone "
              f"median {lat['ocr_native_median']:.2f}s native / {lat['ocr_prepared_median']:.2f}s prepared; "
              f"latency - OCR: median {lat['excess_median']:.2f}s p95 {lat['excess_p95']:.2f}s "
              f"(vs prepared p95 {lat['excess_prepared_p95']:.2f}s; vs libtesseract alone, median "
              f"{lat.get('ocr_library_median', math.nan):.2f}s, p95 {lat.get('excess_library_p95', math.nan):.2f}s); "
              f"cold first drop median "
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
    if args.compare_engines:
        bench, _roster = build_set(work, args.pages, args.seed)
        pages, differ = compare_engines(bench)
        print(f"{pages - len(differ)} of {pages} prepared pages read identically by both engines"
              + (f"; differ: {', '.join(differ)}" if differ else ""))
        return 1 if differ else 0
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

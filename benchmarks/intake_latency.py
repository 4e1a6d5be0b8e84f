"""Drop-to-searchable latency of a watched inbox under the intake stability rules.

``python -m benchmarks.intake_latency [--drops 12] [--mode write|rename] [--tiff-quiet S] [--work DIR]``

Owns measuring what the stability rules (when is a file "done"?) cost a
single fax, never the pipeline.  It starts ``chartfile watch`` on a fresh
home (the ``samples`` roster imported), then drops one-page faxes
(``samples``: TIFF 204x196, TIFF 204x98, scanned PDF) one at a time and polls
the Whoosh index until each is searchable.  Two ways a sender delivers:

* ``write``: the file is created in the inbox and written in place, then
  closed (a fax server or scanner writing straight into the share); the
  clock starts when the file is created;
* ``rename``: the file is written beside the inbox and renamed in whole (the
  clock starts at the rename).

It prints median and p95 overall and per format.  To compare two versions,
extract the other version's tree (``git archive REV | tar -x -C DIR``),
copy this file into its ``benchmarks/`` and run it from there with the same
Python: the watcher runs from the tree the script is in.  No patient data:
everything is synthetic.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.tput_runs import (
    REPO,
    _env,
    _python,
    _run,
    _searchable,
    chartfile_cmd,
    fresh_home,
    generate,
    stop_watch,
)
from benchmarks.tput_stats import percentile

FORMATS = "tiff-fine,tiff-standard,pdf-image"
CHUNK = 64 * 1024


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drops", type=int, default=12, help="timed drops (plus one cold drop, not counted)")
    ap.add_argument("--mode", choices=("write", "rename"), default="write", help="how a sender delivers a file")
    ap.add_argument("--tiff-quiet", type=float, help="intake.quiet_by_format.tiff (default: the version's own)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, help="keep the generated faxes and homes here (reused between runs)")
    ap.add_argument("--json", type=Path, help="also write the drops and the summary to this file")
    return ap.parse_args(argv)


def drop_set(work: Path, count: int, seed: int) -> list[Path]:
    """``count`` one-page faxes (generated once, cached in ``work``) and the roster beside them."""
    roster = work / "roster.csv"
    if not roster.exists():
        _run(_python("samples", "roster", "--out", str(roster), "--count", "300", "--seed", str(seed)))
    manifest = work / "drops.json"
    if not manifest.exists() or len(json.loads(manifest.read_text())) < count:
        recs = generate(work / "drops", roster, count, seed + 1000, FORMATS, lambda r: r["page_count"] == 1, 1.0)
        manifest.write_text(json.dumps(recs))
    return [work / "drops" / r["file"] for r in json.loads(manifest.read_text())][:count]


def deliver(src: Path, target: Path, mode: str) -> float:
    """Put ``src`` into the inbox as ``target``; returns the clock time the sender started."""
    data = src.read_bytes()
    if mode == "rename":
        staging = target.parent.parent / f"staging-{target.name}"
        staging.write_bytes(data)
        t0 = time.perf_counter()
        os.replace(staging, target)
        return t0
    t0 = time.perf_counter()
    with target.open("wb") as out:
        for at in range(0, len(data), CHUNK):
            out.write(data[at:at + CHUNK])
            out.flush()
    return t0


def measure(files: list[Path], work: Path, args: argparse.Namespace) -> list[tuple[str, float]]:
    """(format, seconds to searchable) per drop; the first (cold) drop is left out."""
    home, inbox = work / "home-latency", work / "inbox-latency"
    fresh_home(home, work / "roster.csv")
    inbox.mkdir(exist_ok=True)
    for old in inbox.iterdir():
        old.unlink()
    settings = {"CHARTFILE_INTAKE__QUIET_BY_FORMAT__TIFF": str(args.tiff_quiet)} if args.tiff_quiet is not None else {}
    log = (work / "watch-latency.log").open("w")
    proc = subprocess.Popen([*chartfile_cmd(), "--home", str(home), "watch", "--inbox", str(inbox)], cwd=REPO,
                            env=_env(**settings), stdout=log, stderr=log)
    out: list[tuple[str, float]] = []
    try:
        time.sleep(2.0)
        for i, src in enumerate(files):
            name = f"lat-{args.mode}-{i:02d}{src.suffix}"
            t0 = deliver(src, inbox / name, args.mode)
            while not _searchable(home / "index", name):
                if time.perf_counter() - t0 > 300:
                    raise RuntimeError(f"{name} not searchable after 300 s (see {work / 'watch-latency.log'})")
                time.sleep(0.05)
            seconds = time.perf_counter() - t0
            kind = "tiff" if src.suffix.lower() in (".tif", ".tiff") else "pdf"
            print(f"  {name}: {seconds:.2f} s", flush=True)
            if i:
                out.append((kind, seconds))
    finally:
        stop_watch(proc)
        log.close()
    return out


def summary(drops: list[tuple[str, float]]) -> dict[str, dict[str, float]]:
    """Median and p95 overall and per format."""
    groups = {"all": [s for _, s in drops]}
    for kind, seconds in drops:
        groups.setdefault(kind, []).append(seconds)
    return {k: {"n": float(len(v)), "median": percentile(v, 50), "p95": percentile(v, 95)} for k, v in groups.items()}


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="chartfile-latency-"))
    work.mkdir(parents=True, exist_ok=True)
    files = drop_set(work, args.drops + 1, args.seed)
    print(f"tree {REPO}; {len(files)} drops ({args.mode}); tiff quiet "
          f"{'default' if args.tiff_quiet is None else args.tiff_quiet}", flush=True)
    drops = measure(files, work, args)
    result = summary(drops)
    for kind, row in result.items():
        print(f"{kind}: n={row['n']:.0f} median {row['median']:.2f} s p95 {row['p95']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps({"tree": str(REPO), "mode": args.mode, "tiff_quiet": args.tiff_quiet,
                                         "drops": drops, "summary": result}, indent=1))


if __name__ == "__main__":
    main()

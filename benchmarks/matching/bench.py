"""Matching benchmark: ``python -m benchmarks.matching [--patients N] [--cases N] [--seed S]``.

This module owns the benchmark *run and report*: it builds the workload
(:mod:`benchmarks.matching.kinds`), runs every document through
:func:`split_and_match` exactly as the indexer does, and prints misfiles,
auto-file coverage of fileable documents, review rate, split accuracy, a
per-kind and per-review-reason breakdown and the matching time per document.
Output is aggregate counts only (no names or DOBs).
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field, replace

from benchmarks.matching.cases import Case, Workload
from benchmarks.matching.kinds import build_workload
from indexer.matching.roster import Roster
from indexer.matching.split import split_and_match
from indexer.matching.types import Segment
from intake.config import MatchConfig


@dataclass
class Tally:
    documents: int = 0
    fileable: int = 0
    filed_ok: int = 0  # fileable segments filed to the right patient
    filed_extra: int = 0  # non-fileable (mandatory review) segments filed to the right patient anyway
    misfiles: int = 0
    reviews: int = 0
    batches: int = 0
    splits_ok: int = 0
    per_kind: dict[str, Counter[str]] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)
    millis: list[float] = field(default_factory=list)  # wall time per source file
    cpu_millis: list[float] = field(default_factory=list)  # CPU time per source file (robust on a busy host)


def _reason_key(text: str) -> str:
    """Group review reasons: drop numbers and parenthesised detail."""
    text = re.sub(r"\(.*?\)", "", text)
    text = re.sub(r"page \d+", "page N", text)
    text = re.sub(r"pages \d+-\d+", "pages A-B", text)
    return re.sub(r"[\d.]+", "#", text).split(";")[0].strip()


def score_case(case: Case, segments: list[Segment], certain: bool, t: Tally) -> None:
    kind = t.per_kind.setdefault(case.kind, Counter())
    kind["docs"] += 1
    if case.kind == "batch_fax":
        t.batches += 1
        got = [s.pages for s in segments]
        if certain and got == [tr.pages for tr in case.truth]:
            t.splits_ok += 1
            kind["split_ok"] += 1
    by_pages = {tr.pages: tr for tr in case.truth}
    for seg in segments:
        tr = by_pages.get(seg.pages)
        t.documents += 1
        truth_ids = {x.patient_id for x in case.truth} if tr is None else {tr.patient_id}
        fileable = tr is not None and tr.fileable
        t.fileable += fileable
        kind["fileable"] += fileable
        r = seg.result
        if r.decision == "file":
            if tr is None or r.patient_id not in truth_ids or None in truth_ids:
                t.misfiles += 1
                kind["MISFILE"] += 1
            elif fileable:
                t.filed_ok += 1
                kind["filed"] += 1
            else:
                t.filed_extra += 1
                kind["filed_despite_review_rule"] += 1
        else:
            t.reviews += 1
            kind["review"] += 1
            for reason in r.review_reasons:
                t.reasons[_reason_key(reason)] += 1


def run(work: Workload, cfg: MatchConfig) -> tuple[Tally, float]:
    t0 = time.perf_counter()
    roster = Roster(work.patients, work.aliases)
    build = time.perf_counter() - t0
    gc.collect()
    gc.freeze()  # a long-lived roster: keep it out of the cyclic GC's way, as a service process would
    tally = Tally()
    for case in work.cases:
        start, cpu = time.perf_counter(), time.process_time()
        segments, certain = split_and_match(case.entities, roster, cfg)
        tally.millis.append((time.perf_counter() - start) * 1000)
        tally.cpu_millis.append((time.process_time() - cpu) * 1000)
        score_case(case, segments, certain, tally)
    return tally, build


def report(work: Workload, t: Tally, build: float, cfg: MatchConfig) -> str:
    pct = lambda a, b: f"{100.0 * a / b:.1f}%" if b else "n/a"  # noqa: E731
    ms, cpu = sorted(t.millis), sorted(t.cpu_millis)
    lines = [
        f"roster: {len(work.patients)} patients ({work.source}), {len(work.aliases)} clerk aliases; "
        f"built in {build:.2f} s",
        f"thresholds: certain {cfg.certain_score} probable {cfg.probable_score} "
        f"possible {cfg.possible_score} min_margin {cfg.min_margin}",
        f"cases: {len(work.cases)} source files -> {t.documents} documents (segments)",
        f"misfiles: {t.misfiles}",
        f"auto-file coverage of fileable documents: {t.filed_ok}/{t.fileable} = "
        f"{pct(t.filed_ok, t.fileable)}",
        f"filed although policy wanted review (right patient): {t.filed_extra}",
        f"review rate: {t.reviews}/{t.documents} = {pct(t.reviews, t.documents)}",
        f"split accuracy (batch faxes split exactly, certain): {t.splits_ok}/{t.batches} = "
        f"{pct(t.splits_ok, t.batches)}",
        f"time per source file: mean {statistics.fmean(ms):.2f} ms, median {ms[len(ms) // 2]:.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95)]:.2f} ms, max {ms[-1]:.2f} ms (wall)",
        f"CPU per source file: mean {statistics.fmean(cpu):.2f} ms, median {cpu[len(cpu) // 2]:.2f} ms, "
        f"p95 {cpu[int(len(cpu) * 0.95)]:.2f} ms",
        "",
        f"{'kind':24} {'docs':>5} {'fileable':>8} {'filed':>6} {'review':>6} {'misfile':>7} {'split ok':>8}",
    ]
    for kind, c in sorted(t.per_kind.items()):
        lines.append(f"{kind:24} {c['docs']:5} {c['fileable']:8} {c['filed']:6} {c['review']:6} "
                     f"{c['MISFILE']:7} {c['split_ok'] if kind == 'batch_fax' else '':>8}")
    lines += ["", "review reasons (a document may have several):"]
    lines += [f"  {n:5}  {reason}" for reason, n in t.reasons.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.matching", description=__doc__)
    ap.add_argument("--patients", type=int, default=5000)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--certain", type=float, default=None, help="override MatchConfig.certain_score")
    ap.add_argument("--probable", type=float, default=None)
    ap.add_argument("--margin", type=float, default=None, help="override MatchConfig.min_margin")
    ap.add_argument("--sweep", action="store_true", help="also sweep certain_score and min_margin")
    args = ap.parse_args(argv)
    cfg = MatchConfig()
    if args.certain is not None:
        cfg.certain_score = args.certain
    if args.probable is not None:
        cfg.probable_score = args.probable
    if args.margin is not None:
        cfg.min_margin = args.margin
    work = build_workload(args.patients, args.cases, args.seed)
    tally, build = run(work, cfg)
    print(report(work, tally, build, cfg))
    if args.sweep:
        print("\n" + sweep(work, cfg))
    return 1 if tally.misfiles else 0


def sweep(work: Workload, base: MatchConfig) -> str:
    """Misfiles and coverage for other certain_score / min_margin settings (same workload)."""
    grid = [(c, base.min_margin) for c in (12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0)]
    grid += [(base.certain_score, m) for m in (0.0, 2.0, 4.0, 6.0, 10.0, 12.0)]
    lines = [f"{'certain':>7} {'margin':>6} {'misfiles':>8} {'coverage':>9} {'review':>7}"]
    for certain, margin in grid:
        cfg = replace(base, certain_score=certain, min_margin=margin)
        t, _ = run(work, cfg)
        lines.append(f"{certain:7.1f} {margin:6.1f} {t.misfiles:8} {100.0 * t.filed_ok / t.fileable:8.1f}% "
                     f"{100.0 * t.reviews / t.documents:6.1f}%")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

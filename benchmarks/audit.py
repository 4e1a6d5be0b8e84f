"""Cost of auditing: time N audit appends and N search-audits, with auditing on and off.

Run ``python -m benchmarks.audit [--n 2000] [--preload 20000] [--home DIR] [--json]``.
It builds a throw-away SQLite data home (or uses ``--home``) with its own audit
key and a checkpoint folder beside it (as an office would configure), preloads
a trail so the head lookup runs on a realistic table, then measures, per event:

- ``record() in a transaction`` — the marginal cost one audited action pays
  inside its own, already open transaction (e.g. filing a document);
- ``search audit (own txn)`` — exactly what ``chartfile search`` does after a
  query: one transaction holding one ``search`` event with 20 document ids
  and the query in ``detail``, and the signed checkpoint its commit publishes
  (syslog, the checkpoint folder, the home's copy).  With auditing off it
  still opens and commits the (now empty) transaction, as the command does;
- ``verify`` — walking the chain, per event.

Medians and 95th percentiles in microseconds.  No PHI: synthetic values only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from indexer.audit.keys import generate
from indexer.audit.switch import set_enabled
from indexer.audit.trail import record
from indexer.audit.verify import verify_trail
from indexer.db.engine import Database
from intake.config import Config

DOC_IDS = list(range(1000, 1020))
SEARCH_DETAIL = json.dumps({"query": "type:lab from:valley", "results": 37})


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(samples_ns: list[int]) -> dict[str, float]:
    us = [s / 1000.0 for s in samples_ns]
    return {"median_us": round(statistics.median(us), 1), "p95_us": round(_percentile(us, 0.95), 1)}


def preload(db: Database, count: int, chunk: int = 5000) -> None:
    """Append ``count`` synthetic events, ``chunk`` per transaction."""
    done = 0
    while done < count:
        with db.transaction() as s:
            for i in range(done, min(count, done + chunk)):
                record(s, actor="bench", action="R", event_type="patient.chart_view",
                       patient_mrn=f"CF{i % 5000:06d}", document_ids=[i], detail="preload")
        done = min(count, done + chunk)


def time_in_transaction(db: Database, n: int) -> list[int]:
    """Per-call time of record() inside one open transaction."""
    samples: list[int] = []
    with db.transaction() as s:
        for i in range(n):
            t0 = time.perf_counter_ns()
            record(s, actor="system", action="C", event_type="document.filed", patient_mrn="CF000001",
                   document_ids=[i], detail="auto-filed, grade certain")
            samples.append(time.perf_counter_ns() - t0)
    return samples


def time_search_audit(db: Database, n: int) -> list[int]:
    """Per-operation time of a search's audit transaction (open, record, commit)."""
    samples: list[int] = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        with db.transaction() as s:
            record(s, actor="clerk1", action="E", event_type="search", document_ids=DOC_IDS,
                   detail=SEARCH_DETAIL)
        samples.append(time.perf_counter_ns() - t0)
    return samples


def time_verify(db: Database, home: Path) -> tuple[int, float]:
    """(events walked, microseconds per event) for a full ``verify``."""
    t0 = time.perf_counter_ns()
    result = verify_trail(db)
    elapsed = time.perf_counter_ns() - t0
    if not result.ok:
        raise SystemExit(f"benchmark trail failed verification: {result.problem}")
    return result.checked, round(elapsed / 1000.0 / max(result.checked, 1), 2)


def _config(home: Path) -> Config:
    """The home's configuration, with a key and a checkpoint folder of its own beside it (created once)."""
    cfg = Config(home=home)
    side = home.parent / f"{home.name}-audit"
    (side / "checkpoints").mkdir(parents=True, exist_ok=True)
    cfg.audit.key_file = str(side / "audit.key")
    cfg.audit.checkpoint_dir = str(side / "checkpoints")
    if not (side / "audit.key").exists():
        generate(side / "audit.key", home)
    return cfg


def run(home: Path, n: int, preload_events: int) -> dict[str, object]:
    """All measurements on the SQLite data home ``home``."""
    db = Database(_config(home))
    db.migrate()
    try:
        preload(db, preload_events)
        scenarios: dict[str, Callable[[Database, int], list[int]]] = {
            "record() in a transaction": time_in_transaction,
            "search audit (own txn)": time_search_audit,
        }
        results: dict[str, dict[str, dict[str, float]]] = {}
        for name, fn in scenarios.items():
            fn(db, min(n, 200))  # warm-up
            on = _summary(fn(db, n))
            set_enabled(db, False, actor="bench", reason="benchmark")
            off = _summary(fn(db, n))
            set_enabled(db, True, actor="bench", reason="benchmark")
            results[name] = {"audit_on": on, "audit_off": off}
        walked, per_event = time_verify(db, home)
        return {"n": n, "preloaded": preload_events, "database": "sqlite (WAL, synchronous=NORMAL)",
                "scenarios": results, "verify": {"events": walked, "us_per_event": per_event}}
    finally:
        db.dispose()


def render(report: dict[str, object]) -> str:
    """A small table for the terminal."""
    lines = [f"audit benchmark: n={report['n']} per scenario, trail preloaded with {report['preloaded']} "
             f"events, {report['database']}",
             f"{'scenario':<28} {'on median':>10} {'on p95':>9} {'off median':>11} {'off p95':>9} {'cost':>9}"]
    scenarios = report["scenarios"]
    assert isinstance(scenarios, dict)
    for name, r in scenarios.items():
        on, off = r["audit_on"], r["audit_off"]
        cost = on["median_us"] - off["median_us"]
        lines.append(f"{name:<28} {on['median_us']:>8.1f}µs {on['p95_us']:>7.1f}µs "
                     f"{off['median_us']:>9.1f}µs {off['p95_us']:>7.1f}µs {cost:>7.1f}µs")
    verify = report["verify"]
    assert isinstance(verify, dict)
    lines.append(f"verify: {verify['events']} events, {verify['us_per_event']} µs per event")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000, help="events per scenario and switch state")
    parser.add_argument("--preload", type=int, default=20000, help="events in the trail before timing")
    parser.add_argument("--home", type=Path, help="data home to use (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.home is not None:
        report = run(args.home, args.n, args.preload)
    else:
        with tempfile.TemporaryDirectory(prefix="chartfile-audit-bench-") as tmp:
            report = run(Path(tmp) / "home", args.n, args.preload)
    print(json.dumps(report, indent=2) if args.json else render(report))


if __name__ == "__main__":
    main()

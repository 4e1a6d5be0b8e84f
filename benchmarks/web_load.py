"""Web load: 20 clerks working the review queue and searching, for 60 s, against 100,000 documents.

Run ``python -m benchmarks.web_load --docs 100000`` (figures in docs/benchmarks.md)
or ``--docs 2000 --seconds 10`` (smoke).  Builds a throw-away data home with
the search benchmark's synthetic corpus (:mod:`benchmarks.search`: roster,
documents, index) plus a review queue (every unfiled document, two ranked
candidates each) and one user per clerk; starts a real ``chartfile serve
--no-watch`` on a free loopback port; then each simulated clerk logs in and,
until the time is up, opens the worklist, opens an item, and runs a search
(POST, from the benchmark's query mix, typos included), pausing between
pages like a person (``--think``, seconds, uniform around the mean; 0 = no
pause).  Prints requests, errors and p50/p95/p99 per page kind, and checks
p95 ≤ 300 ms for the review and search pages.  Traffic goes to 127.0.0.1
only; the request loop is bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from benchmarks.search import QueryMix, build, percentile
from chartfile.service import users
from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.office import open_office
from indexer.db.models import Document, Patient, ReviewItem
from intake.config import load_config

TARGET_P95_MS = 300.0
PASSWORD = "load test passphrase 1"
ADMIN = Actor(username="benchmark", role=Role.ADMIN, os_login="", channel=Channel.SYSTEM)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ITEM = re.compile(r'href="/review/(\d+)"')


def add_review_queue(home: Path, seed: int) -> int:
    """A review item for every unfiled document: two look-alike candidates with evidence."""
    rng = random.Random(seed)
    office = open_office(load_config(home, environ={}))
    try:
        with office.db.transaction() as s:
            mrns = list(s.scalars(select(Patient.mrn)))
            docs = s.execute(select(Document.id, Document.urgent, Document.created_at)
                             .where(Document.status == "review")).all()
            rows = []
            for doc_id, urgent, created in docs:
                a, b = rng.sample(mrns, 2)
                rows.append({"document_id": doc_id, "kind": "match", "state": "open", "urgent": urgent,
                             "created_at": created, "reasons_json": json.dumps(["twins: same family name and DOB"]),
                             "candidates_json": json.dumps([
                                 {"mrn": a, "score": 18.5, "grade": "probable",
                                  "reasons": {"dob": "exact +12.0", "family_name": "exact +6.5"}},
                                 {"mrn": b, "score": 9.0, "grade": "possible",
                                  "reasons": {"dob": "exact +12.0", "given_name": "differs -4.0"}}])})
            for start in range(0, len(rows), 5000):
                s.execute(insert(ReviewItem), rows[start:start + 5000])
        return len(rows)
    finally:
        office.close()


def add_clerks(home: Path, n: int) -> list[str]:
    office = open_office(load_config(home, environ={}))
    try:
        names = [f"clerk{i:02d}" for i in range(1, n + 1)]
        for name in names:
            users.add_user(office, ADMIN, name, Role.CLERK, PASSWORD)
        return names
    finally:
        office.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("chartfile")
    proc = subprocess.Popen([str(exe), "--home", str(home), "serve", "--no-watch", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


class Clerk:
    """One simulated clerk: log in, then worklist → item → search, with a person's pauses."""

    def __init__(self, base: str, name: str, queries: list[str], think: float, rng: random.Random) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False)
        self.name, self.queries, self.think, self.rng = name, queries, think, rng
        self.csrf = ""
        self.times: dict[str, list[float]] = {"review_list": [], "review_item": [], "search": []}
        self.errors: list[str] = []

    async def login(self) -> None:
        page = await self.client.get("/login")
        token = CSRF.search(page.text)
        resp = await self.client.post("/login", data={"username": self.name, "password": PASSWORD,
                                                      "csrf_token": token.group(1) if token else ""})
        if resp.status_code != 303:
            raise SystemExit(f"login of {self.name} failed: {resp.status_code}")

    async def timed(self, kind: str, method: str, url: str, **kw: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            resp = await self.client.request(method, url, **kw)
        except httpx.HTTPError as exc:
            self.errors.append(f"{kind}: {type(exc).__name__}")
            return None
        self.times[kind].append((time.perf_counter() - started) * 1000)
        if resp.status_code != 200:
            self.errors.append(f"{kind}: HTTP {resp.status_code}")
        return resp

    async def pause(self) -> None:
        if self.think > 0:
            await asyncio.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))

    async def work(self, until: float) -> None:
        while time.monotonic() < until:
            page = self.rng.randint(1, 5)
            listing = await self.timed("review_list", "GET", f"/review?page={page}")
            if listing is not None and not self.csrf:
                found = CSRF.search(listing.text)
                self.csrf = found.group(1) if found else ""
            await self.pause()
            ids = ITEM.findall(listing.text) if listing is not None else []
            if ids and time.monotonic() < until:
                await self.timed("review_item", "GET", f"/review/{self.rng.choice(ids)}")
                await self.pause()
            if time.monotonic() < until:
                await self.timed("search", "POST", "/search", data={"q": self.rng.choice(self.queries),
                                                                      "csrf_token": self.csrf})
                await self.pause()


async def run_clerks(base: str, names: list[str], queries: list[str], seconds: float, think: float,
                     seed: int) -> list[Clerk]:
    clerks = [Clerk(base, n, queries, think, random.Random(f"{seed}:{n}")) for n in names]
    await asyncio.gather(*(c.login() for c in clerks))
    until = time.monotonic() + seconds
    await asyncio.gather(*(c.work(until) for c in clerks))
    await asyncio.gather(*(c.client.aclose() for c in clerks))
    return clerks


def summarise(clerks: list[Clerk], seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"pages": {}, "errors": sum(len(c.errors) for c in clerks),
                           "error_examples": sorted({e for c in clerks for e in c.errors})[:5]}
    total = 0
    for kind in ("review_list", "review_item", "search"):
        values = [v for c in clerks for v in c.times[kind]]
        total += len(values)
        out["pages"][kind] = {"requests": len(values), "p50_ms": percentile(values, 50),
                              "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99),
                              "max_ms": max(values) if values else 0.0}
    out["requests_per_s"] = total / seconds
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.web_load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--clerks", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think", type=float, default=1.0, help="mean pause between pages, seconds (0 = none)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--home", type=Path, help="keep the data home here (reused when it exists)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="chartfile-webload-")) / "home"
    report: dict[str, Any] = {"docs": args.docs, "clerks": args.clerks, "seconds": args.seconds, "think_s": args.think,
                              "cpus": os.cpu_count()}
    built = (home / "chartfile.db").exists()
    cfg = load_config(home, environ={})
    if not built:
        t = time.perf_counter()
        roster, docs = build(cfg, args.docs, args.seed, report)
        report["review_items"] = add_review_queue(home, args.seed)
        add_clerks(home, args.clerks)
        report["build_s"] = time.perf_counter() - t
    else:
        from benchmarks.search import _roster, synth_docs

        roster = _roster(max(50, args.docs // 10), args.seed)
        docs = synth_docs(min(args.docs, 5000), roster, args.seed)
    queries = [q for kind, qs in QueryMix(roster, docs, args.seed + 1).queries(20).items() for q in qs]
    port = free_port()
    server = start_server(home, port)
    try:
        load_start = os.getloadavg()[0]
        names = [f"clerk{i:02d}" for i in range(1, args.clerks + 1)]
        clerks = asyncio.run(run_clerks(f"http://127.0.0.1:{port}", names, queries, args.seconds, args.think,
                                        args.seed))
        report.update(summarise(clerks, args.seconds), loadavg_start=load_start, loadavg_end=os.getloadavg()[0])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    report["ok"] = all(report["pages"][k]["p95_ms"] <= TARGET_P95_MS for k in ("review_list", "review_item", "search"))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0 if report["ok"] and report["errors"] == 0 else 1


def format_report(r: dict[str, Any]) -> str:
    lines = [f"{r['docs']:,} documents, {r['clerks']} clerks for {r['seconds']:g} s, think {r['think_s']:g} s, "
             f"{r['cpus']} cpus, load {r['loadavg_start']:.1f} -> {r['loadavg_end']:.1f}",
             f"{r['requests_per_s']:.1f} pages/s, {r['errors']} errors {r['error_examples'] or ''}",
             f"{'page':<12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for kind, p in r["pages"].items():
        lines.append(f"{kind:<12} {p['requests']:>8} {p['p50_ms']:>8.0f} {p['p95_ms']:>8.0f} {p['p99_ms']:>8.0f} "
                     f"{p['max_ms']:>8.0f}")
    lines.append(f"p95 <= {TARGET_P95_MS:.0f} ms for review and search pages: {'yes' if r['ok'] else 'NO'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

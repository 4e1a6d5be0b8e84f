"""Web load: 20 clerks working the review queue and searching, for 60 s, against 100,000 documents.

Run ``python -m benchmarks.web_load --docs 100000`` (figures in docs/benchmarks.md)
or ``--docs 2000 --seconds 10`` (smoke).  Builds a data home with the search
benchmark's synthetic corpus (:mod:`benchmarks.search`: roster, documents
bulk-inserted, index built by the product's own writer) plus a review queue
(every unfiled document, two ranked candidates each) and one user per clerk,
once per set of parameters: the home is kept under
``$TMPDIR/chartfile-webload/`` keyed by documents, seed, index schema and
corpus version (built beside and renamed into place when complete, migrated
to the current schema on reuse; ``--rebuild`` builds it afresh; ``--home``
names another place).  Then it starts a real ``chartfile serve
--no-watch`` on a free loopback port (``web.workers`` processes, or
``--workers``); then each simulated clerk logs in and,
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
import shutil
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

from benchmarks.search import QueryMix, SynthDoc, _roster, build, percentile, synth_docs
from chartfile.service import users
from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.auth_models import User
from chartfile.service.office import open_office, upgrade
from indexer.db.models import Document, Patient, ReviewItem
from intake.config import load_config
from search.schema import SCHEMA_VERSION

TARGET_P95_MS = 300.0
CORPUS_VERSION = 1  # bump when the synthetic corpus or the review queue built here changes
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
    """Logins clerk01..clerkNN (those a reused home lacks are added)."""
    office = open_office(load_config(home, environ={}))
    try:
        names = [f"clerk{i:02d}" for i in range(1, n + 1)]
        with office.db.session() as s:
            known = set(s.scalars(select(User.username)))
        for name in names:
            if name not in known:
                users.add_user(office, ADMIN, name, Role.CLERK, PASSWORD)
        return names
    finally:
        office.close()


def cache_home(docs: int, seed: int) -> Path:
    """Where the home of these parameters is kept between runs."""
    key = f"docs{docs}-seed{seed}-index{SCHEMA_VERSION}-corpus{CORPUS_VERSION}"
    return Path(tempfile.gettempdir()) / "chartfile-webload" / key / "home"


def build_home(home: Path, docs: int, seed: int, report: dict[str, Any]) -> tuple[list[dict[str, str]],
                                                                                  list[SynthDoc]]:
    """Build the home beside its place and move it in when complete (a killed build is never reused)."""
    place = home.parent
    staging = place.with_name(f"{place.name}.building-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    t = time.perf_counter()
    cfg = load_config(staging / home.name, environ={})
    roster, corpus = build(cfg, docs, seed, report)
    report["review_items"] = add_review_queue(cfg.home, seed)
    report["build_s"] = time.perf_counter() - t
    shutil.rmtree(place, ignore_errors=True)
    staging.rename(place)
    return roster, corpus


def prepare_home(home: Path, docs: int, seed: int, rebuild: bool,
                 report: dict[str, Any]) -> tuple[list[dict[str, str]], list[SynthDoc]]:
    """The benchmark's home: built once per parameters, else reused (migrated to the current schema)."""
    if rebuild or not (home / "chartfile.db").exists():
        return build_home(home, docs, seed, report)
    report["reused_home"] = str(home)
    upgrade(load_config(home, environ={}))
    roster = _roster(max(50, docs // 10), seed)  # same seed: the same roster and first documents
    return roster, synth_docs(min(docs, 5000), roster, seed)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, port: int, workers: int | None = None,
                 profile: Path | None = None) -> subprocess.Popen[bytes]:
    """``chartfile serve --no-watch`` on ``port`` (under ``py-spy record`` when ``profile`` names its output)."""
    exe = Path(sys.executable).with_name("chartfile")
    cmd = [str(exe), "--home", str(home), "serve", "--no-watch", "--port", str(port)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    if profile is not None:
        spy = shutil.which("py-spy", path=str(exe.parent)) or shutil.which("py-spy")
        if spy is None:
            raise SystemExit("--profile needs py-spy (pip install py-spy)")
        cmd = [spy, "record", "--subprocesses", "-r", "50", "-f", "raw", "-o", str(profile), "--", *cmd]
    said = home.parent / f"serve-{port}.log"  # the server says it is running once every process serves
    with open(said, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if (b"is running" in said.read_bytes()
                    and httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200):
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the server did not start: {said.read_text(errors='replace')[-2000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT to the server's process group (py-spy, when profiling, writes its samples as the server exits)."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(60)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


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
    ap.add_argument("--home", type=Path, help="keep the data home here (default: a cache under $TMPDIR, "
                                              "reused when it exists)")
    ap.add_argument("--rebuild", action="store_true", help="build the data home afresh")
    ap.add_argument("--workers", type=int, help="web server processes (default: the home's web.workers, 2)")
    ap.add_argument("--profile", type=Path, help="sample the server with py-spy into this file (collapsed stacks)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    home = args.home or cache_home(args.docs, args.seed)
    report: dict[str, Any] = {"docs": args.docs, "clerks": args.clerks, "seconds": args.seconds, "think_s": args.think,
                              "cpus": os.cpu_count()}
    roster, docs = prepare_home(home, args.docs, args.seed, args.rebuild, report)
    report["workers"] = args.workers or load_config(home, environ={}).web.workers
    names = add_clerks(home, args.clerks)
    queries = [q for kind, qs in QueryMix(roster, docs, args.seed + 1).queries(20).items() for q in qs]
    port = free_port()
    server = start_server(home, port, args.workers, args.profile)
    try:
        load_start = os.getloadavg()[0]
        clerks = asyncio.run(run_clerks(f"http://127.0.0.1:{port}", names, queries, args.seconds, args.think,
                                        args.seed))
        report.update(summarise(clerks, args.seconds), loadavg_start=load_start, loadavg_end=os.getloadavg()[0])
    finally:
        stop_server(server)
    report["ok"] = all(report["pages"][k]["p95_ms"] <= TARGET_P95_MS for k in ("review_list", "review_item", "search"))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0 if report["ok"] and report["errors"] == 0 else 1


def format_report(r: dict[str, Any]) -> str:
    lines = [f"{r['docs']:,} documents, {r['clerks']} clerks for {r['seconds']:g} s, think {r['think_s']:g} s, "
             f"{r['workers']} server processes, {r['cpus']} cpus, load {r['loadavg_start']:.1f} -> "
             f"{r['loadavg_end']:.1f}",
             f"{r['requests_per_s']:.1f} pages/s, {r['errors']} errors {r['error_examples'] or ''}",
             f"{'page':<12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for kind, p in r["pages"].items():
        lines.append(f"{kind:<12} {p['requests']:>8} {p['p50_ms']:>8.0f} {p['p95_ms']:>8.0f} {p['p99_ms']:>8.0f} "
                     f"{p['max_ms']:>8.0f}")
    lines.append(f"p95 <= {TARGET_P95_MS:.0f} ms for review and search pages: {'yes' if r['ok'] else 'NO'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

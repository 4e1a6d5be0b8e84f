"""Data-home and intake commands: ``init``, ``ingest``, ``watch`` and ``status``."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chartfile.cli.context import AppContext, is_terminal, pass_app
from chartfile.cli.params import PATH
from chartfile.service import intake as intake_service
from chartfile.service.audit import ensure_key
from chartfile.service.office import init_home
from chartfile.service.runner import WatchLoop
from chartfile.service.status import status
from intake.config import one_line
from intake.errors import PartialError
from intake.textwidth import fit

log = logging.getLogger(__name__)

CONFIG_TEMPLATE = """# Chartfile settings. Environment variables CHARTFILE_SECTION__KEY override these.
# database_url = "postgresql+psycopg://chartfile@localhost/chartfile"   # default: SQLite in this folder

[intake]
# inbox = "inbox"
# quiet_seconds = 3.0     # a file unchanged this long is taken
# settle_seconds = 0.5    # ...or this long when its format shows it is complete
# rescan_seconds = 15.0
# polling = false        # true for SMB/NFS shares

[ocr]
# workers = 0            # 0 = one per core
# psm = 4                # tesseract page segmentation mode
# fax_dpi = 250          # 204x98 faxes are squared and resampled to this (docs/benchmarks-ocr.md)
# two_level_dpi = 300    # black-and-white pages under 250 dpi in thin print are read at this; 0 = as sent:
                         # ~40 % faster on them, more words and identifiers misread (docs/benchmarks.md)
# two_level_thin_share = 0.12  # ...when this share of their strokes is thin (<= 0.01 in); bolder print
                         # is read as sent; 0 = upscale every such page
# resample = "bilinear"  # bilinear | bicubic | lanczos
# word_repair = true     # non-words one or two confusable letters from one common word are repaired,
                         # and misread units, test names, labels, page counters (docs/benchmarks.md)
# engine = "library"     # library: tesseract in each worker, model loaded once | cli: the tesseract command

[match]
# certain_score = 20.0

[office]                 # printed on release packets; faxes addressed to another office go to review
                         # (with no name set, nothing is flagged as misdirected)
# name = "Lakeside Family Medicine"
# address = "100 Main St, Springfield, WA 98000"
# phone = "(206) 555-0100"
# fax = "(206) 555-0101"
# aliases = []           # other names the office is addressed by
# providers = []         # clinicians here, as a fax's TO line names them ("Dr. Ana Ruiz")
"""


@click.command("init")
@pass_app
def init_cmd(app: AppContext) -> None:
    """Create the data home (database, search index, spool, archive and quarantine) and its audit key."""
    created = ensure_key(app.cfg)
    if created is not None:
        click.echo(f"Audit key {created.key_id} created outside the data home: {created.path} (public half for "
                   f"the privacy officer: {created.path}.pub; back both up off this machine)")
    init_home(app.cfg, CONFIG_TEMPLATE, app.login).close()
    click.echo(f"Chartfile data home ready: {app.cfg.home.resolve()}")


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=PATH)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the file outcomes when done.")
@pass_app
def ingest_cmd(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """Process files or folders once, through the same pipeline as 'watch'."""
    counts: dict[str, int] = {}
    outcomes: list[dict[str, object]] = []
    show_bar = is_terminal() and not as_json
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  disable=not show_bar, transient=False) as progress:
        task = progress.add_task("Ingesting", total=None)

        def on_outcome(item_id: int, outcome: str) -> None:
            counts[outcome] = counts.get(outcome, 0) + 1
            progress.advance(task)
            outcomes.append({"intake_id": item_id, "outcome": outcome})

        stop = threading.Event()

        def request_stop() -> None:
            if stop.is_set():
                raise KeyboardInterrupt  # second signal: stop now; unfinished items resume next time
            stop.set()

        office = app.office
        with _stop_signals(request_stop):
            run = intake_service.ingest_paths(office, app.actor, list(paths), on_outcome=on_outcome,
                                              stop_event=stop, before=lambda n: progress.update(task, total=n))
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to do"
    for path, kind in run.refused:
        click.echo(f"Not taken: {one_line(path)} is a {kind} (only regular files are taken)", err=True)
    if as_json:
        click.echo(json.dumps(outcomes))
    click.echo(f"{len(run.files)} files: {summary}", err=as_json)
    if len(run.outcomes) < len(run.files):
        raise PartialError(f"{len(run.files) - len(run.outcomes)} of {len(run.files)} files got no outcome",
                           hint="Run the same command again: those files are taken up where they stopped.")


@click.command("watch")
@click.option("--inbox", type=PATH, help="Folder to watch.")
@pass_app
def watch_cmd(app: AppContext, inbox: Path | None) -> None:
    """Watch the inbox and process every file dropped into it (until Ctrl-C or SIGTERM)."""
    requested = threading.Event()
    loops: list[WatchLoop] = []

    def stop() -> None:
        requested.set()
        for running in loops:
            running.request_stop()

    # handlers first: a SIGTERM during start-up (recovery) is a clean stop, not a kill
    with _stop_signals(stop):
        loop = intake_service.watch_loop(app.office, app.actor, inbox)
        loops.append(loop)
        if requested.is_set():
            loop.request_stop()
        click.echo(f"Watching {loop.watcher.inbox} (Ctrl-C to stop)", err=True)
        loop.run()


@contextmanager
def _stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM/SIGINT call ``stop`` (finish the work in hand) instead of killing the process.

    Only in the main thread (signal handlers cannot be set elsewhere); the
    previous handlers are restored afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.warning("signal %d: finishing the work in hand (again to stop at once)", signum)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Counts of intake items, documents and open review items."""
    data = status(app.office, app.actor)
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo("\n".join(status_lines(data)))


STATE_WORDS = {"review": "in review", "receiving": "being received", "received": "waiting",
               "processing": "being read"}
STATE_ORDER = ("processed", "filed", "review", "received", "receiving", "processing", "quarantined", "duplicate",
               "rejected")


def _counts(counts: dict[str, int], empty: str) -> str:
    """``{'processed': 2, 'processing': 4}`` → ``2 processed, 4 being read``."""
    keys = sorted((k for k in counts if counts[k] and k != "split"),
                  key=lambda k: (STATE_ORDER.index(k) if k in STATE_ORDER else len(STATE_ORDER), k))
    return ", ".join(f"{counts[k]} {STATE_WORDS.get(k, k)}" for k in keys) or empty


def status_lines(data: dict[str, Any]) -> list[str]:
    """Plain-text status a clerk can read (no dicts, fits 80 columns)."""
    urgent = f" ({data['review_urgent']} urgent)" if data.get("review_urgent") else ""
    return [
        f"Files received: {_counts(data['intake'], 'none yet')}",
        f"Documents: {_counts(data['documents'], 'none yet')}",
        f"Waiting for a clerk: {data['review_open']} review item{'s' if data['review_open'] != 1 else ''}{urgent}",
        f"Waiting to be read: {data['queue_depth']} file{'s' if data['queue_depth'] != 1 else ''}; "
        f"pages read in the last hour: {data['pages_last_hour']}",
        *_inbox_lines(data.get("inbox")),
    ]


def _inbox_lines(inbox: dict[str, Any] | None) -> list[str]:
    """The watched inbox: files not taken yet, empty files, and entries that are never taken."""
    if not inbox:
        return []
    if inbox["missing"]:
        return ["Inbox: the folder 'watch' last watched is missing"]
    lines = [f"Inbox: {inbox['waiting']} file{'s' if inbox['waiting'] != 1 else ''} not taken yet"
             + (f", {len(inbox['empty'])} empty (waiting for their sender to write them)" if inbox["empty"] else "")]
    for entry in inbox["refused"]:
        lines.append(fit(f"  Never taken: {entry['name']!r} is a {entry['kind']} (see its .reason.txt)"))
    return lines

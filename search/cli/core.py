"""Service commands: ``init``, ``ingest``, ``watch`` and ``status``."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from indexer.db.models import Document, IntakeItem, ReviewItem
from indexer.runner import WatchLoop, expand_paths, ingest
from indexer.searchindex import SearchIndex
from intake.config import CONFIG_FILE
from intake.errors import ExitCode, InputError
from search.cli.context import AppContext, is_terminal, pass_app

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
# resample = "bilinear"  # bilinear | bicubic | lanczos
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


def prepare_home(app: AppContext) -> None:
    """Create the data home folders, the database schema and the search index."""
    cfg = app.cfg
    for folder in (cfg.home, cfg.spool_dir, cfg.archive_dir, cfg.quarantine_dir, cfg.exports_dir):
        folder.mkdir(parents=True, exist_ok=True)
    app.db.migrate()
    index = SearchIndex(cfg)
    if index.needs_rebuild():
        from indexer.searchindex import rebuild

        with app.db.transaction() as s:
            rebuild(s, index)


@click.command("init")
@pass_app
def init_cmd(app: AppContext) -> None:
    """Create the data home: database, search index, spool, archive and quarantine folders."""
    prepare_home(app)
    cfg_file = app.cfg.home / CONFIG_FILE
    if not cfg_file.exists():
        cfg_file.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    click.echo(f"Chartfile data home ready: {app.cfg.home.resolve()}")


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per file outcome.")
@pass_app
def ingest_cmd(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """Process files or folders once, through the same pipeline as 'watch'."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(f"not found: {', '.join(missing)}")
    files = expand_paths(paths)
    prepare_home(app)
    counts: dict[str, int] = {}
    show_bar = is_terminal() and not as_json
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  disable=not show_bar, transient=False) as progress:
        task = progress.add_task("Ingesting", total=len(files))

        def on_outcome(item_id: int, outcome: str) -> None:
            counts[outcome] = counts.get(outcome, 0) + 1
            progress.advance(task)
            if as_json:
                click.echo(json.dumps({"intake_id": item_id, "outcome": outcome}))

        stop = threading.Event()

        def request_stop() -> None:
            if stop.is_set():
                raise KeyboardInterrupt  # second signal: stop now; unfinished items resume next time
            stop.set()

        with _stop_signals(request_stop):
            outcomes = ingest(app.cfg, app.db, files, on_outcome=on_outcome, stop_event=stop)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to do"
    click.echo(f"{len(files)} files: {summary}", err=as_json)
    if len(outcomes) < len(files):
        click.get_current_context().exit(ExitCode.PARTIAL)


@click.command("watch")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), help="Folder to watch.")
@pass_app
def watch_cmd(app: AppContext, inbox: Path | None) -> None:
    """Watch the inbox and process every file dropped into it (until Ctrl-C or SIGTERM)."""
    if inbox is not None:
        app.cfg.intake.inbox = str(inbox)
    requested = threading.Event()
    loops: list[WatchLoop] = []

    def stop() -> None:
        requested.set()
        for running in loops:
            running.request_stop()

    # handlers first: a SIGTERM during start-up (migration, recovery) is a clean stop, not a kill
    with _stop_signals(stop):
        prepare_home(app)
        loop = WatchLoop(app.cfg, app.db, inbox)
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
    with app.db.session() as s:
        states = dict(s.execute(select(IntakeItem.state, func.count()).group_by(IntakeItem.state)).all())
        docs = dict(s.execute(select(Document.status, func.count()).group_by(Document.status)).all())
        review = s.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.state == "open"))
        pages_hour = s.scalar(select(func.sum(IntakeItem.page_count)).where(
            IntakeItem.finished_at >= _hour_ago())) or 0
    data = {"intake": states, "documents": docs, "review_open": review, "queue_depth":
            sum(states.get(k, 0) for k in ("receiving", "received", "processing")),
            "pages_last_hour": pages_hour, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"Intake: {states or 'none'}")
    click.echo(f"Documents: {docs or 'none'}; open review items: {review}")
    click.echo(f"Queue depth: {data['queue_depth']}; pages processed in the last hour: {pages_hour}")


def _hour_ago():  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from indexer.db.models import utcnow

    return utcnow() - timedelta(hours=1)

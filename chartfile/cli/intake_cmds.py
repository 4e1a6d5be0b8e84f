"""``chartfile intake``: the intake ledger (list, export, retry of quarantined items)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.cli.params import COUNT, ID, OUTPUT
from chartfile.service import intake as service
from chartfile.service.checks import inbox_line
from intake.errors import IntegrityError


@click.group("intake")
def intake() -> None:
    """Source files received, and what became of each."""


@intake.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice([str(s) for s in service.STATES]),
              help="Only items in this state (repeat for several).")
@click.option("--limit", type=COUNT, default=50, show_default=True, help="Newest first, at most this many.")
@click.option("--json", "as_json", is_flag=True,
              help="A JSON array of items (same fields as export; [] when there are none).")
@pass_app
def list_cmd(app: AppContext, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Received files with their state, attempts and (for quarantined ones) the reason."""
    rows, total = service.intake_list(app.office, app.actor, states, limit)
    if as_json:
        click.echo(json.dumps([row.record for row in rows], ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo("No intake items" + (f" in state {', '.join(states)}." if states else "."))
        return
    click.echo(f"{'ID':>7}  {'STATE':<11} {'RECEIVED':<16} {'TRIES':>5}  FILE / REASON")
    for row in rows:
        click.echo(f"{row.id:>7}  {row.state:<11} {row.received:<16} {row.attempts:>5}  {row.name}")
        if row.note:
            click.echo(f"{'':>7}  {'':<11} {'':<16} {'':>5}  -> {row.note}")
    if total > len(rows):
        click.echo(f"({len(rows)} of {total} shown; use --limit to see more)")


@intake.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=OUTPUT)
@pass_app
def export_cmd(app: AppContext, fmt: str, output: Path | None) -> None:
    """One JSON object per source file received (see README for the fields)."""
    service.export_intake(app.office, app.actor, output if output is not None else sys.stdout, fmt)


@intake.command("retry")
@click.argument("item_id", type=ID)
@pass_app
def retry_cmd(app: AppContext, item_id: int) -> None:
    """Queue a quarantined item again (after its cause was fixed); the next ingest/watch takes it."""
    service.retry(app.office, app.actor, item_id)
    click.echo(f"Intake item {item_id} queued again; 'chartfile watch' or 'chartfile ingest' will process it.")


@intake.command("check")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def check_cmd(app: AppContext, as_json: bool) -> None:
    """Check that the ledger, the files in the data home and the search index agree (exit 7 if not)."""
    report = service.check_home(app.office, app.actor)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(f"Intake items: {report.states or 'none'}; documents: {report.documents}; "
                   f"index entries: {report.indexed}")
        if report.archive is not None:
            click.echo(f"Stored originals rehashed: {report.archive.checked} ({report.archive.bytes / 1e6:.1f} MB)")
        if report.unfinished:
            click.echo(f"{report.unfinished} items are not finished yet (a running or stopped service resumes them).")
        if report.inbox is not None:
            click.echo(inbox_line(report.inbox))
        for problem in report.problems:
            click.echo(f"PROBLEM: {problem}")
        for warning in report.warnings:
            click.echo(f"WARNING: {warning}")
        if report.ok:
            click.echo("Consistent: every file is accounted for, every stored original matches its hash and the "
                       "index matches the database.")
    if not report.ok:
        raise IntegrityError(f"{len(report.problems)} intake consistency problems",
                             hint="Run 'chartfile watch' or 'chartfile ingest' once to let recovery finish "
                                  "interrupted work, then check again; 'chartfile index rebuild' remakes the "
                                  "search index; an original that fails its hash must be restored from a backup "
                                  "(docs/storage.md).")

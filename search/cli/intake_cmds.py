"""``chartfile intake``: the intake ledger (list, export, retry of quarantined items)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import func, select

from indexer.audit import record as audit
from indexer.db.models import IntakeItem
from indexer.exports import intake_record, iter_intake
from indexer.intake_check import check
from indexer.ledger import STATES, place_file, requeue
from intake.errors import IntegrityError, NotFoundError, RefusedError
from search.cli.context import AppContext, echo_json_lines, pass_app


@click.group("intake")
def intake() -> None:
    """Source files received, and what became of each."""


@intake.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES),
              help="Only items in this state (repeat for several).")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Newest first, at most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item (same fields as export).")
@pass_app
def list_cmd(app: AppContext, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Received files with their state, attempts and (for quarantined ones) the reason."""
    stmt = select(IntakeItem).order_by(IntakeItem.id.desc()).limit(limit)
    count = select(func.count()).select_from(IntakeItem)
    if states:
        stmt = stmt.where(IntakeItem.state.in_(states))
        count = count.where(IntakeItem.state.in_(states))
    with app.db.session() as s:
        items = list(s.scalars(stmt))
        total = s.scalar(count) or 0
        rows = [_row(item) for item in items]
    with app.db.transaction() as s:
        audit(s, actor=app.user, action="R", event_type="intake.list",
              detail=f"{len(rows)} items, states {','.join(states) or 'all'}")
    if as_json:
        for row in rows:
            click.echo(json.dumps(row["record"], ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo("No intake items" + (f" in state {', '.join(states)}." if states else "."))
        return
    click.echo(f"{'ID':>7}  {'STATE':<11} {'RECEIVED':<16} {'TRIES':>5}  FILE / REASON")
    for row in rows:
        click.echo(f"{row['id']:>7}  {row['state']:<11} {row['received']:<16} {row['attempts']:>5}  {row['name']}")
        if row["note"]:
            click.echo(f"{'':>7}  {'':<11} {'':<16} {'':>5}  -> {row['note']}")
    if total > len(rows):
        click.echo(f"({len(rows)} of {total} shown; use --limit to see more)")


def _row(item: IntakeItem) -> dict[str, object]:
    note = item.reason or ""
    if item.state == "duplicate" and item.duplicate_of_id:
        note = f"duplicate of item {item.duplicate_of_id}"
    elif item.state in ("received", "processing") and item.last_error:
        note = f"retrying: {item.last_error}"
    record = intake_record(item)
    record["state"] = item.state
    return {"id": item.id, "state": item.state, "received": f"{item.received_at:%Y-%m-%d %H:%M}",
            "attempts": item.attempts, "name": _short(item.original_name, 70), "note": _short(note, 160),
            "record": record}


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@intake.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export_cmd(app: AppContext, fmt: str, output: Path | None) -> None:
    """One JSON object per source file received (see README for the fields)."""
    with app.db.session() as s:
        if output is not None:
            with open(output, "w", encoding="utf-8") as fh:
                n = echo_json_lines(iter_intake(s), fh)
        else:
            n = echo_json_lines(iter_intake(s), sys.stdout)
    with app.db.transaction() as s:
        audit(s, actor=app.user, action="E", event_type="export.intake", detail=f"{n} items, {fmt}")


@intake.command("retry")
@click.argument("item_id", type=int)
@pass_app
def retry_cmd(app: AppContext, item_id: int) -> None:
    """Queue a quarantined item again (after its cause was fixed); the next ingest/watch takes it."""
    with app.db.transaction() as s:
        item = s.get(IntakeItem, item_id)
        if item is None:
            raise NotFoundError(f"no intake item {item_id}")
        if item.state != "quarantined":
            raise RefusedError(f"intake item {item_id} is {item.state}, not quarantined")
        requeue(s, item, actor=app.user)
    place_file(app.db, app.cfg, item_id)  # quarantine/ -> spool/; recovery finishes it if interrupted
    click.echo(f"Intake item {item_id} queued again; 'chartfile watch' or 'chartfile ingest' will process it.")


@intake.command("check")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def check_cmd(app: AppContext, as_json: bool) -> None:
    """Check that the ledger, the files in the data home and the search index agree (exit 7 if not)."""
    report = check(app.cfg, app.db)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(f"Intake items: {report.states or 'none'}; documents: {report.documents}; "
                   f"index entries: {report.indexed}")
        if report.unfinished:
            click.echo(f"{report.unfinished} items are not finished yet (a running or stopped service resumes them).")
        for problem in report.problems:
            click.echo(f"PROBLEM: {problem}")
        if report.ok:
            click.echo("Consistent: every file is accounted for and the index matches the database.")
    if not report.ok:
        raise IntegrityError(f"{len(report.problems)} intake consistency problems",
                             hint="Run 'chartfile watch' or 'chartfile ingest' once to let recovery finish "
                                  "interrupted work, then check again; 'chartfile index rebuild' remakes "
                                  "the search index.")

"""``chartfile intake``: the intake ledger (export, retry of quarantined items)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from indexer.audit import record as audit
from indexer.db.models import IntakeItem
from indexer.exports import iter_intake
from indexer.ledger import move_item_file
from intake.errors import NotFoundError, RefusedError
from intake.spool import reason_sidecar
from search.cli.context import AppContext, echo_json_lines, pass_app


@click.group("intake")
def intake() -> None:
    """Source files received, and what became of each."""


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
        old = app.cfg.home / item.stored_path if item.stored_path else None
        move_item_file(app.cfg, item, app.cfg.spool_dir)
        if old is not None:
            reason_sidecar(old).unlink(missing_ok=True)
        item.state = "received"
        item.attempts = 0
        item.reason = None
        item.finished_at = None
        audit(s, actor=app.user, action="U", event_type="intake.retry", detail=f"item {item_id}")
    click.echo(f"Intake item {item_id} queued again; 'chartfile watch' or 'chartfile ingest' will process it.")

"""``chartfile documents``: export documents (JSON Lines)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.service import documents as service


@click.group("documents")
def documents() -> None:
    """Documents created from received files."""


@documents.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@pass_app
def export_cmd(app: AppContext, fmt: str, output: Path | None) -> None:
    """One JSON object per document (see README for the fields)."""
    service.export_documents(app.office, app.actor, output if output is not None else sys.stdout, fmt)


@documents.command("refile")
@click.argument("document_id", type=int)
@click.option("--mrn", required=True, help="The chart the document really belongs to.")
@click.option("--reason", required=True, help="Why it is being moved.")
@pass_app
def refile_cmd(app: AppContext, document_id: int, mrn: str, reason: str) -> None:
    """Move a filed document to another chart (the old filing stays in the history)."""
    click.echo(service.refile(app.office, app.actor, document_id, mrn, reason).message)

"""``chartfile documents``: export documents (JSON Lines)."""

from __future__ import annotations

from pathlib import Path

import click

from indexer.exports import iter_documents
from indexer.review import refile_document
from search.cli.context import AppContext, audited_export, pass_app


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
    audited_export(app, "export.documents", iter_documents, output, f"documents, {fmt}")


@documents.command("refile")
@click.argument("document_id", type=int)
@click.option("--mrn", required=True, help="The chart the document really belongs to.")
@click.option("--reason", required=True, help="Why it is being moved.")
@pass_app
def refile_cmd(app: AppContext, document_id: int, mrn: str, reason: str) -> None:
    """Move a filed document to another chart (the old filing stays in the history)."""
    from search.cli.review import apply_index

    with app.db.transaction() as s:
        decision = refile_document(s, document_id, mrn, reason, app.user)
    apply_index(app, decision)
    click.echo(decision.message)

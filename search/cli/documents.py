"""``chartfile documents``: export documents (JSON Lines)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from indexer.audit import record as audit
from indexer.exports import iter_documents
from indexer.review import refile_document
from search.cli.context import AppContext, echo_json_lines, pass_app


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
    with app.db.session() as s:
        if output is not None:
            with open(output, "w", encoding="utf-8") as fh:
                n = echo_json_lines(iter_documents(s), fh)
        else:
            n = echo_json_lines(iter_documents(s), sys.stdout)
    with app.db.transaction() as s:
        audit(s, actor=app.user, action="E", event_type="export.documents", detail=f"{n} documents, {fmt}")


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

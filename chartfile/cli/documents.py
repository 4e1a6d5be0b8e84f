"""``chartfile documents``: export documents (JSON Lines), move one to another chart, correct its type/date/sender.

A document is named by its id, ``9`` or ``D9``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.cli.params import OUTPUT, REF
from chartfile.service import documents as service


@click.group("documents")
def documents() -> None:
    """Documents created from received files."""


@documents.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=OUTPUT,
              help="Write to this file instead of standard output.")
@pass_app
def export_cmd(app: AppContext, fmt: str, output: Path | None) -> None:
    """One JSON object per document (see README for the fields)."""
    service.export_documents(app.office, app.actor, output if output is not None else sys.stdout, fmt)


@documents.command("refile")
@click.argument("ref", type=REF, metavar="DOCUMENT")
@click.option("--mrn", required=True, help="The chart the document really belongs to.")
@click.option("--reason", required=True, help="Why it is being moved.")
@click.option("--override-reason", help="Move it although its name, DOB, sex or MRN contradicts that chart "
                                        "(why; audited).")
@pass_app
def refile_cmd(app: AppContext, ref: str, mrn: str, reason: str, override_reason: str | None) -> None:
    """Move a filed document to another chart (refused, exit 6, when it contradicts that chart)."""
    click.echo(service.refile(app.office, app.actor, ref, mrn, reason, override_reason=override_reason).message)


@documents.command("correct")
@click.argument("ref", type=REF, metavar="DOCUMENT")
@click.option("--type", "doc_type", type=click.Choice(service.DOC_TYPES), help="The document type.")
@click.option("--date", "doc_date", type=click.DateTime(["%Y-%m-%d"]), help="The document's date, YYYY-MM-DD.")
@click.option("--sender", help="Who sent or wrote it (organisation).")
@click.option("--reason", required=True, help="What was wrong (kept in the document's history).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def correct_cmd(app: AppContext, ref: str, doc_type: str | None, doc_date: datetime | None, sender: str | None,
                reason: str, as_json: bool) -> None:
    """Correct a document's type, date or sender (audited, re-indexed; extraction learns nothing from it)."""
    request = service.CorrectionRequest(reason=reason, doc_type=doc_type, sender=sender,
                                        doc_date=doc_date.date() if doc_date else None)
    result = service.correct(app.office, app.actor, service.document_id(ref), request)
    if as_json:
        click.echo(json.dumps({"document_id": result.document_id, "draft_authorization_id":
                               result.draft_authorization_id, "changes": [
                                   {"field": c.field.value, "old": c.old, "new": c.new} for c in result.changes]}))
        return
    click.echo(result.message)

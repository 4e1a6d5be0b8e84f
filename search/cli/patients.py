"""``chartfile patients``: import the roster and show a patient's chart."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select

from indexer.audit import record as audit
from indexer.db.models import Document, Patient
from indexer.patients import import_csv
from intake.errors import ExitCode, NotFoundError
from search.cli.context import AppContext, pass_app


@click.group("patients")
def patients() -> None:
    """The patient master list."""


@patients.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_cmd(app: AppContext, csv_file: Path) -> None:
    """Create or update patients by MRN from a CSV file (bad rows are reported and skipped)."""
    report = import_csv(app.db, csv_file, actor=app.user)
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} rejected")
    if report.errors:
        click.get_current_context().exit(ExitCode.INPUT)


@patients.command("show")
@click.argument("mrn")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def show_cmd(app: AppContext, mrn: str, as_json: bool) -> None:
    """The chart: every filed document of one patient, newest first, grouped by type."""
    with app.db.transaction() as s:
        patient = s.scalars(select(Patient).where(Patient.mrn == mrn.upper())).first()
        if patient is None:
            raise NotFoundError(f"no patient with MRN {mrn}")
        docs = list(s.scalars(select(Document).where(Document.patient_id == patient.id,
                                                     Document.status == "filed")))
        docs.sort(key=lambda d: (d.doc_date or d.created_at.date(), d.id), reverse=True)
        audit(s, actor=app.user, action="R", event_type="patient.chart_view", patient_mrn=patient.mrn,
              document_ids=[d.id for d in docs], detail=f"{len(docs)} documents")
        groups: dict[str, list[dict[str, object]]] = {}
        for d in docs:
            groups.setdefault(d.doc_type, []).append({
                "document_id": d.id, "doc_date": d.doc_date.isoformat() if d.doc_date else None,
                "sender": d.sender_org, "pages": [d.first_page, d.last_page], "urgent": d.urgent})
        info = {"mrn": patient.mrn, "name": patient.display_name,
                "dob": patient.dob.isoformat() if patient.dob else None, "documents": groups}
    if as_json:
        click.echo(json.dumps(info))
        return
    click.echo(f"{info['name']}  MRN {info['mrn']}  DOB {info['dob']}")
    if not groups:
        click.echo("  (no filed documents)")
    for doc_type, items in groups.items():
        click.echo(f"\n{doc_type} ({len(items)})")
        for it in items:
            click.echo(f"  #{it['document_id']:<6} {it['doc_date'] or '----------'}  {it['sender'] or ''}"
                       f"{'  URGENT' if it['urgent'] else ''}")

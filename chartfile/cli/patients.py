"""``chartfile patients``: import the roster, show a patient's chart, list and remove learned aliases."""

from __future__ import annotations

import json
from pathlib import Path

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.service import patients as service
from intake.errors import InputError, RefusedError
from intake.textwidth import fit


@click.group("patients")
def patients() -> None:
    """The patient master list."""


@patients.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--accept-identity-changes", is_flag=True,
              help="Apply changes of existing patients' names, DOBs or sex (listed and held otherwise).")
@pass_app
def import_cmd(app: AppContext, csv_file: Path, accept_identity_changes: bool) -> None:
    """Create or update patients by MRN from a CSV file (bad rows are reported and skipped).

    A change of an existing patient's name, date of birth or sex is listed and
    not applied unless --accept-identity-changes is given (then each is
    audited with its old and new values, and the patient's documents are
    re-indexed).
    """
    report = service.import_patients(app.office, app.actor, csv_file, accept_identity_changes)
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} rejected")
    click.echo(service.describe_format(report.mrn_format, app.cfg.extract.mrn_pattern))
    for change in report.identity_applied:
        click.echo(fit(f"Identity changed: {change.describe()}"))
    if report.identity_applied:
        click.echo(f"{len(report.reindex)} documents of those patients re-indexed.")
    for change in report.identity_held:
        click.echo(fit(f"NOT applied: {change.describe()}"), err=True)
    if report.errors:
        raise InputError(f"{len(report.errors)} rows were rejected (listed above); the other rows were imported",
                         hint="Fix those rows in the CSV file and import it again.")
    if report.identity_held:
        patients_held = len({c.mrn for c in report.identity_held})
        raise RefusedError(f"{patients_held} existing patients' name, date of birth or sex would change (listed "
                           "above); those changes were not applied, the rest of the roster was imported",
                           hint="Check each change against the patient's record; if they are right, import the "
                                "same file again with --accept-identity-changes.")


@patients.command("show")
@click.argument("mrn")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show_cmd(app: AppContext, mrn: str, as_json: bool) -> None:
    """The chart: every document of one patient, newest first, grouped by type."""
    chart = service.chart(app.office, app.actor, mrn)
    if as_json:
        click.echo(json.dumps(chart.to_dict(), ensure_ascii=False))
        return
    click.echo("\n".join(service.format_chart(chart)))


@patients.command("aliases")
@click.argument("mrn")
@click.option("--json", "as_json", is_flag=True, help="A JSON array ([] when there are none).")
@pass_app
def aliases_cmd(app: AppContext, mrn: str, as_json: bool) -> None:
    """Names learned for this patient from clerks' filings: who taught each, when, from which document."""
    found = service.alias_list(app.office, app.actor, mrn)
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in found]))
        return
    if not found:
        click.echo(f"No learned aliases for {mrn.upper()}.")
        return
    for a in found:
        d = a.to_dict()
        source = f"from D{d['document_id']}" if d["document_id"] else f"({d['source']})"
        click.echo(fit(f"#{d['id']:<4} {d['name']:<28} taught by {d['taught_by']} {d['taught_at']} {source}"))
    click.echo(f"Remove a wrong one with: chartfile patients alias remove {mrn.upper()} NUMBER")


@patients.group("alias")
def alias() -> None:
    """One learned alias of a patient."""


@alias.command("remove")
@click.argument("mrn")
@click.argument("which", metavar="ALIAS")
@pass_app
def alias_remove_cmd(app: AppContext, mrn: str, which: str) -> None:
    """Remove a learned alias (its number from 'patients aliases', or the name as listed); audited.

    Every open review item is matched again without it.
    """
    removal = service.alias_remove(app.office, app.actor, mrn, which)
    items = removal.rematched_items
    again = f"; {len(items)} open review item{'s' if len(items) != 1 else ''} matched again" if items else ""
    click.echo(f"Alias #{removal.alias.id} ({removal.alias.name}) removed from {mrn.upper()}{again}.")
    if removal.filed_through_aliases:
        docs = ", ".join(f"D{d}" for d in removal.filed_through_aliases)
        click.echo(fit(f"Filed automatically on a name matched through an alias — check them: {docs}"))

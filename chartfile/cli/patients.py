"""``chartfile patients``: import the roster and show a patient's chart."""

from __future__ import annotations

import json
from pathlib import Path

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.service import patients as service
from intake.errors import ExitCode


@click.group("patients")
def patients() -> None:
    """The patient master list."""


@patients.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_cmd(app: AppContext, csv_file: Path) -> None:
    """Create or update patients by MRN from a CSV file (bad rows are reported and skipped)."""
    report = service.import_patients(app.office, app.actor, csv_file)
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} rejected")
    if report.errors:
        click.get_current_context().exit(ExitCode.INPUT)


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

"""``chartfile patients``: import the roster and show a patient's chart."""

from __future__ import annotations

import json
from pathlib import Path

import click

from indexer.patients import describe_format, import_csv
from intake.errors import ExitCode
from search.chart import format_chart, load_chart, record_chart_view
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
    click.echo(describe_format(report.mrn_format, app.cfg.extract.mrn_pattern))
    if report.errors:
        click.get_current_context().exit(ExitCode.INPUT)


@patients.command("show")
@click.argument("mrn")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show_cmd(app: AppContext, mrn: str, as_json: bool) -> None:
    """The chart: every document of one patient, newest first, grouped by type."""
    with app.db.transaction() as s:
        chart = load_chart(s, mrn)
        record_chart_view(s, app.user, chart)
    if as_json:
        click.echo(json.dumps(chart.to_dict(), ensure_ascii=False))
        return
    click.echo("\n".join(format_chart(chart)))

"""Patient commands and queries: the roster import and one patient's chart (an audited view)."""

from __future__ import annotations

from pathlib import Path

from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer.patients import ImportReport, import_csv
from search.chart import Chart, format_chart, load_chart, record_chart_view

__all__ = ["Chart", "ImportReport", "chart", "format_chart", "import_patients"]


def import_patients(office: Office, actor: Actor, csv_file: Path) -> ImportReport:
    """Create or update patients by MRN; bad rows are reported and skipped."""
    require(actor, Action.PATIENTS_IMPORT)
    return import_csv(office.db, csv_file, actor=actor.audit_name)


def chart(office: Office, actor: Actor, mrn: str) -> Chart:
    """The chart of one patient, newest first, grouped by type; the view is audited before it is returned."""
    require(actor, Action.CHART_VIEW)
    with office.db.transaction() as s:
        found = load_chart(s, mrn)
        record_chart_view(s, actor.audit_name, found)
    return found

"""Patient commands and queries: the roster import, one patient's chart (an audited view), learned aliases.

A patient's aliases are listed with who taught them, when and from which
document (an audited read); removing one is audited and re-matches every
open review item (:mod:`indexer.aliases`).
"""

from __future__ import annotations

from pathlib import Path

from chartfile.service.actor import Actor
from chartfile.service.indexing import after_commit
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer import aliases
from indexer.aliases import AliasRecord, Removal
from indexer.audit import record as audit
from indexer.patients import ImportReport, describe_format, import_csv
from search.chart import Chart, format_chart, load_chart, record_chart_view

__all__ = ["AliasRecord", "Chart", "ImportReport", "Removal", "alias_list", "alias_remove", "chart", "describe_format",
           "format_chart", "import_patients"]


def import_patients(office: Office, actor: Actor, csv_file: Path,
                    accept_identity_changes: bool = False) -> ImportReport:
    """Create or update patients by MRN; bad rows are reported and skipped.

    A change of an existing patient's name, DOB or sex is listed in the report
    and not applied unless ``accept_identity_changes`` (:mod:`indexer.roster_changes`);
    an applied one is audited per patient and that patient's documents are
    written to the search index again.
    """
    require(actor, Action.PATIENTS_IMPORT)
    report = import_csv(office.db, csv_file, actor=actor.audit_name, accept_identity_changes=accept_identity_changes)
    if report.reindex:
        after_commit(office)
    return report


def chart(office: Office, actor: Actor, mrn: str) -> Chart:
    """The chart of one patient, newest first, grouped by type; the view is audited before it is returned."""
    require(actor, Action.CHART_VIEW)
    with office.db.transaction() as s:
        found = load_chart(s, mrn)
        record_chart_view(s, actor.audit_name, found)
    return found


def alias_list(office: Office, actor: Actor, mrn: str) -> list[AliasRecord]:
    """The names the matcher learned for this patient, with who taught each, when and from which document."""
    require(actor, Action.PATIENT_ALIASES)
    with office.db.transaction() as s:
        patient = aliases.patient_by_mrn(s, mrn)
        found = aliases.list_aliases(s, patient)
        audit(s, actor=actor.audit_name, action="R", event_type="patient.aliases", patient_mrn=patient.mrn,
              detail=f"{len(found)} aliases")
    return found


def alias_remove(office: Office, actor: Actor, mrn: str, which: str) -> Removal:
    """Remove one learned alias (by its number or as written); open review items are matched again."""
    require(actor, Action.PATIENT_ALIAS_REMOVE)
    with office.db.transaction() as s:
        return aliases.remove(s, aliases.patient_by_mrn(s, mrn), which, actor=actor.audit_name,
                              match_cfg=office.cfg.match)

"""The patient master list: CSV import and read-only views used by matching.

Owns the CSV contract
``mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code``
(dob ``YYYY-MM-DD``): re-import updates by MRN, bad rows are reported with
their line number and skipped while good rows are kept.  Patients are only
ever created here, never from a fax.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from indexer.audit import record as audit
from indexer.db.engine import Database
from indexer.db.models import Patient, PatientAlias
from indexer.identity import IdentityChange, documents_to_reindex, identity_changes, keep_identity, record_changes
from intake.errors import InputError

log = logging.getLogger(__name__)

COLUMNS = (
    "mrn", "family_name", "given_name", "middle_name", "dob", "sex",
    "phone", "address", "city", "state", "postal_code",
)
REQUIRED = ("mrn", "family_name", "given_name", "dob")
_MRN_OK = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_SEX = {"F": "F", "M": "M", "X": "X", "U": "U", "FEMALE": "F", "MALE": "M", "": ""}


@dataclass
class ImportReport:
    """What an import did: counts and the rejected rows with their line numbers."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    identity_held: list[IdentityChange] = field(default_factory=list)  # listed, not applied (not accepted)
    identity_applied: list[IdentityChange] = field(default_factory=list)
    reindex: list[int] = field(default_factory=list)  # documents whose patient's identity changed

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean_row(raw: dict[str, str | None]) -> dict[str, object]:
    """Validate and normalise one CSV row, raising ValueError with a readable message."""
    row = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    missing = [k for k in REQUIRED if not row[k]]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if not _MRN_OK.match(row["mrn"]):
        raise ValueError(f"MRN {row['mrn']!r} has characters other than letters, digits and '-'")
    try:
        dob = date.fromisoformat(row["dob"])
    except ValueError:
        raise ValueError(f"dob {row['dob']!r} is not a date in YYYY-MM-DD form") from None
    if dob > date.today() or dob.year < 1880:
        raise ValueError(f"dob {row['dob']} is not a plausible birth date")
    sex = _SEX.get(row["sex"].upper())
    if sex is None:
        raise ValueError(f"sex {row['sex']!r} must be F, M, X or U")
    out: dict[str, object] = {k: (row[k] or None) for k in COLUMNS}
    out["mrn"] = row["mrn"].upper()
    out["dob"] = dob
    out["sex"] = sex or None
    return out


def read_csv(path: Path) -> tuple[list[tuple[int, dict[str, object]]], list[tuple[int, str]]]:
    """Parse the roster file into (line, row) pairs and (line, error) pairs."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", hint="Give a UTF-8 CSV file.") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    absent = [c for c in COLUMNS if c not in header]
    if absent:
        raise InputError(
            f"{path}: header lacks {', '.join(absent)}",
            hint="The first line must be: " + ",".join(COLUMNS),
        )
    reader.fieldnames = header
    good: list[tuple[int, dict[str, object]]] = []
    bad: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        try:
            row = _clean_row(raw)
        except ValueError as exc:
            bad.append((line, str(exc)))
            continue
        mrn = str(row["mrn"])
        if mrn in seen:
            bad.append((line, f"MRN {mrn} already appears on line {seen[mrn]}"))
            continue
        seen[mrn] = line
        good.append((line, row))
    return good, bad


def import_csv(db: Database, path: Path, actor: str = "system",
               accept_identity_changes: bool = False) -> ImportReport:
    """Create or update patients by MRN from the CSV; report bad rows and keep good ones.

    A change of an existing patient's name, DOB or sex is applied only when
    ``accept_identity_changes``; otherwise it is listed in the report and the
    rest of that row (phone, address) is still applied (:mod:`indexer.identity`).
    """
    good, bad = read_csv(path)
    report = ImportReport(errors=bad)
    with db.transaction() as s:
        existing = {p.mrn: p for p in s.scalars(select(Patient))}
        moved: set[int] = set()
        for _line, row in good:
            patient = existing.get(str(row["mrn"]))
            if patient is None:
                s.add(Patient(**row))
                report.created += 1
                continue
            changes = identity_changes(patient, row)
            if changes and not accept_identity_changes:
                report.identity_held += changes
                row = keep_identity(patient, row)
            elif changes:
                record_changes(s, patient, changes, actor)
                report.identity_applied += changes
                moved.add(patient.id)
            fields = [key for key, value in row.items() if getattr(patient, key) != value]
            for key in fields:
                setattr(patient, key, row[key])
            if fields:
                audit(s, actor=actor, action="U", event_type="patients.update", patient_mrn=patient.mrn,
                      detail=f"fields changed by roster import: {', '.join(sorted(fields))}")
            report.updated += bool(fields)
            report.unchanged += not fields
        report.reindex = documents_to_reindex(s, moved)
        audit(s, actor=actor, action="U", event_type="patients.import",
              detail=f"created {report.created}, updated {report.updated}, rejected {len(bad)}, "
                     f"identity changes applied {len(report.identity_applied)}, "
                     f"held for confirmation {len(report.identity_held)}")
    log.info("roster import: %d created, %d updated, %d rejected", report.created, report.updated, len(bad))
    return report


def roster_version(db: Database) -> tuple[int, str]:
    """A cheap fingerprint that changes when patients or aliases change."""
    with db.session() as s:
        n = s.scalar(select(func.count(Patient.id))) or 0
        latest = s.scalar(select(func.max(Patient.updated_at)))
        aliases = s.scalar(select(func.count(PatientAlias.id))) or 0
    return int(n) + int(aliases) * 1_000_000, str(latest)


def gazetteer(db: Database) -> list[tuple[str, str]]:
    """(family, given) name pairs of every patient and alias, for entity extraction."""
    with db.session() as s:
        pairs = {(p.family_name, p.given_name) for p in s.scalars(select(Patient))}
        pairs |= {(a.family_name, a.given_name) for a in s.scalars(select(PatientAlias))}
    return sorted(pairs)

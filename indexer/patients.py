"""The patient master list: CSV import and read-only views used by matching.

Owns the CSV contract
``mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code``
(dob ``YYYY-MM-DD``): re-import updates by MRN, bad rows are reported with
their line number and skipped while good rows are kept.  Patients are only
ever created here, never from a fax.  Each import also learns the office's
MRN format from the whole roster (:mod:`intake.mrnformat`) and keeps it in
the ``settings`` table; :func:`roster_lexicon` hands names, DOBs, MRNs and
that format to entity extraction.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.audit import record as audit
from indexer.db.engine import Database
from indexer.db.models import Patient, PatientAlias, Setting
from indexer.roster_changes import (
    IdentityChange,
    documents_to_reindex,
    identity_changes,
    keep_identity,
    record_changes,
)
from intake.config import Config, bad_text
from intake.errors import InputError
from intake.model import RosterLexicon
from intake.mrnformat import MrnFormat, from_pattern, learn

log = logging.getLogger(__name__)

COLUMNS = (
    "mrn", "family_name", "given_name", "middle_name", "dob", "sex",
    "phone", "address", "city", "state", "postal_code",
)
REQUIRED = ("mrn", "family_name", "given_name", "dob")
MRN_FORMAT_KEY = "roster.mrn_format"
_MRN_OK = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_SEX = {"F": "F", "M": "M", "X": "X", "U": "U", "FEMALE": "F", "MALE": "M", "": ""}


@dataclass
class ImportReport:
    """What an import did: counts and the rejected rows with their line numbers."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    mrn_format: MrnFormat | None = None  # learned from the whole roster after this import
    identity_held: list[IdentityChange] = field(default_factory=list)  # listed, not applied (not accepted)
    identity_applied: list[IdentityChange] = field(default_factory=list)
    reindex: list[int] = field(default_factory=list)  # documents whose patient's identity changed

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean_row(raw: dict[str, str | None]) -> dict[str, object]:
    """Validate and normalise one CSV row, raising ValueError with a readable message."""
    row = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    check_text(row)
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


def check_text(row: dict[str, str]) -> None:
    """No control or bidirectional-override characters in any value (they corrupt displays and reports)."""
    for name, value in row.items():
        problem = bad_text(value)
        if problem:
            raise ValueError(f"{name} {problem}")


def _rows(reader: csv.DictReader[str], path: Path) -> Iterator[dict[str, str | None]]:
    """The CSV rows; a file the csv module cannot parse (e.g. a field over its size limit) is an input error."""
    try:
        yield from reader
    except csv.Error as exc:
        raise InputError(f"{path} line {reader.line_num}: {exc}",
                         hint="Check the file is a plain CSV roster (no field longer than 128 KiB); "
                              "nothing was imported.") from exc


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
    for raw in _rows(reader, path):
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
    rest of that row (phone, address) is still applied (:mod:`indexer.roster_changes`).
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
        s.flush()
        report.mrn_format = learn(s.scalars(select(Patient.mrn)))
        _store_format(s, report.mrn_format)
        audit(s, actor=actor, action="U", event_type="patients.import",
              detail=f"created {report.created}, updated {report.updated}, rejected {len(bad)}, "
                     f"identity changes applied {len(report.identity_applied)}, "
                     f"held for confirmation {len(report.identity_held)}")
    log.info("roster import: %d created, %d updated, %d rejected", report.created, report.updated, len(bad))
    return report


def _store_format(s: Session, fmt: MrnFormat | None) -> None:
    row = s.get(Setting, MRN_FORMAT_KEY)
    if fmt is None:
        if row is not None:
            s.delete(row)
        return
    if row is None:
        s.add(Setting(key=MRN_FORMAT_KEY, value=fmt.to_json()))
    else:
        row.value = fmt.to_json()


def describe_format(fmt: MrnFormat | None, setting: str = "") -> str:
    """What an import learned about the office's MRN format, in a clerk's words."""
    if fmt is None:
        said = "MRN format: the roster's MRNs share no one format; none learned"
    else:
        said = (f"MRN format learned from {fmt.sample} roster MRNs: {fmt.describe()} "
                f"({fmt.conforming} of {fmt.sample} fit)")
    if setting.strip():
        said += f"; the setting extract.mrn_pattern = {setting!r} overrides it"
    return said


def learned_format(db: Database) -> MrnFormat | None:
    """The MRN format learned at the last roster import (None before any)."""
    with db.session() as s:
        row = s.get(Setting, MRN_FORMAT_KEY)
        return MrnFormat.from_json(row.value) if row is not None else None


def mrn_format_json(cfg: Config, db: Database) -> str | None:
    """The office MRN format in force: an explicit ``extract.mrn_pattern`` setting, else the learned one.

    A setting that is not of the simple ``PREFIX\\d{n}`` form is passed on as
    ``{"pattern": ...}`` and used as a plain regex.
    """
    pattern = cfg.extract.mrn_pattern.strip()
    if pattern:
        fmt = from_pattern(pattern)
        return fmt.to_json() if fmt is not None else json.dumps({"pattern": pattern})
    learned = learned_format(db)
    return learned.to_json() if learned is not None else None


def roster_lexicon(cfg: Config, db: Database) -> RosterLexicon:
    """Names (with aliases), DOBs, MRNs and the MRN format, for the entity extraction workers."""
    with db.session() as s:
        patients = list(s.scalars(select(Patient)))
        pairs = {(p.family_name, p.given_name) for p in patients}
        pairs |= {(a.family_name, a.given_name) for a in s.scalars(select(PatientAlias))}
        dobs = sorted({p.dob.isoformat() for p in patients if p.dob})
        mrns = sorted(p.mrn for p in patients)
    return RosterLexicon(sorted(pairs), dobs, mrns, mrn_format_json(cfg, db))


def roster_version(db: Database) -> tuple[int, str]:
    """A cheap fingerprint that changes when patients or aliases change."""
    with db.session() as s:
        n = s.scalar(select(func.count(Patient.id))) or 0
        latest = s.scalar(select(func.max(Patient.updated_at)))
        aliases = s.scalar(select(func.count(PatientAlias.id))) or 0
        newest_alias = s.scalar(select(func.max(PatientAlias.id))) or 0  # a removal plus a new alias changes it
    return int(n) + int(aliases) * 1_000_000, f"{latest}/{newest_alias}"


def gazetteer(db: Database) -> list[tuple[str, str]]:
    """(family, given) name pairs of every patient and alias, for entity extraction."""
    with db.session() as s:
        pairs = {(p.family_name, p.given_name) for p in s.scalars(select(Patient))}
        pairs |= {(a.family_name, a.given_name) for a in s.scalars(select(PatientAlias))}
    return sorted(pairs)

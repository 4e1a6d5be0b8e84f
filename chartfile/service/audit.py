"""Audit-trail commands and queries: status, verify, anchor, export, per-patient access report, on/off.

Owns what the privacy officer's front end may ask of :mod:`indexer.audit`
(which holds the trail's rules), and creating the audit key.  Every command
here is itself audited, and every audited commit publishes a signed
checkpoint outside the data home; the export and the access report are
disclosures — recorded first, written atomically to a private file or a stream.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer.audit import context, keys
from indexer.audit.anchors import parse_pair
from indexer.audit.checkpoints import parse as parse_checkpoint
from indexer.audit.export import ExportPlan, record_failure, start_export, write_export
from indexer.audit.formats import FORMATS, ChainHead
from indexer.audit.query import SORT_FIELDS, EventFilter, parse_bound
from indexer.audit.report import (
    REPORT_EVENT,
    access_entries,
    find_patient,
    patient_document_ids,
    write_csv,
    write_jsonl,
    write_text,
)
from indexer.audit.switch import refuse_enable_if_configured_off, set_enabled
from indexer.audit.switch import status as switch_status
from indexer.audit.trail import head, now_iso, record
from indexer.audit.verify import VERIFY_EVENT, guards_present, verify_trail
from intake.config import Config
from intake.errors import IntegrityError, UsageError

__all__ = ["FORMATS", "REPORT_FORMATS", "SORT_FIELDS", "ExportDone", "Switched", "VerifyOutcome", "access_report",
           "anchor", "audit_status", "ensure_key", "export", "keygen", "make_filter", "switch", "verify"]

REPORT_FORMATS = ("text", "csv", "jsonl")


def make_filter(since: str | None, until: str | None, patient: str | None = None, user: str | None = None,
                types: tuple[str, ...] = ()) -> EventFilter:
    """An event filter from the values a user typed (dates or UTC times, an MRN, a user, event types).

    A bad date or a range that ends before it starts is a usage error (exit 2).
    """
    flt = EventFilter(
        since=parse_bound(since, end=False) if since else None,
        until=parse_bound(until, end=True) if until else None,
        patient=patient.strip().upper() if patient else None,
        user=user, types=tuple(types),
    )
    if flt.since and flt.until and flt.since >= flt.until:
        raise UsageError(f"the range --from {since} --to {until} ends before it starts",
                         hint="Give the earlier date with --from.")
    return flt


def _last_checkpoint(path: Path) -> str | None:
    """The newest checkpoint line of one checkpoint file (read from its end)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 4096))
            lines = fh.read().decode("ascii", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        cp = parse_checkpoint(line)
        if cp is not None:
            return f"seq {cp.seq} {cp.hash} at {cp.time} ({cp.reason})"
    return None


def audit_status(office: Office, actor: Actor) -> dict[str, Any]:
    """Whether auditing is on, the chain head, the audit key and where checkpoints go."""
    require(actor, Action.AUDIT_STATUS)
    with office.db.read() as s:
        sw = switch_status(s)
    ctx = context.for_config(office.cfg)
    return {"enabled": sw.enabled, "configured": office.cfg.audit_enabled, "events": sw.events,
            "head_seq": sw.head[0], "head_hash": sw.head[1], "key_id": ctx.key.key_id, "key_file": str(ctx.key.path),
            "checkpoint_files": {str(p): _last_checkpoint(p) for p in ctx.sinks.files()},
            "syslog": ctx.sinks.syslog, "switch_consistent": sw.consistent,
            "append_only_triggers": guards_present(office.db)}


@dataclass
class VerifyOutcome:
    """A passed verification (a failed one raises IntegrityError after it is recorded)."""

    data: dict[str, Any]
    guards_missing: bool


def verify(office: Office, actor: Actor, extra_anchors: tuple[str, ...] = (), sources: tuple[str, ...] = (),
           public_key: Path | None = None,
           on_result: Callable[[dict[str, Any]], None] | None = None) -> VerifyOutcome:
    """Check every MAC, the chain and the checkpoints in ``sources``; exit 7 naming the attack when tampered with.

    ``sources`` default to the data home's checkpoint files; ``public_key``
    pins the key whose checkpoints count.  ``on_result`` sees the result data
    before a failure is raised (for machine-readable output).
    """
    require(actor, Action.AUDIT_VERIFY)
    try:
        pairs = [parse_pair(a) for a in extra_anchors]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    pinned = keys.load_public(public_key) if public_key is not None else None
    result = verify_trail(office.db, list(sources) if sources else None, pairs, pinned)
    detail = (f"{result.checked} events, {result.anchors_checked} checkpoints matched" if result.ok
              else f"{result.kind} at seq {result.bad_seq}")
    with office.db.transaction() as s:
        record(s, actor=actor.audit_name, action="E", event_type=VERIFY_EVENT,
               outcome="success" if result.ok else "failure", detail=detail)
    data = {"ok": result.ok, "kind": result.kind, "checked": result.checked, "head_seq": result.head_seq,
            "head_hash": result.head_hash, "legacy_events": result.legacy, "keyed_events": result.keyed,
            "key_id": result.key_id, "checkpoints": result.checkpoints, "anchors_checked": result.anchors_checked,
            "problem": result.problem, "bad_seq": result.bad_seq, "warnings": result.warnings}
    if on_result is not None:
        on_result(data)
    if not result.ok:
        raise IntegrityError(f"audit trail verification failed ({result.kind}): {result.problem}",
                             hint="Do not repair the database. Keep a copy of it, of the checkpoint files and the "
                                  "audit key, and report to the privacy officer; see docs/audit.md.")
    return VerifyOutcome(data, guards_present(office.db) is False)


def anchor(office: Office, actor: Actor) -> tuple[bool, int, str]:
    """Publish a signed checkpoint of the committed head now: (published, seq, hash)."""
    require(actor, Action.AUDIT_ANCHOR)
    with office.db.read() as s:
        done = context.publish_head(office.cfg, s, "scheduled")
    return (True, *done) if done else (False, 0, "")


def ensure_key(cfg: Config) -> keys.AuditKey | None:
    """Create the audit key at its configured (or default) path if there is none yet; None when it exists."""
    path = keys.key_path(cfg)
    return None if path.exists() else keys.generate(path, cfg.home)


def keygen(cfg: Config, key_file: Path | None) -> keys.AuditKey:
    """Create an audit key outside the data home (never overwriting one).  Needs no data home: it comes first."""
    return keys.generate(key_file or keys.key_path(cfg), cfg.home)


@dataclass
class ExportDone:
    events: int
    head: str


def export(office: Office, actor: Actor, flt: EventFilter, fmt: str, sort: str, target: disclosure.Target,
           progress: Callable[[int], Any] | None = None) -> ExportDone:
    """Export events (CSV, JSON Lines, FHIR R4 Bundle): the export event is recorded and anchored first.

    ``progress`` is called with the total before writing and returns the per-batch advance callback.
    """
    require(actor, Action.AUDIT_EXPORT)
    plan: ExportPlan | None = None
    try:
        plan = start_export(office.db, flt, fmt, sort, actor=actor.audit_name)
        advance = progress(plan.total) if progress is not None else None
        started = plan

        def write(out: TextIO) -> int:
            return write_export(office.db, started, fmt, sort, out, on_progress=advance)

        n = _write(target, fmt, write)
    except Exception as exc:
        if plan is not None:
            record_failure(office.db, plan, exc, actor=actor.audit_name, patient_mrn=flt.patient)
        raise
    return ExportDone(n, plan.head.pair)


def _write(target: disclosure.Target, fmt: str, write: Callable[[TextIO], int]) -> int:
    if not isinstance(target, Path):
        return write(target)
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # the BOM makes spreadsheets read UTF-8
    with disclosure.atomic_file(target, encoding=encoding, newline="") as fh:
        return write(fh)  # type: ignore[arg-type]


def access_report(office: Office, actor: Actor, mrn: str, since: str | None, until: str | None, fmt: str,
                  target: disclosure.Target) -> int:
    """Everyone who viewed, searched for, released or changed anything for one patient; returns entries."""
    require(actor, Action.AUDIT_ACCESS_REPORT)
    if fmt not in REPORT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
    flt = make_filter(since, until)
    period = f"{since or 'beginning'} .. {until or 'now'} (UTC)"
    with office.db.transaction() as s:
        patient = find_patient(s, mrn)
        doc_ids = patient_document_ids(s, patient.id)
        name, mrn = patient.display_name, patient.mrn
        record(s, actor=actor.audit_name, action="R", event_type=REPORT_EVENT, patient_mrn=mrn,
               detail=f"format {fmt}, {flt.describe()}")
        seq, digest = head(s)
    chain_head = ChainHead(seq, digest, now_iso())
    entries = list(access_entries(office.db, mrn, doc_ids, EventFilter(since=flt.since, until=flt.until,
                                                                         max_seq=seq)))

    def write(out: TextIO) -> int:
        if fmt == "csv":
            write_csv(out, entries, chain_head)
        elif fmt == "jsonl":
            write_jsonl(out, entries, chain_head)
        else:
            write_text(out, entries, mrn=mrn, name=name, period=period, head=chain_head)
        return len(entries)

    return _write(target, fmt, write)


@dataclass
class Switched:
    changed: bool
    seq: int


def switch(office: Office, actor: Actor, enabled: bool, reason: str) -> Switched:
    """Switch auditing off or on (admin only; a reason to switch off; itself audited and checkpointed)."""
    require(actor, Action.AUDIT_SWITCH)
    if enabled:
        refuse_enable_if_configured_off(office.cfg)
    change = set_enabled(office.db, enabled, actor=actor.audit_name, reason=reason)  # checkpointed on commit
    return Switched(change.changed, change.head[0])

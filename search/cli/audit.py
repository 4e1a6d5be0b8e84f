"""``chartfile audit``: verify the trail, export it, report access to one patient, switch it off/on.

Every command here is itself audited (``audit.verify``, ``export.audit``,
``audit.access_report``, ``audit.stop``/``audit.start``); each audited commit
publishes a signed checkpoint outside the data home.  The logic lives in
:mod:`indexer.audit`; this module parses options and writes output.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
from indexer.audit.switch import refuse_enable_if_configured_off, set_enabled, status
from indexer.audit.trail import head, now_iso, record
from indexer.audit.verify import VERIFY_EVENT, guards_present, verify_trail
from intake.errors import IntegrityError, UsageError
from search.cli.context import AppContext, pass_app


@click.group("audit")
def audit() -> None:
    """The tamper-evident audit trail: verify, export, access report, on/off."""


# ----- helpers -------------------------------------------------------------

def _filter(since: str | None, until: str | None, patient: str | None = None, user: str | None = None,
            types: tuple[str, ...] = ()) -> EventFilter:
    return EventFilter(
        since=parse_bound(since, end=False) if since else None,
        until=parse_bound(until, end=True) if until else None,
        patient=patient.strip().upper() if patient else None,
        user=user, types=tuple(types),
    )


@contextmanager
def _output(path: Path | None, fmt: str) -> Iterator[TextIO]:
    """Standard output, or ``path`` written as ``path.partial`` (mode 600) and renamed when complete."""
    if path is None:
        yield sys.stdout
        return
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # the BOM makes spreadsheets read UTF-8
    try:
        with open(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def _show_progress(path: Path | None) -> bool:
    """A bar on stderr only for a terminal, and never over data going to that terminal."""
    return sys.stderr.isatty() and (path is not None or not sys.stdout.isatty())


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), disable=not enabled, transient=True) as bar:
        task = bar.add_task("Exporting", total=total)
        yield lambda n: bar.advance(task, n)


# ----- commands ------------------------------------------------------------

def _last_checkpoint(path: Path) -> str | None:
    """The newest checkpoint line of one sink file (read from its end)."""
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


@audit.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Whether auditing is on, the chain head, the audit key and where checkpoints go."""
    with app.db.session() as s:
        sw = status(s)
    ctx = context.for_config(app.cfg)
    sinks = {str(p): _last_checkpoint(p) for p in ctx.sinks.files()}
    data = {"enabled": sw.enabled, "configured": app.cfg.audit_enabled, "events": sw.events,
            "head_seq": sw.head[0], "head_hash": sw.head[1], "key_id": ctx.key.key_id, "key_file": str(ctx.key.path),
            "checkpoint_files": sinks, "syslog": ctx.sinks.syslog, "switch_consistent": sw.consistent,
            "append_only_triggers": guards_present(app.db)}
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"Auditing: {'ON' if sw.enabled else 'OFF'}; {sw.events} events; "
               f"chain head seq {sw.head[0]} {sw.head[1]}")
    click.echo(f"Audit key: {ctx.key.key_id} ({ctx.key.path})")
    for path, last in sinks.items():
        click.echo(f"Checkpoints: {path}: " + (f"last {last}" if last else "none yet"))
    click.echo(f"Checkpoints to syslog/journald: {'yes' if ctx.sinks.syslog else 'no'}")
    if data["append_only_triggers"] is False:
        click.echo("Warning: the append-only triggers on audit_events are missing (dropped by hand?).")


@audit.command("verify")
@click.option("--anchors", "sources", multiple=True, metavar="SOURCE",
              help="Where to read checkpoints: a file, a folder, or 'journal'. Repeatable. "
                   "Default: this data home's checkpoint files.")
@click.option("--public-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Pin the checkpoint signer: the audit key's .pub file as the privacy officer keeps it.")
@click.option("--anchor", "extra", multiple=True, metavar="SEQ:HASH",
              help="Also check a chain head kept elsewhere (printed by every export). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def verify_cmd(app: AppContext, sources: tuple[str, ...], public_key: Path | None, extra: tuple[str, ...],
               as_json: bool) -> None:
    """Check every event's MAC, the chain and the checkpoints; name the first tampering found (exit 7)."""
    try:
        pairs = [parse_pair(a) for a in extra]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    pinned = keys.load_public(public_key) if public_key is not None else None
    result = verify_trail(app.db, list(sources) if sources else None, pairs, pinned)
    detail = (f"{result.checked} events, {result.anchors_checked} checkpoints matched" if result.ok
              else f"{result.kind} at seq {result.bad_seq}")
    with app.db.transaction() as s:
        record(s, actor=app.user, action="E", event_type=VERIFY_EVENT,
               outcome="success" if result.ok else "failure", detail=detail)
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "kind": result.kind, "checked": result.checked,
                               "head_seq": result.head_seq, "head_hash": result.head_hash,
                               "legacy_events": result.legacy, "keyed_events": result.keyed,
                               "key_id": result.key_id, "checkpoints": result.checkpoints,
                               "anchors_checked": result.anchors_checked, "problem": result.problem,
                               "bad_seq": result.bad_seq, "warnings": result.warnings}))
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if not result.ok:
        raise IntegrityError(f"audit trail verification failed ({result.kind}): {result.problem}",
                             hint="Do not repair the database. Keep a copy of it, of the checkpoint files and the "
                                  "audit key, and report to the privacy officer; see docs/audit.md.")
    if guards_present(app.db) is False:
        click.echo("Warning: the append-only triggers on audit_events are missing; the chain is intact, "
                   "but find out who removed them.", err=True)
    if not as_json:
        read = ", ".join(f"{n} in {src}" for src, n in result.checkpoints.items()) or "none read"
        click.echo(f"Audit trail OK: {result.checked} events ({result.keyed} keyed with key {result.key_id}, "
                   f"{result.legacy} legacy), chain head seq {result.head_seq} {result.head_hash}; "
                   f"checkpoints: {read}; {result.anchors_checked} matched.")


@audit.command("anchor")
@pass_app
def anchor_cmd(app: AppContext) -> None:
    """Publish a signed checkpoint of the chain head now (every audited commit does so already)."""
    with app.db.session() as s:
        done = context.publish_head(app.cfg, s, "scheduled")
    click.echo(f"Checkpoint published for seq {done[0]} {done[1]}" if done
               else "The audit trail is empty; nothing to checkpoint.")


@audit.command("keygen")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to create the key (default: audit.key_file, else ~/.config/chartfile/audit.key).")
@pass_app
def keygen_cmd(app: AppContext, key_file: Path | None) -> None:
    """Create the audit key outside the data home (mode 0400) and its .pub for the privacy officer."""
    path = key_file or keys.key_path(app.cfg)
    key = keys.generate(path, app.cfg.home)
    click.echo(f"Audit key {key.key_id} created: {path} (keep it readable by the service account only; back it up "
               "off this machine)")
    click.echo(f"Public key for the privacy officer: {keys.public_path(path)}")
    if key_file is not None and key_file != keys.key_path(app.cfg):
        click.echo(f"Set CHARTFILE_AUDIT__KEY_FILE={path} in the service's environment.")


@audit.command("export")
@click.option("--from", "since", metavar="DATE", help="First day (YYYY-MM-DD) or UTC time, inclusive.")
@click.option("--to", "until", metavar="DATE", help="Last day (YYYY-MM-DD, inclusive) or UTC time.")
@click.option("--patient", metavar="MRN", help="Only events recorded against this MRN.")
@click.option("--user", "actor", metavar="USER", help="Only events by this user ('system' for automatic).")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only this event type; 'intake.*' for a prefix. Repeatable.")
@click.option("--sort", default="seq", show_default=True,
              help=f"One of {', '.join(SORT_FIELDS)}; prefix '-' for descending.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (created mode 600) instead of standard output.")
@pass_app
def export_cmd(app: AppContext, since: str | None, until: str | None, patient: str | None,
               actor: str | None, types: tuple[str, ...], sort: str, fmt: str, output: Path | None) -> None:
    """Export audit events as CSV, JSON Lines or a FHIR R4 AuditEvent Bundle (itself audited)."""
    flt = _filter(since, until, patient, actor, types)
    plan: ExportPlan | None = None
    try:
        plan = start_export(app.db, flt, fmt, sort, actor=app.user)
        with _output(output, fmt) as out, _progress(plan.total, _show_progress(output)) as advance:
            n = write_export(app.db, plan, fmt, sort, out, on_progress=advance)
    except Exception as exc:
        if plan is not None:
            record_failure(app.db, plan, exc, actor=app.user, patient_mrn=flt.patient)
        raise
    click.echo(f"{n} audit events exported; chain head {plan.head.pair}", err=True)


@audit.command("access-report")
@click.argument("mrn")
@click.option("--from", "since", metavar="DATE", help="First day (YYYY-MM-DD) or UTC time, inclusive.")
@click.option("--to", "until", metavar="DATE", help="Last day (YYYY-MM-DD, inclusive) or UTC time.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "jsonl"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (created mode 600) instead of standard output.")
@pass_app
def access_report_cmd(app: AppContext, mrn: str, since: str | None, until: str | None, fmt: str,
                      output: Path | None) -> None:
    """Everyone who viewed, searched for, released or changed anything for one patient."""
    flt = _filter(since, until)
    period = f"{since or 'beginning'} .. {until or 'now'} (UTC)"
    with app.db.transaction() as s:
        patient = find_patient(s, mrn)
        doc_ids = patient_document_ids(s, patient.id)
        name, mrn = patient.display_name, patient.mrn
        record(s, actor=app.user, action="R", event_type=REPORT_EVENT, patient_mrn=mrn,
               detail=f"format {fmt}, {flt.describe()}")
        seq, digest = head(s)
    chain_head = ChainHead(seq, digest, now_iso())
    bounded = EventFilter(since=flt.since, until=flt.until, max_seq=seq)
    entries = list(access_entries(app.db, mrn, doc_ids, bounded))
    with _output(output, fmt) as out:
        if fmt == "csv":
            write_csv(out, entries, chain_head)
        elif fmt == "jsonl":
            write_jsonl(out, entries, chain_head)
        else:
            write_text(out, entries, mrn=mrn, name=name, period=period, head=chain_head)
    if output is not None:
        click.echo(f"{len(entries)} events written to {output}", err=True)


@audit.command("disable")
@click.option("--reason", required=True, help="Why auditing is being switched off (recorded).")
@pass_app
def disable_cmd(app: AppContext, reason: str) -> None:
    """Switch auditing off (records audit.stop; nothing else is recorded until 'enable')."""
    change = set_enabled(app.db, False, actor=app.user, reason=reason)
    if not change.changed:
        click.echo("Auditing is already off.")
        return
    click.echo(f"Auditing is OFF (event seq {change.head[0]}). Turn it back on with 'chartfile audit enable'.")


@audit.command("enable")
@click.option("--reason", default="", help="Why auditing is being switched on (recorded).")
@pass_app
def enable_cmd(app: AppContext, reason: str) -> None:
    """Switch auditing back on (records audit.start)."""
    refuse_enable_if_configured_off(app.cfg)
    change = set_enabled(app.db, True, actor=app.user, reason=reason)
    if not change.changed:
        click.echo("Auditing is already on.")
        return
    click.echo(f"Auditing is ON (event seq {change.head[0]}).")

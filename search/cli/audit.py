"""``chartfile audit``: verify the trail, export it, report access to one patient, switch it off/on.

Every command here is itself audited (``audit.verify``, ``export.audit``,
``audit.access_report``, ``audit.stop``/``audit.start``) and anchors the
committed chain head in ``<home>/audit/anchors.log``.  The logic lives in
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

from indexer.audit.anchors import parse_pair, read_anchors, write_anchor
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

@audit.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Whether auditing is on, the chain head and the last anchor."""
    with app.db.session() as s:
        sw = status(s)
    anchors = read_anchors(app.cfg.home)
    data = {"enabled": sw.enabled, "configured": app.cfg.audit_enabled, "events": sw.events,
            "head_seq": sw.head[0], "head_hash": sw.head[1], "anchors": len(anchors),
            "last_anchor": anchors[-1].line().strip() if anchors else None, "switch_consistent": sw.consistent,
            "append_only_triggers": guards_present(app.db)}
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"Auditing: {'ON' if sw.enabled else 'OFF'}; {sw.events} events; "
               f"chain head seq {sw.head[0]} {sw.head[1]}")
    click.echo(f"Anchors: {len(anchors)}" + (f"; last: {data['last_anchor']}" if anchors else ""))
    if data["append_only_triggers"] is False:
        click.echo("Warning: the append-only triggers on audit_events are missing (dropped by hand?).")


@audit.command("verify")
@click.option("--anchor", "extra", multiple=True, metavar="SEQ:HASH",
              help="Also check a chain head kept elsewhere (printed by every export). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def verify_cmd(app: AppContext, extra: tuple[str, ...], as_json: bool) -> None:
    """Walk the hash chain; report the first altered, deleted or inserted event (exit 7)."""
    try:
        pairs = [parse_pair(a) for a in extra]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    result = verify_trail(app.db, app.cfg.home, pairs)
    detail = (f"{result.checked} events, {result.anchors_checked} anchors" if result.ok
              else f"first problem at seq {result.bad_seq}")
    with app.db.transaction() as s:
        record(s, actor=app.user, action="E", event_type=VERIFY_EVENT,
               outcome="success" if result.ok else "failure", detail=detail)
        now_head = head(s)
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "checked": result.checked, "head_seq": result.head_seq,
                               "head_hash": result.head_hash, "anchors_checked": result.anchors_checked,
                               "problem": result.problem, "bad_seq": result.bad_seq}))
    if not result.ok:
        raise IntegrityError(f"audit trail verification failed: {result.problem}",
                             hint="Do not repair the database. Keep a copy of it and of audit/anchors.log, "
                                  "and report to the privacy officer; see docs/audit.md.")
    write_anchor(app.cfg.home, now_head[0], now_head[1], "verify")
    if guards_present(app.db) is False:
        click.echo("Warning: the append-only triggers on audit_events are missing; the chain is intact, "
                   "but find out who removed them.", err=True)
    if not as_json:
        click.echo(f"Audit trail OK: {result.checked} events, chain head seq {result.head_seq} "
                   f"{result.head_hash}; {result.anchors_checked} anchors matched.")


@audit.command("anchor")
@pass_app
def anchor_cmd(app: AppContext) -> None:
    """Write the current chain head to audit/anchors.log (run it from cron, e.g. hourly)."""
    with app.db.session() as s:
        seq, digest = head(s)
    written = write_anchor(app.cfg.home, seq, digest, "scheduled")
    click.echo(f"Anchored seq {seq} {digest}" if written else "The audit trail is empty; nothing to anchor.")


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
        plan = start_export(app.db, app.cfg.home, flt, fmt, sort, actor=app.user)
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
    write_anchor(app.cfg.home, seq, digest, "access-report")
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
    write_anchor(app.cfg.home, change.head[0], change.head[1], "audit.stop")
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
    write_anchor(app.cfg.home, change.head[0], change.head[1], "audit.start")
    click.echo(f"Auditing is ON (event seq {change.head[0]}).")

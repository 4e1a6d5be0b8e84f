"""``chartfile audit``: verify the trail, export it, report access to one patient, switch it off/on.

Every command here is itself audited (``audit.verify``, ``export.audit``,
``audit.access_report``, ``audit.stop``/``audit.start``); every audited commit
publishes a signed checkpoint outside the data home.  The commands live in
:mod:`chartfile.service.audit`; this module parses options and writes output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chartfile.cli.context import AppContext, pass_app
from chartfile.cli.params import OUTPUT, PATH, TIME_BOUND
from chartfile.service import audit as service


@click.group("audit")
def audit() -> None:
    """The tamper-evident audit trail: verify, export, access report, on/off."""


# ----- helpers -------------------------------------------------------------

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
    """Whether auditing is on, the chain head, the audit key and where checkpoints go."""
    data = service.audit_status(app.office, app.actor)
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"Auditing: {'ON' if data['enabled'] else 'OFF'}; {data['events']} events; "
               f"chain head seq {data['head_seq']} {data['head_hash']}")
    click.echo(f"Audit key: {data['key_id']} ({data['key_file']})")
    for path, last in data["checkpoint_files"].items():
        click.echo(f"Checkpoints: {path}: " + (f"last {last}" if last else "none yet"))
    click.echo(f"Checkpoints to syslog/journald: {'yes' if data['syslog'] else 'no'}")
    if data["append_only_triggers"] is False:
        click.echo("Warning: the append-only triggers on audit_events are missing (dropped by hand?).")


@audit.command("verify")
@click.option("--anchors", "sources", multiple=True, metavar="SOURCE",
              help="Where to read checkpoints: a file, a folder, or 'journal'. Repeatable. "
                   "Default: this data home's checkpoint files.")
@click.option("--public-key", type=PATH,
              help="Pin the checkpoint signer: the audit key's .pub file as the privacy officer keeps it.")
@click.option("--anchor", "extra", multiple=True, metavar="SEQ:HASH",
              help="Also check a chain head kept elsewhere (printed by every export). Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def verify_cmd(app: AppContext, sources: tuple[str, ...], public_key: Path | None, extra: tuple[str, ...],
               as_json: bool) -> None:
    """Check every event's MAC, the chain and the checkpoints; name the first tampering found (exit 7)."""
    def show(data: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(data))
        for warning in data["warnings"]:
            click.echo(f"Warning: {warning}", err=True)

    result = service.verify(app.office, app.actor, extra, sources, public_key, on_result=show)
    if result.guards_missing:
        click.echo("Warning: the append-only triggers on audit_events are missing; the chain is intact, "
                   "but find out who removed them.", err=True)
    if not as_json:
        data = result.data
        read = ", ".join(f"{n} in {src}" for src, n in data["checkpoints"].items()) or "none read"
        click.echo(f"Audit trail OK: {data['checked']} events ({data['keyed_events']} keyed with key "
                   f"{data['key_id']}, {data['legacy_events']} legacy), chain head seq {data['head_seq']} "
                   f"{data['head_hash']}; checkpoints: {read}; {data['anchors_checked']} matched.")


@audit.command("anchor")
@pass_app
def anchor_cmd(app: AppContext) -> None:
    """Publish a signed checkpoint of the chain head now (every audited commit does so already)."""
    published, seq, digest = service.anchor(app.office, app.actor)
    click.echo(f"Checkpoint published for seq {seq} {digest}" if published
               else "The audit trail is empty; nothing to checkpoint.")


@audit.command("keygen")
@click.option("--key-file", type=OUTPUT,
              help="Where to create the key (default: CHARTFILE_AUDIT__KEY_FILE, else ~/.config/chartfile/audit.key).")
@pass_app
def keygen_cmd(app: AppContext, key_file: Path | None) -> None:
    """Create the audit key outside the data home (mode 0400) and its .pub for the privacy officer."""
    key = service.keygen(app.cfg, key_file)
    click.echo(f"Audit key {key.key_id} created: {key.path} (readable by this account only; back it up off "
               "this machine)")
    click.echo(f"Public key for the privacy officer: {key.path}.pub")
    if key_file is not None:
        click.echo(f"Set CHARTFILE_AUDIT__KEY_FILE={key.path} in the service's environment.")


@audit.command("export")
@click.option("--from", "since", type=TIME_BOUND, help="First day (YYYY-MM-DD) or UTC time, inclusive.")
@click.option("--to", "until", type=TIME_BOUND, help="Last day (YYYY-MM-DD, inclusive) or UTC time.")
@click.option("--patient", metavar="MRN", help="Only events recorded against this MRN.")
@click.option("--user", "actor", metavar="USER", help="Only events by this user ('system' for automatic).")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only this event type; 'intake.*' for a prefix. Repeatable.")
@click.option("--sort", default="seq", show_default=True,
              help=f"One of {', '.join(service.SORT_FIELDS)}; prefix '-' for descending.")
@click.option("--format", "fmt", type=click.Choice(service.FORMATS), default="csv", show_default=True)
@click.option("--output", "-o", type=OUTPUT,
              help="Write to this file (created mode 600) instead of standard output.")
@pass_app
def export_cmd(app: AppContext, since: str | None, until: str | None, patient: str | None,
               actor: str | None, types: tuple[str, ...], sort: str, fmt: str, output: Path | None) -> None:
    """Export audit events as CSV, JSON Lines or a FHIR R4 AuditEvent Bundle (itself audited)."""
    flt = service.make_filter(since, until, patient, actor, types)
    with ExitStack() as stack:
        def progress(total: int) -> Callable[[int], None]:
            return stack.enter_context(_progress(total, _show_progress(output)))

        done = service.export(app.office, app.actor, flt, fmt, sort, output if output is not None else sys.stdout,
                              progress)
    click.echo(f"{done.events} audit events exported; chain head {done.head}", err=True)


@audit.command("access-report")
@click.argument("mrn")
@click.option("--from", "since", type=TIME_BOUND, help="First day (YYYY-MM-DD) or UTC time, inclusive.")
@click.option("--to", "until", type=TIME_BOUND, help="Last day (YYYY-MM-DD, inclusive) or UTC time.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "jsonl"]), default="text", show_default=True)
@click.option("--output", "-o", type=OUTPUT,
              help="Write to this file (created mode 600) instead of standard output.")
@pass_app
def access_report_cmd(app: AppContext, mrn: str, since: str | None, until: str | None, fmt: str,
                      output: Path | None) -> None:
    """Everyone who viewed, searched for, released or changed anything for one patient."""
    n = service.access_report(app.office, app.actor, mrn, since, until, fmt,
                              output if output is not None else sys.stdout)
    if output is not None:
        click.echo(f"{n} events written to {output}", err=True)


@audit.command("disable")
@click.option("--reason", required=True, help="Why auditing is being switched off (recorded).")
@pass_app
def disable_cmd(app: AppContext, reason: str) -> None:
    """Switch auditing off (records audit.stop; nothing else is recorded until 'enable')."""
    change = service.switch(app.office, app.actor, False, reason)
    if not change.changed:
        click.echo("Auditing is already off.")
        return
    click.echo(f"Auditing is OFF (event seq {change.seq}). Turn it back on with 'chartfile audit enable'.")


@audit.command("enable")
@click.option("--reason", default="", help="Why auditing is being switched on (recorded).")
@pass_app
def enable_cmd(app: AppContext, reason: str) -> None:
    """Switch auditing back on (records audit.start)."""
    change = service.switch(app.office, app.actor, True, reason)
    if not change.changed:
        click.echo("Auditing is already on.")
        return
    click.echo(f"Auditing is ON (event seq {change.seq}).")

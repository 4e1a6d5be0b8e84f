"""``chartfile archive verify``, ``backup``, ``restore`` and ``doctor``: the data home's integrity and privacy."""

from __future__ import annotations

import json
from pathlib import Path

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.cli.params import PATH
from chartfile.service import storage as service
from intake.config import one_line
from intake.errors import RefusedError


@click.group("archive")
def archive() -> None:
    """The archived originals."""


@archive.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result.")
@pass_app
def verify_cmd(app: AppContext, as_json: bool) -> None:
    """Rehash every stored original against the ledger (exit 7 when one was altered or is missing).

    Meant to run from cron, e.g. nightly: silent on success unless --json.
    """
    report = service.archive_verify(app.office, app.actor)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    elif report.ok:
        click.echo(f"{report.checked} stored originals match their hashes ({report.bytes / 1e6:.1f} MB, "
                   f"{report.seconds:.1f} s).")
    service.raise_if_damaged(report)


@click.command("backup")
@click.argument("folder", type=PATH)
@pass_app
def backup_cmd(app: AppContext, folder: Path) -> None:
    """Write a consistent, verifiable copy of the data home into FOLDER (new or empty, outside the home).

    Holds the database (SQLite online backup or pg_dump), the archive,
    spool and quarantine, the settings and the audit checkpoints, with a
    manifest of SHA-256 hashes.  The audit key lives outside the data home
    and is not in the backup: keep a copy of it elsewhere.
    """
    result = service.backup(app.office, app.actor, folder)
    man = result.manifest
    click.echo(f"Backup written to {one_line(folder.resolve())}: {len(man.files)} files, intake items "
               f"{man.items or 'none'}, audit chain head {man.audit_head[0]}.")
    click.echo("The audit key is not in the backup (it lives outside the data home): keep a copy of it too.")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_app
def restore_cmd(app: AppContext, folder: Path) -> None:
    """Restore the backup in FOLDER into the new or empty data home --home, then verify it.

    The restored home is migrated to this version, its search index rebuilt,
    and 'intake check', the archive scrub and 'audit verify' must pass
    (exit 7 otherwise).  Nothing is ever overwritten.
    """
    result = service.restore(app.cfg, app.login, folder)
    click.echo(f"Restored {result.files} files and the database into {one_line(result.home.resolve())}; "
               "intake check, archive and audit trail verified.")


@click.command("doctor")
@click.option("--fix", is_flag=True, help="Make every folder 0700 and every file 0600.")
@pass_app
def doctor_cmd(app: AppContext, fix: bool) -> None:
    """Warn about anything in the data home other local users could read (exit 6 while any remains)."""
    report = service.doctor(app.office, app.actor, fix)
    if not report.loose:
        click.echo(f"Private: only the owner can read {one_line(report.home.resolve())} and what is in it.")
        return
    for loose in report.loose[:50]:
        click.echo(f"WARNING: {one_line(loose.describe())}")
    if len(report.loose) > 50:
        click.echo(f"WARNING: ... and {len(report.loose) - 50} more")
    if fix:
        click.echo(f"Made {report.changed} paths private.")
        if not report.failed:
            return
        raise RefusedError(f"{len(report.failed)} paths could not be made private (owned by another account)",
                           hint="Change their owner to the account Chartfile runs as, then run "
                                "'chartfile doctor --fix' again.")
    raise RefusedError(f"{len(report.loose)} folders or files in the data home can be read by other local users",
                       hint="Run 'chartfile doctor --fix' to make them private.")

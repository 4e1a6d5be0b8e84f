"""``chartfile roi``: release of information — authorizations, requests, releases, accounting.

Commands parse options, call :mod:`chartfile.service.roi` and print results.
Every command is audited by the service layer.  Output files are written only
where the user asks (``--output``) or under ``<home>/exports/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.cli.params import DATE, ID, OUTPUT, check_range
from chartfile.service import roi as service
from chartfile.service.roi import AuthorizationFields, RequestFields, plural, views


class ExpiryParam(click.ParamType):
    """A ``YYYY-MM-DD`` date or a length of time from the signature ("one year from the date signed")."""

    name = "DATE|DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date | str:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            if service.is_duration(text):
                return text
            self.fail(f"{value!r} is not a date like 2025-03-01 or a length of time like "
                      "'one year from the date signed'", param, ctx)


def _expiry(expires: date | str | None, event: str | None) -> dict[str, Any]:
    """The expiry fields of :class:`AuthorizationFields` from ``--expires`` and ``--expiry-event``."""
    return {"expires_on": expires if isinstance(expires, date) else None,
            "expiry_text": expires if isinstance(expires, str) else None, "expiration_event": event}


def _csv(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def _ids(values: tuple[str, ...]) -> list[int]:
    """``--documents 12,14 --documents 15`` → [12, 14, 15] (each a valid id, else exit 2)."""
    return [ID.convert(part, None, None) for value in values for part in value.split(",") if part.strip()]


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group("roi")
def roi() -> None:
    """Release of information: authorizations, requests, releases, accounting of disclosures."""


# ----------------------------------------------------------------- authorizations
@roi.group("authorization")
def authorization() -> None:
    """Patients' authorizations to disclose (45 CFR 164.508)."""


def field_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The authorization fields a clerk can enter (add) or complete (confirm)."""
    options = [
        click.option("--discloser", help="Who may disclose (usually this office)."),
        click.option("--recipient", help="Recipient name (person, organisation or class)."),
        click.option("--address", help="Recipient address."),
        click.option("--description", help="Description of the information, as written on the form."),
        click.option("--types", help="Document types covered, comma-separated, or 'all' for the entire record."),
        click.option("--from", "info_from", type=DATE, help="Information dated from."),
        click.option("--to", "info_to", type=DATE, help="Information dated up to."),
        click.option("--purpose", help="Purpose ('At the request of the individual' suffices)."),
        click.option("--expires", type=ExpiryParam(),
                     help="Expiration date (not valid on or after it), or a length of time as written on the form "
                          "('one year from the date signed', '90 days after signature'): counted from --signed."),
        click.option("--expiry-event", help="Expiration event, e.g. 'upon settlement of the claim' "
                                            "(a length of time given here becomes a date)."),
        click.option("--signed", type=DATE, help="Signature date."),
        click.option("--signer", help="Who signed."),
        click.option("--representative-authority", help="A personal representative's authority (e.g. POA)."),
        click.option("--statements", help="Statements on the form: revocation,conditioning,redisclosure."),
        click.option("--source-document", type=ID, help="Document id of the scanned form."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _fields(kw: dict[str, Any]) -> AuthorizationFields:
    check_range(kw["info_from"], kw["info_to"])
    return AuthorizationFields(
        discloser=kw["discloser"], recipient_name=kw["recipient"], recipient_address=kw["address"],
        description=kw["description"], doc_types=_csv(kw["types"]), info_from=kw["info_from"],
        info_to=kw["info_to"], purpose=kw["purpose"], **_expiry(kw["expires"], kw["expiry_event"]),
        signed_on=kw["signed"], signer_name=kw["signer"],
        representative_authority=kw["representative_authority"], statements=_csv(kw["statements"]),
        source_document_id=kw["source_document"])


def _show_authorization(d: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _echo_json(d)
    else:
        click.echo("\n".join(views.authorization_lines(d)))


@authorization.command("add")
@click.option("--mrn", required=True, help="Patient MRN.")
@field_options
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_add(app: AppContext, mrn: str, as_json: bool, **kw: Any) -> None:
    """Record an authorization from a signed form; prints its validation."""
    _show_authorization(service.authorization_add(app.office, app.actor, mrn, _fields(kw)), as_json)


@authorization.command("confirm")
@click.argument("auth_id", type=ID)
@click.option("--mrn", help="Patient MRN, when the draft has none.")
@field_options
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_confirm(app: AppContext, auth_id: int, mrn: str | None, as_json: bool, **kw: Any) -> None:
    """Turn a draft from a scanned form into an active authorization (options fill in fields)."""
    _show_authorization(service.authorization_confirm(app.office, app.actor, auth_id, _fields(kw), mrn), as_json)


@authorization.command("show")
@click.argument("auth_id", type=ID)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_show(app: AppContext, auth_id: int, as_json: bool) -> None:
    """One authorization with its validation as of today."""
    _show_authorization(service.authorization_show(app.office, app.actor, auth_id), as_json)


@authorization.command("list")
@click.option("--mrn", help="Only this patient.")
@click.option("--status", type=click.Choice(service.AUTH_STATUSES),
              help="Only drafts, confirmed ones (active), or one status today (valid, expired, revoked, invalid).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_list(app: AppContext, mrn: str | None, status: str | None, as_json: bool) -> None:
    """Authorizations, newest first, each re-validated as of today."""
    rows = service.authorization_list(app.office, app.actor, mrn, status)
    if as_json:
        _echo_json(rows)
        return
    for d in rows:
        click.echo(views.authorization_row(d))
    if not rows:
        click.echo("(no authorizations)")


@authorization.command("revoke")
@click.argument("auth_id", type=ID)
@click.option("--received", type=DATE, required=True, help="Day the office received the written revocation.")
@click.option("--document", "document_id", type=ID, help="Document id of the scanned revocation.")
@click.option("--note", help="Free-text note.")
@pass_app
def auth_revoke(app: AppContext, auth_id: int, received: date, document_id: int | None, note: str | None) -> None:
    """Record a written revocation (effective from the day it was received)."""
    summary = service.authorization_revoke(app.office, app.actor, auth_id, received, document_id, note)
    click.echo(f"authorization #{auth_id} revoked as of {received}; now {summary}")


@authorization.command("event")
@click.argument("auth_id", type=ID)
@click.option("--occurred", type=DATE, required=True, help="Day the expiration event occurred.")
@click.option("--note", help="Free-text note.")
@pass_app
def auth_event(app: AppContext, auth_id: int, occurred: date, note: str | None) -> None:
    """Record that the authorization's expiration event has happened."""
    summary = service.authorization_event(app.office, app.actor, auth_id, occurred, note)
    click.echo(f"authorization #{auth_id}: expiration event recorded on {occurred}; now {summary}")


@authorization.command("expiry")
@click.argument("auth_id", type=ID)
@click.option("--expires", type=ExpiryParam(),
              help="Expiration date, or a length of time from the signature ('one year from the date signed').")
@click.option("--expiry-event", help="Expiration event as written, e.g. 'upon settlement of the claim'.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_expiry(app: AppContext, auth_id: int, expires: date | str | None, expiry_event: str | None,
                as_json: bool) -> None:
    """Enter the expiry as written on the form (a date, a length of time, or an event)."""
    fields = AuthorizationFields(**_expiry(expires, expiry_event))
    _show_authorization(service.authorization_expiry(app.office, app.actor, auth_id, fields), as_json)


@authorization.command("flag-false")
@click.argument("auth_id", type=ID)
@click.option("--reason", required=True, help="What is known to be false.")
@pass_app
def auth_flag_false(app: AppContext, auth_id: int, reason: str) -> None:
    """Mark an authorization as containing material information known to be false."""
    click.echo(f"authorization #{auth_id}: {service.authorization_flag_false(app.office, app.actor, auth_id, reason)}")


# ----------------------------------------------------------------- requests
@roi.group("request")
def request() -> None:
    """The log of requests for records and their due dates."""


@request.command("add")
@click.option("--mrn", required=True, help="Patient MRN.")
@click.option("--received", type=DATE, required=True, help="Day the request was received.")
@click.option("--channel", type=click.Choice(service.CHANNELS), required=True)
@click.option("--requester", required=True, help="Who asked.")
@click.option("--recipient", required=True, help="Who is to receive the records.")
@click.option("--address", help="Recipient address.")
@click.option("--basis", type=click.Choice(service.REQUEST_BASES), required=True,
              help="authorization | individual (patient's own access) | legal (subpoena/court order) | other.")
@click.option("--authorization", "authorization_id", type=ID, help="Authorization id (basis authorization).")
@click.option("--legal-reference", help="Subpoena/court order number or the law relied on.")
@click.option("--records", default="", help="Records requested, as written.")
@click.option("--types", help="Document types requested, comma-separated ('all' = entire record).")
@click.option("--from", "info_from", type=DATE, help="Records dated from.")
@click.option("--to", "info_to", type=DATE, help="Records dated up to.")
@pass_app
def request_add(app: AppContext, mrn: str, **kw: Any) -> None:
    """Log a request; prints its due date."""
    check_range(kw["info_from"], kw["info_to"])
    fields = RequestFields(received_on=kw["received"], channel=kw["channel"], requester=kw["requester"],
                           recipient_name=kw["recipient"], recipient_address=kw["address"], basis=kw["basis"],
                           authorization_id=kw["authorization_id"], legal_reference=kw["legal_reference"],
                           records_requested=kw["records"], doc_types=_csv(kw["types"]) or [],
                           info_from=kw["info_from"], info_to=kw["info_to"])
    req = service.request_add(app.office, app.actor, mrn, fields)
    due = f"due {req.due_on}" if req.due_on else "no regulatory due date"
    click.echo(f"request #{req.id} logged for {req.mrn}: {req.basis}, {due}")


@request.command("extend")
@click.argument("request_id", type=ID)
@click.option("--reason", required=True, help="Reason for the delay (tell the individual in writing).")
@pass_app
def request_extend(app: AppContext, request_id: int, reason: str) -> None:
    """Extend an access request's due date once by 30 days."""
    req = service.request_extend(app.office, app.actor, request_id, reason)
    click.echo(f"request #{req.id}: due date extended from {req.original_due_on} to {req.due_on}")


@request.command("close")
@click.argument("request_id", type=ID)
@click.option("--status", type=click.Choice(service.CLOSING_STATUSES), required=True)
@click.option("--reason", help="Why (e.g. the denial reason).")
@pass_app
def request_close(app: AppContext, request_id: int, status: str, reason: str | None) -> None:
    """Close a request without a release (denied or withdrawn) or mark it fulfilled."""
    req = service.request_close(app.office, app.actor, request_id, status, reason)
    click.echo(f"request #{req.id}: {req.status}")


@request.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include closed requests.")
@click.option("--mrn", help="Only this patient.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def request_list(app: AppContext, include_closed: bool, mrn: str | None, as_json: bool) -> None:
    """Open requests, oldest first, with age and days left."""
    rows = service.request_list(app.office, app.actor, include_closed, mrn)
    if as_json:
        _echo_json(rows)
        return
    for d in rows:
        click.echo(views.request_row(d))
    if not rows:
        click.echo("(no open requests)")


# ----------------------------------------------------------------- releases
@roi.command("release")
@click.option("--mrn", required=True, help="Patient MRN.")
@click.option("--documents", "documents", multiple=True, required=True, help="Document ids, e.g. 12,14.")
@click.option("--recipient", required=True, help="Who receives the packet.")
@click.option("--address", help="Recipient address.")
@click.option("--method", type=click.Choice(service.METHODS), required=True)
@click.option("--basis", type=click.Choice(service.RELEASE_BASES), help="Legal basis (default: the request's).")
@click.option("--authorization", "authorization_id", type=ID, help="Authorization id (basis authorization).")
@click.option("--request", "request_id", type=ID, help="The logged request this fulfils.")
@click.option("--purpose", help="Purpose (default: the authorization's).")
@click.option("--legal-reference", help="Subpoena/court order number or the law relied on.")
@click.option("--output", type=OUTPUT,
              help="Packet file to write (default <home>/exports/roi-<reference>.pdf).")
@pass_app
def release_cmd(app: AppContext, mrn: str, documents: tuple[str, ...], **kw: Any) -> None:
    """Record a release and write its packet (refused, exit 6, when the basis does not allow it)."""
    inp = service.ReleaseInput(mrn=mrn, document_ids=_ids(documents), recipient_name=kw["recipient"],
                                recipient_address=kw["address"], method=kw["method"], basis=kw["basis"],
                                authorization_id=kw["authorization_id"], request_id=kw["request_id"],
                                purpose=kw["purpose"], legal_reference=kw["legal_reference"], output=kw["output"])
    out = service.release(app.office, app.actor, inp)
    click.echo(f"release #{out.release_id} ({out.reference}) recorded: {plural(out.record_pages, 'page')} + cover")
    click.echo(f"packet: {out.path}")
    click.echo(f"sha256: {out.sha256}")


@roi.command("releases")
@click.option("--mrn", help="Only this patient.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def releases_cmd(app: AppContext, mrn: str | None, as_json: bool) -> None:
    """Release entries (corrections included), newest first."""
    rows = service.release_list(app.office, app.actor, mrn)
    if as_json:
        _echo_json(rows)
        return
    for d in rows:
        click.echo(views.release_row(d))
    if not rows:
        click.echo("(no releases)")


@roi.command("correct-release")
@click.argument("release_id", type=ID)
@click.option("--reason", required=True, help="What was wrong.")
@click.option("--recipient", help="Corrected recipient name.")
@click.option("--address", help="Corrected recipient address.")
@click.option("--method", type=click.Choice(service.METHODS), help="Corrected method.")
@click.option("--purpose", help="Corrected purpose.")
@click.option("--void", is_flag=True, help="The entry was recorded in error: nothing was disclosed.")
@pass_app
def correct_cmd(app: AppContext, release_id: int, reason: str, recipient: str | None, address: str | None,
                method: str | None, purpose: str | None, void: bool) -> None:
    """Append a correction entry for an earlier release (releases themselves never change)."""
    change = service.Correction(reason=reason, recipient_name=recipient, recipient_address=address,
                                 method=method, purpose=purpose, void=void)
    fix_id = service.correct_release(app.office, app.actor, release_id, change)
    click.echo(f"release #{fix_id} records a correction of release #{release_id}"
               + (" (voided: not disclosed)" if void else ""))


# ----------------------------------------------------------------- accounting
@roi.command("accounting")
@click.argument("mrn")
@click.option("--from", "start", type=DATE, help="Start (default: six years before today).")
@click.option("--to", "end", type=DATE, help="End (default: today).")
@click.option("--all", "include_all", is_flag=True,
              help="Full disclosure report: also TPO, to-the-individual and authorized disclosures.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.option("--output", "-o", type=OUTPUT, help="Write to this file (never overwritten; its folder must exist).")
@pass_app
def accounting_cmd(app: AppContext, mrn: str, start: date | None, end: date | None, include_all: bool,
                   fmt: str, output: Path | None) -> None:
    """Accounting of disclosures for one patient (45 CFR 164.528)."""
    check_range(start, end)
    report = service.accounting(app.office, app.actor, mrn, start, end, include_all, fmt, output)
    if output is None:
        click.echo(report.text, nl=False)
        return
    click.echo(f"{report.entries} entries written to {output}")

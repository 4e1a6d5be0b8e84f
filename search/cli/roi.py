"""``chartfile roi``: release of information — authorizations, requests, releases, accounting.

Commands parse options, call :mod:`indexer.roi` services inside one
transaction with today's date, and print results.  Every command is audited
by the service it calls (or here, for reads).  Output files are written only
where the user asks (``--output``) or under ``<home>/exports/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect

from indexer.audit import record as audit
from indexer.db.engine import Database
from indexer.roi import accounting as acc
from indexer.roi import authorizations as auths
from indexer.roi import lookup, packet, releases, requests, views
from indexer.roi.authorizations import AuthorizationFields
from indexer.roi.expiry import find_duration
from indexer.roi.models import CHANNELS, METHODS
from indexer.roi.requests import REQUEST_BASES, RequestFields
from indexer.roi.scope import plural
from indexer.roi.validation import AuthStatus
from intake.errors import RefusedError
from search.cli.context import AppContext, pass_app


class IsoDate(click.ParamType):
    """A ``YYYY-MM-DD`` date."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date like 2025-03-01", param, ctx)


DATE = IsoDate()


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
            if find_duration(text) is not None:
                return text
            self.fail(f"{value!r} is not a date like 2025-03-01 or a length of time like "
                      "'one year from the date signed'", param, ctx)


def _csv(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def _ids(values: tuple[str, ...]) -> list[int]:
    out: list[int] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                try:
                    out.append(int(part))
                except ValueError as exc:
                    raise click.BadParameter(f"{part!r} is not a document id") from exc
    return out


def _db(app: AppContext) -> Database:
    """The database, with the ROI tables migrated in if this home predates them."""
    db = app.db
    if not inspect(db.engine).has_table("roi_authorizations"):
        db.migrate()
    return db


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
        click.option("--source-document", type=int, help="Document id of the scanned form."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _fields(kw: dict[str, Any]) -> AuthorizationFields:
    return AuthorizationFields(
        discloser=kw["discloser"], recipient_name=kw["recipient"], recipient_address=kw["address"],
        description=kw["description"], doc_types=_csv(kw["types"]), info_from=kw["info_from"],
        info_to=kw["info_to"], purpose=kw["purpose"],
        expires_on=kw["expires"] if isinstance(kw["expires"], date) else None,
        expiry_text=kw["expires"] if isinstance(kw["expires"], str) else None,
        expiration_event=kw["expiry_event"], signed_on=kw["signed"], signer_name=kw["signer"],
        representative_authority=kw["representative_authority"], statements=_csv(kw["statements"]),
        source_document_id=kw["source_document"])


def _show_authorization(s: Any, auth_id: int, as_json: bool, today: date) -> None:
    a = lookup.authorization(s, auth_id)
    d = views.authorization_dict(a, lookup.mrn_of(s, a.patient_id), auths.evaluate(s, a, today))
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
    today = date.today()
    with _db(app).transaction() as s:
        auth, _ = auths.add(s, mrn=mrn, given=_fields(kw), actor=app.user, today=today)
        _show_authorization(s, auth.id, as_json, today)


@authorization.command("confirm")
@click.argument("auth_id", type=int)
@click.option("--mrn", help="Patient MRN, when the draft has none.")
@field_options
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_confirm(app: AppContext, auth_id: int, mrn: str | None, as_json: bool, **kw: Any) -> None:
    """Turn a draft from a scanned form into an active authorization (options fill in fields)."""
    today = date.today()
    with _db(app).transaction() as s:
        auths.confirm(s, auth_id, given=_fields(kw), mrn=mrn, actor=app.user, today=today)
        _show_authorization(s, auth_id, as_json, today)


@authorization.command("show")
@click.argument("auth_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_show(app: AppContext, auth_id: int, as_json: bool) -> None:
    """One authorization with its validation as of today."""
    with _db(app).transaction() as s:
        a = lookup.authorization(s, auth_id)
        auths.audit_view(s, [a], actor=app.user, event="show")
        _show_authorization(s, auth_id, as_json, date.today())


@authorization.command("list")
@click.option("--mrn", help="Only this patient.")
@click.option("--status", type=click.Choice(["active", *[st.value for st in AuthStatus]]),
              help="Only drafts, confirmed ones (active), or one status today (valid, expired, revoked, invalid).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def auth_list(app: AppContext, mrn: str | None, status: str | None, as_json: bool) -> None:
    """Authorizations, newest first, each re-validated as of today."""
    today = date.today()
    with _db(app).transaction() as s:
        stored = status if status in ("draft", "active") else None
        found = auths.list_for(s, mrn=mrn, status=stored)
        rows = [views.authorization_dict(a, lookup.mrn_of(s, a.patient_id), auths.evaluate(s, a, today))
                for a in found]
        if status and not stored:
            rows = [d for d in rows if d["status"] == status]
            found = [a for a in found if a.id in {d["id"] for d in rows}]
        auths.audit_view(s, found, actor=app.user, event="list")
    if as_json:
        _echo_json(rows)
        return
    for d in rows:
        click.echo(views.authorization_row(d))
    if not rows:
        click.echo("(no authorizations)")


@authorization.command("revoke")
@click.argument("auth_id", type=int)
@click.option("--received", type=DATE, required=True, help="Day the office received the written revocation.")
@click.option("--document", "document_id", type=int, help="Document id of the scanned revocation.")
@click.option("--note", help="Free-text note.")
@pass_app
def auth_revoke(app: AppContext, auth_id: int, received: date, document_id: int | None, note: str | None) -> None:
    """Record a written revocation (effective from the day it was received)."""
    with _db(app).transaction() as s:
        v = auths.revoke(s, auth_id, received_on=received, actor=app.user, today=date.today(),
                         revocation_document_id=document_id, note=note)
    click.echo(f"authorization #{auth_id} revoked as of {received}; now {v.summary}")


@authorization.command("event")
@click.argument("auth_id", type=int)
@click.option("--occurred", type=DATE, required=True, help="Day the expiration event occurred.")
@click.option("--note", help="Free-text note.")
@pass_app
def auth_event(app: AppContext, auth_id: int, occurred: date, note: str | None) -> None:
    """Record that the authorization's expiration event has happened."""
    with _db(app).transaction() as s:
        v = auths.record_event(s, auth_id, occurred_on=occurred, actor=app.user, today=date.today(), note=note)
    click.echo(f"authorization #{auth_id}: expiration event recorded on {occurred}; now {v.summary}")


@authorization.command("expiry")
@click.argument("auth_id", type=int)
@click.option("--expires", type=ExpiryParam(),
              help="Expiration date, or a length of time from the signature ('one year from the date signed').")
@click.option("--expiry-event", help="Expiration event as written, e.g. 'upon settlement of the claim'.")
@pass_app
def auth_expiry(app: AppContext, auth_id: int, expires: date | str | None, expiry_event: str | None) -> None:
    """Enter the expiry as written on the form (a date, a length of time, or an event)."""
    given = AuthorizationFields(expires_on=expires if isinstance(expires, date) else None,
                                expiry_text=expires if isinstance(expires, str) else None,
                                expiration_event=expiry_event)
    today = date.today()
    with _db(app).transaction() as s:
        auths.set_expiry(s, auth_id, given=given, actor=app.user, today=today)
        _show_authorization(s, auth_id, False, today)


@authorization.command("flag-false")
@click.argument("auth_id", type=int)
@click.option("--reason", required=True, help="What is known to be false.")
@pass_app
def auth_flag_false(app: AppContext, auth_id: int, reason: str) -> None:
    """Mark an authorization as containing material information known to be false."""
    with _db(app).transaction() as s:
        v = auths.flag_false(s, auth_id, reason=reason, actor=app.user, today=date.today())
    click.echo(f"authorization #{auth_id}: {v.summary}")


# ----------------------------------------------------------------- requests
@roi.group("request")
def request() -> None:
    """The log of requests for records and their due dates."""


@request.command("add")
@click.option("--mrn", required=True, help="Patient MRN.")
@click.option("--received", type=DATE, required=True, help="Day the request was received.")
@click.option("--channel", type=click.Choice(CHANNELS), required=True)
@click.option("--requester", required=True, help="Who asked.")
@click.option("--recipient", required=True, help="Who is to receive the records.")
@click.option("--address", help="Recipient address.")
@click.option("--basis", type=click.Choice(REQUEST_BASES), required=True,
              help="authorization | individual (patient's own access) | legal (subpoena/court order) | other.")
@click.option("--authorization", "authorization_id", type=int, help="Authorization id (basis authorization).")
@click.option("--legal-reference", help="Subpoena/court order number or the law relied on.")
@click.option("--records", default="", help="Records requested, as written.")
@click.option("--types", help="Document types requested, comma-separated ('all' = entire record).")
@click.option("--from", "info_from", type=DATE, help="Records dated from.")
@click.option("--to", "info_to", type=DATE, help="Records dated up to.")
@pass_app
def request_add(app: AppContext, mrn: str, **kw: Any) -> None:
    """Log a request; prints its due date."""
    fields = RequestFields(received_on=kw["received"], channel=kw["channel"], requester=kw["requester"],
                           recipient_name=kw["recipient"], recipient_address=kw["address"], basis=kw["basis"],
                           authorization_id=kw["authorization_id"], legal_reference=kw["legal_reference"],
                           records_requested=kw["records"], doc_types=_csv(kw["types"]) or [],
                           info_from=kw["info_from"], info_to=kw["info_to"])
    with _db(app).transaction() as s:
        req = requests.add(s, mrn=mrn, fields=fields, actor=app.user, today=date.today())
        due = f"due {req.due_on}" if req.due_on else "no regulatory due date"
        click.echo(f"request #{req.id} logged for {req.patient.mrn}: {req.basis}, {due}")


@request.command("extend")
@click.argument("request_id", type=int)
@click.option("--reason", required=True, help="Reason for the delay (tell the individual in writing).")
@pass_app
def request_extend(app: AppContext, request_id: int, reason: str) -> None:
    """Extend an access request's due date once by 30 days."""
    with _db(app).transaction() as s:
        req = requests.extend(s, request_id, reason=reason, actor=app.user, today=date.today())
        click.echo(f"request #{req.id}: due date extended from {req.original_due_on} to {req.due_on}")


@request.command("close")
@click.argument("request_id", type=int)
@click.option("--status", type=click.Choice(requests.CLOSING_STATUSES), required=True)
@click.option("--reason", help="Why (e.g. the denial reason).")
@pass_app
def request_close(app: AppContext, request_id: int, status: str, reason: str | None) -> None:
    """Close a request without a release (denied or withdrawn) or mark it fulfilled."""
    with _db(app).transaction() as s:
        req = requests.close(s, request_id, status=status, reason=reason, actor=app.user, today=date.today())
        click.echo(f"request #{req.id}: {req.status}")


@request.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include closed requests.")
@click.option("--mrn", help="Only this patient.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def request_list(app: AppContext, include_closed: bool, mrn: str | None, as_json: bool) -> None:
    """Open requests, oldest first, with age and days left."""
    with _db(app).transaction() as s:
        found = requests.list_requests(s, today=date.today(), include_closed=include_closed, mrn=mrn)
        rows = [views.request_dict(o, o.request.patient.mrn) for o in found]
        audit(s, actor=app.user, action="R", event_type="roi.request.list", patient_mrn=mrn.upper() if mrn else None,
              detail=json.dumps({"requests": [r["id"] for r in rows]}))
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
@click.option("--method", type=click.Choice(METHODS), required=True)
@click.option("--basis", type=click.Choice(releases.BASES), help="Legal basis (default: the request's).")
@click.option("--authorization", "authorization_id", type=int, help="Authorization id (basis authorization).")
@click.option("--request", "request_id", type=int, help="The logged request this fulfils.")
@click.option("--purpose", help="Purpose (default: the authorization's).")
@click.option("--legal-reference", help="Subpoena/court order number or the law relied on.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Packet file to write (default <home>/exports/roi-<reference>.pdf).")
@pass_app
def release_cmd(app: AppContext, mrn: str, documents: tuple[str, ...], **kw: Any) -> None:
    """Record a release and write its packet (refused, exit 6, when the basis does not allow it)."""
    inp = releases.ReleaseInput(mrn=mrn, document_ids=_ids(documents), recipient_name=kw["recipient"],
                                recipient_address=kw["address"], method=kw["method"], basis=kw["basis"],
                                authorization_id=kw["authorization_id"], request_id=kw["request_id"],
                                purpose=kw["purpose"], legal_reference=kw["legal_reference"], output=kw["output"])
    out = releases.release(_db(app), inp, actor=app.user, today=date.today())
    click.echo(f"release #{out.release_id} ({out.reference}) recorded: {plural(out.record_pages, 'page')} + cover")
    click.echo(f"packet: {out.path}")
    click.echo(f"sha256: {out.sha256}")


@roi.command("releases")
@click.option("--mrn", help="Only this patient.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def releases_cmd(app: AppContext, mrn: str | None, as_json: bool) -> None:
    """Release entries (corrections included), newest first."""
    with _db(app).transaction() as s:
        found = releases.list_releases(s, mrn=mrn)
        rows = [views.release_dict(r, r.patient.mrn) for r in found]
        audit(s, actor=app.user, action="R", event_type="roi.release.list", patient_mrn=mrn.upper() if mrn else None,
              document_ids=[i for r in rows for i in r["document_ids"]],
              detail=json.dumps({"releases": [r["id"] for r in rows]}))
    if as_json:
        _echo_json(rows)
        return
    for d in rows:
        click.echo(views.release_row(d))
    if not rows:
        click.echo("(no releases)")


@roi.command("correct-release")
@click.argument("release_id", type=int)
@click.option("--reason", required=True, help="What was wrong.")
@click.option("--recipient", help="Corrected recipient name.")
@click.option("--address", help="Corrected recipient address.")
@click.option("--method", type=click.Choice(METHODS), help="Corrected method.")
@click.option("--purpose", help="Corrected purpose.")
@click.option("--void", is_flag=True, help="The entry was recorded in error: nothing was disclosed.")
@pass_app
def correct_cmd(app: AppContext, release_id: int, reason: str, recipient: str | None, address: str | None,
                method: str | None, purpose: str | None, void: bool) -> None:
    """Append a correction entry for an earlier release (releases themselves never change)."""
    change = releases.Correction(reason=reason, recipient_name=recipient, recipient_address=address,
                                 method=method, purpose=purpose, void=void)
    with _db(app).transaction() as s:
        fix = releases.correct(s, release_id, change, actor=app.user)
        click.echo(f"release #{fix.id} records a correction of release #{release_id}"
                   + (" (voided: not disclosed)" if void else ""))


# ----------------------------------------------------------------- accounting
@roi.command("accounting")
@click.argument("mrn")
@click.option("--from", "start", type=DATE, help="Start (default: six years before today).")
@click.option("--to", "end", type=DATE, help="End (default: today).")
@click.option("--all", "include_all", is_flag=True,
              help="Full disclosure report: also TPO, to-the-individual and authorized disclosures.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@pass_app
def accounting_cmd(app: AppContext, mrn: str, start: date | None, end: date | None, include_all: bool,
                   fmt: str, output: Path | None) -> None:
    """Accounting of disclosures for one patient (45 CFR 164.528)."""
    today = date.today()
    default_start, default_end = acc.default_window(today)
    start, end = start or default_start, end or default_end
    if output is not None and output.exists():
        raise RefusedError(f"{output} already exists; reports are never overwritten", hint="choose another file")
    with _db(app).transaction() as s:
        patient = lookup.patient_by_mrn(s, mrn)
        found = acc.entries(s, patient.id, start, end, include_all=include_all)
        text = acc.render(fmt, patient.mrn, start, end, found, include_all=include_all, today=today)
        audit(s, actor=app.user, action="R", event_type="roi.accounting", patient_mrn=patient.mrn,
              document_ids=acc.document_ids(s, found),
              detail=f"{'full report' if include_all else 'accounting'} {start}..{end}: {len(found)} entries, "
                     f"{fmt}{', to file' if output else ''}")
    if output is None:
        click.echo(text, nl=False)
        return
    packet.publish(packet.stage(text.encode("utf-8"), output), output)  # private (0600), never overwrites
    click.echo(f"{len(found)} entries written to {output}")

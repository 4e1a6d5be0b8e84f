"""``chartfile users``: the people who log in to the web app or call the API, and their roles.

Parses options and prints; the logic (hashing, lockout, audit) is in
:mod:`chartfile.service.users`.  Passwords are read from standard input
(``--password-stdin``: the first line) or prompted for without echo, never
taken from the command line, where other users could see them.
"""

from __future__ import annotations

import json
import sys

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.service import users as svc
from chartfile.service.actor import Role
from intake.errors import InputError, UsageError

ROLE_CHOICE = click.Choice([r.value for r in Role])


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InputError("no password on standard input", hint="e.g. printf '%s\\n' \"$PW\" | chartfile ...")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask for the password", hint="Pass --password-stdin and pipe it in.")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("users")
def users() -> None:
    """People who may log in, their roles (clerk, roi, privacy, provider, admin) and API tokens."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=ROLE_CHOICE, required=True, help="What the person does.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--no-password", is_flag=True, help="Create without a password (API token only, or set one later).")
@click.option("--generate-password", is_flag=True,
              help="Make up a strong password and print it once (for a demo or a first administrator).")
@click.option("--exist-ok", is_flag=True,
              help="If the user exists with this role, give them the new password instead of failing.")
@pass_app
def add_cmd(app: AppContext, username: str, role: str, password_stdin: bool, no_password: bool,
            generate_password: bool, exist_ok: bool) -> None:
    """Create a user (asks for the password unless --password-stdin, --generate-password or --no-password)."""
    if sum((password_stdin, no_password, generate_password)) > 1:
        raise UsageError("choose one of --password-stdin, --no-password, --generate-password")
    if generate_password:
        password: str | None = svc.generate_password()
    else:
        password = None if no_password else _read_password(password_stdin)
    name = username.strip().lower()
    if exist_ok and svc.user_role(app.office, app.actor, name) == role:
        if password is not None:
            svc.set_password(app.office, app.actor, name, password)
        click.echo(f"user {name} exists ({role}){'; password changed' if password is not None else ''}")
    else:
        svc.add_user(app.office, app.actor, username, Role(role), password)
        click.echo(f"user {name} added ({role})")
    if generate_password:
        click.echo(f"password for {name} (shown once): {password}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Every user with role, status (active, locked, disabled), TOTP and token count."""
    rows = svc.list_users(app.office, app.actor)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.as_dict()))
        return
    if not rows:
        click.echo("No users yet. Add one: chartfile users add NAME --role admin")
    for row in rows:
        d = row.as_dict()
        click.echo(f"{row.username:<20} {row.role:<9} {row.status:<12} totp {'yes' if row.totp else 'no ':<3} "
                   f"tokens {row.tokens}  last login {d['last_login_at'] or 'never'}")


@users.command("disable")
@click.argument("username")
@pass_app
def disable_cmd(app: AppContext, username: str) -> None:
    """Stop a user logging in (ends their sessions; their API tokens stop working)."""
    svc.set_disabled(app.office, app.actor, username, True)
    click.echo(f"user {username} disabled")


@users.command("enable")
@click.argument("username")
@pass_app
def enable_cmd(app: AppContext, username: str) -> None:
    """Let a disabled or locked-out user log in again."""
    svc.set_disabled(app.office, app.actor, username, False)
    click.echo(f"user {username} enabled")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_app
def passwd_cmd(app: AppContext, username: str, password_stdin: bool) -> None:
    """Set a new password (ends the user's open sessions, lifts a lockout)."""
    svc.set_password(app.office, app.actor, username, _read_password(password_stdin))
    click.echo(f"password of {username} changed")


@users.command("role")
@click.argument("username")
@click.argument("role", type=ROLE_CHOICE)
@pass_app
def role_cmd(app: AppContext, username: str, role: str) -> None:
    """Change a user's role (ends their open sessions)."""
    svc.set_role(app.office, app.actor, username, Role(role))
    click.echo(f"{username} is now {role}")


@users.command("token")
@click.argument("username")
@click.option("--revoke-others", is_flag=True, help="Revoke the user's earlier tokens.")
@click.option("--revoke", is_flag=True, help="Only revoke every token of the user; issue none.")
@pass_app
def token_cmd(app: AppContext, username: str, revoke_others: bool, revoke: bool) -> None:
    """Print a new API token once (Authorization: Bearer TOKEN); it cannot be shown again."""
    if revoke:
        n = svc.revoke_tokens(app.office, app.actor, username)
        click.echo(f"{n} token(s) of {username} revoked")
        return
    click.echo(svc.issue_token(app.office, app.actor, username, revoke_others=revoke_others))


@users.command("totp")
@click.argument("username")
@click.option("--remove", is_flag=True, help="Remove the second factor instead.")
@pass_app
def totp_cmd(app: AppContext, username: str, remove: bool) -> None:
    """Require a six-digit authenticator code at login: prints the otpauth:// URI to enrol once."""
    if remove:
        svc.remove_totp(app.office, app.actor, username)
        click.echo(f"second factor of {username} removed")
        return
    click.echo(svc.enroll_totp(app.office, app.actor, username))

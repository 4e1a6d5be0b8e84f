"""Managing the people who use Chartfile: add, list, disable, enable, passwords, API tokens, TOTP.

Owns every change to ``users`` and ``api_tokens``; each one is an audit event
naming who made it.  Usernames are lower-case; one account per person (HIPAA
unique user identification, 164.312(a)(2)(i)).  A new password must be at
least ``web.password_min_length`` characters; setting it ends the user's other
sessions.  Disabling ends all sessions and stops the user's API tokens.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chartfile.service.actor import Actor, Role
from chartfile.service.auth import digest, hash_password, new_token
from chartfile.service.auth_models import ApiToken, User
from chartfile.service.auth_sessions import EndReason, end_user_sessions
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer.audit import record as audit
from indexer.db.models import utcnow
from intake.errors import InputError, NotFoundError, RefusedError

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
TOTP_ISSUER = "Chartfile"


@dataclass(frozen=True)
class UserRow:
    """One user as listed (no secrets)."""

    username: str
    role: str
    status: str  # active | disabled | locked | no password
    totp: bool
    tokens: int
    last_login_at: datetime | None
    created_at: datetime

    def as_dict(self) -> dict[str, object]:
        fmt = "%Y-%m-%d %H:%M"
        return {"username": self.username, "role": self.role, "status": self.status, "totp": self.totp,
                "tokens": self.tokens, "created_at": self.created_at.strftime(fmt),
                "last_login_at": self.last_login_at.strftime(fmt) if self.last_login_at else None}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InputError(f"unknown role {value!r}", hint=f"Roles: {', '.join(r.value for r in Role)}.") from None


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InputError(f"invalid username {username!r}",
                         hint="2-40 characters: a letter, then letters, digits, '.', '_' or '-'.")
    return name


def check_password(office: Office, password: str) -> str:
    minimum = office.cfg.web.password_min_length
    if len(password) < minimum:
        raise InputError(f"the password is too short (at least {minimum} characters)",
                         hint="A passphrase of several words is easy to remember and hard to guess.")
    if len(password) > 1024:
        raise InputError("the password is too long (at most 1024 characters)")
    return password


def _get(s: Session, username: str) -> User:
    user = s.scalars(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFoundError(f"no user {username!r}", hint="List them with: chartfile users list")
    return user


def generate_password() -> str:
    """A random password of five words' strength (about 100 bits), easy to type from a screen."""
    alphabet = "abcdefghijkmnopqrstuvwxyz23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4)]
    return "-".join(groups)


def user_role(office: Office, actor: Actor, username: str) -> str | None:
    """The user's role, or None when there is no such user."""
    require(actor, Action.USERS_MANAGE)
    with office.db.read() as s:
        return s.scalars(select(User.role).where(User.username == username.strip().lower())).first()


def add_user(office: Office, actor: Actor, username: str, role: Role, password: str | None) -> None:
    """Create a user; without a password the account cannot log in to the web until one is set."""
    require(actor, Action.USERS_MANAGE)
    name = check_username(username)
    pw_hash = hash_password(check_password(office, password)) if password is not None else None
    with office.db.transaction() as s:
        if s.scalars(select(User.id).where(User.username == name)).first() is not None:
            raise RefusedError(f"user {name!r} already exists", hint="Change it with 'chartfile users passwd'.")
        s.add(User(username=name, role=str(role), password_hash=pw_hash, created_by=actor.audit_name,
                   password_changed_at=utcnow() if pw_hash else None))
        audit(s, actor=actor.audit_name, action="C", event_type="user.add", detail=f"user {name} role {role}")


def list_users(office: Office, actor: Actor) -> list[UserRow]:
    """Every user (no secrets), by name."""
    require(actor, Action.USERS_MANAGE)
    now = utcnow()
    with office.db.read() as s:
        tokens = {int(uid): int(n) for uid, n in s.execute(
            select(ApiToken.user_id, func.count()).where(ApiToken.revoked_at.is_(None)).group_by(ApiToken.user_id))}
        users = s.scalars(select(User).order_by(User.username)).all()
    return [UserRow(u.username, u.role, _status(u, now), bool(u.totp_secret), tokens.get(u.id, 0),
                    u.last_login_at, u.created_at) for u in users]


def _status(user: User, now: datetime) -> str:
    if user.disabled:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    return "active" if user.password_hash else "no password"


def set_disabled(office: Office, actor: Actor, username: str, disabled: bool) -> None:
    """Disable (ends sessions, stops tokens) or re-enable an account; enabling also lifts a lockout."""
    require(actor, Action.USERS_MANAGE)
    with office.db.transaction() as s:
        user = _get(s, username)
        if disabled and user.username == actor.username:
            raise RefusedError("you cannot disable your own account", hint="Ask another administrator.")
        user.disabled = disabled
        user.failed_logins = 0
        user.locked_until = None
        if disabled:
            end_user_sessions(s, user.id, EndReason.DISABLED)
        audit(s, actor=actor.audit_name, action="U", event_type="user.disable" if disabled else "user.enable",
              detail=f"user {user.username}")


def set_password(office: Office, actor: Actor, username: str, password: str) -> None:
    """Set a new password; the user's open sessions end, a lockout is lifted."""
    require(actor, Action.USERS_MANAGE)
    pw_hash = hash_password(check_password(office, password))
    with office.db.transaction() as s:
        user = _get(s, username)
        user.password_hash = pw_hash
        user.password_changed_at = utcnow()
        user.failed_logins = 0
        user.locked_until = None
        end_user_sessions(s, user.id, EndReason.LOGOUT)
        audit(s, actor=actor.audit_name, action="U", event_type="user.passwd", detail=f"user {user.username}")


def set_role(office: Office, actor: Actor, username: str, role: Role) -> None:
    """Change a user's role (their open sessions end)."""
    require(actor, Action.USERS_MANAGE)
    with office.db.transaction() as s:
        user = _get(s, username)
        if user.username == actor.username and role != Role.ADMIN:
            raise RefusedError("you cannot take the admin role from yourself", hint="Ask another administrator.")
        old, user.role = user.role, str(role)
        end_user_sessions(s, user.id, EndReason.LOGOUT)
        audit(s, actor=actor.audit_name, action="U", event_type="user.role",
              detail=f"user {user.username} {old} -> {role}")


def issue_token(office: Office, actor: Actor, username: str, revoke_others: bool = False) -> str:
    """A new API token for the user, returned once (only its digest is stored)."""
    require(actor, Action.USERS_MANAGE)
    token = new_token()
    with office.db.transaction() as s:
        user = _get(s, username)
        if user.disabled:
            raise RefusedError(f"user {user.username!r} is disabled", hint="Enable the account first.")
        if revoke_others:
            s.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                      .values(revoked_at=utcnow()))
        s.add(ApiToken(user_id=user.id, digest=digest(token)))
        audit(s, actor=actor.audit_name, action="C", event_type="user.token",
              detail=f"user {user.username}{' (older tokens revoked)' if revoke_others else ''}")
    return token


def revoke_tokens(office: Office, actor: Actor, username: str) -> int:
    """Revoke every API token of the user; returns how many."""
    require(actor, Action.USERS_MANAGE)
    with office.db.transaction() as s:
        user = _get(s, username)
        result: Any = s.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))
        n = result.rowcount
        audit(s, actor=actor.audit_name, action="U", event_type="user.token.revoke",
              detail=f"user {user.username}: {n}")
    return int(n or 0)


def enroll_totp(office: Office, actor: Actor, username: str) -> str:
    """Give the user a new TOTP seed; returns the otpauth:// URI to put in an authenticator app."""
    require(actor, Action.USERS_MANAGE)
    secret = pyotp.random_base32()
    with office.db.transaction() as s:
        user = _get(s, username)
        user.totp_secret = secret
        audit(s, actor=actor.audit_name, action="U", event_type="user.totp", detail=f"user {user.username}: enrolled")
        name = user.username
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)


def remove_totp(office: Office, actor: Actor, username: str) -> None:
    """Stop asking the user for an authenticator code."""
    require(actor, Action.USERS_MANAGE)
    with office.db.transaction() as s:
        user = _get(s, username)
        user.totp_secret = None
        audit(s, actor=actor.audit_name, action="U", event_type="user.totp", detail=f"user {user.username}: removed")

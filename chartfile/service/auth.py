"""Who is asking: passwords, lockout, TOTP and API tokens (HIPAA 164.312(a)(2)(i), (d)).

Owns checking credentials.  Passwords are argon2id hashes (argon2-cffi);
``web.lockout_attempts`` wrong tries in a row lock an account for
``web.lockout_minutes``; a user with a TOTP seed must also give the current
six-digit code (pyotp).  API tokens are 256-bit random strings of which only
the SHA-256 digest is stored.  Every login, failure, lockout and logout is an
audit event.  The failure message never says which part was wrong, so it does
not tell a guesser which usernames exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.auth_models import ApiToken, User
from chartfile.service.office import Office
from indexer.audit import record as audit
from indexer.audit.context import set_identity
from indexer.db.models import utcnow
from intake.config import Config
from intake.errors import ChartfileError, ExitCode

TOKEN_PREFIX = "cf_"
ANONYMOUS = "anonymous"
TOUCH_SECONDS = 60  # last-used timestamps are refreshed at most this often (saves a write per request)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password; evens out the time of unknown usernames")


class AuthenticationError(ChartfileError):
    """Credentials missing, wrong, expired, or the account cannot log in now."""

    exit_code = ExitCode.REFUSED
    http_status = 401
    hint = "Check your username and password; ask an administrator if your account is locked or disabled."


LOGIN_FAILED = ("Wrong username, password or code — or the account is locked or disabled. "
                "After repeated failures an account is locked for a while.")


@dataclass(frozen=True)
class Principal:
    """An authenticated person."""

    user_id: int
    username: str
    role: Role

    def actor(self, channel: Channel) -> Actor:
        """The Actor the service layer records for this person on the web or the API."""
        return Actor(username=self.username, role=self.role, os_login="", channel=channel)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def digest(secret: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (session id, API token)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _password_ok(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches (a dummy hash is checked when there is none: same time either way)."""
    ok: bool
    try:
        ok = bool(_hasher.verify(password_hash or _DUMMY_HASH, password))
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and bool(password_hash)


def _otp_ok(user: User, otp: str) -> bool:
    if not user.totp_secret:
        return True
    code = "".join(ch for ch in otp if ch.isdigit())
    return len(code) == 6 and pyotp.TOTP(user.totp_secret).verify(code, valid_window=1)


def _why_refused(user: User | None, now: datetime) -> str | None:
    if user is None:
        return "unknown user"
    if user.disabled:
        return "account disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "account locked"
    return None


def authenticate(office: Office, username: str, password: str, otp: str = "",
                 client: str | None = None, channel: Channel = Channel.WEB) -> Principal:
    """Check a login; on failure count it (locking the account at the limit) and raise.

    The audit events record the channel, and on success the user's role (a failed login has none).
    """
    name = username.strip().lower()
    set_identity(acting_for=None, channel=channel.value, role=None)
    # the password hash is checked (argon2, tens of ms) before the write lock is taken, so a room full of
    # clerks logging in at once does not hold up every audited page behind it
    with office.db.read() as s:
        checked = s.scalars(select(User.password_hash).where(User.username == name)).first()
    password_ok = _password_ok(checked, password)  # always run: same time whether the user exists
    with office.db.transaction() as s:
        user = s.scalars(select(User).where(User.username == name)).first()
        now = utcnow()
        refused = _why_refused(user, now)
        if user is not None and user.password_hash != checked:  # changed meanwhile: check the new one
            password_ok = _password_ok(user.password_hash, password)
        if refused is None and user is not None and password_ok and _otp_ok(user, otp):
            set_identity(acting_for=None, channel=channel.value, role=user.role)
            _succeeded(s, user, password, now, client)
            return Principal(user.id, user.username, Role(user.role))
        _failed(s, office.cfg, user, refused or ("wrong code" if password_ok else "wrong password"), now, client)
    raise AuthenticationError(LOGIN_FAILED)


def _succeeded(s: Session, user: User, password: str, now: datetime, client: str | None) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    audit(s, actor=user.username, action="E", event_type="auth.login", client=client, detail=f"role {user.role}")


def _failed(s: Session, cfg: Config, user: User | None, why: str, now: datetime, client: str | None) -> None:
    actor = user.username if user is not None else ANONYMOUS
    audit(s, actor=actor, action="E", event_type="auth.login", outcome="failure", client=client, detail=why)
    if user is None or why in {"account disabled", "account locked"}:
        return
    user.failed_logins += 1
    if user.failed_logins >= cfg.web.lockout_attempts:
        user.locked_until = now + timedelta(minutes=cfg.web.lockout_minutes)
        user.failed_logins = 0
        audit(s, actor=actor, action="E", event_type="auth.lockout", outcome="failure", client=client,
              detail=f"locked for {cfg.web.lockout_minutes:g} minutes after {cfg.web.lockout_attempts} failed logins")


def new_token() -> str:
    """A fresh API token (shown once; only its digest is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def resolve_token(office: Office, token: str) -> Principal:
    """The user behind an ``Authorization: Bearer`` token, or AuthenticationError."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise AuthenticationError("invalid API token")
    wanted = digest(token)
    with office.db.read() as s:
        row = s.execute(select(ApiToken, User).join(User, ApiToken.user_id == User.id)
                        .where(ApiToken.digest == wanted)).first()
    if row is None or not hmac.compare_digest(row[0].digest, wanted):
        raise AuthenticationError("invalid API token", hint="Ask an administrator: chartfile users token USERNAME")
    tok, user = row
    now = utcnow()
    if tok.revoked_at is not None or user.disabled:
        raise AuthenticationError("this API token was revoked or its user disabled")
    if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > TOUCH_SECONDS:
        with office.db.transaction() as s:
            live = s.get(ApiToken, tok.id)
            if live is not None:
                live.last_used_at = now
    return Principal(user.id, user.username, Role(user.role))

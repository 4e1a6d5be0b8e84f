"""Web sessions: started at login, ended at logout, after idle time, or at their maximum age.

Owns the ``web_sessions`` rows.  The browser holds a random session id (cookie);
the database holds its SHA-256 digest, the user and a per-session CSRF token.
A session idle for ``web.idle_minutes`` is ended at its next request (automatic
logoff, HIPAA 164.312(a)(2)(iii)); one older than ``web.session_hours`` too.
Ending a session is audited with its reason.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chartfile.service.actor import Channel, Role
from chartfile.service.auth import TOUCH_SECONDS, AuthenticationError, Principal, digest
from chartfile.service.auth_models import User, WebSession
from chartfile.service.office import Office
from indexer.audit import record as audit
from indexer.audit.context import set_identity
from indexer.db.models import utcnow
from intake.config import Config

SESSION_TOUCH_SECONDS = min(TOUCH_SECONDS, 30)


class EndReason(StrEnum):
    LOGOUT = "logout"
    IDLE = "idle"
    EXPIRED = "expired"
    DISABLED = "disabled"


@dataclass(frozen=True)
class WebLogin:
    """A live session as the web layer sees it."""

    principal: Principal
    csrf_token: str
    session_id: int


class SessionEnded(AuthenticationError):
    """The session existed but has ended (idle logoff, maximum age, logout)."""

    def __init__(self, reason: EndReason) -> None:
        messages = {
            EndReason.IDLE: "You were logged off after a period without activity. Please log in again.",
            EndReason.EXPIRED: "Your session reached its maximum length. Please log in again.",
        }
        super().__init__(messages.get(reason, "Please log in."))
        self.reason = reason


def start_session(office: Office, principal: Principal) -> tuple[str, WebLogin]:
    """Open a session for a user who just authenticated; returns (cookie value, login)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with office.db.transaction() as s:
        row = WebSession(digest=digest(token), user_id=principal.user_id, csrf_token=csrf)
        s.add(row)
        s.flush()
        sid = row.id
    return token, WebLogin(principal, csrf, sid)


def _expiry(cfg: Config, row: WebSession, now: datetime) -> EndReason | None:
    if now - row.last_seen_at > timedelta(minutes=cfg.web.idle_minutes):
        return EndReason.IDLE
    if now - row.created_at > timedelta(hours=cfg.web.session_hours):
        return EndReason.EXPIRED
    return None


def resolve_session(office: Office, token: str, client: str | None = None) -> WebLogin:
    """The live session behind a cookie value; ends it (and raises) when it is over."""
    if not token or len(token) > 100:
        raise AuthenticationError("Please log in.")
    wanted = digest(token)
    with office.db.read() as s:
        row = s.execute(select(WebSession, User).join(User, WebSession.user_id == User.id)
                        .where(WebSession.digest == wanted)).first()
    if row is None or not hmac.compare_digest(row[0].digest, wanted) or row[0].ended_at is not None:
        raise AuthenticationError("Please log in.")
    sess, user = row
    now = utcnow()
    reason = EndReason.DISABLED if user.disabled else _expiry(office.cfg, sess, now)
    if reason is not None:
        end_session(office, sess.id, reason, user.username, client, role=Role(user.role))
        raise SessionEnded(reason)
    if (now - sess.last_seen_at).total_seconds() > SESSION_TOUCH_SECONDS:
        with office.db.transaction() as s:
            s.execute(update(WebSession).where(WebSession.id == sess.id).values(last_seen_at=now))
    return WebLogin(Principal(user.id, user.username, Role(user.role)), sess.csrf_token, sess.id)


def end_session(office: Office, session_id: int, reason: EndReason, username: str, client: str | None = None,
                role: Role | None = None) -> None:
    """Close one session (idempotent) and audit why (channel web, the user's role)."""
    set_identity(acting_for=None, channel=Channel.WEB.value, role=role.value if role else None)
    with office.db.transaction() as s:
        result: Any = s.execute(update(WebSession).where(WebSession.id == session_id, WebSession.ended_at.is_(None))
                                .values(ended_at=utcnow(), end_reason=str(reason)))
        done = result.rowcount
        if done:
            audit(s, actor=username, action="E", event_type="auth.logout", client=client, detail=str(reason))


def end_user_sessions(s: Session, user_id: int, reason: EndReason) -> int:
    """Close every open session of a user inside the caller's transaction (disable, new password)."""
    result: Any = s.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
                       .values(ended_at=utcnow(), end_reason=str(reason)))
    return int(result.rowcount or 0)


def csrf_ok(login: WebLogin, presented: str | None) -> bool:
    """Constant-time comparison of the CSRF token a form or htmx request carried."""
    return bool(presented) and hmac.compare_digest(login.csrf_token, presented or "")

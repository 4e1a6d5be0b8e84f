"""Who is acting: the :class:`Actor` every service command and query takes.

Owns the identity a front end hands to the service layer — the user name
recorded in the audit trail, their role (what :mod:`chartfile.service.permissions`
allows), the operating-system login behind the session, the channel the
request came through and, when a clerk acts on someone else's behalf, whom
for.  Front ends build an ``Actor``; the service layer never guesses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a user does in the office (permissions are granted per role)."""

    CLERK = "clerk"
    ROI = "roi"
    PRIVACY = "privacy"
    PROVIDER = "provider"
    ADMIN = "admin"


class Channel(StrEnum):
    """How the request reached the service layer."""

    CLI = "cli"
    WEB = "web"
    API = "api"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """One person (or the system) acting through one channel."""

    username: str
    role: Role
    os_login: str
    channel: Channel
    acting_for: str | None = None

    @property
    def audit_name(self) -> str:
        """The name recorded as the actor of audit events."""
        return self.username


SYSTEM = Actor(username="system", role=Role.ADMIN, os_login="", channel=Channel.SYSTEM)

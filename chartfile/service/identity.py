"""Who is acting on the command line: the OS login, whom for, and with which role.

Owns the CLI's identity rules (docs/audit.md, "Who acted"):

- the actor is the operating-system account of the process, from the kernel
  (never ``$USER``, which anyone can set);
- ``--user NAME`` must be a printable name (no control or bidirectional
  characters, at most 80 characters, not the reserved ``system``); it is
  recorded as *acting for* when it differs from the login, and never grants
  a role;
- the role is that of the users-table user named like the login; failing
  that, the account that owns the data home (the service account, which can
  read the database and the audit key anyway) is admin; any other account has
  no role and is refused.
"""

from __future__ import annotations

import os

from sqlalchemy import inspect, text

from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.permissions import PermissionDenied
from indexer.audit.context import os_login
from indexer.db.engine import Database, reader
from intake.config import Config, bad_text
from intake.errors import UsageError

MAX_NAME = 80
RESERVED = frozenset({"system"})
__all__ = ["check_user_name", "cli_actor", "os_login", "owns_home"]


def check_user_name(value: str) -> str:
    """A ``--user`` value fit to be recorded, or UsageError (exit 2) saying why not."""
    name = value.strip()
    if not name:
        raise UsageError("--user needs a name")
    problem = bad_text(name)
    if problem:
        raise UsageError(f"--user {problem}", hint="Give the person's user name, as typed letters and digits.")
    if len(name) > MAX_NAME:
        raise UsageError(f"--user is longer than {MAX_NAME} characters")
    if name.lower() in RESERVED:
        raise UsageError(f"--user {name!r} is reserved for automatic work",
                         hint="Name the person acting; automatic work is recorded as 'system' by itself.")
    return name


def _user_role(db: Database, username: str) -> Role | None:
    """The role of an active users-table user of this name (None: no such user, or no users table yet)."""
    if not inspect(reader(db.engine)).has_table("users"):
        return None
    with db.read() as s:
        row = s.execute(text("SELECT role, disabled FROM users WHERE username = :u"), {"u": username}).first()
    if row is None or row[1]:
        return None
    try:
        return Role(str(row[0]))
    except ValueError:
        return None


def owns_home(cfg: Config) -> bool:
    """Whether this process runs as the account that owns the data home (the service account)."""
    try:
        return cfg.home.stat().st_uid == os.geteuid()
    except OSError:
        return False


def cli_actor(cfg: Config, db: Database, user: str | None) -> Actor:
    """The actor of one CLI run; PermissionDenied (exit 6) for an account with no role here."""
    login = os_login()
    role = _user_role(db, login)
    if role is None and owns_home(cfg):
        role = Role.ADMIN
    if role is None:
        raise PermissionDenied(f"the OS account {login!r} has no Chartfile role for this data home",
                               hint=f"Ask an administrator to add a user named {login!r} with a role, or run as "
                                    "the account that owns the data home.")
    acting_for = user if user and user != login else None
    return Actor(username=login, role=role, os_login=login, channel=Channel.CLI, acting_for=acting_for)

"""Shared state of one CLI invocation: the configuration, the acting user, the office opened on demand.

The configuration is parsed once here (from ``--home``/``CHARTFILE_HOME``,
``chartfile.toml`` and ``CHARTFILE_*``) and handed to every command.  The
office (database and index of the data home) is opened by the service layer
only when a command needs it, so ``--help`` works anywhere and a missing or
out-of-date data home is refused with a fix-it hint (exit 5).
"""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass, field

import click

from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.office import Office, open_office
from intake.config import Config
from intake.errors import ChartfileError


@dataclass
class AppContext:
    """What every command receives."""

    cfg: Config
    user: str = field(default_factory=getpass.getuser)
    _office: Office | None = None

    @property
    def actor(self) -> Actor:
        """Who is acting: ``--user`` or the login name (administrator role until users exist)."""
        return Actor(username=self.user, role=Role.ADMIN, os_login=getpass.getuser(), channel=Channel.CLI)

    @property
    def office(self) -> Office:
        """The data home, opened (and checked) on first use."""
        if self._office is None:
            self._office = open_office(self.cfg, self.user)
        return self._office

    def close(self) -> None:
        if self._office is not None:
            self._office.close()


pass_app = click.make_pass_decorator(AppContext)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def fail(exc: ChartfileError) -> None:
    """Print a user-facing error with its hint and exit with its code."""
    click.echo(f"Error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"Hint: {exc.hint}", err=True)
    sys.exit(exc.exit_code)

"""Shared state of one CLI invocation: the configuration, the acting user, the office opened on demand.

The configuration is parsed once here (from ``--home``/``CHARTFILE_HOME``,
``chartfile.toml`` and ``CHARTFILE_*``) and handed to every command.  The
office (database and index of the data home) is opened by the service layer
only when a command needs it, so ``--help`` works anywhere and a missing or
out-of-date data home is refused with a fix-it hint (exit 5).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from chartfile.service.actor import Actor
from chartfile.service.identity import cli_actor, os_login
from chartfile.service.office import Office, open_office
from intake.config import Config, one_line
from intake.errors import ChartfileError


@dataclass
class AppContext:
    """What every command receives."""

    cfg: Config
    user: str | None = None  # --user: whom the OS login acts for (validated, recorded, never a role)
    _office: Office | None = None
    _actor: Actor | None = None

    @property
    def login(self) -> str:
        return os_login()

    @property
    def actor(self) -> Actor:
        """Who is acting: the OS login, with the role it has here (chartfile.service.identity)."""
        if self._actor is None:
            self._actor = cli_actor(self.cfg, self.office.db, self.user)
        return self._actor

    @property
    def office(self) -> Office:
        """The data home, opened (and checked) on first use."""
        if self._office is None:
            self._office = open_office(self.cfg, self.login)
        return self._office

    def close(self) -> None:
        if self._office is not None:
            self._office.close()


pass_app = click.make_pass_decorator(AppContext)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def fail(exc: ChartfileError) -> None:
    """Print ``Error: <one line>`` (and a ``Hint:`` line) and exit with the error's code.

    Whatever the message quotes (a value the user typed, a file name) is shown
    on that one line, its control and bidi characters made visible.
    """
    click.echo(f"Error: {one_line(exc.message)}", err=True)
    if exc.hint:
        click.echo(f"Hint: {one_line(exc.hint)}", err=True)
    sys.exit(exc.exit_code)

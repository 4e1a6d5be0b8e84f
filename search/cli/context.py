"""Shared state of one CLI invocation: the configuration, the database, the acting user.

The configuration is parsed once here (from ``--home``/``CHARTFILE_HOME``,
``chartfile.toml`` and ``CHARTFILE_*``) and handed to every command.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import click

from indexer.audit.switch import apply_config as apply_audit_config
from indexer.db.engine import Database, is_initialised
from intake.config import Config
from intake.errors import ChartfileError


@dataclass
class AppContext:
    """What every command receives."""

    cfg: Config
    user: str = field(default_factory=getpass.getuser)
    _db: Database | None = None

    @property
    def db(self) -> Database:
        """The database, migrated to the current schema on first use."""
        if self._db is None:
            self._db = Database(self.cfg)
            if not is_initialised(self._db.engine):
                self._db.migrate()
            if not self.cfg.audit_enabled:  # an audited switch-off (indexer.audit.switch)
                apply_audit_config(self._db, self.cfg, self.user)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


pass_app = click.make_pass_decorator(AppContext)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def echo_json_lines(rows: Iterable[dict[str, Any]], out: Any = None) -> int:
    """Write one compact JSON object per line; returns the count."""
    stream = out or sys.stdout
    n = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


def fail(exc: ChartfileError) -> None:
    """Print a user-facing error with its hint and exit with its code."""
    click.echo(f"Error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"Hint: {exc.hint}", err=True)
    sys.exit(exc.exit_code)

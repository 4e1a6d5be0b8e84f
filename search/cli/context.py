"""Shared state of one CLI invocation: the configuration, the database, the acting user.

The configuration is parsed once here (from ``--home``/``CHARTFILE_HOME``,
``chartfile.toml`` and ``CHARTFILE_*``) and handed to every command.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

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


def audited_export(app: AppContext, event_type: str, rows: Callable[[Session], Iterable[dict[str, Any]]],
                   output: Path | None, detail: str) -> int:
    """Record the export in the audit trail first, then stream JSON lines to a file or stdout.

    A file is written under a temporary name and renamed only when complete, so
    a failed export never leaves a half-written file that looks finished.
    """
    from indexer.audit import record as audit

    where = "file" if output is not None else "stdout"
    with app.db.transaction() as s:
        audit(s, actor=app.user, action="E", event_type=event_type, detail=f"{detail} to {where}")
    with app.db.session() as s:
        if output is None:
            return echo_json_lines(rows(s), sys.stdout)
        tmp = output.with_name(f".{output.name}.part")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                n = echo_json_lines(rows(s), fh)
            os.replace(tmp, output)
        finally:
            tmp.unlink(missing_ok=True)
        return n

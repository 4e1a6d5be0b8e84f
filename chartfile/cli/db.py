"""``chartfile db``: the database schema (``db upgrade`` is, with ``init``, the only place migrations run)."""

from __future__ import annotations

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.service.office import upgrade


@click.group("db")
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@pass_app
def upgrade_cmd(app: AppContext) -> None:
    """Bring the database schema up to date (back up the data home first)."""
    before = upgrade(app.cfg)
    click.echo("Database schema was already up to date." if before == "current" else "Database schema upgraded.")

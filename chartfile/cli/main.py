"""The ``chartfile`` command group, its global options and error-to-exit-code mapping.

Command groups live in sibling modules and are registered in :data:`COMMANDS`.
Every :class:`~intake.errors.ChartfileError` ends the process with its stable
exit code and a hint; anything unexpected exits 1 (internal error).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

import click

from chartfile.cli.context import AppContext, fail
from intake.config import load_config
from intake.errors import ChartfileError, ExitCode

log = logging.getLogger("chartfile")

# (module, attribute) of each command or group, in help order
COMMANDS: tuple[tuple[str, str], ...] = (
    ("chartfile.cli.core", "init_cmd"),
    ("chartfile.cli.db", "db"),
    ("chartfile.cli.core", "ingest_cmd"),
    ("chartfile.cli.core", "watch_cmd"),
    ("chartfile.cli.core", "status_cmd"),
    ("chartfile.cli.patients", "patients"),
    ("chartfile.cli.documents", "documents"),
    ("chartfile.cli.intake_cmds", "intake"),
    ("chartfile.cli.search_cmds", "search_cmd"),
    ("chartfile.cli.search_cmds", "index"),
    ("chartfile.cli.review", "review"),
    ("chartfile.cli.roi", "roi"),
    ("chartfile.cli.audit", "audit"),
    ("chartfile.cli.users", "users"),
    ("chartfile.web.serve", "serve_cmd"),
)


def setup_logging(verbose: int) -> None:
    """Named loggers to stderr; levels by -v count.  Logs carry ids, never PHI."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="CHARTFILE_HOME",
              help="Data home (database, index, spool, quarantine). Default ./chartfile-data.")
@click.option("--user", "user", default=None, help="Who is acting (recorded in the audit trail).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, user: str | None, verbose: int) -> None:
    """Chartfile: document intake and records indexing for a medical office."""
    setup_logging(verbose)
    app = AppContext(cfg=load_config(home))
    if user:
        app.user = user
    ctx.obj = app
    ctx.call_on_close(app.close)


def _register() -> None:
    for module_name, attr in COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # feature not installed in this build
            raise
        cli.add_command(getattr(module, attr))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point with stable exit codes."""
    _register()
    try:
        rv = cli.main(args=argv, prog_name="chartfile", standalone_mode=False)
    except ChartfileError as exc:
        fail(exc)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(ExitCode.INTERNAL)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # noqa: BLE001
        log.exception("internal error")
        click.echo("Internal error; see the log above. Please report it with the command you ran.", err=True)
        sys.exit(ExitCode.INTERNAL)
    # in non-standalone mode click returns ctx.exit(code) values instead of exiting
    sys.exit(rv if isinstance(rv, int) else ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

"""The ``chartfile`` command group, its global options and error-to-exit-code mapping.

Command groups live in sibling modules and are registered in :data:`COMMANDS`.
Every :class:`~intake.errors.ChartfileError` ends the process with its stable
exit code and a hint; anything unexpected exits 1 (internal error).  The
process runs with umask 077 (private files), set once in :func:`main`.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from chartfile.cli.context import AppContext, fail
from chartfile.cli.params import PATH
from chartfile.service.identity import check_user_name
from intake.config import load_config
from intake.errors import ChartfileError, ExitCode, InputError, TransientError, UsageError
from intake.spool import private_umask

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
    ("chartfile.cli.storage", "archive"),
    ("chartfile.cli.storage", "backup_cmd"),
    ("chartfile.cli.storage", "restore_cmd"),
    ("chartfile.cli.storage", "doctor_cmd"),
    ("chartfile.cli.users", "users"),
    ("chartfile.web.serve", "serve_cmd"),
)


def setup_logging(verbose: int) -> None:
    """Named loggers to stderr; levels by -v count.  Logs carry ids, never PHI."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _user_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_user_name(value)
    except ChartfileError as exc:
        raise click.BadParameter(exc.message) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=PATH, envvar="CHARTFILE_HOME",
              help="Data home (database, index, spool, quarantine). Default ./chartfile-data.")
@click.option("--user", "user", default=None, callback=_user_option,
              help="Whom you act for (recorded with your OS login in the audit trail; grants no role).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, user: str | None, verbose: int) -> None:
    """Chartfile: document intake and records indexing for a medical office."""
    setup_logging(verbose)
    app = AppContext(cfg=load_config(home), user=user)
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


def _usage(exc: click.UsageError) -> UsageError:
    """A click usage error as one ``Error:`` line and a hint naming the command's help."""
    where = exc.ctx.command_path if exc.ctx is not None else "chartfile"
    return UsageError(exc.format_message(), hint=f"Run '{where} --help' for its options.")


class PipeClosed(Exception):  # noqa: N818 - not an OSError on purpose: click turns EPIPE into exit 1
    """The reader of standard output went away."""


class _Stdout:
    """Standard output whose closed pipe raises :class:`PipeClosed` (handled here), not EPIPE (eaten by click)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise PipeClosed() from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise PipeClosed() from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _closed_pipe() -> None:
    """The reader went away (``chartfile ... | head``): stop quietly, as a filter should (exit 0)."""
    real = sys.__stdout__
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if real is not None:  # nothing more is flushed into the closed pipe at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), real.fileno())
    sys.exit(ExitCode.OK)


def _database_error(exc: OperationalError) -> ChartfileError:
    text = str(exc.orig).lower()
    if "locked" in text or "busy" in text:
        return TransientError("the database is busy: another Chartfile process has held its write lock for "
                              "30 seconds", hint="Try again in a minute; 'chartfile status' works meanwhile.")
    return TransientError(f"the database cannot be used: {exc.orig}",
                          hint="Check the database server and the data home's disk.")


def _file_error(exc: OSError) -> ChartfileError:
    where = f" {exc.filename}" if exc.filename else ""
    return InputError(f"cannot use{where}: {exc.strerror or exc}", hint="Check the path and its permissions.")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point with stable exit codes; errors are one line, never a traceback.

    The process umask is set to 077 first, so every file and folder this
    process (and its children: workers, ``serve``'s watcher) creates — the
    database, the search index, exports, packets, backups — is private.
    """
    private_umask()
    _register()
    real_stdout, sys.stdout = sys.stdout, _Stdout(sys.stdout)  # type: ignore[assignment]
    try:
        _run(argv)
    finally:
        sys.stdout = real_stdout


def _run(argv: list[str] | None) -> None:
    try:
        rv = cli.main(args=argv, prog_name="chartfile", standalone_mode=False)
    except ChartfileError as exc:
        fail(exc)
    except click.exceptions.Abort:
        fail(ChartfileError("aborted", hint=""))
    except click.UsageError as exc:
        fail(_usage(exc))
    except click.ClickException as exc:
        fail(InputError(exc.format_message()))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except (BrokenPipeError, PipeClosed):
        _closed_pipe()
    except OperationalError as exc:
        fail(_database_error(exc))
    except OSError as exc:
        fail(_file_error(exc))
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback only with -vv
        log.debug("internal error", exc_info=True)
        fail(ChartfileError(f"internal error ({type(exc).__name__}); this is a bug",
                            hint="Run the command again with -vv for details and report it."))
    # in non-standalone mode click returns ctx.exit(code) values instead of exiting
    try:
        sys.stdout.flush()
    except (BrokenPipeError, PipeClosed):
        _closed_pipe()
    sys.exit(rv if isinstance(rv, int) else ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

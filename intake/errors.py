"""Chartfile's exception hierarchy and its stable exit codes.

Every error a user can meet carries the process exit code (CLI), the HTTP
status (web) and a fix-it hint.  Exit codes are part of the public contract
documented in the README; never renumber them.
"""

from __future__ import annotations


class ExitCode:
    """Stable process exit codes."""

    OK = 0
    INTERNAL = 1  # a bug or an unexpected failure
    USAGE = 2  # bad command line (click uses 2 as well)
    INPUT = 3  # bad input data: unreadable CSV, unknown file, invalid query
    NOT_FOUND = 4  # the patient / document / item asked for does not exist
    CONFIG = 5  # invalid configuration
    REFUSED = 6  # a rule forbids the action (e.g. release on an invalid authorization)
    INTEGRITY = 7  # audit chain or index/database consistency check failed
    DEPENDENCY = 8  # a required external tool (tesseract) is missing
    PARTIAL = 9  # some items failed (e.g. some files could not be given an outcome)


class ChartfileError(Exception):
    """Base class: a message for the user, an exit code, an HTTP status and a hint."""

    exit_code: int = ExitCode.INTERNAL
    http_status: int = 500
    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(ChartfileError):
    exit_code = ExitCode.USAGE
    http_status = 400
    hint = "Run the command with --help to see its options."


class InputError(ChartfileError):
    exit_code = ExitCode.INPUT
    http_status = 400
    hint = "Check the file or value you gave."


class NotFoundError(ChartfileError):
    exit_code = ExitCode.NOT_FOUND
    http_status = 404
    hint = "Check the id; list commands show what exists."


class ConfigError(ChartfileError):
    exit_code = ExitCode.CONFIG
    http_status = 500
    hint = "Fix chartfile.toml in the data home or the CHARTFILE_* environment variable."


class RefusedError(ChartfileError):
    exit_code = ExitCode.REFUSED
    http_status = 409
    hint = "The action is not allowed as things stand; the message says why."


class IntegrityError(ChartfileError):
    exit_code = ExitCode.INTEGRITY
    http_status = 500
    hint = "Run 'chartfile index check' or 'chartfile audit verify' for details."


class PartialError(ChartfileError):
    """Some items got no outcome (the rest did)."""

    exit_code = ExitCode.PARTIAL
    http_status = 500
    hint = "Run the command again; items without an outcome are retried."


class DependencyError(ChartfileError):
    exit_code = ExitCode.DEPENDENCY
    http_status = 503
    hint = "Install Debian's tesseract-ocr package (see README)."


class FileRejected(ChartfileError):
    """A source file that cannot be processed and must be quarantined.

    ``reason`` is written to the quarantine sidecar and must make sense to a
    records clerk.
    """

    exit_code = ExitCode.INPUT
    http_status = 422
    hint = "The file was moved to quarantine/ with a .reason.txt beside it."

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason, hint)
        self.reason = reason


class TransientError(ChartfileError):
    """A failure worth retrying later (disk full, database locked)."""

    exit_code = ExitCode.INTERNAL
    http_status = 503
    hint = "Chartfile retries this automatically; check disk space and database access."

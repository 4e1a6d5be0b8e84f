"""What a failure means for an intake item: a clerk-readable reason, and whether to try again.

Pure logic, no I/O.  Owns the policy:

* a file that cannot be processed as it is (:class:`FileRejected`, memory
  exhausted) is quarantined at once;
* a worker that crashed or ran past its time limit, a transient problem (disk
  full, database locked, a tesseract timeout) or an unexpected error is
  retried with exponential backoff, at most ``intake.max_attempts`` times in
  all, then quarantined with the last reason;
* writer-side transient errors (the database is locked, the disk is full) are
  retried the same way.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from intake.errors import FileRejected, TransientError
from intake.pool import WorkerFailed

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 60.0
WRITER_RETRIES = 8  # database/disk problems while recording a finished file

_STAGE_WHAT = {"file": "reading the file", "plan": "opening the file", "entities": "finding names and dates"}
_TRANSIENT_ERRNO = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ENFILE,
                    errno.EMFILE, errno.ENOMEM, errno.ETIMEDOUT}


@dataclass(frozen=True)
class Verdict:
    """``reason`` for the ledger and sidecar; ``final`` = quarantine now, no retry."""

    reason: str
    final: bool


def stage_what(stage: str, page: int | None = None) -> str:
    if stage == "page":
        return f"reading page {page}" if page else "reading a page"
    return _STAGE_WHAT.get(stage, stage)


def classify(error: BaseException, stage: str, page: int | None = None,
             timeout: float | None = None) -> Verdict:
    """Turn a worker-side failure into a verdict."""
    what = stage_what(stage, page)
    if isinstance(error, FileRejected):
        return Verdict(error.reason, True)
    if isinstance(error, MemoryError):
        return Verdict("The file needs more memory than is available to read it (possibly a "
                       "decompression bomb). Ask the sender for a smaller or lower-resolution copy.", True)
    if isinstance(error, WorkerFailed) and error.kind == "timeout":
        limit = f"{timeout:.0f}-second" if timeout else "time"
        return Verdict(f"{what.capitalize()} took longer than the {limit} limit "
                       "(intake.page_timeout_seconds); the reader was stopped.", False)
    if isinstance(error, WorkerFailed) and error.kind == "crash":
        return Verdict(f"The program reading this file stopped unexpectedly while {what} "
                       f"({error.detail}).", False)
    if isinstance(error, TransientError):
        return Verdict(f"Temporary problem while {what}: {error.message}", False)
    if is_transient(error):
        return Verdict(f"Temporary problem while {what} ({describe(error)}).", False)
    return Verdict(f"Processing failed while {what} ({type(error).__name__}); the file was kept.", False)


def is_transient(error: BaseException) -> bool:
    """Database locked/unavailable, disk full and similar: worth retrying later."""
    if isinstance(error, (TransientError, OperationalError)):
        return True
    if isinstance(error, OSError):
        return error.errno in _TRANSIENT_ERRNO
    return False


def describe(error: BaseException) -> str:
    """A short description without file names or data (for logs and reasons)."""
    if isinstance(error, OSError) and error.errno is not None:
        return errno.errorcode.get(error.errno, str(error.errno)) + (f": {error.strerror}" if error.strerror else "")
    if isinstance(error, OperationalError):
        return "database: " + str(error.orig)[:120]
    return type(error).__name__


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (1 → base, doubling, capped)."""
    return float(min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_MAX_SECONDS))


def final_reason(verdict: Verdict, attempts: int) -> str:
    """The reason recorded when retries are used up."""
    if verdict.final:
        return verdict.reason
    return f"{verdict.reason} Gave up after {attempts} attempts."

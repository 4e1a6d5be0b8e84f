"""Fault injection for intake tests: task functions for the pool, and a worker hook.

:func:`install` is passed as ``worker_hook="tests.e2e.faults:install"``; inside
each worker it wraps :mod:`intake.workers` so that a spooled file whose name
contains a marker misbehaves the way a hostile real file might:

* ``crash-me`` — the worker process dies (``os._exit``) while reading page 1;
* ``hang-me`` — the worker hangs while opening the file (killed at the deadline);
* ``segv-me`` — the worker kills itself with SIGSEGV while opening the file;
* ``no-tesseract`` — reading a page fails as if tesseract were not installed;
* ``flaky-me`` — the first read of page 1 fails with a transient error (like a
  tesseract timeout or a full temp disk); the retry succeeds;
* ``slow-me`` — opening the file takes 4 s longer (time for its sender to change it).

Nothing here is used outside the tests.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from intake.errors import DependencyError, FileRejected, TransientError

CRASH, HANG, SEGV, FLAKY, NO_TESSERACT, SLOW = "crash-me", "hang-me", "segv-me", "flaky-me", "no-tesseract", "slow-me"
SLOW_SECONDS = 4.0


def install() -> None:
    """Worker hook: wrap plan/read so marked files crash or hang."""
    from intake import workers

    plan, read = workers.plan_file, workers.read_one_page

    def plan_file(path: str, kind: str) -> list[object]:
        name = Path(path).name
        if HANG in name:
            time.sleep(3600)
        if SEGV in name:
            os.kill(os.getpid(), signal.SIGSEGV)
        if SLOW in name:
            time.sleep(SLOW_SECONDS)
        return plan(path, kind)

    def read_one_page(job: Any) -> Any:
        name = Path(job.path).name
        if CRASH in name:
            os._exit(3)
        if NO_TESSERACT in name:
            raise DependencyError("tesseract is not installed or not on PATH")
        if FLAKY in name:
            key = hashlib.sha1(job.path.encode()).hexdigest()  # the spool path is unique per test
            marker = Path(tempfile.gettempdir()) / f"chartfile-flaky-{key}"
            if not marker.exists():
                marker.write_text("failed once")
                raise TransientError("tesseract timed out on a page")
        return read(job)

    workers.plan_file = plan_file  # type: ignore[assignment]
    workers.read_one_page = read_one_page


# ----- plain task functions for pool tests ------------------------------------
def square(x: int) -> int:
    return x * x


def slow_square(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x * x


def die(code: int = 7) -> None:
    os._exit(code)


def hang(seconds: float = 3600) -> None:
    time.sleep(seconds)


def reject(reason: str) -> None:
    raise FileRejected(reason)


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickling calls __init__(*args) with one arg
        super().__init__(f"{a}/{b}")


def raise_unpicklable() -> None:
    raise _Unpicklable(1, 2)


def child_then_hang(pidfile: str) -> None:
    """Start a grandchild (like tesseract), record its pid, then hang."""
    child = subprocess.Popen(["sleep", "600"])
    Path(pidfile).write_text(str(child.pid))
    time.sleep(3600)


def pid() -> int:
    return os.getpid()


def init_marker(value: str) -> None:
    os.environ["POOL_TEST_MARKER"] = value


def marker() -> str:
    return os.environ.get("POOL_TEST_MARKER", "")

"""Worker processes log through the parent: their records reach the parent's handlers at its level (-v)."""

from __future__ import annotations

import logging

import pytest

from intake.pool import WorkerPool


def log_and_return(level: int, text: str) -> int:
    """A task: log one record in the worker (named logger) and answer."""
    import os

    logging.getLogger("intake.test_worker").log(level, "worker says %s", text)
    return os.getpid()


def _run(level: int, caplog: pytest.LogCaptureFixture) -> tuple[int, list[logging.LogRecord]]:
    logging.getLogger().setLevel(level)
    pool = WorkerPool(1)
    try:
        task = pool.submit(log_and_return, logging.INFO, "hello")
        results: list = []
        for _ in range(100):
            results += pool.poll(0.5)
            if results:
                break
        pool.poll(0.3)  # (a log line may arrive just after the answer)
    finally:
        pool.close()
    assert results and results[0].task_id == task and results[0].ok
    return results[0].value, [r for r in caplog.records if r.name == "intake.test_worker"]


def test_worker_info_reaches_the_parent_at_verbose(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    pid, records = _run(logging.INFO, caplog)
    assert [r.getMessage() for r in records] == ["worker says hello"]
    assert records[0].process == pid  # the worker's record, re-emitted by the parent


def test_worker_info_is_not_shown_without_verbose(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    _pid, records = _run(logging.WARNING, caplog)
    assert records == []
